#include "runtime/views.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "common/did_you_mean.h"
#include "common/time_util.h"
#include "model/money.h"
#include "model/records.h"
#include "runtime/dispatch_health.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::runtime::views {
namespace {

// A SQL string literal: quotes doubled, so user text never becomes SQL.
std::string SqlLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string Join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// The smallest text greater than every text starting with `prefix` ("" when there is none:
// the prefix is all 0xff bytes), so that `key >= prefix AND key < upper` reads an index range.
std::string PrefixUpperBound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return "";
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

// substr() counts characters, not bytes.
size_t CodePoints(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::optional<std::string> Cell(const warehouse::QueryResult& r, size_t row, size_t col) {
  if (row >= r.rows.size() || col >= r.rows[row].size()) return std::nullopt;
  return r.rows[row][col];
}

Json Number(const std::optional<std::string>& v) {
  if (!v || v->empty()) return nullptr;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) return *v;
  return n;
}

Json Text(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace

// Every reason code a reject can carry here: the built-in ones, the configured jobs' own,
// and any the warehouse holds (from an earlier configuration).
std::vector<std::string> KnownReasons(Pipeline& p) {
  namespace reason = model::reason;
  std::set<std::string> known = {reason::kWrongFieldCount,
                                 reason::kInvalidUtf8,
                                 reason::kNulByte,
                                 reason::kLineTooLong,
                                 reason::kMalformedRecord,
                                 reason::kMissingTransactionId,
                                 reason::kMalformedTransactionId,
                                 reason::kMalformedCustomerId,
                                 reason::kMalformedProductId,
                                 reason::kInvalidQuantity,
                                 reason::kInvalidPrice,
                                 reason::kInvalidDate,
                                 reason::kUnknownCustomerId,
                                 reason::kUnknownProductId,
                                 reason::kDuplicateTransactionId,
                                 reason::kTotalOutOfRange};
  for (const JobConfig& job : p.config().jobs) {
    for (const auto& v : job.spec.validations) known.insert(v.Reason());
    for (const auto& l : job.spec.lookups) known.insert(l.Reason());
    for (const auto& d : job.spec.derived) known.insert(d.Reason());
  }
  Result<warehouse::QueryResult> stored =
      p.warehouse().Query("SELECT DISTINCT reason FROM rejects");
  if (stored.ok()) {
    for (const auto& row : stored->rows)
      if (!row.empty() && row[0]) known.insert(*row[0]);
  }
  return {known.begin(), known.end()};
}

// The key `rejects --object` means: a full key, or a file name (the key's last part) that one
// loaded or rejected object has. kNotFound when none has; kInvalidArgument naming the keys
// when several have.
Result<std::string> ResolveObjectKey(warehouse::Warehouse& w, const std::string& name) {
  std::string like = "%/";
  for (char c : name) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult q,
                      w.Query("SELECT DISTINCT key FROM (SELECT key FROM load_ledger UNION SELECT "
                              "source_object AS key FROM rejects) AS k "
                              "WHERE key = " +
                              SqlLiteral(name) + " OR key LIKE " + SqlLiteral(like) +
                              " ESCAPE '\\' ORDER BY key LIMIT 50"));
  std::vector<std::string> matches;
  for (const auto& row : q.rows) {
    if (row.empty() || !row[0]) continue;
    const std::string& key = *row[0];
    if (key == name) return key;
    // LIKE narrowed the rows; this is the exact test (SQLite's LIKE ignores case).
    if (key.size() > name.size() && key.ends_with(name) && key[key.size() - name.size() - 1] == '/')
      matches.push_back(key);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty())
    return Status::NotFound("no object " + name +
                            " was loaded or rejected (give a full key, or a file name "
                            "one object has; see `ecompipe runs`)");
  return Status::InvalidArgument("the file name " + name + " is ambiguous: " + Join(matches) +
                                 "; give the full key");
}


Json WarehouseFigures(Pipeline& p) {
  const auto& wc = p.config().warehouse;
  // A postgres/redshift warehouse shows its type and URL (password redacted) where sqlite shows a
  // path.
  const warehouse::WarehouseType* type = warehouse::WarehouseFactory::Instance().Find(wc.type);
  Json w = {{"path", type ? type->describe(wc) : wc.type}};
  const auto* pg = wc.As<warehouse::PostgresWarehouseConfig>();
  if (pg && pg->dialect == warehouse::SqlDialect::kPostgres)
    (void)p.warehouse().Query("SET lock_timeout = '3s'");
  // Running totals kept by the loads (warehouse_totals): no scan of the facts at any size.
  Result<warehouse::WarehouseTotals> t = p.warehouse().Totals();
  if (!t.ok()) {
    std::string error = t.status().message();
    if (error.find("lock timeout") != std::string::npos) {
      error =
          "a load holds the warehouse's tables until it commits (a big load rebuilds the fact "
          "indexes, see warehouse.index_rebuild); try again when it has committed (" +
          error + ")";
    }
    return Json{{"path", w["path"]}, {"error", error}};
  }
  w["fact_rows"] = t->fact_rows;
  w["reject_rows"] = t->reject_rows;
  w["products"] = t->products;
  w["customers"] = t->customers;
  w["objects_loaded"] = t->objects_loaded;
  w["objects_failed"] = t->objects_failed;
  w["total_amount"] = model::FormatMoney(model::Money{t->total_amount_cents});
  return w;
}

Json Status(Pipeline& p, bool count_bucket) {
  Json s;
  s["bucket"] = {{"path", p.store().where()}, {"objects", nullptr}};
  if (count_bucket) {
    auto objects = p.store().CountObjects("");  // counted, not hashed: no cost per byte
    s["bucket"]["objects"] = objects.ok() ? *objects : 0;
  }
  s["warehouse"] = WarehouseFigures(p);
  auto pending = p.bus().WithLog([](events::EventLog& l) { return l.PendingCount(); });
  // The newest sequence number alone: the newest event may be large (a run's final event lists
  // its objects).
  auto last = p.bus().WithLog([](events::EventLog& l) { return l.LastSeq(); });
  s["events"] = {{"last_seq", last.ok() ? *last : 0},
                 {"deliveries_pending", pending.ok() ? *pending : 0}};
  auto runs = p.runs().List(1, false);
  if (runs.ok() && !runs->empty()) {
    const auto& r = runs->front();
    s["last_run"] = {{"run_id", r.run_id},
                     {"job", r.job},
                     {"state", std::string(RunStateName(r.state))},
                     {"started_at", r.started_at},
                     {"rows_loaded", r.rows_loaded},
                     {"rows_rejected", r.rows_rejected},
                     {"message", r.message}};
  }
  auto notes = p.notifier().PendingCount();
  s["notifications_pending"] = notes.ok() ? *notes : 0;
  // What a running `serve` reports of its dispatch loop (runtime/dispatch_health.h).
  if (std::optional<Json> serve = ReadDispatchHealth(DispatchHealthFile(p.config().state.path)))
    s["serve"] = *serve;
  return s;
}

Json Run(const RunRecord& r) {
  Json objects = Json::array();
  for (const auto& o : r.objects)
    objects.push_back({{"key", o.key},
                       {"etag", o.etag},
                       {"status", std::string(ObjectStatusName(o.status))},
                       {"rows_read", o.rows_read},
                       {"rows_loaded", o.rows_loaded},
                       {"rows_rejected", o.rows_rejected},
                       {"duration_ms", o.duration_ms},
                       {"message", o.message}});
  Json run = {{"run_id", r.run_id},
              {"job", r.job},
              {"state", std::string(RunStateName(r.state))},
              {"started_at", r.started_at},
              {"finished_at", r.finished_at},
              {"duration_ms", r.duration_ms},
              {"triggers", r.triggers},
              {"rows_read", r.rows_read},
              {"rows_loaded", r.rows_loaded},
              {"rows_rejected", r.rows_rejected},
              {"message", r.message},
              {"objects", objects}};
  // A reload, replay or removal says so; a plain job run's view is as it always was.
  if (r.kind != RunKind::kJob) run["kind"] = std::string(RunKindName(r.kind));
  return run;
}

}  // namespace ecompipe::runtime::views

