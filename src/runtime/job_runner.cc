#include "runtime/job_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "common/progress.h"
#include "common/time_util.h"
#include "runtime/job_hash.h"
#include "runtime/object_ledger.h"
#include "runtime/quality_gate.h"
#include "runtime/run_events.h"
#include "storage/compression.h"
#include "storage/progress_stream.h"
#include "transform/transaction_job.h"

namespace ecompipe::runtime {

int TestBatchDelayMs() {
  static const int delay = [] {
    const char* v = std::getenv("ECOMPIPE_TEST_BATCH_DELAY_MS");
    int ms = 0;
    if (v) std::from_chars(v, v + std::strlen(v), ms);
    return ms;
  }();
  return delay;
}

namespace {

// Hands the job's batches to the warehouse transaction; a stop request rolls the load back.
// Logs progress every few seconds, so a long load is visibly alive.
class LoadSink : public transform::RowSink {
 public:
  LoadSink(warehouse::LoadTransaction& txn, const std::atomic<bool>& stop, const std::string& key)
      : txn_(txn), stop_(stop), key_(key), last_log_ms_(NowMillis()) {}
  Status AddFacts(std::vector<model::FactRow>& rows) override {
    if (stop_.load()) return Status::Cancelled("stopped by a signal");
    if (int ms = TestBatchDelayMs()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    facts_ += static_cast<int64_t>(rows.size());
    Progress();
    return txn_.AddFacts(rows);
  }
  Status AddRejects(std::vector<model::RejectRow>& rows) override {
    if (stop_.load()) return Status::Cancelled("stopped by a signal");
    rejects_ += static_cast<int64_t>(rows.size());
    return txn_.AddRejects(rows);
  }

 private:
  void Progress() {
    constexpr int64_t kEveryMs = 5000;
    int64_t now = NowMillis();
    if (now - last_log_ms_ < kEveryMs) return;
    last_log_ms_ = now;
    spdlog::info("Loading. key={} facts={} rejects={}", key_, facts_, rejects_);
  }

  warehouse::LoadTransaction& txn_;
  const std::atomic<bool>& stop_;
  const std::string& key_;
  int64_t last_log_ms_;
  int64_t facts_ = 0;
  int64_t rejects_ = 0;
};

std::string Plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Result<const transform::Dimensions*> JobRunner::Dimensions(bool need_rows) {
  if (dims_ && (dims_have_rows_ || !need_rows)) return &*dims_;
  const int64_t start = NowMillis();
  dims_.reset();  // never two copies at once
  transform::Dimensions d;
  if (need_rows) {
    transform::DimensionsBuilder rows;
    EP_RETURN_IF_ERROR(env_.warehouse.LoadDimensions(rows));
    d = std::move(rows).Finish();
  } else {
    auto index = std::make_shared<transform::DimensionIndex>();
    EP_RETURN_IF_ERROR(env_.warehouse.LoadDimensionIndex(*index));
    d.index = std::move(index);
  }
  dims_ = std::move(d);
  dims_have_rows_ = need_rows;
  const transform::DimensionIndex* index = dims_->index.get();
  spdlog::info("Dimensions loaded. products={} customers={} rows={} ms={}",
               index ? index->product_count() : dims_->products.size(),
               index ? index->customer_count() : dims_->customers.size(), need_rows,
               NowMillis() - start);
  return &*dims_;
}

Status JobRunner::EmitJobState(const RunRecord& run, RunState state, const std::string& message) {
  return EmitRunState(env_.bus, env_.origin, run, state, message);
}

Result<ObjectResult> JobRunner::LoadObject(const JobConfig& job,
                                           const catalog::CatalogObject& object,
                                           const std::string& run_id, const std::atomic<bool>& stop,
                                           const std::string& job_hash, bool queued) {
  const storage::ObjectRef& ref = object.object;
  ObjectResult r{ref.key, ref.etag};
  const int64_t start = NowMillis();
  // The CLI's progress line, from the first byte read (the decoder's sniff) to the last; it is
  // gone before any log line of the object's outcome.
  std::optional<progress::Task> shown;
  auto failed = [&](const Status& s) -> Result<ObjectResult> {
    shown.reset();
    r.status = ObjectStatus::kFailed;
    r.message = s.ToString();
    if (r.message.find(ref.key) == std::string::npos) r.message = ref.key + ": " + r.message;
    r.duration_ms = NowMillis() - start;
    spdlog::error("Object failed to load. key={} error={}", ref.key, r.message);
    EP_RETURN_IF_ERROR(
        env_.warehouse.RecordSkipped(ref, run_id, warehouse::LedgerStatus::kFailed, r.message));
    EP_RETURN_IF_ERROR(RecordFailedJobHash(env_.warehouse, ref, job_hash));
    return r;
  };

  if (job.on_reload == warehouse::ReloadMode::kIgnore && !queued) {
    EP_ASSIGN_OR_RETURN(bool other, env_.warehouse.HasOtherVersion(ref));
    if (other) {
      r.status = ObjectStatus::kIgnored;
      r.message = "an earlier version of this key was loaded and on_reload is 'ignore'";
      EP_RETURN_IF_ERROR(
          env_.warehouse.RecordSkipped(ref, run_id, warehouse::LedgerStatus::kIgnored, r.message));
      return r;
    }
  }
  // transform::TransformObject reads only the index on its reference path (CSV or JSON
  // Lines); configured jobs look whole dimension rows up.
  const bool need_rows = !job.spec.IsReference();
  EP_ASSIGN_OR_RETURN(const transform::Dimensions* dims, Dimensions(need_rows));
  shown.emplace(ref.key, ref.size);
  Result<std::unique_ptr<storage::InputStream>> raw = env_.store.Open(ref);
  if (!raw.ok()) {
    if (raw.status().retryable()) return raw.status();
    return failed(raw.status());
  }
  Result<std::unique_ptr<storage::InputStream>> decoded =
      storage::OpenDecoded(storage::WithProgress(std::move(*raw)), nullptr, job.decode_limits);
  if (!decoded.ok()) return failed(decoded.status());

  const std::string load_id = NewUuid();
  Result<std::unique_ptr<warehouse::LoadTransaction>> begun = env_.warehouse.BeginLoad(
      ref, load_id, run_id, queued ? warehouse::ReloadMode::kReplace : job.on_reload);
  if (begun.status().code() == StatusCode::kAlreadyExists) {
    r.status = ObjectStatus::kSkipped;  // another process loaded this version meanwhile
    r.message = begun.status().message();
    return r;
  }
  if (!begun.ok()) return begun.status();
  std::unique_ptr<warehouse::LoadTransaction> txn = std::move(*begun);
  txn->LimitRejects(job.reject_limits);
  txn->SetJobHash(job_hash);
  if (!job.spec.IsReference()) EP_RETURN_IF_ERROR(txn->UseFactColumns(job.spec.output));
  LoadSink sink(*txn, stop, ref.key);
  Result<transform::TransformStats> stats =
      transform::TransformObject(**decoded, object.schema, *dims, job.spec, ref.key, sink);
  shown.reset();
  if (!stats.ok()) {
    txn.reset();  // rolls back whatever reached the warehouse
    if (stats.status().code() == StatusCode::kCancelled || stats.status().retryable())
      return stats.status();
    return failed(stats.status());
  }
  Result<warehouse::LoadCounts> committed = txn->Commit(stats->rows_read);
  if (committed.status().code() == StatusCode::kAlreadyExists) {
    // Another worker's load of this version committed first (the ledger refused the second
    // row): the load happened once, which is the point, not a failure.
    r.status = ObjectStatus::kSkipped;
    r.message = "already loaded by another worker: " + committed.status().message();
    spdlog::info("Object was loaded by another worker meanwhile. key={} etag={}", ref.key,
                 ref.etag);
    return r;
  }
  if (!committed.ok()) return committed.status();
  const warehouse::LoadCounts& counts = *committed;
  r.status = ObjectStatus::kLoaded;
  r.rows_read = stats->rows_read;
  r.rows_loaded = counts.rows_loaded;
  r.rows_rejected = counts.rows_rejected;
  r.duration_ms = NowMillis() - start;
  if (r.rows_rejected > 0) {
    // load_id is a UUID this process made, so it is safe inside the SQL text.
    Result<warehouse::QueryResult> reasons = env_.warehouse.Query(
        "SELECT reason, count(*) FROM rejects WHERE load_id = '" + load_id + "' GROUP BY reason");
    if (reasons.ok()) {
      for (const auto& row : reasons->rows)
        if (row.size() == 2 && row[0] && row[1]) r.reject_reasons[*row[0]] = std::stoll(*row[1]);
    }
  }
  // Rejects beyond the job's limits were counted, not stored: the object says so, and the
  // quality gate fails its run.
  for (const auto& [reason, n] : counts.not_stored_reasons) r.reject_reasons[reason] += n;
  r.rejects_not_stored = counts.rejects_not_stored;
  if (r.rejects_not_stored > 0) {
    r.message = counts.rejects_note;
    spdlog::warn("Object has more rejects than the job stores. key={} {}", ref.key,
                 counts.rejects_note);
  }
  spdlog::info("Object loaded. key={} read={} loaded={} rejected={} ms={}", ref.key, r.rows_read,
               r.rows_loaded, r.rows_rejected, r.duration_ms);
  return r;
}

Result<std::optional<RunRecord>> JobRunner::Run(const JobConfig& job, int triggers,
                                                const std::atomic<bool>& stop, RunKind kind) {
  RunRecord run;
  run.run_id = NewJobRunId();
  run.job = job.name;
  run.kind = kind;
  const std::string job_hash = JobHash(job);
  run.state = RunState::kStarting;
  run.triggers = triggers;
  const int64_t start = NowMillis();
  run.started_at = FormatIsoMillis(start);
  // A start that finds nothing to load is not a run: the run row and its STARTING and RUNNING
  // events are written once this worker holds an object to load (or the run fails before any).
  // A burst of landings makes many starts that coalesce only per dispatch round, and all but
  // the first would otherwise each publish a run that loaded nothing.
  bool started = false;
  auto begin = [&]() -> Status {
    if (started) return Status::Ok();
    started = true;
    EP_RETURN_IF_ERROR(env_.runs.Start(run));
    EP_RETURN_IF_ERROR(EmitJobState(run, RunState::kStarting, "Job run starting"));
    EP_RETURN_IF_ERROR(env_.runs.SetState(run.run_id, RunState::kRunning));
    EP_RETURN_IF_ERROR(EmitJobState(run, RunState::kRunning, "Job run running"));
    spdlog::info("Job run started. job={} run_id={} triggers={}", job.name, run.run_id, triggers);
    return Status::Ok();
  };

  std::vector<std::string> failures;       // an object that failed to load: the run fails
  std::vector<std::string> gate_failures;  // a loaded object that broke the quality gate
  Status infra;  // an error that is not about one object: the run fails, deliveries retry
  bool cancelled = false;
  Result<std::vector<catalog::CatalogObject>> objects = env_.catalog.ListObjects(job.table);
  if (!objects.ok()) infra = objects.status();
  for (const catalog::CatalogObject& object :
       objects.ok() ? *objects : std::vector<catalog::CatalogObject>{}) {
    if (stop.load()) {
      cancelled = true;
      break;
    }
    Result<std::optional<warehouse::LedgerEntry>> done = env_.warehouse.FindLoad(object.object);
    if (!done.ok()) {
      infra = done.status();
      break;
    }
    // Loaded (or failed, or ignored) before, and not to be loaded again.
    if (*done && !LoadsAgain(**done, job_hash)) continue;
    // Another worker loading it now finishes it, or, if it dies, leaves a claim that runs out
    // and ReapAbandoned() hands to the next run.
    Result<bool> claimed = env_.claims.TryClaim(job.name, object.object);
    if (!claimed.ok()) {
      infra = claimed.status();
      break;
    }
    if (!*claimed) {
      spdlog::info("Object is being loaded by another worker. key={}", object.object.key);
      continue;
    }
    // It may have committed between the ledger check and the claim.
    done = env_.warehouse.FindLoad(object.object);
    Result<ObjectResult> r = ObjectResult{};
    bool attempted = true;  // false: nothing left to do, it committed meanwhile
    if (!done.ok()) {
      r = done.status();
    } else if (!*done || LoadsAgain(**done, job_hash)) {
      const bool queued = *done && (*done)->status == warehouse::LedgerStatus::kQueued;
      Status began = begin();
      r = began.ok() ? LoadObject(job, object, run.run_id, stop, job_hash, queued)
                     : Result<ObjectResult>(began);
    } else {
      attempted = false;
    }
    Status released = env_.claims.Release(object.object);
    if (!attempted) {
      if (!released.ok())
        spdlog::warn("Could not release a claim. key={} error={}", object.object.key,
                     released.ToString());
      continue;
    }
    if (r.ok() && !released.ok()) r = released;
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kCancelled) {
        cancelled = true;
      } else {
        infra = r.status();
      }
      break;
    }
    if (r->status == ObjectStatus::kFailed) failures.push_back(r->message);
    CountObject(job.name, object.object, *r);
    if (std::optional<std::string> why = CheckQualityGate(job.quality_gate, *r)) {
      // The object stays loaded (docs/configuration.md, "The quality gate"); the run fails.
      r->message =
          r->message.empty() ? "quality gate: " + *why : r->message + "; quality gate: " + *why;
      gate_failures.push_back(r->key + ": " + *why);
      spdlog::warn("Object broke the job's quality gate; it stays loaded. key={} why={}", r->key,
                   *why);
    }
    run.rows_read += r->rows_read;
    run.rows_loaded += r->rows_loaded;
    run.rows_rejected += r->rows_rejected;
    // The run store unwritable (a full disk): the run ends FAILED with that cause rather than
    // being left RUNNING.
    Status added = env_.runs.AddObject(run.run_id, *r);
    run.objects.push_back(std::move(*r));
    if (!added.ok()) {
      infra = added;
      break;
    }
  }
  if (!started) {
    if (infra.ok()) {
      // Nothing was claimed: no run, no event, no notification; a stop leaves the start pending.
      spdlog::info("Job start found nothing to load; no run. job={} triggers={} stopped={}",
                   job.name, triggers, cancelled);
      if (cancelled) return Status::Cancelled("stopped before the job found an object to load");
      return std::optional<RunRecord>();
    }
    // A failure before any object (the catalog or the warehouse unreachable) is a FAILED run,
    // so that it is seen and notified as before.
    EP_RETURN_IF_ERROR(begin());
  }

