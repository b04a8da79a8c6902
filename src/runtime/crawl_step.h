// The start_crawler target: crawls the object an Object Created event names, records the
// result in the catalog and emits the crawler's Glue Crawler State Change event
// (catalog/crawler_event.h), Succeeded or Failed.
//
// A crawl that cannot be done now (the bucket or the state store unreachable: a retryable
// error) is returned, so its delivery retries; a crawl that fails for good (the object is gone,
// unreadable, not a table) is recorded as failed in the catalog and told by a Failed event,
// and returns OK. An object catalogued in a table that no job loads (a folder that is not a
// partition names a table of its own) succeeds with a warning, logged and in the event's
// warningMessage, saying it will not be loaded and why. An event naming an older version of a key
// than the bucket holds crawls nothing: the newer version's own event crawls it.
//
// Thread-safety: one thread at a time (the dispatcher).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog_store.h"
#include "catalog/crawler.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "events/event_log.h"
#include "storage/object_store.h"

namespace ecompipe::runtime {

// What the crawler knows of the configuration besides the object (docs/design.md, "Headers").
struct CrawlSettings {
  // Each crawler's header setting, by crawler name (absent: detect).
  std::map<std::string, catalog::HeaderMode> header;
  // The input columns of each job that loads a table, by table name, in the jobs' order.
  std::map<std::string, std::vector<std::vector<std::string>>> job_columns;
};

class CrawlStep {
 public:
  // The collaborators, owned by the caller and outliving the step.
  struct Env {
    storage::ObjectStore& store;
    catalog::CatalogStore& catalog;
    events::EventBus& bus;
    events::Origin origin;
  };
  CrawlStep(Env env, CrawlSettings settings)
      : env_(std::move(env)), settings_(std::move(settings)) {}
  // Replaces the settings (a configuration reload); the next crawl uses them.
  void SetSettings(CrawlSettings settings) { settings_ = std::move(settings); }

  // Crawls the object of `delivery`'s event with the crawler `delivery.target.name`.
  Status Crawl(const events::Delivery& delivery);

 private:
  Result<catalog::CrawlHints> HintsFor(const std::string& crawler, const std::string& key);
  // Why objects of `table` are not loaded (no job loads it), or "" when a job does.
  std::string NotLoadedReason(const std::string& table) const;

  Env env_;
  CrawlSettings settings_;
};

}  // namespace ecompipe::runtime
