#include "runtime/run_events.h"

#include <map>
#include <utility>

namespace ecompipe::runtime {

Status EmitRunState(events::EventBus& bus, const events::Origin& origin, const RunRecord& run,
                    RunState state, const std::string& message) {
  const char* severity = state == RunState::kFailed    ? "ERROR"
                         : state == RunState::kTimeout ? "WARN"
                                                       : "INFO";
  Json detail = {
      {"jobName", run.job},     {"severity", severity}, {"state", std::string(RunStateName(state))},
      {"jobRunId", run.run_id}, {"message", message},   {"startedOn", run.started_at}};
  if (run.kind != RunKind::kJob) detail["runKind"] = std::string(RunKindName(run.kind));
  // The cause alone, as Glue's crawler events carry it; notifications put it in their subject.
  if (state == RunState::kFailed) detail["errorMessage"] = run.error.empty() ? message : run.error;
  if (state != RunState::kStarting && state != RunState::kRunning) {
    detail["completedOn"] = run.finished_at;
    detail["executionTimeMs"] = run.duration_ms;
    detail["rowsRead"] = run.rows_read;
    detail["rowsLoaded"] = run.rows_loaded;
    detail["rowsRejected"] = run.rows_rejected;
    std::map<std::string, int64_t> reasons;
    for (const ObjectResult& o : run.objects)
      for (const auto& [reason, n] : o.reject_reasons) reasons[reason] += n;
    detail["rejectReasons"] = reasons;  // reason code -> rows, for notifications
    Json objects = Json::array();
    for (const ObjectResult& o : run.objects) {
      Json j = {{"key", o.key},
                {"etag", o.etag},
                {"status", std::string(ObjectStatusName(o.status))},
                {"rowsRead", o.rows_read},
                {"rowsLoaded", o.rows_loaded},
                {"rowsRejected", o.rows_rejected}};
      if (!o.message.empty()) j["message"] = o.message;
      objects.push_back(std::move(j));
    }
    detail["objects"] = std::move(objects);
  }
  return bus
      .Put(events::MakeEvent(origin, events::kGlueSource, events::kJobStateChange, Json::array(),
                             detail))
      .status();
}

}  // namespace ecompipe::runtime