  const int64_t end = NowMillis();
  run.finished_at = FormatIsoMillis(end);
  run.duration_ms = end - start;
  int loaded = 0;
  for (const auto& o : run.objects) loaded += o.status == ObjectStatus::kLoaded;
  std::string counts = fmt::format("{} loaded; rows read {}, loaded {}, rejected {}",
                                   Plural(loaded, "object", "objects"), run.rows_read,
                                   run.rows_loaded, run.rows_rejected);
  // The first cause is told in full (each names its object), the others counted.
  auto first_of = [](const std::string& first, size_t others) {
    return others == 0 ? first : fmt::format("{} (and {} more)", first, others);
  };
  if (cancelled) {
    run.state = RunState::kStopped;
    run.message = "Job run stopped: " + counts + "; the object in flight was rolled back";
  } else if (!infra.ok() || !failures.empty()) {
    run.state = RunState::kFailed;
    const size_t causes = failures.size() + gate_failures.size();
    run.error =
        !infra.ok() ? first_of(infra.ToString(), causes) : first_of(failures.front(), causes - 1);
    run.message = fmt::format("JobName:{} and JobRunId:{} failed to execute: {}; {}", job.name,
                              run.run_id, run.error, counts);
  } else if (!gate_failures.empty()) {
    run.state = RunState::kFailed;
    run.error = "quality gate: " + first_of(gate_failures.front(), gate_failures.size() - 1);
    run.message = fmt::format("JobName:{} and JobRunId:{} failed the {}; {}; the rows stay loaded",
                              job.name, run.run_id, run.error, counts);
  } else {
    run.state = RunState::kSucceeded;
    run.message = "Job run succeeded: " + counts;
  }
  spdlog::info("Job run finished. job={} run_id={} kind={} state={} ms={} {}", job.name, run.run_id,
               RunKindName(run.kind), RunStateName(run.state), run.duration_ms, counts);
  if (env_.metrics)
    env_.metrics->RunFinished(job.name, RunStateName(run.state), run.duration_ms / 1000.0);
  EP_RETURN_IF_ERROR(Close(run, /*stored=*/false, /*retry=*/false));
  // An infrastructure failure (warehouse down) makes the delivery retry with backoff.
  if (!infra.ok() && infra.retryable()) return infra;
  return std::optional<RunRecord>(std::move(run));
}

void JobRunner::CountObject(const std::string& job, const storage::ObjectRef& object,
                            const ObjectResult& r) {
  if (!env_.metrics) return;
  if (r.status == ObjectStatus::kFailed) return env_.metrics->ObjectFailed(job);
  if (r.status != ObjectStatus::kLoaded) return;
  metrics::ObjectLoad load{.rows_loaded = r.rows_loaded,
                           .rows_rejected = r.rows_rejected,
                           .rejects_by_reason = r.reject_reasons};
  // The bucket's modification time is the landing: the rename into the folder, S3's
  // LastModified.
  if (object.mtime_ms > 0) load.landed_to_loaded_seconds = (NowMillis() - object.mtime_ms) / 1000.0;
  env_.metrics->ObjectLoaded(job, load);
}

Status JobRunner::Close(const RunRecord& run, bool stored, bool retry) {
  if (!stored) {
    if (Status s = env_.runs.Finish(run); !s.ok()) {
      left_over_.push_back({run, false});
      if (!retry)  // logged once, not per round
        spdlog::warn(
            "Cannot record the end of a job run yet; trying again each round. "
            "run_id={} state={} error={}",
            run.run_id, RunStateName(run.state), s.ToString());
      return s;
    }
    ++runs_finished_;
    if (run.state == RunState::kFailed) ++failed_runs_;
  }
  if (Status s = EmitJobState(run, run.state, run.message); !s.ok()) {
    left_over_.push_back({run, true});
    return s;
  }
  return Status::Ok();
}

Status JobRunner::CloseLeftOver() {
  std::vector<LeftOver> pending = std::move(left_over_);
  left_over_.clear();
  for (size_t i = 0; i < pending.size(); ++i) {
    if (Status s = Close(pending[i].run, pending[i].stored, /*retry=*/true); !s.ok()) {
      left_over_.insert(left_over_.end(), pending.begin() + static_cast<ptrdiff_t>(i) + 1,
                        pending.end());
      return s;
    }
    spdlog::info(
        "Recorded the end of a job run that could not be recorded before. run_id={} "
        "state={}",
        pending[i].run.run_id, RunStateName(pending[i].run.state));
  }
  return Status::Ok();
}

Status JobRunner::FailInterrupted(const std::string& message, bool only_expired,
                                  std::string_view log_line) {
  EP_ASSIGN_OR_RETURN(std::vector<RunRecord> interrupted,
                      env_.runs.FailInterrupted(message, only_expired));
  for (const RunRecord& r : interrupted) {
    spdlog::warn("{} run_id={} job={}", log_line, r.run_id, r.job);
    ++failed_runs_;
    EP_RETURN_IF_ERROR(EmitJobState(r, RunState::kFailed, r.message));
  }
  return Status::Ok();
}

Status JobRunner::StartAbandoned(const std::function<bool(const std::string&)>& is_job,
                                 const std::atomic<bool>& stop) {
  EP_ASSIGN_OR_RETURN(std::vector<std::string> jobs, env_.claims.AbandonedJobs());
  for (const std::string& name : jobs) {
    if (stop.load()) break;
    if (!is_job(name)) continue;
    // A durable job start, dispatched (and retried) like any other, rather than a run here:
    // a run that failed now would leave nothing behind to try again. The claims go after the
    // start is in the log; a crash in between only makes a second, harmless start.
    spdlog::warn(
        "Objects claimed by a worker that stopped renewing its lease; starting their job. job={}",
        name);
    Json event =
        events::MakeEvent(env_.origin, "ecompipe.runtime", "Abandoned Work Found", Json::array(),
                          {{"jobName", name}, {"reason", "object claims ran out"}});
    EP_RETURN_IF_ERROR(env_.bus.WithLog([&](events::EventLog& log) {
      return log
          .Append(event, {{"abandoned-object-claims",
                           events::Target{events::TargetType::kStartJob, name}}})
          .status();
    }));
    EP_RETURN_IF_ERROR(env_.claims.DropAbandoned(name));
    env_.bus.Wake();
  }
  return Status::Ok();
}

}  // namespace ecompipe::runtime
