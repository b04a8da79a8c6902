#include "runtime/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "common/time_util.h"
#include "events/sql/sql_event_log.h"
#include "runtime/register_components.h"
#include "runtime/rule_targets.h"
#include "runtime/state_schema.h"
#include "storage/local/folder_watcher.h"
#include "storage/s3/s3_store_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::runtime {
namespace {

namespace fs = std::filesystem;

const std::atomic<bool> kNeverStop{false};

// Opens the configured warehouse through its type's factory entry.
Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(const warehouse::WarehouseConfig& c) {
  const warehouse::WarehouseType* type = warehouse::WarehouseFactory::Instance().Find(c.type);
  if (!type) return Status::InvalidArgument("warehouse type '" + c.type + "' is not registered");
  return type->open(c);
}

}  // namespace

Result<std::unique_ptr<storage::ObjectStore>> Pipeline::OpenBucket(const PipelineConfig& c) {
  RegisterComponents();
  const storage::ObjectStoreType* store =
      storage::ObjectStoreFactory::Instance().Find(c.storage.type);
  if (!store)
    return Status::InvalidArgument("storage type '" + c.storage.type + "' is not registered");
  return store->open(c.storage);
}

Result<std::unique_ptr<warehouse::Warehouse>> Pipeline::OpenWarehouseOnly(const PipelineConfig& c) {
  RegisterComponents();
  return OpenWarehouse(c.warehouse);
}

Result<std::unique_ptr<Pipeline>> Pipeline::Open(PipelineConfig config) {
  RegisterComponents();
  std::unique_ptr<Pipeline> p(new Pipeline(std::move(config)));
  const PipelineConfig& c = p->config_;
  std::error_code ec;
  if (!c.state.shared()) {
    fs::create_directories(c.state.path.parent_path(), ec);
    if (ec)
      return Status::IoError("cannot create " + c.state.path.parent_path().string() + ": " +
                             ec.message());
  }
  p->lease_.lease_ms = c.state.lease_ms;
  if (!c.state.worker_id.empty()) p->lease_.worker_id = c.state.worker_id;
  const std::string state = c.state.Location();
  const storage::ObjectStoreType* store =
      storage::ObjectStoreFactory::Instance().Find(c.storage.type);
  if (!store)
    return Status::InvalidArgument("storage type '" + c.storage.type + "' is not registered");
  EP_ASSIGN_OR_RETURN(p->store_, store->open(c.storage));
  // The typed views the event sources and the S3 endpoint need, taken once here.
  p->s3_ = dynamic_cast<storage::s3::S3ObjectStore*>(p->store_.get());
  p->local_ = dynamic_cast<storage::LocalFolderStore*>(p->store_.get());
  // The state store's version is checked before any store touches its tables, and recorded
  // once all of them are brought forward (runtime/state_schema.h).
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqlDb> state_db, OpenSqlDb(state));
  EP_RETURN_IF_ERROR(CheckStateSchema(*state_db, c.state.shared()
                                                     ? std::string("the PostgreSQL state store")
                                                     : c.state.path.string()));
  EP_ASSIGN_OR_RETURN(auto log, events::SqlEventLog::Open(state, p->lease_));
  p->bus_ = std::make_unique<events::EventBus>(std::move(log), c.rules, c.retry);
  EP_ASSIGN_OR_RETURN(p->catalog_, catalog::CatalogStore::Open(state));
  EP_ASSIGN_OR_RETURN(p->warehouse_, OpenWarehouse(c.warehouse));
  EP_RETURN_IF_ERROR(p->warehouse_->EnsureSchema());
  for (const JobConfig& job : c.jobs) {
    if (job.spec.IsReference()) continue;
    if (Status s = p->warehouse_->EnsureFactColumns(job.spec.output); !s.ok())
      return std::move(s).At("job '" + job.name + "'");
  }
  EP_ASSIGN_OR_RETURN(p->notifier_,
                      notify::Notifier::Open(state, c.topics, 0, p->lease_, &p->metrics_));
  EP_ASSIGN_OR_RETURN(p->runs_, RunStore::Open(state, p->lease_));
  EP_ASSIGN_OR_RETURN(p->claims_, WorkClaims::Open(state, p->lease_));
  p->Wire();
  EP_ASSIGN_OR_RETURN(p->landing_, Landing::Open(state, {*p->store_, *p->bus_, *p->warehouse_,
                                                         c.origin, &p->metrics_}));
  EP_RETURN_IF_ERROR(RecordStateSchema(*state_db));
  p->RegisterTargets();
  EP_RETURN_IF_ERROR(p->bus_->CheckTargets());
  return p;
}

namespace {

CrawlSettings CrawlSettingsOf(const PipelineConfig& c) {
  CrawlSettings crawl;
  for (const CrawlerConfig& crawler : c.crawlers) crawl.header[crawler.name] = crawler.header;
  for (const JobConfig& job : c.jobs) crawl.job_columns[job.table].push_back(job.spec.columns);
  return crawl;
}

}  // namespace

