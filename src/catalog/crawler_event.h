// The crawler's "Glue Crawler State Change" event: one per crawl of one object, with the detail
// fields of AWS Glue's own event (state Succeeded or Failed, the counters as strings, Glue's
// "runningTime (sec)") plus ecompipe's: the object crawled, its table, schema version, format,
// compression, partition and, when the crawl added a schema version, the change. Rules route it;
// the default one starts the job.
//
// Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "catalog/catalog_store.h"
#include "catalog/crawler.h"
#include "common/json.h"
#include "events/event.h"
#include "storage/object_store.h"

namespace ecompipe::catalog {

// One crawl of one object by the crawler `crawler`, begun at `start_ms` (epoch milliseconds).
// `object` is the version the triggering event named (key and ETag, the ETag possibly empty).
struct CrawlerRun {
  std::string crawler;
  storage::ObjectRef object;
  int64_t start_ms = 0;
};

// The event of a crawl that failed with `error` (a message that names the object).
Json CrawlerFailedEvent(const events::Origin& origin, const CrawlerRun& run,
                        const std::string& error);

// The event of a crawl that succeeded at `end_ms`: `crawl` is what the crawler found and
// `update` what recording it changed in the catalog.
Json CrawlerSucceededEvent(const events::Origin& origin, const CrawlerRun& run, int64_t end_ms,
                           const CrawlResult& crawl, const CatalogUpdate& update);

}  // namespace ecompipe::catalog
