// Pipeline: the wiring. Open() builds every component from the configuration (the bucket,
// the state store's event log, catalog, runs and claims, the warehouse, the notifier) and
// injects them into the parts that do the work:
//
//   Landing          objects in the bucket -> Object Created events (runtime/landing.h)
//   CrawlStep        the start_crawler target: crawl one object; emits a Glue Crawler State
//                    Change event (Succeeded / Failed) (runtime/crawl_step.h)
//   JobRunner        the start_job target: run a job over every new object version of its
//                    catalog table; coalesced; emits Glue Job State Change events
//                    (runtime/job_runner.h)
//   DimensionLoader  the upsert_dimension target and `ecompipe load-dims`
//                    (runtime/dimension_loader.h)
//
// and gives the bus a handler for every registered rule target type (runtime/rule_targets.h):
// those three, publish (to a topic: durable outbox, then subscribers) and webhook (POST the
// event to a URL).
//
// A Pipeline is driven from one thread (the dispatcher); ObjectLanded() may be called from
// that thread only, too: the watcher hands keys over through QueueLanded().
//
// With a PostgreSQL state store, several processes (workers, possibly on several machines)
// drive one pipeline: each claims deliveries, notifications and objects to load under a lease
// (see work_claims.h, lease_keeper.h); the warehouse's ledger keeps loads exactly-once.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/s3/s3_endpoint.h"
#include "catalog/catalog_store.h"
#include "common/sql_db.h"
#include "events/event_bus.h"
#include "metrics/metrics.h"
#include "notify/notifier.h"
#include "runtime/config.h"
#include "runtime/crawl_step.h"
#include "runtime/dimension_loader.h"
#include "runtime/job_runner.h"
#include "runtime/landing.h"
#include "runtime/lease_keeper.h"
#include "runtime/object_reload.h"
#include "runtime/reject_replay.h"
#include "runtime/run_store.h"
#include "runtime/work_claims.h"
#include "storage/event_source.h"
#include "storage/local/local_folder_store.h"
#include "storage/s3/s3_object_store.h"
#include "storage/s3/s3_store_config.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

class Pipeline {
 public:
  // Opens the bucket, state store and warehouse, creating what is missing; the bucket and the
  // warehouse are built by the factories of their configured types (register_components.h).
  static Result<std::unique_ptr<Pipeline>> Open(PipelineConfig config);
  // Only the configured bucket, or only the warehouse (opened, no schema made): what `put`
  // needs, so that landing a file does not depend on the state's or the warehouse's disk.
  static Result<std::unique_ptr<storage::ObjectStore>> OpenBucket(const PipelineConfig& config);
  static Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouseOnly(
      const PipelineConfig& config);

  // Called once by whatever drives the pipeline, before anything else. Marks runs that a
  // killed process left running as FAILED (with their notification) and starts renewing this
  // worker's leases. SQLite (the caller holds the pipeline lock, so no other process is alive):
  // every claim is freed and every unfinished run failed. PostgreSQL: only runs whose lease
  // ran out.
  Status Recover();
  // Work that dead workers left (PostgreSQL): fails their runs once their leases ran out and
  // runs each job that has an object whose claim ran out. Cheap when there is none; the serve
  // loop calls it every round.
  Status ReapAbandoned(const std::atomic<bool>& stop);
  // Emits Object Created for every object whose (key, ETag) has not been seen; returns how
  // many. This is how files that landed while ecompipe was down are picked up.
  Result<int> ScanBucket() { return landing_->ScanBucket(); }
  // Emits Object Created for `key` if this version of it has not been seen yet.
  Status ObjectLanded(const std::string& key) { return landing_->RecordLanded(key).status(); }
  // Thread-safe hand-over from the watcher and the S3 event sources; DrainLanded() processes
  // the queue. `done`, when given, is called on the dispatcher thread after the key was
  // handled: (true, ETag) once the Object Created event of that version is durably appended
  // or the version was seen before; (true, "") when the object is gone; (false, "") when that
  // could not be established (S3 down).
  void QueueLanded(const std::string& key, storage::DoneCallback done = {}) {
    landing_->QueueLanded(key, std::move(done));
  }
  // Where the load of one version of `key` stands (see storage/event_source.h): the load
  // ledger's entry if there is one; else kCommitted when no rule routes the key's Object
  // Created event to a crawler or a job (nothing loads it), kFailed when its crawl failed,
  // kPending otherwise. Thread-safe: it reads the ledger over a connection of its own, so it
  // may run while the dispatcher thread loads. Errors are the warehouse's or the catalog's.
  Result<storage::LoadState> LoadStateOf(const std::string& key, const std::string& etag);
  void QueueRescan() { landing_->QueueRescan(); }
  Status DrainLanded() { return landing_->DrainLanded(); }
  // Starts the bucket's event sources, each handing its objects to the landing queue: the
  // folder watcher for a local bucket; for an S3 bucket the configured SQS, webhook and
  // reconcile sources (with none configured, reconciliation every 60 s). An error (a source
  // that cannot start, placed at its line in the configuration) stops those already started.
  Result<std::vector<std::unique_ptr<storage::EventSource>>> StartEventSources();
  // Starts the S3 endpoint over a local bucket when s3_endpoint is enabled; null otherwise.
  // Its uploads land in the folder, where the watcher sees them.
  Result<std::unique_ptr<api::s3::S3Endpoint>> StartS3Endpoint();