Status Pipeline::Reload(const PipelineConfig& next) {
  for (const JobConfig& job : next.jobs) {
    if (job.spec.IsReference()) continue;
    if (Status s = warehouse_->EnsureFactColumns(job.spec.output); !s.ok())
      return std::move(s).At("job '" + job.name + "'");
  }
  {
    std::lock_guard lock(rules_mutex_);
    config_.rules = next.rules;
  }
  config_.crawlers = next.crawlers;
  config_.jobs = next.jobs;
  config_.topics = next.topics;
  // config_.text stays the text serve started with: the sections a reload does not apply run
  // as it says, and each reload compares against it (runtime/reload.h).
  bus_->SetRules(config_.rules);
  notifier_->SetTopics(config_.topics);
  crawl_->SetSettings(CrawlSettingsOf(config_));
  return bus_->CheckTargets();
}

void Pipeline::Wire() {
  const PipelineConfig& c = config_;
  crawl_ = std::make_unique<CrawlStep>(CrawlStep::Env{*store_, *catalog_, *bus_, c.origin},
                                       CrawlSettingsOf(c));
  jobs_ = std::make_unique<JobRunner>(
      JobRunner::Env{*store_, *warehouse_, *catalog_, *runs_, *claims_, *bus_, c.origin, &metrics_});
  dimensions_ = std::make_unique<DimensionLoader>(
      *store_, *warehouse_, [this](model::Dimension d, const std::string& where, int64_t rows) {
        jobs_->InvalidateDimensions();
        DimensionUpserted(d, where, rows);
      });
  replay_ = std::make_unique<RejectReplayer>(
      RejectReplayer::Env{c, *warehouse_, *catalog_, *runs_, *jobs_, *bus_, c.origin});
  reloader_ =
      std::make_unique<ObjectReloader>(ObjectReloader::Env{c, *warehouse_, *catalog_, *jobs_});
}

void Pipeline::DimensionUpserted(model::Dimension dimension, const std::string& where,
                                 int64_t rows) {
  Json event = events::MakeEvent(config_.origin, events::kWarehouseSource,
                                 events::kDimensionUpserted, Json::array(),
                                 {{"dimension", std::string(model::DimensionName(dimension))},
                                  {"key", where},
                                  {"rows", rows}});
  if (Result<int64_t> put = bus_->Put(event); !put.ok())
    spdlog::warn(
        "Could not record the Dimension Upserted event; replay its rejects by hand. "
        "dimension={} error={}",
        model::DimensionName(dimension), put.status().ToString());
}

void Pipeline::RegisterTargets() {
  const TargetServices services{
      config_,      *crawl_,
      *jobs_,       *notifier_,
      *dimensions_, *replay_,
      *reloader_,   [this]() -> const std::atomic<bool>& {
                                  return stop_ ? *stop_ : kNeverStop; }};
  const RuleTargetFactory& factory = RuleTargetFactory::Instance();
  for (const std::string& type : factory.Types()) {
    const RuleTargetType* entry = factory.Find(type);
    bus_->RegisterTarget(entry->type, entry->handler(services));
  }
}

Status Pipeline::Recover() {
  const bool shared = config_.state.shared();
  // Under the pipeline lock (SQLite) no other process is alive: whatever is claimed was
  // claimed by a process that exited, and waiting for its leases would only delay the work.
  if (!shared) EP_RETURN_IF_ERROR(claims_->ReleaseAll());
  if (!keeper_) {
    EP_ASSIGN_OR_RETURN(keeper_, LeaseKeeper::Start(config_.state.Location(), lease_));
  }
  if (shared)
    spdlog::info("Worker joined the shared pipeline. worker={} lease_ms={}", lease_.worker_id,
                 lease_.lease_ms);
  return jobs_->FailInterrupted("interrupted: the process running it exited", shared,
                                "Run was interrupted; marked FAILED, its start will be retried.");
}

Result<storage::LoadState> Pipeline::LoadStateOf(const std::string& key, const std::string& etag) {
  using storage::LoadState;
  const storage::ObjectRef ref{config_.storage.bucket, key, etag};
  {
    std::lock_guard lock(ledger_probe_mutex_);
    if (!ledger_probe_) {
      EP_ASSIGN_OR_RETURN(ledger_probe_, OpenWarehouse(config_.warehouse));
    }
    EP_ASSIGN_OR_RETURN(std::optional<warehouse::LedgerEntry> entry, ledger_probe_->FindLoad(ref));
    if (entry)
      return entry->status == warehouse::LedgerStatus::kFailed ? LoadState::kFailed
                                                               : LoadState::kCommitted;
  }
  // Only objects that reach a crawler or a job get a ledger entry; for any other (a dimension
  // file, a key no rule wants) the durable Object Created event is the end of the road.
  const Json event =
      events::ObjectCreatedEvent(config_.origin, ref.bucket, key, 0, etag, "PutObject", "0");
  bool loads = false;
  {
    std::lock_guard lock(rules_mutex_);  // a reload may replace them meanwhile
    for (const events::Rule& rule : config_.rules) {
      if (!rule.pattern.Matches(event)) continue;
      for (const events::Target& t : rule.targets)
        loads |=
            t.type == events::TargetType::kStartCrawler || t.type == events::TargetType::kStartJob;
    }
  }
  if (!loads) return LoadState::kCommitted;
  EP_ASSIGN_OR_RETURN(bool crawl_failed, catalog_->CrawlFailed(ref));
  return crawl_failed ? LoadState::kFailed : LoadState::kPending;
}

