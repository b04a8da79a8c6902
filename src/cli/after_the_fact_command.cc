#include "cli/after_the_fact_command.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "runtime/job_hash.h"
#include "runtime/object_ledger.h"

namespace ecompipe::cli {
namespace {

using runtime::Pipeline;

std::string Plural(int64_t n, const char* one, const char* many) {
  return Grouped(n) + " " + (n == 1 ? one : many);
}

void PrintRuns(const std::vector<runtime::RunRecord>& runs) {
  for (const runtime::RunRecord& r : runs)
    std::cout << "Run " << r.run_id << " (" << runtime::RunKindName(r.kind) << ", job " << r.job
              << "): " << runtime::RunStateName(r.state) << ". " << r.message << "\n";
}

struct ReplayArgs {
  std::vector<std::string> reasons;
  std::string object, prefix;
  bool dry_run = false;
};

int RunReplay(const PipelineAccess& access, const ReplayArgs& args) {
  runtime::ReplaySelection selection{args.reasons, args.object, args.prefix, args.dry_run};
  runtime::ReplayOutcome outcome;
  const int rc = access.drive([&](Pipeline& p, const std::atomic<bool>& stop) -> Status {
    EP_RETURN_IF_ERROR(p.Recover());
    EP_ASSIGN_OR_RETURN(outcome, p.ReplayRejects(selection, stop));
    return args.dry_run ? Status::Ok() : p.RunUntilIdle(stop);
  });
  if (rc != 0) return rc;
  std::cout << (args.dry_run ? "Dry run: nothing was changed.\n" : "") << "Replayed "
            << Plural(outcome.selected, "reject", "rejects") << " ("
            << Plural(outcome.objects, "object", "objects") << " changed):\n"
            << "  " << (args.dry_run ? "would become facts  " : "became facts        ")
            << Grouped(outcome.loaded) << "\n"
            << "  " << (args.dry_run ? "would change reason " : "changed reason      ")
            << Grouped(outcome.changed) << "\n"
            << "  unchanged           " << Grouped(outcome.unchanged) << "\n";
  if (!outcome.still_rejected.empty()) {
    std::vector<Row> rows;
    for (const auto& [reason, n] : outcome.still_rejected)
      rows.push_back({reason, std::to_string(n)});
    std::cout << "Still rejected, by reason:\n";
    PrintTable(std::cout, {"reason", "rows"}, rows, {{CellKind::kText, CellKind::kCount}});
  }
  PrintRuns(outcome.runs);
  if (outcome.stopped) {
    std::cout << "Stopped; what committed stays. Run the same command again to finish.\n";
    return 1;
  }
  return 0;
}

void PrintTargets(const runtime::ReloadOutcome& out, bool dry_run, bool retry) {
  if (!out.unknown.empty()) {
    for (const std::string& k : out.unknown)
      std::cerr << "ecompipe: warning: no job's table holds " << k << " (see `ecompipe objects`)\n";
  }
  if (dry_run) {
    std::cout << "Dry run: "
              << Plural(static_cast<int64_t>(out.selected.size()), "object", "objects")
              << " would be loaded again:\n";
    std::vector<Row> rows;
    for (const runtime::ReloadTarget& t : out.selected)
      rows.push_back({t.job, t.object.key, t.status,
                      t.loaded_hash.empty() ? Cell() : runtime::ShortJobHash(t.loaded_hash)});
    PrintTable(std::cout, {"job", "key", "status", "loaded_by"}, rows);
    return;
  }
  if (retry) {
    std::cout << "Retried " << Plural(out.queued, "failed object", "failed objects") << ".\n";
  } else if (!out.selected.empty()) {
    std::cout << "Queued " << Plural(out.queued, "object", "objects") << " for a reload ("
              << out.selected.size() << " selected).\n";
  }
  if (out.runs.empty()) std::cout << "Nothing was loaded (nothing queued or failed).\n";
  for (const runtime::RunRecord& r : out.runs) {
    int64_t loaded = 0;
    for (const runtime::ObjectResult& o : r.objects)
      loaded += o.status == runtime::ObjectStatus::kLoaded;
    std::cout << "Loaded " << Plural(loaded, "object", "objects") << " again: rows read "
              << Grouped(r.rows_read) << ", loaded " << Grouped(r.rows_loaded) << ", rejected "
              << Grouped(r.rows_rejected) << ".\n";
  }
  PrintRuns(out.runs);
  if (out.stopped)
    std::cout << "Stopped; the objects still queued are loaded by `ecompipe reload` (no "
                 "arguments) or the next job run.\n";
}

int RunReload(const PipelineAccess& access, const runtime::ReloadSelection& selection) {
  // A long reload shows its progress: the runner's per-object lines at info.
  if (spdlog::get_level() == spdlog::level::warn) spdlog::set_level(spdlog::level::info);
  runtime::ReloadOutcome out;
  const int rc = access.drive([&](Pipeline& p, const std::atomic<bool>& stop) -> Status {
    EP_RETURN_IF_ERROR(p.Recover());
    EP_ASSIGN_OR_RETURN(out, p.reloader().Reload(selection, stop));
    return selection.dry_run ? Status::Ok() : p.RunUntilIdle(stop);
  });
  if (rc != 0) return rc;
  PrintTargets(out, selection.dry_run, false);
  if (out.stopped) return 1;
  for (const runtime::RunRecord& r : out.runs)
    if (r.state == runtime::RunState::kFailed) return 2;
  return 0;
}

int RunRetry(const PipelineAccess& access, const std::vector<std::string>& keys) {
  if (spdlog::get_level() == spdlog::level::warn) spdlog::set_level(spdlog::level::info);
  runtime::ReloadOutcome out;
  const int rc = access.drive([&](Pipeline& p, const std::atomic<bool>& stop) -> Status {
    EP_RETURN_IF_ERROR(p.Recover());
    EP_ASSIGN_OR_RETURN(out, p.reloader().Retry(keys, stop));
    return p.RunUntilIdle(stop);
  });
  if (rc != 0) return rc;
  PrintTargets(out, false, true);
  if (out.stopped) return 1;
  for (const runtime::RunRecord& r : out.runs)
    if (r.state == runtime::RunState::kFailed) return 2;
  return 0;
}

struct ObjectsArgs {
  bool stale = false, failed = false;
  std::string prefix;
};

int RunObjects(const PipelineAccess& access, const ObjectsArgs& args) {
  Result<std::unique_ptr<Pipeline>> p = access.open();
  if (!p.ok()) {
    std::cerr << "ecompipe: error: " << p.status().ToString() << "\n";
    return 1;
  }
  const runtime::PipelineConfig& config = (*p)->config();
  // Staleness is per job; the ledger does not name the job, so a key is judged against the
  // job whose table holds it (the first job when tables are shared).
  std::map<std::string, std::string> hash_of_key;
  std::vector<std::string> hashes;
  for (const runtime::JobConfig& job : config.jobs) {
    hashes.push_back(runtime::JobHash(job));
    Result<std::vector<catalog::CatalogObject>> objects = (*p)->catalog().ListObjects(job.table);
    if (!objects.ok()) continue;
    for (const catalog::CatalogObject& o : *objects)
      hash_of_key.emplace(o.object.key, hashes.back());
  }
  runtime::LedgerFilter filter;
  filter.prefix = args.prefix;
  if (args.failed) filter.status = warehouse::LedgerStatus::kFailed;
  Result<std::vector<runtime::LedgerRow>> rows =
      runtime::ListLedger((*p)->warehouse(), config.storage.bucket, filter);
  if (!rows.ok()) {
    std::cerr << "ecompipe: error: " << rows.status().ToString() << "\n";
    return 1;
  }
  std::vector<Row> out;
  for (const runtime::LedgerRow& r : *rows) {
    auto it = hash_of_key.find(r.key);
    const std::string current = it != hash_of_key.end() ? it->second
                                : hashes.empty()        ? std::string()
                                                        : hashes.front();
    const bool stale = r.status == warehouse::LedgerStatus::kLoaded && r.job_hash != current;
    if (args.stale && !stale) continue;
    out.push_back({r.key, r.etag, std::string(warehouse::LedgerStatusName(r.status)),
                   r.job_hash.empty() ? Cell() : runtime::ShortJobHash(r.job_hash),
                   stale ? "yes" : "no", std::to_string(r.rows_read), std::to_string(r.rows_loaded),
                   std::to_string(r.rows_rejected), r.finished_at, r.message});
  }
  Print(std::cout, access.format(),
        {"key", "etag", "status", "job_hash", "stale", "rows_read", "rows_loaded", "rows_rejected",
         "finished_at", "message"},
        out,
        {{CellKind::kText, CellKind::kText, CellKind::kText, CellKind::kText, CellKind::kText,
          CellKind::kCount, CellKind::kCount, CellKind::kCount},
         access.wide()});
  if (access.format() == OutputFormat::kTable && !hashes.empty())
    std::cout << Plural(static_cast<int64_t>(out.size()), "object", "objects")
              << "; the current job definition is " << runtime::ShortJobHash(hashes.front())
              << ".\n";
  return 0;
}

}  // namespace

std::vector<CLI::App*> AddAfterTheFactCommands(CLI::App& app, CLI::App& rejects,
                                               PipelineAccess access,
                                               std::function<int()>& action) {
  auto replay_args = std::make_shared<ReplayArgs>();
  auto* replay = rejects.add_subcommand(
      "replay",
      "Check rejected rows again against today's dimensions and job: rows that pass become "
      "facts, each object's batch in one transaction; a row is never a fact twice");
  replay->add_option("--reason", replay_args->reasons,
                     "Only rejects of this reason (repeatable), e.g. unknown_customer_id");
  auto* object = replay->add_option("--object", replay_args->object, "Only rejects of this key");
  replay->add_option("--prefix", replay_args->prefix, "Only rejects of keys starting with this")
      ->excludes(object);
  replay->add_flag("--dry-run", replay_args->dry_run, "Say what would change; change nothing");
  replay->callback([&action, access, replay_args] {
    action = [access, replay_args] { return RunReplay(access, *replay_args); };
  });

  auto selection = std::make_shared<runtime::ReloadSelection>();
  auto* reload = app.add_subcommand(
      "reload",
      "Load objects again with the current job definition, replacing their earlier rows in the "
      "same transaction; with no selection, finish an interrupted reload");
  reload->add_option("keys", selection->keys, "Object keys");
  reload->add_option("--prefix", selection->prefix, "Every object whose key starts with this");
  reload->add_option("--partition", selection->partition,
                     "Every object of these partitions, e.g. year=2026/month=11");
  reload->add_flag("--stale", selection->stale,
                   "Every object loaded by another job definition than the current one");
  reload->add_flag("--dry-run", selection->dry_run, "List what would be loaded; load nothing");
  reload->callback([&action, access, selection] {
    action = [access, selection] { return RunReload(access, *selection); };
  });

  auto retry_keys = std::make_shared<std::vector<std::string>>();
  auto* retry =
      app.add_subcommand("retry", "Load failed objects again (all of them, or these keys)");
  retry->add_option("keys", *retry_keys, "Object keys (default: every failed object)");
  retry->callback([&action, access, retry_keys] {
    action = [access, retry_keys] { return RunRetry(access, *retry_keys); };
  });

  auto objects_args = std::make_shared<ObjectsArgs>();
  auto* objects = app.add_subcommand(
      "objects",
      "The load ledger: each object version, its status and the job definition that "
      "loaded it");
  objects->add_flag("--stale", objects_args->stale,
                    "Only objects loaded by another job definition than the current one");
  objects->add_flag("--failed", objects_args->failed, "Only objects that failed to load");
  objects->add_option("--prefix", objects_args->prefix, "Only keys starting with this");
  objects->callback([&action, access, objects_args] {
    action = [access, objects_args] { return RunObjects(access, *objects_args); };
  });
  return {objects};
}

}  // namespace ecompipe::cli
