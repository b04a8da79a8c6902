#include "catalog/crawler_event.h"

#include "common/time_util.h"
#include "storage/compression.h"

namespace ecompipe::catalog {
namespace {

Json Detail(const events::Origin& origin, const CrawlerRun& run) {
  return {{"accountId", origin.account},
          {"crawlerName", run.crawler},
          {"startTime", FormatIsoSeconds(run.start_ms)},
          {"object", {{"key", run.object.key}, {"etag", run.object.etag}}}};
}

Json Event(const events::Origin& origin, Json detail) {
  return events::MakeEvent(origin, events::kGlueSource, events::kCrawlerStateChange, Json::array(),
                           std::move(detail));
}

}  // namespace

Json CrawlerFailedEvent(const events::Origin& origin, const CrawlerRun& run,
                        const std::string& error) {
  Json detail = Detail(origin, run);
  detail["state"] = "Failed";
  detail["message"] = "Crawler Failed";
  detail["errorMessage"] = error;
  return Event(origin, std::move(detail));
}

Json CrawlerSucceededEvent(const events::Origin& origin, const CrawlerRun& run, int64_t end_ms,
                           const CrawlResult& crawl, const CatalogUpdate& u) {
  Json detail = Detail(origin, run);
  detail["state"] = "Succeeded";
  detail["message"] = "Crawler Succeeded";
  // Glue writes its counters as strings; so does ecompipe, for patterns that port unchanged.
  detail["tablesCreated"] = u.table_created ? "1" : "0";
  detail["tablesUpdated"] = (!u.table_created && !u.change.empty()) ? "1" : "0";
  detail["tablesDeleted"] = "0";
  detail["partitionsCreated"] = u.partition_created ? "1" : "0";
  detail["partitionsUpdated"] = "0";
  detail["partitionsDeleted"] = "0";
  detail["warningMessage"] = u.change.empty() ? "N/A" : "schema changed: " + u.change.ToString();
  detail["completionDate"] = FormatIsoSeconds(end_ms);
  detail["runningTime (sec)"] = std::to_string((end_ms - run.start_ms) / 1000);
  detail["table"] = crawl.table;
  detail["schemaVersion"] = u.schema_version;
  detail["format"] = std::string(DataFormatName(crawl.schema.format));
  detail["compression"] = std::string(storage::CompressionName(crawl.schema.compression));
  Json partition = Json::object();
  for (const auto& [k, v] : crawl.partition) partition[k] = v;
  detail["partition"] = partition;
  if (!u.change.empty()) {
    detail["schemaChange"] = {
        {"added", u.change.added}, {"removed", u.change.removed}, {"retyped", u.change.retyped}};
  }
  return Event(origin, std::move(detail));
}

}  // namespace ecompipe::catalog
