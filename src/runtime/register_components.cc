// Every backend and rule target the configuration can name with `type:`, one line each. Adding one
// means writing its component (its config struct, parse and build functions, and a Register…()
// beside them) and adding its line here; the order of each kind is the order error messages
// list the allowed types in.
#include "runtime/register_components.h"

#include <mutex>

#include "notify/subscriber.h"
#include "runtime/rule_targets.h"
#include "storage/local/local_store_config.h"
#include "storage/object_store_config.h"
#include "storage/s3/s3_store_config.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
#include "warehouse/sqlite/sqlite_warehouse_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::runtime {
namespace {

void RegisterObjectStores(storage::ObjectStoreFactory& factory) {
  storage::RegisterLocalStore(factory);
  storage::s3::RegisterS3Store(factory);
}

void RegisterEventSources(storage::s3::EventSourceFactory& factory) {
  storage::s3::RegisterSqsEventSource(factory);
  storage::s3::RegisterWebhookEventSource(factory);
  storage::s3::RegisterReconcileEventSource(factory);
}

void RegisterWarehouses(warehouse::WarehouseFactory& factory) {
  warehouse::RegisterSqliteWarehouse(factory);
  warehouse::RegisterPostgresWarehouse(factory);
  warehouse::RegisterRedshiftWarehouse(factory);
}

void RegisterSubscribers(notify::SubscriberFactory& factory) {
  notify::RegisterLogSubscriber(factory);
  notify::RegisterWebhookSubscriber(factory);
  notify::RegisterEmailSubscriber(factory);
  notify::RegisterSnsSubscriber(factory);
}

void RegisterRuleTargets(RuleTargetFactory& factory) {
  RegisterStartCrawlerTarget(factory);
  RegisterStartJobTarget(factory);
  RegisterPublishTarget(factory);
  RegisterWebhookTarget(factory);
  RegisterUpsertDimensionTarget(factory);
  RegisterReplayRejectsTarget(factory);
}

}  // namespace

void RegisterComponents() {
  static std::once_flag once;
  std::call_once(once, [] {
    RegisterObjectStores(storage::ObjectStoreFactory::Instance());
    RegisterEventSources(storage::s3::EventSourceFactory::Instance());
    RegisterWarehouses(warehouse::WarehouseFactory::Instance());
    RegisterSubscribers(notify::SubscriberFactory::Instance());
    RegisterRuleTargets(RuleTargetFactory::Instance());
  });
}

}  // namespace ecompipe::runtime
