#include "runtime/pipeline.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "catalog/crawler.h"
#include "common/aws_sigv4.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "events/sql/sql_event_log.h"
#include "notify/http_post.h"
#include "runtime/quality_gate.h"
#include "storage/compression.h"
#include "transform/dimension_index.h"
#include "transform/transaction_job.h"
#include "warehouse/loaded_copy.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/sqlite/sqlite_warehouse.h"

namespace ecompipe::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateSchema = R"sql(
CREATE TABLE IF NOT EXISTS seen_objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  size BIGINT NOT NULL,
  first_seen TEXT NOT NULL,
  PRIMARY KEY(bucket, key, etag)
);
)sql";

// Fault injection for the crash tests: ECOMPIPE_TEST_BATCH_DELAY_MS slows every fact batch
// down, so that a test can kill the process while a load is certainly in flight.
int TestBatchDelayMs() {
  static const int delay = [] {
    const char* v = std::getenv("ECOMPIPE_TEST_BATCH_DELAY_MS");
    int ms = 0;
    if (v) std::from_chars(v, v + std::strlen(v), ms);
    return ms;
  }();
  return delay;
}

// Hands the job's batches to the warehouse transaction; a stop request rolls the load back.
// Logs progress every few seconds, so a long load is visibly alive.
class LoadSink : public transform::RowSink {
 public:
  LoadSink(warehouse::LoadTransaction& txn, const std::atomic<bool>& stop, const std::string& key)
      : txn_(txn), stop_(stop), key_(key), last_log_ms_(NowMillis()) {}
  Status AddFacts(std::vector<transform::FactRow>& rows) override {
    if (stop_.load()) return Status::Cancelled("stopped by a signal");
    if (int ms = TestBatchDelayMs()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    facts_ += static_cast<int64_t>(rows.size());
    Progress();
    return txn_.AddFacts(rows);
  }
  Status AddRejects(std::vector<transform::RejectRow>& rows) override {
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

const std::atomic<bool> kNeverStop{false};

// Says in the log what becomes of content the warehouse has seen: a version landing again
// under its key (`is_new` false) is not loaded again; a copy under a new key loads, and the
// reference job rejects its rows as duplicates. Best effort: an unreadable ledger says nothing.
void LogKnownContent(warehouse::Warehouse& w, const storage::ObjectRef& o, bool is_new) {
  if (!is_new) {
    Result<std::optional<warehouse::LedgerEntry>> e = w.FindLoad(o);
    if (e.ok() && *e)
      spdlog::info(
          "Object landed again with content already {}; not loaded again. key={} etag={} run_id={}",
          (*e)->status, o.key, o.etag, (*e)->run_id);
    return;
  }
  Result<std::optional<warehouse::LedgerEntry>> copy = warehouse::FindLoadedCopy(w, o);
  if (copy.ok() && *copy)
    spdlog::warn(
        "Object has the content of one already loaded; it loads as a new object, and the reference "
        "job rejects rows seen before as duplicate_transaction_id. key={} copy_of={} run_id={}",
        o.key, (*copy)->key, (*copy)->run_id);
}

// The Object Created event id of one object version: the same in every worker, so that workers
// that notice one landing at the same time append one event (the log refuses a second id).
std::string ObjectCreatedId(const storage::ObjectRef& o) {
  std::string h = Sha256Hex(o.bucket + '\n' + o.key + '\n' + o.etag);
  h[12] = '5';                // a name-based UUID (version 5 layout)
  h[16] = "89ab"[h[16] % 4];  // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Result<storage::ObjectRef> ObjectFromEvent(const Json& event, const std::string& bucket) {
  const Json& detail = event.value("detail", Json::object());
  if (!detail.contains("object") || !detail["object"].contains("key"))
    return Status::InvalidArgument("event " + event.value("id", "") +
                                   " names no object (detail.object.key)");
  storage::ObjectRef ref;
  ref.bucket = detail.contains("bucket") ? detail["bucket"].value("name", bucket) : bucket;
  ref.key = detail["object"].value("key", "");
  ref.etag = detail["object"].value("etag", "");
  return ref;
}

// The S3 client's settings from storage: {type: s3}; credentials from the environment when
// the configuration has none.
storage::s3::S3Settings S3SettingsFrom(const StorageConfig& c) {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  storage::s3::S3Settings s;
  s.bucket = c.bucket;
  s.endpoint = c.endpoint;
  s.region = c.region;
  // AWS prefers virtual-hosted addressing; other servers (MinIO, Ceph, moto) are usually
  // reached by an IP or a single host name, where only path style works.
  const std::string addressing = !c.addressing.empty() ? c.addressing
                                 : c.endpoint.empty()  ? "virtual"
                                                       : "path";
  s.addressing =
      addressing == "virtual" ? storage::s3::Addressing::kVirtual : storage::s3::Addressing::kPath;
  s.credentials.access_key_id =
      c.access_key_id.empty() ? env("AWS_ACCESS_KEY_ID") : c.access_key_id;
  s.credentials.secret_access_key =
      c.access_key_id.empty() ? env("AWS_SECRET_ACCESS_KEY") : c.secret_access_key;
  if (c.access_key_id.empty()) s.credentials.session_token = env("AWS_SESSION_TOKEN");
  return s;
}

Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(const WarehouseConfig& c) {
  if (c.type == "sqlite") {
    EP_ASSIGN_OR_RETURN(auto wh, warehouse::SqliteWarehouse::Open(c.path.string()));
    return std::unique_ptr<warehouse::Warehouse>(std::move(wh));
  }
  EP_ASSIGN_OR_RETURN(auto wh, warehouse::PostgresWarehouse::Open(PostgresWarehouseOptionsFrom(c)));
  return std::unique_ptr<warehouse::Warehouse>(std::move(wh));
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

warehouse::PostgresWarehouseOptions PostgresWarehouseOptionsFrom(const WarehouseConfig& c) {
  warehouse::PostgresWarehouseOptions options;
  options.url = c.ConnInfo();
  options.schema = c.schema;
  options.dialect =
      c.type == "redshift" ? warehouse::SqlDialect::kRedshift : warehouse::SqlDialect::kPostgres;
  options.index_rebuild = c.index_rebuild == "always"  ? warehouse::IndexRebuild::kAlways
                          : c.index_rebuild == "never" ? warehouse::IndexRebuild::kNever
                                                       : warehouse::IndexRebuild::kAuto;
  if (const RedshiftStagingConfig& st = c.staging; st.enabled()) {
    StorageConfig bucket;  // the staging bucket, read like storage: {type: s3}
    bucket.bucket = st.bucket;
    bucket.endpoint = st.endpoint;
    bucket.region = st.region;
    bucket.addressing = st.addressing;
    bucket.access_key_id = st.access_key_id;
    bucket.secret_access_key = st.secret_access_key;
    options.staging.s3 = S3SettingsFrom(bucket);
    options.staging.prefix = st.prefix;
    options.staging.iam_role = st.iam_role;
    options.staging.min_rows = st.min_rows;
    options.staging.part_bytes = static_cast<size_t>(st.part_mb) << 20;
  }
  return options;
}

Result<std::unique_ptr<Pipeline>> Pipeline::Open(PipelineConfig config) {
  std::unique_ptr<Pipeline> p(new Pipeline(std::move(config)));
  const PipelineConfig& c = p->config_;
  std::error_code ec;
  if (!c.state.shared()) {
    fs::create_directories(c.state.path.parent_path(), ec);
    if (ec)
      return Status::IoError("cannot create " + c.state.path.parent_path().string() + ": " +
                             ec.message());
  }
  if (c.warehouse.type == "sqlite") fs::create_directories(c.warehouse.path.parent_path(), ec);
  p->lease_.lease_ms = c.state.lease_ms;
  if (!c.state.worker_id.empty()) p->lease_.worker_id = c.state.worker_id;
  const std::string state = c.state.Location();
  if (c.storage.type == "s3") {
    EP_ASSIGN_OR_RETURN(auto s3, storage::s3::S3ObjectStore::Open(S3SettingsFrom(c.storage)));
    p->s3_ = s3.get();
    p->store_ = std::move(s3);
  } else {
    EP_ASSIGN_OR_RETURN(p->store_,
                        storage::LocalFolderStore::Open(c.storage.path, c.storage.bucket));
  }
  EP_ASSIGN_OR_RETURN(auto log, events::SqlEventLog::Open(state, p->lease_));
  p->bus_ = std::make_unique<events::EventBus>(std::move(log), c.rules, c.retry);
  EP_ASSIGN_OR_RETURN(p->catalog_, catalog::CatalogStore::Open(state));
  EP_ASSIGN_OR_RETURN(p->warehouse_, OpenWarehouse(c.warehouse));
  EP_RETURN_IF_ERROR(p->warehouse_->EnsureSchema());
  for (const JobConfig& job : c.jobs) {
    if (job.spec.IsReference()) continue;
    if (Status s = p->warehouse_->EnsureFactColumns(job.spec.output); !s.ok())
      return std::move(s).At("job '" + job.name + "'");
  }
  EP_ASSIGN_OR_RETURN(p->notifier_, notify::Notifier::Open(state, c.topics, 0, p->lease_));
  EP_ASSIGN_OR_RETURN(p->runs_, RunStore::Open(state, p->lease_));
  EP_ASSIGN_OR_RETURN(p->claims_, WorkClaims::Open(state, p->lease_));
  EP_ASSIGN_OR_RETURN(p->state_, OpenSqlDb(state));
  EP_RETURN_IF_ERROR(p->state_->Transaction([&] { return p->state_->ExecScript(kStateSchema); }));
  p->RegisterTargets();
  EP_RETURN_IF_ERROR(p->bus_->CheckTargets());
  return p;
}

void Pipeline::RegisterTargets() {
  bus_->RegisterTarget("start_crawler", {false, [this](std::span<const events::Delivery> ds) {
                                           return Crawl(ds.front());
                                         }});
  bus_->RegisterTarget(
      "start_job",
      {true, [this](std::span<const events::Delivery> ds) -> Status {
         const JobConfig* job = config_.FindJob(ds.front().target.name);
         if (!job) return Status::InvalidArgument("no job named '" + ds.front().target.name + "'");
         Result<std::optional<RunRecord>> run =
             RunJob(*job, static_cast<int>(ds.size()), stop_ ? *stop_ : kNeverStop);
         if (!run.ok()) return run.status();
         if (*run && (*run)->state == "STOPPED") return Status::Cancelled("run stopped");
         return Status::Ok();
       }});
  bus_->RegisterTarget("publish", {false, [this](std::span<const events::Delivery> ds) {
                                     return notifier_->Publish(ds.front().target.name,
                                                               ds.front().event);
                                   }});
  bus_->RegisterTarget("webhook", {false, [](std::span<const events::Delivery> ds) -> Status {
                                     const events::Delivery& d = ds.front();
                                     return notify::HttpPost(
                                                d.target.name, d.event.dump(),
                                                {{"Content-Type", "application/json"},
                                                 {"X-Ecompipe-Delivery", std::to_string(d.id)},
                                                 {"X-Ecompipe-Rule", d.rule}})
                                         .status();
                                   }});
  bus_->RegisterTarget("upsert_dimension", {false, [this](std::span<const events::Delivery> ds) {
                                              return UpsertDimension(ds.front(),
                                                                     stop_ ? *stop_ : kNeverStop);
                                            }});
}

Status Pipeline::Recover() {
  const bool shared = config_.state.shared();
  // Under the pipeline lock (SQLite) no other process is alive: whatever is claimed was
  // claimed by a process that exited, and waiting for its leases would only delay the work.
  if (!shared) EP_RETURN_IF_ERROR(claims_->ReleaseAll());
  if (!keeper_) {
    EP_ASSIGN_OR_RETURN(keeper_, LeaseKeeper::Start(config_.state.Location(), lease_));
  }
  if (shared)
    spdlog::info("Worker joined the shared pipeline. worker={} lease_ms={}", lease_.worker_id,
                 lease_.lease_ms);
  EP_ASSIGN_OR_RETURN(std::vector<RunRecord> interrupted,
                      runs_->FailInterrupted("interrupted: the process running it exited", shared));
  for (const RunRecord& r : interrupted) {
    spdlog::warn("Run was interrupted; marked FAILED, its start will be retried. run_id={} job={}",
                 r.run_id, r.job);
    ++failed_runs_;
    EP_RETURN_IF_ERROR(EmitJobState(r, "FAILED", r.message));
  }
  return Status::Ok();
}

Status Pipeline::ObjectLanded(const std::string& key) { return RecordLanded(key).status(); }

Result<std::string> Pipeline::RecordLanded(const std::string& key) {
  Result<storage::ObjectRef> head = store_->Head(key);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound) return std::string();  // gone again
    return head.status();
  }
  EP_ASSIGN_OR_RETURN(bool emitted, EmitIfNew(*head));
  if (!emitted) LogKnownContent(*warehouse_, *head, false);
  return head->etag;
}

Result<storage::s3::LoadState> Pipeline::LoadStateOf(const std::string& key,
                                                     const std::string& etag) {
  using storage::s3::LoadState;
  const storage::ObjectRef ref{config_.storage.bucket, key, etag};
  {
    std::lock_guard lock(ledger_probe_mutex_);
    if (!ledger_probe_) {
      EP_ASSIGN_OR_RETURN(ledger_probe_, OpenWarehouse(config_.warehouse));
    }
    EP_ASSIGN_OR_RETURN(std::optional<warehouse::LedgerEntry> entry, ledger_probe_->FindLoad(ref));
    if (entry) return entry->status == "failed" ? LoadState::kFailed : LoadState::kCommitted;
  }
  // Only objects that reach a crawler or a job get a ledger entry; for any other (a dimension
  // file, a key no rule wants) the durable Object Created event is the end of the road.
  const Json event =
      events::ObjectCreatedEvent(config_.origin, ref.bucket, key, 0, etag, "PutObject", "0");
  bool loads = false;
  for (const events::Rule& rule : config_.rules) {
    if (!rule.pattern.Matches(event)) continue;
    for (const events::Target& t : rule.targets)
      loads |= t.type == "start_crawler" || t.type == "start_job";
  }
  if (!loads) return LoadState::kCommitted;
  EP_ASSIGN_OR_RETURN(bool crawl_failed, catalog_->CrawlFailed(ref));
  return crawl_failed ? LoadState::kFailed : LoadState::kPending;
}

Result<bool> Pipeline::EmitIfNew(const storage::ObjectRef& o) {
  {
    EP_ASSIGN_OR_RETURN(
        SqlRows seen,
        state_->Query("SELECT 1 FROM seen_objects WHERE bucket=? AND key=? AND etag=?",
                      {o.bucket, o.key, o.etag}));
    if (!seen.empty()) return false;
  }
  // The event is appended before the object is marked seen: a crash in between emits it
  // again at the next start, which targets absorb (at-least-once, idempotent targets).
  std::string sequencer = fmt::format("{:012X}{:04X}", NowMillis(), (sequencer_++) & 0xffff);
  Json event = events::ObjectCreatedEvent(config_.origin, o.bucket, o.key, o.size, o.etag,
                                          "PutObject", sequencer);
  event["id"] = ObjectCreatedId(o);
  Result<int64_t> put = bus_->Put(event);
  // Another worker noticed the same landing first: its event stands for both.
  const bool emitted = put.ok();
  if (!put.ok() && put.status().code() != StatusCode::kAlreadyExists) return put.status();
  if (emitted) {
    spdlog::info("Object landed. key={} etag={} size={}", o.key, o.etag, o.size);
    LogKnownContent(*warehouse_, o, true);
  }
  EP_RETURN_IF_ERROR(
      state_
          ->Exec(
              "INSERT INTO seen_objects(bucket, key, etag, size, first_seen) VALUES(?,?,?,?,?) "
              "ON CONFLICT DO NOTHING",
              {o.bucket, o.key, o.etag, static_cast<int64_t>(o.size), FormatIsoMillis(NowMillis())})
          .status());
  return emitted;
}

Result<int> Pipeline::ScanBucket() {
  EP_ASSIGN_OR_RETURN(std::vector<storage::ObjectRef> objects, store_->List(""));
  int emitted = 0;
  for (const storage::ObjectRef& o : objects) {
    EP_ASSIGN_OR_RETURN(bool emitted_one, EmitIfNew(o));
    emitted += emitted_one;
  }
  return emitted;
}

void Pipeline::QueueLanded(const std::string& key, storage::s3::DoneCallback done) {
  {
    std::lock_guard lock(landed_mutex_);
    landed_.emplace_back(key, std::move(done));
  }
  bus_->Wake();
}

Result<bool> Pipeline::ReconcileStep(int page_size) {
  if (!s3_) return Status::InvalidArgument("reconciliation applies to s3 buckets only");
  EP_ASSIGN_OR_RETURN(storage::s3::ListPage page,
                      s3_->ListObjectsPage("", reconcile_after_, "", page_size));
  for (const storage::ObjectRef& o : page.objects) {
    if (storage::s3::S3ObjectStore::IsListedObject(o.key))
      EP_RETURN_IF_ERROR(EmitIfNew(o).status());
  }
  if (!page.is_truncated || page.objects.empty()) {
    reconcile_after_.clear();
    return true;
  }
  reconcile_after_ = page.objects.back().key;
  return false;
}

void Pipeline::QueueRescan() {
  {
    std::lock_guard lock(landed_mutex_);
    rescan_ = true;
  }
  bus_->Wake();
}

Status Pipeline::DrainLanded() {
  while (true) {
    std::string key;
    storage::s3::DoneCallback done;
    bool rescan = false;
    {
      std::lock_guard lock(landed_mutex_);
      rescan = std::exchange(rescan_, false);
      if (!rescan) {
        if (landed_.empty()) return Status::Ok();
        key = std::move(landed_.front().first);
        done = std::move(landed_.front().second);
        landed_.pop_front();
      }
    }
    if (rescan) {
      EP_RETURN_IF_ERROR(ScanBucket().status());
    } else {
      Result<std::string> etag = RecordLanded(key);
      if (!etag.ok())
        spdlog::error("Could not record landed object. key={} error={}", key,
                      etag.status().ToString());
      if (done) done(etag.ok(), etag.ok() ? *etag : std::string());
    }
  }
}

Status Pipeline::RunUntilIdle(const std::atomic<bool>& stop) {
  stop_ = &stop;
  Status result;
  while (!stop.load()) {
    EP_RETURN_IF_ERROR(DrainLanded());
    Result<int> ran = bus_->DispatchDue(stop);
    if (!ran.ok()) {
      result = ran.status();
      break;
    }
    Result<int> sent = notifier_->DeliverDue();
    if (!sent.ok()) {
      result = sent.status();
      break;
    }
    if (*ran == 0 && *sent == 0) break;
  }
  stop_ = nullptr;
  return result;
}

Result<std::optional<int64_t>> Pipeline::NextDueInMs() {
  EP_ASSIGN_OR_RETURN(std::optional<int64_t> next,
                      bus_->WithLog([](events::EventLog& l) { return l.NextDue(); }));
  if (!next) return next;
  return std::optional<int64_t>(std::max<int64_t>(0, *next - NowMillis()));
}

// What the crawler knows of the object's table: the crawler's header setting, the catalog
// table's current columns and the columns of the jobs that load the table (docs/design.md,
// "Headers").
Result<catalog::CrawlHints> Pipeline::CrawlHintsFor(const std::string& crawler,
                                                    const std::string& key) {
  catalog::CrawlHints hints;
  for (const CrawlerConfig& c : config_.crawlers) {
    if (c.name == crawler) hints.header = c.header;
  }
  const std::string table = catalog::TableNameFor(key);
  EP_ASSIGN_OR_RETURN(std::vector<catalog::Column> columns, catalog_->TableColumns(table));
  for (const catalog::Column& c : columns) hints.table_columns.push_back(c.name);
  for (const JobConfig& job : config_.jobs) {
    if (job.table == table) hints.job_columns.push_back(job.spec.columns);
  }
  return hints;
}

Status Pipeline::Crawl(const events::Delivery& d) {
  EP_ASSIGN_OR_RETURN(storage::ObjectRef wanted, ObjectFromEvent(d.event, config_.storage.bucket));
  const std::string& crawler = d.target.name;
  const int64_t start = NowMillis();
  Json detail = {{"accountId", config_.origin.account},
                 {"crawlerName", crawler},
                 {"startTime", FormatIsoSeconds(start)},
                 {"object", {{"key", wanted.key}, {"etag", wanted.etag}}}};
  auto fail = [&](const std::string& message) -> Status {
    spdlog::warn("Crawler failed. crawler={} key={} error={}", crawler, wanted.key, message);
    detail["state"] = "Failed";
    detail["message"] = "Crawler Failed";
    detail["errorMessage"] = message;
    return bus_
        ->Put(events::MakeEvent(config_.origin, events::kGlueSource, events::kCrawlerStateChange,
                                Json::array(), detail))
        .status();
  };

  Result<storage::ObjectRef> head = store_->Head(wanted.key);
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
  EP_ASSIGN_OR_RETURN(catalog::CrawlHints hints, CrawlHintsFor(crawler, head->key));
  Result<catalog::CrawlResult> crawl = catalog::CrawlObject(*store_, *head, hints);
  if (!crawl.ok()) {
    if (crawl.status().retryable()) return crawl.status();
    std::string message = crawl.status().ToString();
    if (message.find(wanted.key) == std::string::npos) message = wanted.key + ": " + message;
    EP_RETURN_IF_ERROR(catalog_->RecordCrawlFailure(*head, message));
    return fail(message);
  }
  EP_ASSIGN_OR_RETURN(catalog::CatalogUpdate u, catalog_->RecordCrawl(*head, *crawl));
  const int64_t end = NowMillis();
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
  detail["completionDate"] = FormatIsoSeconds(end);
  detail["runningTime (sec)"] = std::to_string((end - start) / 1000);
  detail["table"] = crawl->table;
  detail["schemaVersion"] = u.schema_version;
  detail["format"] = std::string(catalog::DataFormatName(crawl->schema.format));
  detail["compression"] = std::string(storage::CompressionName(crawl->schema.compression));
  Json partition = Json::object();
  for (const auto& [k, v] : crawl->partition) partition[k] = v;
  detail["partition"] = partition;
  if (!u.change.empty()) {
    detail["schemaChange"] = {
        {"added", u.change.added}, {"removed", u.change.removed}, {"retyped", u.change.retyped}};
    spdlog::warn("Schema changed. table={} version={} change={}", crawl->table, u.schema_version,
                 u.change.ToString());
  }
  return bus_
      ->Put(events::MakeEvent(config_.origin, events::kGlueSource, events::kCrawlerStateChange,
                              Json::array(), detail))
      .status();
}

Result<const transform::Dimensions*> Pipeline::Dimensions(bool need_rows) {
  if (dims_ && (dims_have_rows_ || !need_rows)) return &*dims_;
  const int64_t start = NowMillis();
  dims_.reset();  // never two copies at once
  transform::Dimensions d;
  if (need_rows) {
    EP_ASSIGN_OR_RETURN(d, warehouse_->LoadDimensions());
  } else {
    EP_ASSIGN_OR_RETURN(d.index, warehouse_->LoadDimensionIndex());
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

Status Pipeline::EmitJobState(const RunRecord& run, const std::string& state,
                              const std::string& message) {
  static const std::map<std::string, std::string> kSeverity = {
      {"STARTING", "INFO"}, {"RUNNING", "INFO"}, {"SUCCEEDED", "INFO"},
      {"FAILED", "ERROR"},  {"STOPPED", "INFO"}, {"TIMEOUT", "WARN"}};
  Json detail = {{"jobName", run.job}, {"severity", kSeverity.at(state)},
                 {"state", state},     {"jobRunId", run.run_id},
                 {"message", message}, {"startedOn", run.started_at}};
  // The cause alone, as Glue's crawler events carry it; notifications put it in their subject.
  if (state == "FAILED") detail["errorMessage"] = run.error.empty() ? message : run.error;
  if (state != "STARTING" && state != "RUNNING") {
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
                {"status", o.status},
                {"rowsRead", o.rows_read},
                {"rowsLoaded", o.rows_loaded},
                {"rowsRejected", o.rows_rejected}};
      if (!o.message.empty()) j["message"] = o.message;
      objects.push_back(std::move(j));
    }
    detail["objects"] = std::move(objects);
  }
  return bus_
      ->Put(events::MakeEvent(config_.origin, events::kGlueSource, events::kJobStateChange,
                              Json::array(), detail))
      .status();
}

Result<ObjectResult> Pipeline::LoadObject(const JobConfig& job,
                                          const catalog::CatalogObject& object,
                                          const std::string& run_id,
                                          const std::atomic<bool>& stop) {
  const storage::ObjectRef& ref = object.object;
  ObjectResult r{ref.key, ref.etag};
  const int64_t start = NowMillis();
  auto failed = [&](const Status& s) -> Result<ObjectResult> {
    r.status = "failed";
    r.message = s.ToString();
    if (r.message.find(ref.key) == std::string::npos) r.message = ref.key + ": " + r.message;
    r.duration_ms = NowMillis() - start;
    spdlog::error("Object failed to load. key={} error={}", ref.key, r.message);
    EP_RETURN_IF_ERROR(warehouse_->RecordSkipped(ref, run_id, "failed", r.message));
    return r;
  };

  if (job.on_reload == warehouse::ReloadMode::kIgnore) {
    EP_ASSIGN_OR_RETURN(bool other, warehouse_->HasOtherVersion(ref));
    if (other) {
      r.status = "ignored";
      r.message = "an earlier version of this key was loaded and on_reload is 'ignore'";
      EP_RETURN_IF_ERROR(warehouse_->RecordSkipped(ref, run_id, "ignored", r.message));
      return r;
    }
  }
  // transform::TransformObject reads only the index on its reference path (CSV or JSON
  // Lines); configured jobs look whole dimension rows up.
  const bool need_rows = !job.spec.IsReference();
  EP_ASSIGN_OR_RETURN(const transform::Dimensions* dims, Dimensions(need_rows));
  Result<std::unique_ptr<storage::InputStream>> raw = store_->Open(ref);
  if (!raw.ok()) {
    if (raw.status().retryable()) return raw.status();
    return failed(raw.status());
  }
  Result<std::unique_ptr<storage::InputStream>> decoded = storage::OpenDecoded(std::move(*raw));
  if (!decoded.ok()) return failed(decoded.status());

  const std::string load_id = NewUuid();
  Result<std::unique_ptr<warehouse::LoadTransaction>> begun =
      warehouse_->BeginLoad(ref, load_id, run_id, job.on_reload);
  if (begun.status().code() == StatusCode::kAlreadyExists) {
    r.status = "skipped";  // another process loaded this version meanwhile
    r.message = begun.status().message();
    return r;
  }
  if (!begun.ok()) return begun.status();
  std::unique_ptr<warehouse::LoadTransaction> txn = std::move(*begun);
  if (!job.spec.IsReference()) EP_RETURN_IF_ERROR(txn->UseFactColumns(job.spec.output));
  LoadSink sink(*txn, stop, ref.key);
  Result<transform::TransformStats> stats =
      transform::TransformObject(**decoded, object.schema, *dims, job.spec, ref.key, sink);
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
    r.status = "skipped";
    r.message = "already loaded by another worker: " + committed.status().message();
    spdlog::info("Object was loaded by another worker meanwhile. key={} etag={}", ref.key,
                 ref.etag);
    return r;
  }
  if (!committed.ok()) return committed.status();
  const warehouse::LoadCounts& counts = *committed;
  r.status = "loaded";
  r.rows_read = stats->rows_read;
  r.rows_loaded = counts.rows_loaded;
  r.rows_rejected = counts.rows_rejected;
  r.duration_ms = NowMillis() - start;
  if (r.rows_rejected > 0) {
    // load_id is a UUID this process made, so it is safe inside the SQL text.
    Result<warehouse::QueryResult> reasons = warehouse_->Query(
        "SELECT reason, count(*) FROM rejects WHERE load_id = '" + load_id + "' GROUP BY reason");
    if (reasons.ok()) {
      for (const auto& row : reasons->rows)
        if (row.size() == 2 && row[0] && row[1]) r.reject_reasons[*row[0]] = std::stoll(*row[1]);
    }
  }
  spdlog::info("Object loaded. key={} read={} loaded={} rejected={} ms={}", ref.key, r.rows_read,
               r.rows_loaded, r.rows_rejected, r.duration_ms);
  return r;
}

Result<std::optional<RunRecord>> Pipeline::RunJob(const JobConfig& job, int triggers,
                                                  const std::atomic<bool>& stop) {
  RunRecord run;
  run.run_id = NewJobRunId();
  run.job = job.name;
  run.state = "STARTING";
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
    EP_RETURN_IF_ERROR(runs_->Start(run));
    EP_RETURN_IF_ERROR(EmitJobState(run, "STARTING", "Job run starting"));
    EP_RETURN_IF_ERROR(runs_->SetState(run.run_id, "RUNNING"));
    EP_RETURN_IF_ERROR(EmitJobState(run, "RUNNING", "Job run running"));
    spdlog::info("Job run started. job={} run_id={} triggers={}", job.name, run.run_id, triggers);
    return Status::Ok();
  };

