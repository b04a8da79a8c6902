#include "cli/cli.h"

#include <signal.h>  // NOLINT(modernize-deprecated-headers): sigwait, pthread_sigmask are POSIX's

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <thread>

#include "cli/after_the_fact_command.h"
#include "cli/job_command.h"
#include "cli/progress_line.h"
#include "cli/query_command.h"
#include "cli/table_printer.h"
#include "cli/validate_command.h"
#include "common/build_info.h"
#include "common/did_you_mean.h"
#include "common/postgres_db.h"
#include "common/progress.h"
#include "common/time_util.h"
#include "gen/generator.h"
#include "model/dimension.h"
#include "runtime/config.h"
#include "runtime/daemon.h"
#include "runtime/dispatch_health.h"
#include "runtime/logging.h"
#include "runtime/pipeline.h"
#include "runtime/reload.h"
#include "runtime/views.h"
#include "warehouse/loaded_copy.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
#include "warehouse/sqlite/sqlite_warehouse_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::cli {
namespace {

namespace fs = std::filesystem;
using runtime::Pipeline;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;      // the command failed
constexpr int kExitRunFailed = 2;  // process: a run or delivery failed
constexpr int kExitUsage = 64;

struct Globals {
  std::string config;
  bool verbose = false;
  bool quiet = false;
  std::string log_format;  // --log-format; empty: the configuration's, else text
  std::string log_file;    // --log-file; empty: the configuration's, else stderr
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::string progress = "auto";  // --progress: auto, always or never
};

// The log as the options and, when one was read, the configuration's `log` section say (an
// option wins over the section).
Status SetUpLogging(const Globals& g, const runtime::LogConfig* section) {
  runtime::LogOptions options;
  options.level = g.log_level;
  if (!g.log_format.empty()) {
    EP_ASSIGN_OR_RETURN(options.format, runtime::ParseLogFormat(g.log_format));
  } else if (section && section->format) {
    options.format = *section->format;
  }
  options.file = !g.log_file.empty() ? std::filesystem::path(g.log_file)
                 : section           ? section->file
                                     : std::filesystem::path();
  return runtime::ConfigureLogging(options);
}

// Reports why a command failed: on stderr, and as a JSON line in the log when the log is JSON
// (so that a log reader sees why a service stopped).
int Fail(const Status& s) {
  if (runtime::CurrentLogFormat() == runtime::LogFormat::kJson) {
    spdlog::error("Command failed. error={}", s.ToString());
    if (!runtime::LoggingToFile()) return kExitError;
  }
  std::cerr << "ecompipe: error: " << s.ToString() << "\n";
  return kExitError;
}

// Stops on SIGINT/SIGTERM, and with `reload` asks for a configuration reload on SIGHUP: the
// signals are blocked in every thread and a dedicated thread waits for them, so the handler can
// do more than set a flag (`wake` wakes the dispatcher, which stops or reloads between rounds).
class SignalStop {
 public:
  explicit SignalStop(std::function<void()> wake, std::atomic<bool>* reload = nullptr) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (reload) sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this, reload, wake = std::move(wake)] {
      for (;;) {
        int sig = 0;
        sigwait(&set_, &sig);
        if (done_.load()) return;
        if (sig == SIGHUP) {
          spdlog::info("Signal received; reloading the configuration. signal={}", sig);
          reload->store(true);
          wake();
          continue;
        }
        spdlog::warn("Signal received; finishing or rolling back the load in flight. signal={}",
                     sig);
        stop_.store(true);
        wake();
        return;
      }
    });
  }
  ~SignalStop() {
    done_.store(true);
    // Wakes the thread's sigwait (SIGTERM is blocked, so it is taken there) rather than killing it.
    pthread_kill(thread_.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    thread_.join();
  }
  const std::atomic<bool>& flag() const { return stop_; }

 private:
  sigset_t set_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

Result<runtime::PipelineConfig> LoadPipelineConfig(const Globals& g) {
  EP_ASSIGN_OR_RETURN(fs::path path, runtime::FindConfig(g.config));
  EP_ASSIGN_OR_RETURN(runtime::PipelineConfig cfg, runtime::LoadConfig(path));
  if (cfg.log.format || !cfg.log.file.empty()) EP_RETURN_IF_ERROR(SetUpLogging(g, &cfg.log));
  return cfg;
}

Result<std::unique_ptr<Pipeline>> OpenPipeline(const Globals& g) {
  EP_ASSIGN_OR_RETURN(runtime::PipelineConfig cfg, LoadPipelineConfig(g));
  return Pipeline::Open(std::move(cfg));
}

// How a command that prints rows prints them: the options every such command takes.
struct Output {
  std::string format = "table";
  bool json = false;  // --json, the same as --format json
  bool wide = false;

  OutputFormat Format() const {
    return json ? OutputFormat::kJson : ParseFormat(format).value_or(OutputFormat::kTable);
  }
  PrintOptions Options(std::vector<CellKind> kinds) const { return {std::move(kinds), wide}; }
};

void AddOutputOptions(CLI::App* command, Output& output, const std::string& json_help) {
  command->add_option("--format", output.format, "table | csv | json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  command->add_flag("--json", output.json, json_help);
  command->add_flag(
      "--wide", output.wide,
      "Show ids, keys and messages whole (a table otherwise cuts a cell longer than 60 "
      "characters in the middle, keeping a key's file name)");
}

// --- init -------------------------------------------------------------------------------

// The SQLite warehouse's file (the default configuration's); empty for other warehouses.
fs::path WarehouseFile(const runtime::PipelineConfig& c) {
  const auto* sqlite = c.warehouse.As<warehouse::SqliteWarehouseConfig>();
  return sqlite ? sqlite->path : fs::path();
}

int CmdInit(const std::string& dir, bool force) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Status::IoError("cannot create " + dir + ": " + ec.message()));
  fs::path cfg = fs::path(dir) / runtime::kConfigFileName;
  if (fs::exists(cfg) && !force)
    return Fail(Status::AlreadyExists(cfg.string() + " already exists (use --force to overwrite)"));
  {
    std::ofstream out(cfg);
    out << runtime::DefaultConfigText();
    if (!out) return Fail(Status::IoError("cannot write " + cfg.string()));
  }
  Result<runtime::PipelineConfig> parsed = runtime::LoadConfig(cfg);
  if (!parsed.ok()) return Fail(parsed.status());
  fs::create_directories(parsed->BucketFolder(), ec);
  fs::create_directories(parsed->state.path.parent_path(), ec);
  std::cout << "Initialised a pipeline in " << fs::absolute(dir).lexically_normal().string() << "\n"
            << "  config     " << cfg.string() << "\n"
            << "  bucket     " << parsed->BucketFolder().lexically_normal().string() << "/\n"
            << "  warehouse  " << WarehouseFile(*parsed).lexically_normal().string() << "\n\n"
            << "Next: cd " << dir
            << " && ecompipe generate --to-bucket --reference-dims --days 3 && ecompipe process\n";
  return kExitOk;
}