  // Runs due deliveries and notifications until nothing is due. `stop` interrupts it; a
  // load in flight is rolled back and its delivery stays pending.
  Status RunUntilIdle(const std::atomic<bool>& stop);
  // Milliseconds until the next retry is due (nullopt: nothing pending).
  Result<std::optional<int64_t>> NextDueInMs();

  // Runs a job over the new object versions of its table. Returns the run in its final state,
  // or nullopt when there was nothing to load: then no run was recorded and no event emitted.
  // kCancelled when `stop` came before any object was claimed. A run ends FAILED when an object
  // failed to load or a loaded one broke the job's quality gate (runtime/quality_gate.h).
  Result<std::optional<RunRecord>> RunJob(const JobConfig& job, int triggers,
                                          const std::atomic<bool>& stop) {
    return jobs_->Run(job, triggers, stop);
  }
  // Replays rejected rows (runtime/reject_replay.h): `ecompipe rejects replay`.
  Result<ReplayOutcome> ReplayRejects(const ReplaySelection& selection,
                                      const std::atomic<bool>& stop) {
    return replay_->Replay(selection, stop);
  }
  // Loads objects again with the current job definition (runtime/object_reload.h): `ecompipe
  // reload` and `ecompipe retry`.
  ObjectReloader& reloader() { return *reloader_; }
  // Loads a dimension file from disk (ecompipe load-dims).
  Result<int64_t> LoadDimensionFile(model::Dimension dimension, const std::filesystem::path& file) {
    return dimensions_->LoadFile(dimension, file);
  }

  // Applies a reloaded configuration, from the dispatching thread between dispatch rounds (so
  // no delivery is running): its rules, crawlers, jobs, topics and subscriptions take effect for
  // what comes next; events, deliveries and notifications already recorded are kept and run.
  // Everything else keeps its running values (ReloadRestartSections() names the sections that
  // need a restart). A custom job whose new output columns cannot be added to the warehouse is
  // an error, and then nothing is applied.
  Status Reload(const PipelineConfig& next);

  int failed_runs() const { return jobs_->failed_runs(); }
  int runs_finished() const { return jobs_->runs_finished(); }
  const PipelineConfig& config() const { return config_; }
  events::EventBus& bus() { return *bus_; }
  storage::ObjectStore& store() { return *store_; }
  warehouse::Warehouse& warehouse() { return *warehouse_; }
  RunStore& runs() { return *runs_; }
  WorkClaims& claims() { return *claims_; }
  catalog::CatalogStore& catalog() { return *catalog_; }
  notify::Notifier& notifier() { return *notifier_; }
  // This process's counters (metrics/metrics.h), which the parts above count into.
  metrics::Metrics& metrics() { return metrics_; }

 private:
  explicit Pipeline(PipelineConfig config) : config_(std::move(config)) {}
  // One configured source of an S3 bucket (sqs, webhook or reconcile).
  Result<std::unique_ptr<storage::EventSource>> StartS3EventSource(
      const storage::s3::S3EventSourceConfig& c);
  // Builds the crawl step, the job runner and the dimension loader over the opened stores.
  void Wire();
  // Appends the Dimension Upserted event of an upsert (its rules replay rejects); a failure
  // to append is logged: the rows are upserted, and `ecompipe rejects replay` remains.
  void DimensionUpserted(model::Dimension dimension, const std::string& where, int64_t rows);
  // Gives the bus the handler of every rule target type in RuleTargetFactory.
  void RegisterTargets();

  PipelineConfig config_;
  metrics::Metrics metrics_;  // declared first: outlives every part that counts into it
  std::unique_ptr<storage::ObjectStore> store_;
  storage::s3::S3ObjectStore* s3_ = nullptr;    // store_, when it is an S3 bucket
  storage::LocalFolderStore* local_ = nullptr;  // store_, when it is a local folder
  std::unique_ptr<events::EventBus> bus_;
  std::unique_ptr<catalog::CatalogStore> catalog_;
  std::unique_ptr<warehouse::Warehouse> warehouse_;
  std::mutex ledger_probe_mutex_;
  std::unique_ptr<warehouse::Warehouse> ledger_probe_;  // LoadStateOf()'s own connection, lazily
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<WorkClaims> claims_;
  std::unique_ptr<LeaseKeeper> keeper_;  // while a driver runs the pipeline
  WorkerLease lease_;
  std::unique_ptr<Landing> landing_;
  std::unique_ptr<CrawlStep> crawl_;
  std::unique_ptr<JobRunner> jobs_;
  std::unique_ptr<DimensionLoader> dimensions_;
  std::unique_ptr<RejectReplayer> replay_;
  std::unique_ptr<ObjectReloader> reloader_;
  mutable std::mutex rules_mutex_;  // config_.rules: LoadStateOf() reads them on other threads
  const std::atomic<bool>* stop_ = nullptr;  // set while RunUntilIdle runs
};

}  // namespace ecompipe::runtime
