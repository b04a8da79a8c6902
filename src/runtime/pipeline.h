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
// and registers the other built-in targets: publish (to a topic: durable outbox, then
// subscribers) and webhook (POST the event to a URL).
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

#include "catalog/catalog_store.h"
#include "common/sql_db.h"
#include "events/event_bus.h"
#include "notify/notifier.h"
#include "runtime/config.h"
#include "runtime/crawl_step.h"
#include "runtime/dimension_loader.h"
#include "runtime/job_runner.h"
#include "runtime/landing.h"
#include "runtime/lease_keeper.h"
#include "runtime/run_store.h"
#include "runtime/work_claims.h"
#include "storage/local/local_folder_store.h"
#include "storage/s3/event_source.h"
#include "storage/s3/s3_object_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

class Pipeline {
 public:
  // Opens the bucket, state store and warehouse, creating what is missing; the bucket and the
  // warehouse are built by the factories of their configured types (register_components.h).
  static Result<std::unique_ptr<Pipeline>> Open(PipelineConfig config);

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
  void QueueLanded(const std::string& key, storage::s3::DoneCallback done = {}) {
    landing_->QueueLanded(key, std::move(done));
  }
  // Where the load of one version of `key` stands (see storage/s3/event_source.h): the load
  // ledger's entry if there is one; else kCommitted when no rule routes the key's Object
  // Created event to a crawler or a job (nothing loads it), kFailed when its crawl failed,
  // kPending otherwise. Thread-safe: it reads the ledger over a connection of its own, so it
  // may run while the dispatcher thread loads. Errors are the warehouse's or the catalog's.
  Result<storage::s3::LoadState> LoadStateOf(const std::string& key, const std::string& etag);
  void QueueRescan() { landing_->QueueRescan(); }
  Status DrainLanded() { return landing_->DrainLanded(); }
  // One page of ListObjectsV2 reconciliation of an s3 bucket: lists up to `page_size` keys
  // after the last key seen (StartAfter) and emits Object Created for each unseen version;
  // at the end of the bucket the cursor starts over. Returns whether the pass reached the end.
  // kInvalidArgument for a local bucket.
  Result<bool> ReconcileStep(int page_size) { return landing_->ReconcileStep(page_size); }

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
  // Loads a dimension file from disk (ecompipe load-dims).
  Result<int64_t> LoadDimensionFile(const std::string& dimension,
                                    const std::filesystem::path& file) {
    return dimensions_->LoadFile(dimension, file);
  }

  int failed_runs() const { return jobs_->failed_runs(); }
  int runs_finished() const { return jobs_->runs_finished(); }
  const PipelineConfig& config() const { return config_; }
  events::EventBus& bus() { return *bus_; }
  storage::ObjectStore& store() { return *store_; }
  storage::s3::S3ObjectStore* s3_store() { return s3_; }  // null unless storage.type is s3
  // null unless storage.type is local
  storage::LocalFolderStore* local_store() {
    return s3_ ? nullptr : static_cast<storage::LocalFolderStore*>(store_.get());
  }
  warehouse::Warehouse& warehouse() { return *warehouse_; }
  RunStore& runs() { return *runs_; }
  WorkClaims& claims() { return *claims_; }
  catalog::CatalogStore& catalog() { return *catalog_; }
  notify::Notifier& notifier() { return *notifier_; }

 private:
  explicit Pipeline(PipelineConfig config) : config_(std::move(config)) {}
  // Builds the crawl step, the job runner and the dimension loader over the opened stores.
  void Wire();
  void RegisterTargets();

  PipelineConfig config_;
  std::unique_ptr<storage::ObjectStore> store_;
  storage::s3::S3ObjectStore* s3_ = nullptr;  // store_, when it is an S3 bucket
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
  const std::atomic<bool>* stop_ = nullptr;  // set while RunUntilIdle runs
};

}  // namespace ecompipe::runtime
