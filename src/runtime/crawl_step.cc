#include "runtime/crawl_step.h"

#include <spdlog/spdlog.h>

#include "catalog/crawler_event.h"
#include "common/time_util.h"
#include "runtime/landing.h"

namespace ecompipe::runtime {

Result<catalog::CrawlHints> CrawlStep::HintsFor(const std::string& crawler,
                                                const std::string& key) {
  catalog::CrawlHints hints;
  if (auto it = settings_.header.find(crawler); it != settings_.header.end())
    hints.header = it->second;
  const std::string table = catalog::TableNameFor(key);
  EP_ASSIGN_OR_RETURN(std::vector<catalog::Column> columns, env_.catalog.TableColumns(table));
  for (const catalog::Column& c : columns) hints.table_columns.push_back(c.name);
  if (auto it = settings_.job_columns.find(table); it != settings_.job_columns.end())
    hints.job_columns = it->second;
  return hints;
}

std::string CrawlStep::NotLoadedReason(const std::string& table) const {
  if (settings_.job_columns.contains(table)) return "";
  std::string loaded;
  for (const auto& [name, columns] : settings_.job_columns)
    loaded += (loaded.empty() ? "" : ", ") + name;
  return "no job loads table '" + table + "' (" +
         (loaded.empty() ? std::string("no job is configured") : "jobs load: " + loaded) +
         "); a folder that is not a partition (name=value) names a table of its own: put the "
         "file in its table's folder or in partition folders, or add a job for '" +
         table + "'";
}

Status CrawlStep::Crawl(const events::Delivery& d) {
  EP_ASSIGN_OR_RETURN(storage::ObjectRef wanted, ObjectNamedBy(d.event, env_.store.bucket()));
  const catalog::CrawlerRun run{d.target.name, wanted, NowMillis()};
  auto fail = [&](const std::string& message) -> Status {
    spdlog::warn("Crawler failed. crawler={} key={} error={}", run.crawler, wanted.key, message);
    return env_.bus.Put(catalog::CrawlerFailedEvent(env_.origin, run, message)).status();
  };

  Result<storage::ObjectRef> head = env_.store.Head(wanted.key);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound)
      return fail(wanted.key + ": the object no longer exists");
    return head.status();
  }
  if (!wanted.etag.empty() && head->etag != wanted.etag) {
    spdlog::info(
        "Object changed since the event; its newer version is crawled by its own event. key={}",
        wanted.key);
    return Status::Ok();
  }
  EP_ASSIGN_OR_RETURN(catalog::CrawlHints hints, HintsFor(run.crawler, head->key));
  Result<catalog::CrawlResult> crawl = catalog::CrawlObject(env_.store, *head, hints);
  if (!crawl.ok()) {
    if (crawl.status().retryable()) return crawl.status();
    std::string message = crawl.status().ToString();
    if (message.find(wanted.key) == std::string::npos) message = wanted.key + ": " + message;
    EP_RETURN_IF_ERROR(env_.catalog.RecordCrawlFailure(*head, message));
    return fail(message);
  }
  EP_ASSIGN_OR_RETURN(catalog::CatalogUpdate u, env_.catalog.RecordCrawl(*head, *crawl));
  if (!u.change.empty())
    spdlog::warn("Schema changed. table={} version={} change={}", crawl->table, u.schema_version,
                 u.change.ToString());
  Json event = catalog::CrawlerSucceededEvent(env_.origin, run, NowMillis(), *crawl, u);
  // A folder that is not a partition (name=value) names a table of its own
  // ("transactions/h/x.csv" is table transactions_h): catalogued, but loaded only by a job of
  // that table. Said where the user looks, never a silent success.
  if (std::string why = NotLoadedReason(crawl->table); !why.empty()) {
    spdlog::warn(
        "Object catalogued in a table that no job loads; it will not be loaded. key={} "
        "table={} why={}",
        head->key, crawl->table, why);
    Json& warning = event["detail"]["warningMessage"];
    warning = warning == "N/A" ? why : warning.get<std::string>() + "; " + why;
  }
  return env_.bus.Put(event).status();
}

}  // namespace ecompipe::runtime