Status Pipeline::RunUntilIdle(const std::atomic<bool>& stop) {
  stop_ = &stop;
  Status result;
  // A run whose end could not be recorded (a full disk) is closed FAILED, and notified, first.
  if (Status s = jobs_->CloseLeftOver(); !s.ok()) {
    stop_ = nullptr;
    return s;
  }
  while (!stop.load()) {
    EP_RETURN_IF_ERROR(landing_->DrainLanded());
    Result<int> ran = bus_->DispatchDue(stop);
    if (!ran.ok()) {
      result = ran.status();
      break;
    }
    Result<int> sent = notifier_->DeliverDue();
    if (!sent.ok()) {
      result = sent.status();
      break;
    }
    if (*ran == 0 && *sent == 0) break;
  }
  stop_ = nullptr;
  return result;
}

Result<std::optional<int64_t>> Pipeline::NextDueInMs() {
  EP_ASSIGN_OR_RETURN(std::optional<int64_t> next,
                      bus_->WithLog([](events::EventLog& l) { return l.NextDue(); }));
  if (!next) return next;
  return std::optional<int64_t>(std::max<int64_t>(0, *next - NowMillis()));
}

Result<std::unique_ptr<storage::EventSource>> Pipeline::StartS3EventSource(
    const storage::s3::S3EventSourceConfig& c) {
  const std::string where = config_.config_path.filename().string() + ":" + std::to_string(c.line);
  const storage::s3::EventSourceType* type =
      storage::s3::EventSourceFactory::Instance().Find(c.type);
  if (!type)
    return Status::InvalidArgument("event source type '" + c.type + "' is not registered")
        .At(where);
  storage::s3::EventSourceContext context;
  context.bucket = config_.storage.bucket;
  context.store = s3_->settings();
  context.client = s3_;
  context.on_object = [this](const std::string& key, storage::DoneCallback done) {
    QueueLanded(key, std::move(done));
  };
  context.on_listed = [this](const storage::ObjectRef& o) {
    return landing_->Announce(o).status();
  };
  context.load_check = [this](const std::string& key, const std::string& etag) {
    return LoadStateOf(key, etag);
  };
  Result<std::unique_ptr<storage::EventSource>> r = type->start(c, context);
  if (!r.ok()) return Status(r.status().code(), r.status().message()).At(where);
  return r;
}

Result<std::vector<std::unique_ptr<storage::EventSource>>> Pipeline::StartEventSources() {
  std::vector<std::unique_ptr<storage::EventSource>> sources;
  if (local_) {
    EP_ASSIGN_OR_RETURN(auto watcher,
                        storage::FolderWatcher::Start(
                            local_->root(), [this](const std::string& key) { QueueLanded(key); },
                            [this]() { QueueRescan(); }));
    sources.push_back(std::move(watcher));
    return sources;
  }
  static const storage::s3::S3StoreConfig kNoS3;
  const storage::s3::S3StoreConfig* s3 = config_.storage.As<storage::s3::S3StoreConfig>();
  std::vector<storage::s3::S3EventSourceConfig> configured = (s3 ? *s3 : kNoS3).events;
  if (configured.empty()) {
    spdlog::warn(
        "No S3 event source configured; the bucket is listed every 60 s (storage.events). "
        "bucket={}",
        config_.storage.bucket);
    storage::s3::S3EventSourceConfig every_minute;
    every_minute.type = "reconcile";
    every_minute.source = storage::s3::ReconcileSourceConfig{.interval_seconds = 60};
    configured.push_back(every_minute);
  }
  for (const storage::s3::S3EventSourceConfig& c : configured) {
    Result<std::unique_ptr<storage::EventSource>> s = StartS3EventSource(c);
    if (!s.ok()) {
      for (auto& started : sources) started->Stop();
      return s.status();
    }
    sources.push_back(std::move(*s));
  }
  return sources;
}

Result<std::unique_ptr<api::s3::S3Endpoint>> Pipeline::StartS3Endpoint() {
  if (!local_ || !config_.s3_endpoint.enabled) return std::unique_ptr<api::s3::S3Endpoint>();
  return api::s3::S3Endpoint::Start(config_.s3_endpoint, *local_, &metrics_);
}

Status Pipeline::ReapAbandoned(const std::atomic<bool>& stop) {
  if (!config_.state.shared()) return Status::Ok();
  EP_RETURN_IF_ERROR(
      jobs_->FailInterrupted("interrupted: the worker running it stopped renewing its lease", true,
                             "A worker's run was abandoned; marked FAILED."));
  return jobs_->StartAbandoned(
      [this](const std::string& name) { return config_.FindJob(name) != nullptr; }, stop);
}

}  // namespace ecompipe::runtime
