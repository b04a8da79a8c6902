#include "runtime/reject_replay.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <utility>

#include "common/ids.h"
#include "common/time_util.h"
#include "runtime/object_ledger.h"
#include "runtime/run_events.h"
#include "transform/transaction_job.h"

namespace ecompipe::runtime {
namespace {

namespace reason = model::reason;

// Rejects read and committed per transaction: one object's rows, in id order.
constexpr int64_t kBatchRows = 2000;
// A batch whose rejects another replay took meanwhile is selected again this many times.
constexpr int kAttempts = 5;

class TextStream final : public storage::InputStream {
 public:
  explicit TextStream(const std::string& text) : text_(text) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    const size_t n = std::min(capacity, text_.size() - pos_);
    std::memcpy(buffer, text_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
};

class CollectSink final : public transform::RowSink {
 public:
  Status AddFacts(std::vector<model::FactRow>& rows) override {
    for (model::FactRow& f : rows) facts.push_back(std::move(f));
    return Status::Ok();
  }
  Status AddRejects(std::vector<model::RejectRow>& rows) override {
    for (model::RejectRow& r : rows) rejects.push_back(std::move(r));
    return Status::Ok();
  }
  std::vector<model::FactRow> facts;
  std::vector<model::RejectRow> rejects;
};

struct StoredReject {
  int64_t id = 0;
  int64_t line = 0;
  std::string reason, detail, transaction_id, raw;
};

// A duplicate the warehouse made at commit (the id was a fact already): its raw text is the
// fact as FactAsCsv wrote it, not the input record.
bool MadeByWarehouse(const StoredReject& r) {
  return r.reason == reason::kDuplicateTransactionId &&
         r.detail.find(" already loaded from ") != std::string::npos;
}

// What the job makes of one stored reject now: a fact or a reject (neither: the record
// vanished, e.g. a blank raw text, and the row is left alone).
struct Verdict {
  std::optional<model::FactRow> fact;
  std::optional<model::RejectRow> reject;
};

// Runs `rows` (indexes into `all`) through the job as one headerless input and maps each
// output row back to its stored reject by the physical line its record starts on.
Status Recheck(const std::vector<StoredReject>& all, const std::vector<size_t>& rows,
               const catalog::TableSchema& schema, const transform::Dimensions& dims,
               const transform::JobSpec& spec, const std::string& key,
               std::vector<Verdict>& verdicts) {
  if (rows.empty()) return Status::Ok();
  std::string text;
  std::map<int64_t, size_t> by_line;
  int64_t line = 1;
  for (size_t i : rows) {
    const std::string& raw = all[i].raw;
    by_line[line] = i;
    text += raw;
    text += '\n';
    line += 1 + std::count(raw.begin(), raw.end(), '\n');
  }
  TextStream in(text);
  CollectSink sink;
  // The engine the job runs (its reference path reads only the dimension index), on one thread:
  // a batch is small.
  transform::JobSpec one_thread = spec;
  one_thread.threads = 1;
  EP_RETURN_IF_ERROR(transform::TransformObject(in, schema, dims, one_thread, key, sink).status());
  for (model::FactRow& f : sink.facts) {
    auto it = by_line.find(f.line);
    if (it == by_line.end()) continue;
    f.line = all[it->second].line;
    verdicts[it->second].fact = std::move(f);
  }
  for (model::RejectRow& r : sink.rejects) {
    auto it = by_line.find(r.line);
    if (it == by_line.end()) continue;
    r.line = all[it->second].line;
    verdicts[it->second].reject = std::move(r);
  }
  return Status::Ok();
}

int64_t ToInt(const std::optional<std::string>& v) {
  int64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}

std::string ReasonFilter(const ReplaySelection& s) {
  // line_too_long: the raw text was cut at 64 KiB, so the record cannot be read again.
  std::string where = "reason <> " + SqlText(reason::kLineTooLong);
  if (!s.reasons.empty()) {
    std::string list;
    for (const std::string& r : s.reasons) list += (list.empty() ? "" : ", ") + SqlText(r);
    where += " AND reason IN (" + list + ")";
  }
  return where;
}

// The transaction ids among `ids` that are facts now.
Result<std::set<std::string>> ExistingFacts(warehouse::Warehouse& w,
                                            const std::vector<std::string>& ids) {
  std::set<std::string> out;
  constexpr size_t kPerQuery = 500;
  for (size_t i = 0; i < ids.size(); i += kPerQuery) {
    std::string list;
    for (size_t k = i; k < std::min(ids.size(), i + kPerQuery); ++k)
      list += (list.empty() ? "" : ", ") + SqlText(ids[k]);
    EP_ASSIGN_OR_RETURN(
        warehouse::QueryResult q,
        w.Query("SELECT transaction_id FROM fact_transactions WHERE transaction_id IN (" + list +
                ")"));
    for (const auto& row : q.rows)
      if (!row.empty() && row[0]) out.insert(*row[0]);
  }
  return out;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Result<ReplayOutcome> RejectReplayer::Replay(const ReplaySelection& selection,
                                             const std::atomic<bool>& stop) {
  ReplayOutcome out;
  warehouse::Warehouse& w = env_.warehouse;
  const std::string& bucket = env_.config.storage.bucket;
  const std::string reasons = ReasonFilter(selection);
  std::string objects_sql =
      "SELECT DISTINCT r.source_object, r.source_etag FROM rejects r JOIN load_ledger l ON "
      "l.bucket = " +
      SqlText(bucket) +
      " AND l.key = r.source_object AND l.etag = r.source_etag AND l.status = 'loaded' WHERE r." +
      reasons;
  if (!selection.object.empty())
    objects_sql += " AND r.source_object = " + SqlText(selection.object);
  if (!selection.prefix.empty())
    objects_sql += " AND substr(r.source_object, 1, length(" + SqlText(selection.prefix) +
                   ")) = " + SqlText(selection.prefix);
  objects_sql += " ORDER BY 1, 2";
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult listed, w.Query(objects_sql));

  // Which job loads each key: the job whose catalog table holds it.
  std::map<std::string, const JobConfig*> job_of;
  for (const JobConfig& job : env_.config.jobs) {
    EP_ASSIGN_OR_RETURN(std::vector<catalog::CatalogObject> objects,
                        env_.catalog.ListObjects(job.table));
    for (const catalog::CatalogObject& o : objects) job_of.emplace(o.object.key, &job);
  }

  // One run per job, begun when its first batch changes something.
  std::map<std::string, RunRecord> runs;
  std::map<std::string, int64_t> run_started_ms;
  auto begin = [&](const JobConfig& job) -> Result<RunRecord*> {
    auto it = runs.find(job.name);
    if (it != runs.end()) return &it->second;
    RunRecord run;
    run.run_id = NewJobRunId();
    run.job = job.name;
    run.kind = RunKind::kReplay;
    run.triggers = 1;
    run_started_ms[job.name] = NowMillis();
    run.started_at = FormatIsoMillis(run_started_ms[job.name]);
    EP_RETURN_IF_ERROR(env_.runs.Start(run));
    EP_RETURN_IF_ERROR(
        EmitRunState(env_.bus, env_.origin, run, RunState::kStarting, "Reject replay starting"));
    EP_RETURN_IF_ERROR(env_.runs.SetState(run.run_id, RunState::kRunning));
    EP_RETURN_IF_ERROR(
        EmitRunState(env_.bus, env_.origin, run, RunState::kRunning, "Reject replay running"));
    spdlog::info("Reject replay started. job={} run_id={}", job.name, run.run_id);
    return &runs.emplace(job.name, std::move(run)).first->second;
  };

  Status failure;
  for (const auto& row : listed.rows) {
    if (stop.load()) {
      out.stopped = true;
      break;
    }
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    const storage::ObjectRef ref{bucket, *row[0], *row[1]};
    auto job_it = job_of.find(ref.key);
    if (job_it == job_of.end()) {
      spdlog::warn("Rejects of an object no job's table holds; not replayed. key={}", ref.key);
      continue;
    }
    const JobConfig& job = *job_it->second;
    Result<catalog::CatalogObject> object = env_.catalog.GetObject(ref);
    if (!object.ok()) {
      spdlog::warn(
          "Rejects of an object version the catalog does not hold; not replayed. key={} "
          "etag={} error={}",
          ref.key, ref.etag, object.status().ToString());
      continue;
    }
    catalog::TableSchema input = object->schema;
    input.has_header = false;  // the raw texts are records; columns map by the catalog's names
    input.compression = storage::Compression::kNone;
    catalog::TableSchema as_fact;  // FactAsCsv's 8 fields, in the reference order
    for (int i = 0; i < 8; ++i) as_fact.columns.push_back({"col" + std::to_string(i)});
    as_fact.has_header = false;
    Result<const transform::Dimensions*> dims = env_.jobs.Dimensions(!job.spec.IsReference());
    if (!dims.ok()) {
      failure = dims.status();
      break;
    }
    ObjectResult result{ref.key, ref.etag};
    const int64_t object_start = NowMillis();
    int64_t after_id = 0;
    bool changed_any = false;
    for (bool more = true; more && failure.ok();) {
      if (stop.load()) {
        out.stopped = true;
        break;
      }
      bool committed = false;
      for (int attempt = 0; attempt < kAttempts && !committed && failure.ok(); ++attempt) {
        Result<warehouse::QueryResult> page = w.Query(
            "SELECT id, line, reason, COALESCE(detail, ''), COALESCE(transaction_id, ''), "
            "COALESCE(raw, '') FROM rejects WHERE source_object = " +
            SqlText(ref.key) + " AND source_etag = " + SqlText(ref.etag) + " AND " + reasons +
            " AND id > " + std::to_string(after_id) + " ORDER BY id LIMIT " +
            std::to_string(kBatchRows));
        if (!page.ok()) {
          failure = page.status();
          break;
        }
        std::vector<StoredReject> stored;
        for (const auto& r : page->rows)
          stored.push_back({ToInt(r[0]), ToInt(r[1]), r[2].value_or(""), r[3].value_or(""),
                            r[4].value_or(""), r[5].value_or("")});
        more = static_cast<int64_t>(stored.size()) == kBatchRows;
        if (stored.empty()) {
          committed = true;
          break;
        }
        std::vector<size_t> as_input, as_facts;
        for (size_t i = 0; i < stored.size(); ++i) {
          if (!MadeByWarehouse(stored[i])) {
            as_input.push_back(i);
          } else if (job.spec.IsReference()) {
            as_facts.push_back(i);
          }
        }
        std::vector<Verdict> verdicts(stored.size());
        Status checked = Recheck(stored, as_input, input, **dims, job.spec, ref.key, verdicts);
        if (checked.ok())
          checked = Recheck(stored, as_facts, as_fact, **dims, job.spec, ref.key, verdicts);
        if (!checked.ok()) {
          failure = checked;
          break;
        }
        std::vector<std::string> ids;
        for (const Verdict& v : verdicts)
          if (v.fact) ids.push_back(v.fact->transaction_id);
        Result<std::set<std::string>> facts_now = ExistingFacts(w, ids);
        if (!facts_now.ok()) {
          failure = facts_now.status();
          break;
        }
        // What changes: rows that pass (unless their id is a fact already and they say so)
        // and rows rejected for another reason.
        std::vector<int64_t> take;
        std::vector<model::FactRow> facts;
        std::vector<model::RejectRow> rejects;
        int64_t unchanged = 0;
        std::map<std::string, int64_t> still;
        for (size_t i = 0; i < stored.size(); ++i) {
          Verdict& v = verdicts[i];
          if (v.fact) {
            if (facts_now->count(v.fact->transaction_id) &&
                stored[i].reason == reason::kDuplicateTransactionId) {
              ++unchanged;
              ++still[stored[i].reason];
              continue;
            }
            take.push_back(stored[i].id);
            facts.push_back(std::move(*v.fact));
          } else if (v.reject && v.reject->reason != stored[i].reason) {
            take.push_back(stored[i].id);
            ++still[v.reject->reason];
            rejects.push_back(std::move(*v.reject));
          } else {
            ++unchanged;
            ++still[stored[i].reason];
          }
        }
        const int64_t n_taken = static_cast<int64_t>(take.size());
        if (selection.dry_run || take.empty()) {
          // Facts whose id is a fact already would become duplicates at commit.
          int64_t would_load = 0;
          for (const model::FactRow& f : facts) {
            if (facts_now->count(f.transaction_id)) {
              ++still[reason::kDuplicateTransactionId];
            } else {
              ++would_load;
            }
          }
          out.selected += static_cast<int64_t>(stored.size());
          out.loaded += would_load;
          out.changed += n_taken - would_load;
          out.unchanged += unchanged;
          for (const auto& [r, n] : still) out.still_rejected[r] += n;
          changed_any |= n_taken > 0;
          after_id = stored.back().id;
          committed = true;
          break;
        }
        Result<RunRecord*> run = begin(job);
        if (!run.ok()) {
          failure = run.status();
          break;
        }
        Result<std::unique_ptr<warehouse::LoadTransaction>> txn =
            w.BeginReplay(ref, NewUuid(), (*run)->run_id);
        if (!txn.ok()) {
          if (txn.status().code() == StatusCode::kNotFound) {  // replaced or deleted meanwhile
            more = false;
            committed = true;
            break;
          }
          failure = txn.status();
          break;
        }
        Result<int64_t> removed = (*txn)->RemoveRejects(take);
        if (!removed.ok()) {
          failure = removed.status();
          break;
        }
        if (*removed != n_taken) {
          // Another replay took some of these first: roll back and read the batch again.
          txn->reset();
          spdlog::info(
              "Rejects were replayed by another worker meanwhile; reading them again. "
              "key={} attempt={}",
              ref.key, attempt + 1);
          continue;
        }
        Status added;
        if (!job.spec.IsReference()) added = (*txn)->UseFactColumns(job.spec.output);
        if (added.ok() && !facts.empty()) added = (*txn)->AddFacts(facts);
        if (added.ok() && !rejects.empty()) added = (*txn)->AddRejects(rejects);
        if (!added.ok()) {
          failure = added;
          break;
        }
        if (int ms = TestBatchDelayMs()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        Result<warehouse::LoadCounts> counts = (*txn)->Commit(n_taken);
        if (!counts.ok()) {
          failure = counts.status();
          break;
        }
        // The warehouse turned facts whose id became a fact meanwhile into duplicates.
        const int64_t dups = n_taken - counts->rows_loaded - static_cast<int64_t>(rejects.size());
        if (dups > 0) still[reason::kDuplicateTransactionId] += dups;
        out.selected += static_cast<int64_t>(stored.size());
        out.loaded += counts->rows_loaded;
        out.changed += counts->rows_rejected;
        out.unchanged += unchanged;
        for (const auto& [r, n] : still) out.still_rejected[r] += n;
        result.rows_read += n_taken;
        result.rows_loaded += counts->rows_loaded;
        result.rows_rejected += counts->rows_rejected;
        for (const model::RejectRow& r : rejects) ++result.reject_reasons[r.reason];
        if (dups > 0) result.reject_reasons[reason::kDuplicateTransactionId] += dups;
        changed_any = true;
        after_id = stored.back().id;
        committed = true;
      }
      if (!committed && failure.ok()) {
        failure = Status::Unavailable("the rejects of " + ref.key +
                                      " kept changing under other replays; try again");
      }
    }
    if (changed_any) ++out.objects;
    if (result.rows_read > 0) {
      result.duration_ms = NowMillis() - object_start;
      RunRecord& run = runs.at(job.name);
      run.rows_read += result.rows_read;
      run.rows_loaded += result.rows_loaded;
      run.rows_rejected += result.rows_rejected;
      spdlog::info("Rejects replayed. key={} replayed={} loaded={} rejected={}", ref.key,
                   result.rows_read, result.rows_loaded, result.rows_rejected);
      if (Status s = env_.runs.AddObject(run.run_id, result); !s.ok() && failure.ok()) failure = s;
      run.objects.push_back(std::move(result));
    }
    if (!failure.ok()) break;
  }

  for (auto& [name, run] : runs) {
    const int64_t end = NowMillis();
    run.finished_at = FormatIsoMillis(end);
    run.duration_ms = end - run_started_ms[name];
    const std::string counts =
        fmt::format("{}; rejects replayed {}, loaded {}, rejected again {}",
                    Plural(static_cast<int64_t>(run.objects.size()), "object", "objects"),
                    run.rows_read, run.rows_loaded, run.rows_rejected);
    if (!failure.ok()) {
      run.state = RunState::kFailed;
      run.error = failure.ToString();
      run.message = fmt::format("JobName:{} and JobRunId:{} failed to replay rejects: {}; {}", name,
                                run.run_id, run.error, counts);
    } else if (out.stopped) {
      run.state = RunState::kStopped;
      run.message = "Reject replay stopped: " + counts + "; what committed stays";
    } else {
      run.state = RunState::kSucceeded;
      run.message = "Reject replay succeeded: " + counts;
    }
    spdlog::info("Reject replay finished. job={} run_id={} state={} {}", name, run.run_id,
                 RunStateName(run.state), counts);
    EP_RETURN_IF_ERROR(env_.runs.Finish(run));
    EP_RETURN_IF_ERROR(EmitRunState(env_.bus, env_.origin, run, run.state, run.message));
    out.runs.push_back(run);
  }
  if (!failure.ok()) return failure;
  return out;
}

}  // namespace ecompipe::runtime