// --- generate ---------------------------------------------------------------------------

int CmdGenerate(const Globals& g, gen::GenerateOptions opt, const std::string& out_dir,
                bool to_bucket) {
  if (opt.start_date.empty()) opt.start_date = FormatDate(NowMillis());
  fs::path target = out_dir;
  std::unique_ptr<Pipeline> pipeline;
  if (to_bucket) {
    Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
    if (!p.ok()) return Fail(p.status());
    pipeline = std::move(*p);
    // The files are written to a scratch folder, then landed through the store (PutObject, or
    // the folder store's Put, which never writes through a symbolic link in the bucket).
    {
      std::string scratch = (fs::temp_directory_path() / "ecompipe-generate-XXXXXX").string();
      if (!mkdtemp(scratch.data()))
        return Fail(Status::IoError("cannot create a scratch folder in /tmp"));
      target = scratch;
    }
  } else if (target.empty()) {
    return Fail(Status::InvalidArgument(
        "give --out DIR, or --to-bucket to land the files in the pipeline's bucket"));
  }
  Result<std::vector<gen::GeneratedFile>> files = gen::Generate(opt, target);
  const bool upload = pipeline != nullptr;
  if (upload && files.ok()) {
    for (const gen::GeneratedFile& f : *files) {
      Result<storage::ObjectRef> put = pipeline->store().Put(f.key, f.path);
      if (!put.ok()) {
        files = put.status();
        break;
      }
    }
  }
  if (upload) {
    std::error_code ec;
    fs::remove_all(target, ec);
  }
  if (!files.ok()) return Fail(files.status());
  for (const gen::GeneratedFile& f : *files) {
    int64_t faults = 0;
    for (const auto& [_, n] : f.faults) faults += n;
    std::cout << (to_bucket ? "landed  " : "wrote   ") << f.key << "  " << Grouped(f.rows)
              << " rows";
    if (faults) std::cout << " (" << Grouped(faults) << " with an injected fault)";
    std::cout << "\n";
  }
  return kExitOk;
}

// --- put / load-dims --------------------------------------------------------------------

// Tells the user what the pipeline will make of content it has seen before: the same bytes
// under the same key are not loaded again (one load per object version), and the same bytes
// under a new key load as a new object whose rows the reference job rejects as duplicates.
// Best effort: a ledger that cannot be read says nothing.
void ReportKnownContent(warehouse::Warehouse& w, const storage::ObjectRef& ref) {
  Result<std::optional<warehouse::LedgerEntry>> same = w.FindLoad(ref);
  if (same.ok() && *same) {
    const warehouse::LedgerEntry& e = **same;
    if (e.status == warehouse::LedgerStatus::kLoaded) {
      std::cout << "already loaded (run " << e.run_id << ": " << Grouped(e.rows_loaded)
                << " rows loaded, " << Grouped(e.rows_rejected)
                << " rejected); the same bytes under the same key are not loaded "
                << "again\n";
    } else {
      std::cout << "already seen (run " << e.run_id << ", " << warehouse::LedgerStatusName(e.status)
                << (e.message.empty() ? "" : ": ") << e.message
                << "); the same bytes under the same key are not tried again\n";
    }
    return;
  }
  Result<std::optional<warehouse::LedgerEntry>> copy = warehouse::FindLoadedCopy(w, ref);
  if (copy.ok() && *copy) {
    std::cerr << "ecompipe: warning: identical content was already loaded as " << (*copy)->key
              << " (run " << (*copy)->run_id
              << "); as a new key it loads again, and the reference job rejects rows it "
              << "has seen as duplicate_transaction_id\n";
  }
}