namespace ecompipe::runtime::views {

std::string RejectsWhere(const RejectFilter& f) {
  std::string where = "1=1";
  if (!f.reason.empty()) where += " AND reason = " + SqlLiteral(f.reason);
  if (!f.object.empty()) where += " AND source_object = " + SqlLiteral(f.object);
  // A reject belongs to the load that wrote it; the ledger says which run that load was in.
  if (!f.run.empty())
    where += " AND load_id IN (SELECT load_id FROM load_ledger WHERE run_id = " +
             SqlLiteral(f.run) + ")";
  return where;
}

Result<Json> Rejects(Pipeline& p, const RejectFilter& filter, int limit, int64_t after_id) {
  EP_ASSIGN_OR_RETURN(
      warehouse::QueryResult r,
      p.warehouse().Query("SELECT id, source_object, line, reason, detail, raw FROM rejects WHERE " +
                          RejectsWhere(filter) + " AND id > " + std::to_string(after_id) +
                          " ORDER BY id LIMIT " + std::to_string(limit + 1)));
  Json items = Json::array();
  std::string next;
  for (size_t i = 0; i < r.rows.size() && i < static_cast<size_t>(limit); ++i) {
    items.push_back({{"id", Number(Cell(r, i, 0))},
                     {"object", Text(Cell(r, i, 1))},
                     {"line", Number(Cell(r, i, 2))},
                     {"reason", Text(Cell(r, i, 3))},
                     {"detail", Text(Cell(r, i, 4))},
                     {"raw", Text(Cell(r, i, 5))}});
    if (r.rows.size() > static_cast<size_t>(limit)) next = Cell(r, i, 0).value_or("");
  }
  return Json{{"rejects", items}, {"next_cursor", next}};
}

Result<Json> Catalog(Pipeline& p, const std::string& table) {
  catalog::CatalogStore& cat = p.catalog();
  EP_ASSIGN_OR_RETURN(std::vector<catalog::TableInfo> tables, cat.ListTables());
  Json json = Json::array();
  for (const auto& t : tables) {
    if (!table.empty() && t.name != table) continue;
    Json jcols = Json::array();
    for (const auto& c : t.columns)
      jcols.push_back({{"name", c.name}, {"type", catalog::ColumnTypeName(c.type)}});
    Json jt = {{"table", t.name},
               {"schema_version", t.schema_version},
               {"format", catalog::DataFormatName(t.format)},
               {"objects", t.object_count},
               {"partitions", t.partition_count},
               {"columns", jcols}};
    auto history = cat.SchemaHistory(t.name);
    if (history.ok()) {
      Json h = Json::array();
      for (const auto& v : *history)
        h.push_back({{"version", v.version},
                     {"change", v.change.ToString()},
                     {"created_at", FormatIsoSeconds(v.created_ms)}});
      jt["schema_history"] = h;
    }
    json.push_back(jt);
  }
  if (!table.empty() && json.empty()) {
    std::vector<std::string> names;
    for (const auto& t : tables) names.push_back(t.name);
    const std::string best = Closest(table, names);
    return Status::NotFound("no catalog table '" + table + "'" +
                            (best.empty() ? "" : " (did you mean '" + best + "'?)"));
  }
  return json;
}

Json Event(const events::StoredEvent& e) {
  return {{"seq", e.seq},
          {"received_at", e.received_at},
          {"deliveries",
           {{"pending", e.deliveries_pending},
            {"done", e.deliveries_done},
            {"dead", e.deliveries_dead}}},
          {"event", e.event}};
}

Json Notification(const notify::NotificationRecord& n) {
  return {{"id", n.id},
          {"created_at", n.created_at},
          {"topic", n.topic},
          {"subscription", n.subscription},
          {"type", n.type},
          {"target", n.target},
          {"event_id", n.event_id},
          {"event", n.summary},
          {"status", std::string(notify::NotificationStatusName(n.status))},
          {"attempts", n.attempts},
          {"delivered_at", n.delivered_at.empty() ? Json(nullptr) : Json(n.delivered_at)},
          {"digest_id", n.digest_id.empty() ? Json(nullptr) : Json(n.digest_id)},
          {"last_error", n.last_error.empty() ? Json(nullptr) : Json(n.last_error)}};
}

namespace {

constexpr const char* kLedgerColumns =
    "key, etag, status, load_id, run_id, rows_read, rows_loaded, rows_rejected, message, "
    "finished_at";

Json LedgerRow(const warehouse::QueryResult& r, size_t i) {
  return {{"key", Text(Cell(r, i, 0))},          {"etag", Text(Cell(r, i, 1))},
          {"status", Text(Cell(r, i, 2))},       {"load_id", Text(Cell(r, i, 3))},
          {"run_id", Text(Cell(r, i, 4))},       {"rows_read", Number(Cell(r, i, 5))},
          {"rows_loaded", Number(Cell(r, i, 6))}, {"rows_rejected", Number(Cell(r, i, 7))},
          {"message", Text(Cell(r, i, 8))},      {"finished_at", Text(Cell(r, i, 9))}};
}

}  // namespace

Result<Json> LedgerObjects(Pipeline& p, const std::string& prefix, const std::string& after,
                           int limit) {
  // The cursor is "<key>\n<etag>" of the last row of the previous page.
  std::string where = "bucket = " + SqlLiteral(p.store().bucket());
  if (!prefix.empty()) {
    // Every key starting with the prefix sorts at or after it under any collation; the upper
    // bound holds in byte order only, which is SQLite's and not a PostgreSQL database's locale
    // (where '/' may weigh nothing): there substr() decides.
    where += " AND key >= " + SqlLiteral(prefix);
    const std::string upper = PrefixUpperBound(prefix);
    if (!p.config().warehouse.As<warehouse::PostgresWarehouseConfig>() && !upper.empty())
      where += " AND key < " + SqlLiteral(upper);
    else
      where += " AND substr(key, 1, " + std::to_string(CodePoints(prefix)) +
               ") = " + SqlLiteral(prefix);
  }
  if (!after.empty()) {
    const size_t nl = after.find('\n');
    if (nl == std::string::npos)
      return Status::InvalidArgument("not a cursor of this list: '" + after + "'");
    const std::string key = SqlLiteral(after.substr(0, nl)),
                      etag = SqlLiteral(after.substr(nl + 1));
    where += " AND (key > " + key + " OR (key = " + key + " AND etag > " + etag + "))";
  }
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult r,
                      p.warehouse().Query(std::string("SELECT ") + kLedgerColumns +
                                          " FROM load_ledger WHERE " + where +
                                          " ORDER BY key, etag LIMIT " + std::to_string(limit + 1)));
  Json items = Json::array();
  std::string next;
  for (size_t i = 0; i < r.rows.size() && i < static_cast<size_t>(limit); ++i) {
    items.push_back(LedgerRow(r, i));
    if (r.rows.size() > static_cast<size_t>(limit))
      next = Cell(r, i, 0).value_or("") + "\n" + Cell(r, i, 1).value_or("");
  }
  return Json{{"objects", items}, {"next_cursor", next}};
}

