#include "runtime/views.h"

#include <optional>

#include "model/money.h"
#include "runtime/dispatch_health.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::runtime::views {

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

Json Status(Pipeline& p) {
  Json s;
  auto objects = p.store().CountObjects("");  // counted, not hashed: no cost per byte
  s["bucket"] = {{"path", p.store().where()}, {"objects", objects.ok() ? *objects : 0}};
  s["warehouse"] = WarehouseFigures(p);
  auto pending = p.bus().WithLog([](events::EventLog& l) { return l.PendingCount(); });
  auto events = p.bus().WithLog([](events::EventLog& l) {
    return l.List({std::nullopt, std::nullopt, 1});
  });
  s["events"] = {{"last_seq", events.ok() && !events->empty() ? events->front().seq : 0},
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
  return {{"run_id", r.run_id},
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
}

}  // namespace ecompipe::runtime::views