int CmdPut(const Globals& g, const std::string& file, const std::string& key) {
  if (!fs::is_regular_file(file)) return Fail(Status::NotFound(file + " is not a readable file"));
  Result<runtime::PipelineConfig> cfg = LoadPipelineConfig(g);
  if (!cfg.ok()) return Fail(cfg.status());
  // Landing needs the bucket only: a full disk under the state or the warehouse must not stop
  // a file from landing in a bucket on another disk (loading it is the pipeline's business).
  Result<std::unique_ptr<storage::ObjectStore>> store = Pipeline::OpenBucket(*cfg);
  if (!store.ok()) return Fail(store.status());
  Result<storage::ObjectRef> ref = [&] {
    progress::Task shown(key, fs::file_size(file));
    return (*store)->Put(key, file);
  }();
  if (!ref.ok()) return Fail(ref.status());
  std::cout << "landed " << ref->key << "  etag " << ref->etag << "  "
            << Grouped(static_cast<int64_t>(ref->size)) << " bytes\n";
  // Whether these bytes were loaded before: a note, skipped when the warehouse cannot be read.
  Result<std::unique_ptr<warehouse::Warehouse>> w = Pipeline::OpenWarehouseOnly(*cfg);
  if (w.ok()) ReportKnownContent(**w, *ref);
  return kExitOk;
}

int CmdLoadDims(const Globals& g, const std::string& products, const std::string& customers) {
  if (products.empty() && customers.empty())
    return Fail(Status::InvalidArgument("give --products FILE and/or --customers FILE"));
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  for (const auto& [dim, file] : {std::pair{model::Dimension::kProducts, products},
                                  {model::Dimension::kCustomers, customers}}) {
    if (file.empty()) continue;
    Result<int64_t> n = (*p)->LoadDimensionFile(dim, file);
    if (!n.ok()) return Fail(n.status());
    std::cout << "loaded " << Grouped(*n) << " " << model::DimensionName(dim) << " from " << file
              << "\n";
  }
  return kExitOk;
}

// --- serve / process --------------------------------------------------------------------

// Opens the pipeline into `pipeline` and runs `drive` on it with the pipeline lock held (SQLite
// state) and SIGINT/SIGTERM turned into a stop request. The signals are taken from before the
// pipeline opens: a signal during start-up (a slow state store or warehouse) stops the command
// once the pipeline is open, without driving it, rather than killing it by the default action.
// Returns the exit code of a failure, or nullopt when `drive` succeeded or was never started
// (`*stopped` then says which). With `reload`, SIGHUP sets it (serve reloads its configuration).
std::optional<int> OpenAndDrive(
    const Globals& g, std::unique_ptr<Pipeline>& pipeline,
    const std::function<Status(Pipeline&, const std::atomic<bool>&)>& drive,
    bool* stopped = nullptr, std::atomic<bool>* reload = nullptr) {
  std::atomic<Pipeline*> opened{nullptr};
  SignalStop signals(
      [&opened] {
        if (Pipeline* p = opened.load()) p->bus().Wake();
      },
      reload);
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  pipeline = std::move(*p);
  opened.store(pipeline.get());
  if (signals.flag().load()) {
    spdlog::info("Stopped during start-up.");
    if (stopped) *stopped = true;
    return std::nullopt;
  }
  // A PostgreSQL state store is shared by design: workers coordinate through claims, not a lock.
  std::unique_ptr<runtime::PipelineLock> held;
  if (!pipeline->config().state.shared()) {
    auto lock = runtime::PipelineLock::Acquire(pipeline->config().state.path);
    if (!lock.ok()) return Fail(lock.status());
    held = std::move(*lock);
  }
  Status s = drive(*pipeline, signals.flag());
  if (stopped) *stopped = signals.flag().load();
  if (!s.ok()) return Fail(s);
  return std::nullopt;
}

int CmdServe(const Globals& g) {
  std::atomic<bool> reload{false};
  const runtime::ServeReload on_reload{&reload, runtime::ReloadConfiguration};
  std::unique_ptr<Pipeline> pipeline;
  return OpenAndDrive(
             g, pipeline,
             [&on_reload](Pipeline& p, const std::atomic<bool>& stop) {
               return runtime::Serve(p, stop, on_reload);
             },
             nullptr, &reload)
      .value_or(kExitOk);
}

int CmdProcess(const Globals& g) {
  std::unique_ptr<Pipeline> opened;
  bool stopped = false;
  if (std::optional<int> rc = OpenAndDrive(g, opened, runtime::ProcessToQuiescence, &stopped))
    return *rc;
  Pipeline* pipeline = opened.get();
  auto pending = pipeline->bus().WithLog([](events::EventLog& l) { return l.PendingCount(); });
  auto notes = pipeline->notifier().PendingCount();
  if (!g.quiet) {
    std::cout << "Processed: " << pipeline->runs_finished() << " job run(s), "
              << pipeline->failed_runs() << " failed.";
    if (pending.ok() && *pending)
      std::cout << " " << *pending << " deliveries wait for a retry (run `ecompipe serve`).";
    if (notes.ok() && *notes) std::cout << " " << *notes << " notifications wait for a retry.";
    std::cout << "\nSee `ecompipe runs` and `ecompipe status`.\n";
  }
  if (stopped) return kExitError;
  return pipeline->failed_runs() ? kExitRunFailed : kExitOk;
}

// --- query and the views ----------------------------------------------------------------

std::string Join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// The run id as a table shows it: "jr_" and 12 hex digits, which every command taking a run
// id accepts (a unique prefix); --wide and the machine formats show it whole.
std::string ShownRunId(const std::string& run_id, bool whole) {
  return whole ? run_id : run_id.substr(0, 15);
}

