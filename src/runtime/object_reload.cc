#include "runtime/object_reload.h"

#include <spdlog/spdlog.h>

#include <set>

#include "runtime/job_hash.h"
#include "runtime/object_ledger.h"

namespace ecompipe::runtime {
namespace {

// "year=2026/month=11" as a prefix of the object's partition values, segment by segment.
bool InPartition(const catalog::PartitionValues& values, const std::string& partition) {
  std::string path;
  for (const auto& [name, value] : values) path += name + "=" + value + "/";
  std::string wanted = partition;
  while (!wanted.empty() && wanted.back() == '/') wanted.pop_back();
  return !wanted.empty() && path.starts_with(wanted + "/");
}

}  // namespace

Result<ReloadOutcome> ObjectReloader::Reload(const ReloadSelection& selection,
                                             const std::atomic<bool>& stop) {
  ReloadOutcome out;
  if (selection.Empty()) {
    if (selection.dry_run) return out;
    return RunJobs(std::move(out), stop);
  }
  std::set<std::string> keys(selection.keys.begin(), selection.keys.end());
  std::set<std::string> found;
  std::vector<storage::ObjectRef> to_queue;
  for (const JobConfig& job : env_.config.jobs) {
    const std::string hash = JobHash(job);
    EP_ASSIGN_OR_RETURN(std::vector<catalog::CatalogObject> objects,
                        env_.catalog.ListObjects(job.table));
    for (const catalog::CatalogObject& o : objects) {
      const std::string& key = o.object.key;
      bool wanted = false;
      if (keys.count(key)) {
        wanted = true;
        found.insert(key);
      }
      wanted |= !selection.prefix.empty() && key.starts_with(selection.prefix);
      wanted |= !selection.partition.empty() && InPartition(o.partition, selection.partition);
      EP_ASSIGN_OR_RETURN(std::optional<warehouse::LedgerEntry> entry,
                          env_.warehouse.FindLoad(o.object));
      if (selection.stale)
        wanted |=
            entry && entry->status == warehouse::LedgerStatus::kLoaded && entry->job_hash != hash;
      if (!wanted) continue;
      out.selected.push_back(
          {job.name, o.object, entry ? entry->job_hash : "",
           entry ? std::string(warehouse::LedgerStatusName(entry->status)) : "new"});
      if (entry) to_queue.push_back(o.object);
    }
  }
  for (const std::string& k : selection.keys)
    if (!found.count(k)) out.unknown.push_back(k);
  if (selection.dry_run || out.selected.empty()) return out;
  EP_ASSIGN_OR_RETURN(out.queued, QueueReload(env_.warehouse, to_queue));
  spdlog::info("Objects queued for a reload. objects={} queued={}", out.selected.size(),
               out.queued);
  return RunJobs(std::move(out), stop);
}

Result<ReloadOutcome> ObjectReloader::Retry(const std::vector<std::string>& keys,
                                            const std::atomic<bool>& stop) {
  ReloadOutcome out;
  std::vector<storage::ObjectRef> versions;
  if (!keys.empty()) {
    const std::set<std::string> wanted(keys.begin(), keys.end());
    std::set<std::string> found;
    for (const JobConfig& job : env_.config.jobs) {
      EP_ASSIGN_OR_RETURN(std::vector<catalog::CatalogObject> objects,
                          env_.catalog.ListObjects(job.table));
      for (const catalog::CatalogObject& o : objects) {
        if (!wanted.count(o.object.key)) continue;
        found.insert(o.object.key);
        versions.push_back(o.object);
        out.selected.push_back({job.name, o.object, "", "failed"});
      }
    }
    for (const std::string& k : keys)
      if (!found.count(k)) out.unknown.push_back(k);
    if (versions.empty()) return out;
  }
  EP_ASSIGN_OR_RETURN(out.queued,
                      ForgetFailures(env_.warehouse, env_.config.storage.bucket, versions));
  if (out.queued == 0) return out;
  spdlog::info("Failed objects will be loaded again. objects={}", out.queued);
  return RunJobs(std::move(out), stop);
}

Result<ReloadOutcome> ObjectReloader::RunJobs(ReloadOutcome out, const std::atomic<bool>& stop) {
  std::set<std::string> jobs;
  for (const ReloadTarget& t : out.selected) jobs.insert(t.job);
  for (const JobConfig& job : env_.config.jobs) {
    if (!out.selected.empty() && !jobs.count(job.name)) continue;
    if (stop.load()) {
      out.stopped = true;
      break;
    }
    Result<std::optional<RunRecord>> run = env_.jobs.Run(job, 1, stop, RunKind::kReload);
    if (!run.ok() && run.status().code() == StatusCode::kCancelled) {
      out.stopped = true;
      break;
    }
    if (!run.ok()) return run.status();
    if (*run) {
      out.stopped |= (*run)->state == RunState::kStopped;
      out.runs.push_back(std::move(**run));
    }
  }
  return out;
}

}  // namespace ecompipe::runtime