Result<Json> RunWithRejects(Pipeline& p, const RunRecord& run, size_t offset, size_t limit) {
  Json j = Run(run);
  Json all = std::move(j["objects"]);
  j["objects_total"] = all.size();
  Json page = Json::array();
  for (size_t i = offset; i < all.size() && i < offset + limit; ++i) page.push_back(all[i]);
  j["next_cursor"] = offset + limit < all.size() ? std::to_string(offset + limit) : "";
  j["objects"] = std::move(page);
  for (Json& o : j["objects"]) {
    EP_ASSIGN_OR_RETURN(
        warehouse::QueryResult r,
        p.warehouse().Query("SELECT reason, count(*) FROM rejects WHERE source_object = " +
                            SqlLiteral(o["key"].get<std::string>()) + " AND source_etag = " +
                            SqlLiteral(o["etag"].get<std::string>()) +
                            " GROUP BY reason ORDER BY count(*) DESC, reason"));
    Json reasons = Json::object();
    for (size_t i = 0; i < r.rows.size(); ++i)
      reasons[Cell(r, i, 0).value_or("")] = Number(Cell(r, i, 1));
    o["reject_reasons"] = reasons;
  }
  return j;
}

Result<Json> Trail(Pipeline& p, const std::string& key) {
  const std::string& bucket = p.store().bucket();
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult ledger,
                      p.warehouse().Query(std::string("SELECT ") + kLedgerColumns +
                                          " FROM load_ledger WHERE bucket = " + SqlLiteral(bucket) +
                                          " AND key = " + SqlLiteral(key) + " ORDER BY finished_at"));
  std::vector<std::string> etags;
  for (size_t i = 0; i < ledger.rows.size(); ++i) etags.push_back(Cell(ledger, i, 1).value_or(""));
  // The current version the bucket holds, when it is not in the ledger yet (landed, waiting).
  Result<storage::ObjectRef> head = p.store().Head(key);
  if (head.ok() && std::find(etags.begin(), etags.end(), head->etag) == etags.end())
    etags.push_back(head->etag);
  if (etags.empty()) return Status::NotFound("no object " + key + " in the bucket or the ledger");
  Json versions = Json::array();
  for (const std::string& etag : etags) {
    Json steps = Json::array();
    Json v = {{"etag", etag}};
    storage::ObjectRef ref;
    ref.bucket = bucket;
    ref.key = key;
    ref.etag = etag;
    Result<catalog::CatalogObject> crawled = p.catalog().GetObject(ref);
    if (crawled.ok()) {
      steps.push_back({{"step", "landed"}, {"at", FormatIsoMillis(crawled->object.mtime_ms)}});
      steps.push_back({{"step", "crawled"},
                       {"at", FormatIsoMillis(crawled->crawled_ms)},
                       {"schema_version", crawled->schema_version}});
    } else if (head.ok() && head->etag == etag) {
      steps.push_back({{"step", "landed"}, {"at", FormatIsoMillis(head->mtime_ms)}});
    }
    for (size_t i = 0; i < ledger.rows.size(); ++i) {
      if (Cell(ledger, i, 1).value_or("") != etag) continue;
      const Json row = LedgerRow(ledger, i);
      const std::string run_id = row["run_id"].is_string() ? row["run_id"].get<std::string>() : "";
      if (!run_id.empty()) {
        Result<std::optional<RunRecord>> run = p.runs().Get(run_id);
        if (run.ok() && *run)
          steps.push_back({{"step", "job_run"},
                           {"at", (*run)->started_at},
                           {"run_id", run_id},
                           {"job", (*run)->job},
                           {"state", std::string(RunStateName((*run)->state))},
                           {"finished_at", (*run)->finished_at}});
      }
      steps.push_back({{"step", row["status"] == "loaded" ? "loaded" : row["status"]},
                       {"at", row["finished_at"]},
                       {"rows_read", row["rows_read"]},
                       {"rows_loaded", row["rows_loaded"]},
                       {"rows_rejected", row["rows_rejected"]},
                       {"message", row["message"]}});
      if (!run_id.empty()) {
        // The run's final Glue Job State Change event, and what was sent about it.
        events::EventFilter f;
        f.detail_type = "Glue Job State Change";
        f.containing = "\"jobRunId\":\"" + run_id + "\"";
        f.limit = 10;
        auto found = p.bus().WithLog([&](events::EventLog& l) { return l.List(f); });
        if (found.ok()) {
          for (const events::StoredEvent& e : *found) {
            auto sent = p.notifier().ListForEvent(e.event.value("id", ""));
            if (!sent.ok()) continue;
            for (const notify::NotificationRecord& n : *sent)
              steps.push_back({{"step", "notified"},
                               {"at", n.delivered_at.empty() ? n.created_at : n.delivered_at},
                               {"notification_id", n.id},
                               {"topic", n.topic},
                               {"subscription", n.subscription},
                               {"event", n.summary},
                               {"status", std::string(notify::NotificationStatusName(n.status))}});
          }
        }
      }
    }
    v["steps"] = steps;
    versions.push_back(v);
  }
  return Json{{"key", key}, {"versions", versions}};
}

}  // namespace ecompipe::runtime::views