int CmdRuns(const Globals& g, int limit, const Output& out, const std::string& run_id) {
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  runtime::RunStore& store = (*p)->runs();
  std::vector<runtime::RunRecord> runs;
  if (!run_id.empty()) {
    Result<std::string> id = store.ResolveId(run_id);
    if (!id.ok()) return Fail(id.status());
    auto r = store.Get(*id);
    if (!r.ok()) return Fail(r.status());
    if (!*r) return Fail(Status::NotFound("no run " + *id));
    runs.push_back(**r);
  } else {
    auto r = store.List(limit, true);
    if (!r.ok()) return Fail(r.status());
    runs = std::move(*r);
  }
  const OutputFormat format = out.Format();
  if (format == OutputFormat::kJson) {
    Json a = Json::array();
    for (const auto& r : runs) a.push_back(runtime::views::Run(r));
    std::cout << a.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  auto n = [](int64_t v) { return std::to_string(v); };
  if (format == OutputFormat::kCsv) {
    // One line per run and object (a run without objects: one line, its object fields empty).
    std::vector<Row> rows;
    for (const auto& r : runs) {
      const Row run = {
          r.run_id,           r.job,          std::string(runtime::RunStateName(r.state)),
          r.started_at,       r.finished_at,  n(r.duration_ms),
          n(r.triggers),      n(r.rows_read), n(r.rows_loaded),
          n(r.rows_rejected), r.message};
      if (r.objects.empty()) rows.push_back(run);
      for (const auto& o : r.objects) {
        rows.push_back(run);
        rows.back().insert(
            rows.back().end(),
            {o.key, o.etag, std::string(runtime::ObjectStatusName(o.status)), n(o.rows_read),
             n(o.rows_loaded), n(o.rows_rejected), n(o.duration_ms), o.message});
      }
    }
    PrintCsv(std::cout,
             {"run_id", "job", "state", "started_at", "finished_at", "duration_ms", "triggers",
              "rows_read", "rows_loaded", "rows_rejected", "message", "object_key", "object_etag",
              "object_status", "object_rows_read", "object_rows_loaded", "object_rows_rejected",
              "object_duration_ms", "object_message"},
             rows);
    return kExitOk;
  }
  std::vector<Row> rows;
  rows.reserve(runs.size());
  for (const auto& r : runs) {
    // A reload, replay or removal says so beside its job.
    const std::string job = r.kind == runtime::RunKind::kJob
                                ? r.job
                                : r.job + " (" + std::string(runtime::RunKindName(r.kind)) + ")";
    rows.push_back({ShownRunId(r.run_id, out.wide), job,
                    std::string(runtime::RunStateName(r.state)), r.started_at.substr(0, 19),
                    n(r.duration_ms), n(static_cast<int64_t>(r.objects.size())), n(r.rows_read),
                    n(r.rows_loaded), n(r.rows_rejected)});
  }
  constexpr CellKind kText = CellKind::kText, kCount = CellKind::kCount;
  PrintTable(
      std::cout,
      {"run", "job", "state", "started", "duration_ms", "objects", "read", "loaded", "rejected"},
      rows, out.Options({kText, kText, kText, kText, kCount, kCount, kCount, kCount, kCount}));
  if (!runs.empty()) {
    std::vector<Row> objects;
    size_t total = 0;
    for (const auto& r : runs) total += r.objects.size();
    objects.reserve(total);
    for (const auto& r : runs)
      for (const auto& o : r.objects)
        objects.push_back({ShownRunId(r.run_id, out.wide), o.key,
                           std::string(runtime::ObjectStatusName(o.status)), n(o.rows_read),
                           n(o.rows_loaded), n(o.rows_rejected), o.message});
    std::cout << "\nObjects per run:\n";
    PrintTable(std::cout, {"run", "object", "status", "read", "loaded", "rejected", "message"},
               objects, out.Options({kText, kText, kText, kCount, kCount, kCount, kText}));
  }
  return kExitOk;
}

int CmdEvents(const Globals& g, int limit, const std::string& type, const Output& out) {
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  events::EventFilter filter;
  filter.limit = limit;
  if (!type.empty()) filter.detail_type = type;
  auto list = (*p)->bus().WithLog([&](events::EventLog& l) { return l.List(filter); });
  if (!list.ok()) return Fail(list.status());
  const OutputFormat format = out.Format();
  if (format == OutputFormat::kJson) {
    Json a = Json::array();
    for (const auto& e : *list) a.push_back(e.event);
    std::cout << a.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  const bool whole = out.wide || format != OutputFormat::kTable;
  std::vector<Row> rows;
  for (const auto& e : *list) {
    const Json& d = e.event.value("detail", Json::object());
    std::string about;
    if (d.contains("object") && d["object"].is_object()) about = d["object"].value("key", "");
    if (d.contains("jobRunId"))
      about = ShownRunId(d.value("jobRunId", ""), whole) + " " + d.value("message", "");
    if (d.contains("crawlerName") && d.contains("errorMessage"))
      about += " " + d.value("errorMessage", "");
    std::string deliveries = std::to_string(e.deliveries_done) + " done";
    if (e.deliveries_pending)
      deliveries += ", " + std::to_string(e.deliveries_pending) + " pending";
    if (e.deliveries_dead) deliveries += ", " + std::to_string(e.deliveries_dead) + " dead";
    rows.push_back({std::to_string(e.seq), e.event.value("time", ""), e.event.value("source", ""),
                    e.event.value("detail-type", ""), d.value("state", ""), about, deliveries});
  }
  Print(std::cout, format, {"seq", "time", "source", "detail-type", "state", "about", "deliveries"},
        rows, out.Options({CellKind::kNumber}));
  return kExitOk;
}

int CmdRejects(const Globals& g, int limit, const std::string& reason, std::string object,
               std::string run, const Output& out) {
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  warehouse::Warehouse& w = (*p)->warehouse();
  if (!reason.empty()) {
    const std::vector<std::string> known = runtime::views::KnownReasons(**p);
    if (std::find(known.begin(), known.end(), reason) == known.end()) {
      const std::string best = Closest(reason, known);
      std::cerr << "ecompipe: error: rejects: unknown reason '" << reason << "'"
                << (best.empty() ? "" : " (did you mean '" + best + "'?)")
                << "; the reasons are: " << Join(known) << "\n";
      return kExitUsage;
    }
  }
  if (!object.empty()) {
    Result<std::string> key = runtime::views::ResolveObjectKey(w, object);
    if (!key.ok()) return Fail(key.status());
    object = *key;
  }
  if (!run.empty()) {
    Result<std::string> id = (*p)->runs().ResolveId(run);
    if (!id.ok()) return Fail(id.status());
    run = *id;
  }
  const std::string where = runtime::views::RejectsWhere({reason, object, run});
  std::vector<std::string> filters;
  if (!reason.empty()) filters.push_back("reason " + reason);
  if (!object.empty()) filters.push_back("object " + object);
  if (!run.empty()) filters.push_back("run " + ShownRunId(run, out.wide));
  Result<warehouse::QueryResult> r =
      w.Query("SELECT source_object AS object, line, reason, detail, raw FROM rejects WHERE " +
              where + " ORDER BY id LIMIT " + std::to_string(limit));
  if (!r.ok()) return Fail(r.status());
  std::vector<Row> rows(r->rows.begin(), r->rows.end());
  const std::vector<CellKind> kinds = {CellKind::kText, CellKind::kNumber};
  if (out.Format() != OutputFormat::kTable) {
    Print(std::cout, out.Format(), r->columns, rows, out.Options(kinds));
    return kExitOk;
  }
  // The summary counts what the filters select, so its total is what -n would have to show.
  Result<warehouse::QueryResult> counts =
      w.Query("SELECT reason, count(*) AS rows FROM rejects WHERE " + where +
              " GROUP BY reason ORDER BY count(*) DESC, reason");
  int64_t total = 0;
  if (counts.ok()) {
    std::vector<Row> c(counts->rows.begin(), counts->rows.end());
    for (const Row& row : c) total += row.size() > 1 && row[1] ? std::stoll(*row[1]) : 0;
    std::cout << "Rejects by reason" << (filters.empty() ? "" : " (" + Join(filters) + ")")
              << ":\n";
    PrintTable(std::cout, counts->columns, c, out.Options({CellKind::kText, CellKind::kCount}));
    std::cout << "\n";
  }
  Print(std::cout, OutputFormat::kTable, r->columns, rows, out.Options(kinds));
  if (counts.ok() && total > static_cast<int64_t>(rows.size()))
    std::cout << "The first " << Grouped(static_cast<int64_t>(rows.size())) << " of "
              << Grouped(total) << "; -n " << total << " shows them all.\n";
  return kExitOk;
}

int CmdCatalog(const Globals& g, const std::string& table, const Output& out) {
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  Result<Json> json = runtime::views::Catalog(**p, table);
  if (!json.ok()) return Fail(json.status());
  if (out.Format() == OutputFormat::kJson) {
    std::cout << json->dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const Json& t : *json) {
    std::string cols;
    for (const Json& c : t["columns"])
      cols += (cols.empty() ? "" : ", ") + c["name"].get<std::string>() + " " +
              c["type"].get<std::string>();
    rows.push_back({t["table"].get<std::string>(), std::to_string(t["schema_version"].get<int>()),
                    t["format"].get<std::string>(), std::to_string(t["objects"].get<int64_t>()),
                    std::to_string(t["partitions"].get<int64_t>()), cols});
  }
  constexpr CellKind kText = CellKind::kText, kCount = CellKind::kCount;
  Print(std::cout, out.Format(), {"table", "schema", "format", "objects", "partitions", "columns"},
        rows, out.Options({kText, kCount, kText, kCount, kCount, kText}));
  return kExitOk;
}

int CmdNotifications(const Globals& g, int limit, const std::string& status, const Output& out) {
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  // --status is checked by the parser; "" is every status.
  auto list = (*p)->notifier().List(limit, notify::ParseNotificationStatus(status));
  if (!list.ok()) return Fail(list.status());
  std::vector<Row> rows;
  for (const auto& n : *list)
    rows.push_back({n.id, n.created_at.substr(0, 19), n.topic, n.subscription, n.type, n.summary,
                    std::string(notify::NotificationStatusName(n.status)),
                    std::to_string(n.attempts), n.delivered_at.substr(0, 19), n.digest_id,
                    n.last_error});
  std::vector<std::string> cols = {"id",        "created", "topic",     "subscription",
                                   "type",      "event",   "status",    "attempts",
                                   "delivered", "digest",  "last_error"};
  std::vector<CellKind> kinds(cols.size(), CellKind::kText);
  kinds[7] = CellKind::kCount;
  Print(std::cout, out.Format(), cols, rows, out.Options(kinds));
  return kExitOk;
}

// Dead letters back to pending, due now; `serve` (or the next `process`) delivers them.
int CmdNotificationsRedrive(const Globals& g, const std::string& id, bool all) {
  if (id.empty() == !all) {
    std::cerr << "notifications redrive: give --id ID or --all\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<Pipeline>> p = OpenPipeline(g);
  if (!p.ok()) return Fail(p.status());
  Result<int> n = (*p)->notifier().Redrive(all ? "" : id);
  if (!n.ok()) return Fail(n.status());
  if (!all && *n == 0) {
    std::cerr << "notifications redrive: " << id << " is not a dead letter\n";
    return kExitError;
  }
  std::cout << *n << " dead letter" << (*n == 1 ? "" : "s")
            << " pending again; `ecompipe serve` or `ecompipe process` delivers them.\n";
  return kExitOk;
}

// The line `status` prints for a serve process's dispatch health (runtime/dispatch_health.h).
void PrintServeHealth(const Json& v) {
  std::cout << "Serve      pid " << v["pid"] << ", " << v["state"].get<std::string>();
  if (v.contains("error"))
    std::cout << " since " << v["since"].get<std::string>() << " (" << v["failures"]
              << " failed rounds, next at " << v["next_round_at"].get<std::string>()
              << "): " << v["error"].get<std::string>();
  std::cout << "\n";
}

int CmdStatus(const Globals& g, bool json) {
  Result<std::unique_ptr<Pipeline>> opened = OpenPipeline(g);
  if (!opened.ok()) {
    // The stores may be unreadable because a serve process is in trouble (a full disk):
    // what it reports is still worth showing.
    if (Result<runtime::PipelineConfig> cfg = LoadPipelineConfig(g); cfg.ok()) {
      if (std::optional<Json> serve =
              runtime::ReadDispatchHealth(runtime::DispatchHealthFile(cfg->state.path))) {
        if (json) {
          std::cout << Json{{"serve", *serve}}.dump(2) << "\n";
        } else {
          PrintServeHealth(*serve);
        }
      }
    }
    return Fail(opened.status());
  }
  Pipeline& p = **opened;
  const Json s = runtime::views::Status(p);
  // Exit 1 when the warehouse could not be read: the figures shown are then incomplete.
  const Json& w = s["warehouse"];
  const int exit_code = w.contains("error") ? kExitError : kExitOk;
  if (json) {
    std::cout << s.dump(2) << "\n";
    return exit_code;
  }
  std::cout << "Pipeline   " << p.config().config_path.string() << "\n"
            << "Bucket     " << s["bucket"]["path"].get<std::string>() << "  ("
            << s["bucket"]["objects"] << " objects)\n"
            << "Warehouse  " << w["path"].get<std::string>() << "\n";
  if (w.contains("error")) {
    std::cout << "  unavailable: " << w["error"].get<std::string>() << "\n";
  } else {
    std::cout << "  facts " << Grouped(w["fact_rows"]) << ", rejects " << Grouped(w["reject_rows"])
              << ", total_amount " << w["total_amount"].get<std::string>() << "\n"
              << "  products " << Grouped(w["products"]) << ", customers "
              << Grouped(w["customers"]) << "\n"
              << "  objects loaded " << w["objects_loaded"] << ", failed " << w["objects_failed"]
              << "\n";
  }
  std::cout << "Events     last seq " << s["events"]["last_seq"] << ", deliveries pending "
            << s["events"]["deliveries_pending"] << "\n"
            << "Notify     " << s["notifications_pending"] << " pending\n";
  if (s.contains("serve")) PrintServeHealth(s["serve"]);
  if (s.contains("last_run")) {
    const Json& r = s["last_run"];
    std::cout << "Last run   " << r["job"].get<std::string>() << " "
              << r["state"].get<std::string>() << " at " << r["started_at"].get<std::string>()
              << "\n           " << r["message"].get<std::string>() << "\n";
  } else {
    std::cout << "Last run   none yet\n";
  }
  return exit_code;
}

// The option `name` ("--limit", "-n") of `command` or, as options fall through, of the
// commands it is under; nullptr when none has it.
const CLI::Option* FindOption(CLI::App* command, const std::string& name) {
  for (; command; command = command->get_parent()) {
    if (const CLI::Option* option = command->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

// CLI11 reports a mistyped command or option as an unexpected argument; this finds the word
// that names no command where one was expected, or no option, and suggests the nearest
// ("unknown command 'rnus' (did you mean 'runs'?)"). nullopt when every command and option
// was known (the error is another).
std::optional<std::string> UnknownCommandMessage(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path = "ecompipe";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg.substr(0, arg.find('='));
      if (name.size() > 2 && name[1] != '-') name.resize(2);  // -n5, -vq
      const CLI::Option* option = FindOption(current, name);
      if (!option) {
        std::vector<std::string> names;
        for (CLI::App* c = current; c; c = c->get_parent()) {
          for (const CLI::Option* o : c->get_options())
            if (!o->get_lnames().empty()) names.push_back("--" + o->get_lnames()[0]);
        }
        const std::string best = Closest(name, names);
        return "unknown option '" + name + "' for " + path +
               (best.empty() ? "" : " (did you mean '" + best + "'?)") + " (see " + path +
               " --help)";
      }
      // An option with a value takes the next argument, unless given as --option=value or -n5.
      if (option->get_type_size() != 0 && name == arg) ++i;
      continue;
    }
    std::vector<CLI::App*> commands = current->get_subcommands([](CLI::App*) { return true; });
    if (commands.empty()) continue;  // a positional argument of a command
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (CLI::App* c : commands) {
      if (c->check_name(arg)) next = c;
      names.push_back(c->get_name());
    }
    if (next) {
      current = next;
      path += " " + next->get_name();
      continue;
    }
    const std::string best = Closest(arg, names);
    return "unknown command '" + arg + "'" + (current == &app ? "" : " for " + path) +
           (best.empty() ? "" : " (did you mean '" + best + "'?)") +
           "; the commands are: " + Join(names) + " (see " + path + " --help)";
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  // Before any thread exists: SIGUSR1 reopens the log file rather than ending the process.
  runtime::HandleSigusr1ByReopeningTheLog();
  CLI::App app{
      "ecompipe: an event-driven pipeline for e-commerce transaction files.\n"
      "Files land in a bucket; rules route each landing to a crawler, the crawler's success\n"
      "starts a job that validates, joins, classifies and loads a star-schema warehouse, and\n"
      "every job state change is published to subscribers.\n\n"
      "Quick start:\n"
      "  ecompipe init demo && cd demo\n"
      "  ecompipe generate --to-bucket --days 3 --reference-dims\n"
      "  ecompipe process && ecompipe runs && ecompipe query \"SELECT * FROM fact_transactions "
      "LIMIT 5\"\n",
      "ecompipe"};
  app.require_subcommand(1);
  // -c, -v and -q work after the command too (`ecompipe process -q`).
  app.fallthrough();
  app.set_version_flag(
      "--version", [] { return VersionText(); },
      "Print the version, git commit, build type and features, and exit");
  Globals g;
  app.add_option("-c,--config", g.config, "Configuration file (default: ./ecompipe.yaml)");
  app.add_flag("-v,--verbose", g.verbose, "Log debug details");
  app.add_flag("-q,--quiet", g.quiet, "Log warnings and errors only");
  app.add_option("--log-format", g.log_format,
                 "Log lines as text or json (one object a line: timestamp, level, message and the "
                 "line's fields); default: the configuration's log.format, else text")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-file", g.log_file,
                 "Append the log to FILE instead of stderr (SIGUSR1 reopens it, for logrotate); "
                 "default: the configuration's log.file");
  app.add_option("--progress", g.progress,
                 "A progress line on stderr for put, load-dims, process and job run (bytes done, "
                 "rate, ETA): auto (when stderr is a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();

  std::string init_dir = ".";
  bool init_force = false;
  auto* init = app.add_subcommand(
      "init", "Create a pipeline: ecompipe.yaml with the defaults, and the bucket folder");
  init->add_option("dir", init_dir, "Folder to create the pipeline in")->capture_default_str();
  init->add_flag("--force", init_force, "Overwrite an existing ecompipe.yaml");

  gen::GenerateOptions gopt;
  std::string gen_out;
  bool gen_bucket = false;
  auto* generate = app.add_subcommand(
      "generate", "Generate mock dimensions and daily transaction files (deterministic)");
  generate->add_option("--seed", gopt.seed, "Random seed; same seed, same bytes")
      ->capture_default_str();
  generate->add_option("--date", gopt.start_date, "First day, YYYY-MM-DD (default: today)");
  generate->add_option("--days", gopt.days, "Number of daily transaction files")
      ->capture_default_str()
      ->check(CLI::Range(0, 3660));
  generate->add_option("--rows", gopt.rows_per_day, "Transactions per day")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  generate
      ->add_option("--invalid-rate", gopt.invalid_rate,
                   "Fraction of rows with one fault (unknown/malformed ids, bad quantity, price or "
                   "date, wrong field count, duplicate id)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  generate
      ->add_option("--customers", gopt.customers,
                   "Write a customers dimension file with N customers")
      ->check(CLI::NonNegativeNumber);
  generate
      ->add_option("--products", gopt.products, "Write a products dimension file with N products")
      ->check(CLI::NonNegativeNumber);
  generate->add_flag("--reference-dims", gopt.reference_dimensions,
                     "Write the original's 20 products and 10 customers");
  auto* out_opt = generate->add_option("--out", gen_out,
                                       "Write the files under this folder (bucket key layout)");
  generate->add_flag("--to-bucket", gen_bucket, "Land the files in the pipeline's bucket")
      ->excludes(out_opt);

  std::string put_file, put_key;
  auto* put = app.add_subcommand(
      "put",
      "Land a file in the bucket under KEY, atomically; says when the same bytes were already "
      "loaded "
      "(under KEY: not loaded again; under another key: a warning, its rows become duplicates)");
  put->add_option("file", put_file, "The file to land")->required();
  put->add_option(
         "key", put_key,
         "Object key, e.g. transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv")
      ->required();

  std::string dims_products, dims_customers;
  auto* load_dims = app.add_subcommand(
      "load-dims", "Load dimension files into the warehouse (columns mapped by header name)");
  load_dims->add_option(
      "--products", dims_products,
      "products CSV/JSONL (product_id, product_name, category, price, supplier_id)");
  load_dims->add_option(
      "--customers", dims_customers,
      "customers CSV/JSONL (customer_id, first_name, last_name, email, membership_level)");

  auto* serve = app.add_subcommand(
      "serve",
      "Watch the bucket and run the pipeline until SIGINT/SIGTERM; SIGHUP reloads "
      "the configuration, SIGUSR1 reopens the log file");
  auto* process = app.add_subcommand(
      "process",
      "Run the pipeline on what is in the bucket until quiet, then exit (2 if a run failed)");

  // One Output for every command that prints rows: only one command runs.
  Output output;
  std::function<int()> query_action;
  CLI::App* query = AddQueryCommand(
      app, [&g] { return OpenPipeline(g); },
      [&output] {
        return QueryOutput{output.Format(), output.wide};
      },
      query_action);
  AddOutputOptions(query, output, "JSON output (the same as --format json)");

  bool json = false;
  int limit = 20;
  std::string run_id, type, reason, object, table;
  auto* status = app.add_subcommand(
      "status",
      "Summary: bucket, warehouse, events, last run (exit 1 when the warehouse cannot be read)");
  status->add_flag("--json", json, "JSON output");
  auto* runs = app.add_subcommand("runs", "Job runs, with rows read/loaded/rejected per object");
  runs->add_option("run_id", run_id,
                   "Show one run: its id, or any unique prefix of it such as the 'run' column "
                   "shows (jr_dec2227b6087)");
  runs->add_option("-n,--limit", limit, "How many runs")->capture_default_str();
  AddOutputOptions(runs, output,
                   "JSON output, each run with its objects (the same as --format json); csv has a "
                   "line per run and object");
  auto* events =
      app.add_subcommand("events", "The event log, most recent first, with delivery states");
  events->add_option("-n,--limit", limit, "How many events")->capture_default_str();
  events->add_option("--type", type, "Only this detail-type, e.g. \"Glue Job State Change\"");
  AddOutputOptions(events, output, "Full events as JSON (the same as --format json)");
  auto* rejects = app.add_subcommand("rejects",
                                     "Rejected rows with object, line, reason and raw text, after "
                                     "a count per reason of the rows the "
                                     "filters select");
  rejects->add_option("-n,--limit", limit, "How many rows")->capture_default_str();
  rejects->add_option("--reason", reason,
                      "Only this reason code (an unknown one lists the valid ones)");
  rejects->add_option(
      "--object", object,
      "Only rows of this object: its full key, or its file name when one object has it "
      "(transaction_2026-11-26.csv)");
  std::string reject_run;
  rejects->add_option("--run", reject_run,
                      "Only rows of the objects this run loaded: a run id or a unique prefix");
  AddOutputOptions(rejects, output, "JSON output (the same as --format json)");
  auto* catalog = app.add_subcommand("catalog", "Catalog tables, schemas and partitions");
  catalog->add_option("table", table, "Show one table");
  AddOutputOptions(catalog, output,
                   "JSON output, with the schema history (the same as --format json)");
  auto* notifications =
      app.add_subcommand("notifications", "Notifications and their delivery state");
  notifications->add_option("-n,--limit", limit, "How many")->capture_default_str();
  std::string note_status;
  notifications->add_option("--status", note_status, "Only pending, delivered or dead ones")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  AddOutputOptions(notifications, output, "JSON output (the same as --format json)");
  std::string redrive_id;
  bool redrive_all = false;
  auto* redrive =
      notifications->add_subcommand("redrive", "Send dead letters again: --id ID or --all");
  redrive->add_option("--id", redrive_id, "The notification id (see `ecompipe notifications`)");
  redrive->add_flag("--all", redrive_all, "Every dead letter");

  std::function<int()> after_action;
  const PipelineAccess access{
      [&g] { return OpenPipeline(g); },
      [&g](const std::function<Status(Pipeline&, const std::atomic<bool>&)>& drive) {
        std::unique_ptr<Pipeline> pipeline;
        return OpenAndDrive(g, pipeline, drive).value_or(kExitOk);
      },
      [&output] { return output.Format(); }, [&output] { return output.wide; }};
  for (CLI::App* c : AddAfterTheFactCommands(app, *rejects, access, after_action))
    AddOutputOptions(c, output, "JSON output (the same as --format json)");

  std::function<int()> job_action;
  AddJobCommand(app, job_action);
  std::function<int()> validate_action;
  AddValidateCommand(app, g.config, validate_action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (std::optional<std::string> unknown = UnknownCommandMessage(app, argc, argv)) {
        std::cerr << "ecompipe: " << *unknown << "\n";
        return kExitUsage;
      }
    }
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  g.log_level = g.verbose ? spdlog::level::debug
                : g.quiet ? spdlog::level::warn
                          : spdlog::level::info;
  if (!serve->parsed() && !process->parsed() && !g.verbose) g.log_level = spdlog::level::warn;
  if (Status s = SetUpLogging(g, nullptr); !s.ok()) return Fail(s);

  // The long commands a person runs by hand; never serve, whose stderr is a log.
  std::optional<ScopedProgress> progress_line;
  if (job_action || after_action || put->parsed() || load_dims->parsed() || process->parsed())
    progress_line.emplace(ParseProgressMode(g.progress).value_or(ProgressMode::kAuto));
  if (job_action) return job_action();
  if (after_action) return after_action();
  if (validate_action) return validate_action();
  if (init->parsed()) return CmdInit(init_dir, init_force);
  if (generate->parsed()) return CmdGenerate(g, gopt, gen_out, gen_bucket);
  if (put->parsed()) return CmdPut(g, put_file, put_key);
  if (load_dims->parsed()) return CmdLoadDims(g, dims_products, dims_customers);
  if (serve->parsed()) return CmdServe(g);
  if (process->parsed()) return CmdProcess(g);
  if (query_action) return query_action();
  if (status->parsed()) return CmdStatus(g, json);
  if (runs->parsed()) return CmdRuns(g, limit, output, run_id);
  if (events->parsed()) return CmdEvents(g, limit, type, output);
  if (rejects->parsed()) return CmdRejects(g, limit, reason, object, reject_run, output);
  if (catalog->parsed()) return CmdCatalog(g, table, output);
  if (redrive->parsed()) return CmdNotificationsRedrive(g, redrive_id, redrive_all);
  if (notifications->parsed()) return CmdNotifications(g, limit, note_status, output);
  return kExitUsage;
}

}  // namespace ecompipe::cli