  std::vector<std::string> failures;       // an object that failed to load: the run fails
  std::vector<std::string> gate_failures;  // a loaded object that broke the quality gate
  Status infra;  // an error that is not about one object: the run fails, deliveries retry
  bool cancelled = false;
  Result<std::vector<catalog::CatalogObject>> objects = catalog_->ListObjects(job.table);
  if (!objects.ok()) infra = objects.status();
  for (const catalog::CatalogObject& object :
       objects.ok() ? *objects : std::vector<catalog::CatalogObject>{}) {
    if (stop.load()) {
      cancelled = true;
      break;
    }
    Result<std::optional<warehouse::LedgerEntry>> done = warehouse_->FindLoad(object.object);
    if (!done.ok()) {
      infra = done.status();
      break;
    }
    if (*done) continue;  // this version was loaded (or failed, or ignored) before
    // Another worker loading it now finishes it, or, if it dies, leaves a claim that runs out
    // and ReapAbandoned() hands to the next run.
    Result<bool> claimed = claims_->TryClaim(job.name, object.object);
    if (!claimed.ok()) {
      infra = claimed.status();
      break;
    }
    if (!*claimed) {
      spdlog::info("Object is being loaded by another worker. key={}", object.object.key);
      continue;
    }
    // It may have committed between the ledger check and the claim.
    done = warehouse_->FindLoad(object.object);
    Result<ObjectResult> r = ObjectResult{};
    if (!done.ok()) {
      r = done.status();
    } else if (!*done) {
      Status began = begin();
      r = began.ok() ? LoadObject(job, object, run.run_id, stop) : Result<ObjectResult>(began);
    }
    Status released = claims_->Release(object.object);
    if (r.ok() && r->status.empty()) {
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
    if (r->status == "failed") failures.push_back(r->message);
    if (std::optional<std::string> why = CheckQualityGate(job.quality_gate, *r)) {
      // The object stays loaded (docs/configuration.md, "The quality gate"); the run fails.
      r->message = "quality gate: " + *why;
      gate_failures.push_back(r->key + ": " + *why);
      spdlog::warn("Object broke the job's quality gate; it stays loaded. key={} why={}", r->key,
                   *why);
    }
    run.rows_read += r->rows_read;
    run.rows_loaded += r->rows_loaded;
    run.rows_rejected += r->rows_rejected;
    EP_RETURN_IF_ERROR(runs_->AddObject(run.run_id, *r));
    run.objects.push_back(std::move(*r));
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
  for (const auto& o : run.objects) loaded += o.status == "loaded";
  std::string counts = fmt::format("{} loaded; rows read {}, loaded {}, rejected {}",
                                   Plural(loaded, "object", "objects"), run.rows_read,
                                   run.rows_loaded, run.rows_rejected);
  // The first cause is told in full (each names its object), the others counted.
  auto first_of = [](const std::string& first, size_t others) {
    return others == 0 ? first : fmt::format("{} (and {} more)", first, others);
  };
  if (cancelled) {
    run.state = "STOPPED";
    run.message = "Job run stopped: " + counts + "; the object in flight was rolled back";
  } else if (!infra.ok() || !failures.empty()) {
    run.state = "FAILED";
    const size_t causes = failures.size() + gate_failures.size();
    run.error =
        !infra.ok() ? first_of(infra.ToString(), causes) : first_of(failures.front(), causes - 1);
    run.message = fmt::format("JobName:{} and JobRunId:{} failed to execute: {}; {}", job.name,
                              run.run_id, run.error, counts);
  } else if (!gate_failures.empty()) {
    run.state = "FAILED";
    run.error = "quality gate: " + first_of(gate_failures.front(), gate_failures.size() - 1);
    run.message = fmt::format("JobName:{} and JobRunId:{} failed the {}; {}; the rows stay loaded",
                              job.name, run.run_id, run.error, counts);
  } else {
    run.state = "SUCCEEDED";
    run.message = "Job run succeeded: " + counts;
  }
  EP_RETURN_IF_ERROR(runs_->Finish(run));
  ++runs_finished_;
  if (run.state == "FAILED") ++failed_runs_;
  spdlog::info("Job run finished. job={} run_id={} state={} ms={} {}", job.name, run.run_id,
               run.state, run.duration_ms, counts);
  EP_RETURN_IF_ERROR(EmitJobState(run, run.state, run.message));
  // An infrastructure failure (warehouse down) makes the delivery retry with backoff.
  if (!infra.ok() && infra.retryable()) return infra;
  return std::optional<RunRecord>(std::move(run));
}

Status Pipeline::ReapAbandoned(const std::atomic<bool>& stop) {
  if (!config_.state.shared()) return Status::Ok();
  EP_ASSIGN_OR_RETURN(std::vector<RunRecord> interrupted,
                      runs_->FailInterrupted(
                          "interrupted: the worker running it stopped renewing its lease", true));
  for (const RunRecord& r : interrupted) {
    spdlog::warn("A worker's run was abandoned; marked FAILED. run_id={} job={}", r.run_id, r.job);
    ++failed_runs_;
    EP_RETURN_IF_ERROR(EmitJobState(r, "FAILED", r.message));
  }
  EP_ASSIGN_OR_RETURN(std::vector<std::string> jobs, claims_->AbandonedJobs());
  for (const std::string& name : jobs) {
    if (stop.load()) break;
    if (!config_.FindJob(name)) continue;
    // A durable job start, dispatched (and retried) like any other, rather than a run here:
    // a run that failed now would leave nothing behind to try again. The claims go after the
    // start is in the log; a crash in between only makes a second, harmless start.
    spdlog::warn(
        "Objects claimed by a worker that stopped renewing its lease; starting their job. job={}",
        name);
    Json event =
        events::MakeEvent(config_.origin, "ecompipe.runtime", "Abandoned Work Found", Json::array(),
                          {{"jobName", name}, {"reason", "object claims ran out"}});
    EP_RETURN_IF_ERROR(bus_->WithLog([&](events::EventLog& log) {
      return log.Append(event, {{"abandoned-object-claims", events::Target{"start_job", name}}})
          .status();
    }));
    EP_RETURN_IF_ERROR(claims_->DropAbandoned(name));
    bus_->Wake();
  }
  return Status::Ok();
}

Status Pipeline::UpsertDimension(const events::Delivery& d, const std::atomic<bool>&) {
  EP_ASSIGN_OR_RETURN(storage::ObjectRef wanted, ObjectFromEvent(d.event, config_.storage.bucket));
  Result<storage::ObjectRef> head = store_->Head(wanted.key);
  if (!head.ok()) return head.status();
  EP_ASSIGN_OR_RETURN(catalog::CrawlResult crawl, catalog::CrawlObject(*store_, *head));
  // A dimension file always has a header (its columns are mapped by name). The crawler cannot
  // tell one apart when every column is text (Glue's rule), so it is not asked to.
  crawl.schema.has_header = true;
  EP_ASSIGN_OR_RETURN(auto raw, store_->Open(*head));
  EP_ASSIGN_OR_RETURN(auto decoded, storage::OpenDecoded(std::move(raw)));
  int64_t rows = 0;
  if (d.target.name == "products") {
    EP_ASSIGN_OR_RETURN(auto products, transform::ReadProducts(*decoded, crawl.schema, head->key));
    EP_RETURN_IF_ERROR(warehouse_->UpsertProducts(products));
    rows = static_cast<int64_t>(products.size());
  } else {
    EP_ASSIGN_OR_RETURN(auto customers,
                        transform::ReadCustomers(*decoded, crawl.schema, head->key));
    EP_RETURN_IF_ERROR(warehouse_->UpsertCustomers(customers));
    rows = static_cast<int64_t>(customers.size());
  }
  dims_.reset();
  spdlog::info("Dimension upserted. dimension={} key={} rows={}", d.target.name, head->key, rows);
  return Status::Ok();
}

Result<int64_t> Pipeline::LoadDimensionFile(const std::string& dimension, const fs::path& file) {
  auto open = [&]() -> Result<std::unique_ptr<storage::InputStream>> {
    EP_ASSIGN_OR_RETURN(auto raw, storage::OpenLocalFile(file));
    return storage::OpenDecoded(std::move(raw));
  };
  // The schema comes from a decoded sample, as the crawler reads objects; then a fresh read.
  std::string sample(catalog::kSampleBytes, '\0');
  size_t got = 0;
  {
    EP_ASSIGN_OR_RETURN(auto probe, open());
    while (got < sample.size()) {
      EP_ASSIGN_OR_RETURN(size_t n, probe->Read(sample.data() + got, sample.size() - got));
      if (n == 0) break;
      got += n;
    }
  }
  const bool whole = got < sample.size();
  sample.resize(got);
  Result<catalog::TableSchema> schema = catalog::InferSchema(sample, whole);
  if (!schema.ok())
    return Status(schema.status().code(), schema.status().message()).At(file.string());
  schema->has_header = true;  // see UpsertDimension
  EP_ASSIGN_OR_RETURN(auto decoded, open());
  int64_t rows = 0;
  if (dimension == "products") {
    EP_ASSIGN_OR_RETURN(auto products, transform::ReadProducts(*decoded, *schema, file.string()));
    EP_RETURN_IF_ERROR(warehouse_->UpsertProducts(products));
    rows = static_cast<int64_t>(products.size());
  } else if (dimension == "customers") {
    EP_ASSIGN_OR_RETURN(auto customers, transform::ReadCustomers(*decoded, *schema, file.string()));
    EP_RETURN_IF_ERROR(warehouse_->UpsertCustomers(customers));
    rows = static_cast<int64_t>(customers.size());
  } else {
    return Status::InvalidArgument("unknown dimension '" + dimension + "' (products or customers)");
  }
  dims_.reset();
  return rows;
}

}  // namespace ecompipe::runtime
