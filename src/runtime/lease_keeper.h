// LeaseKeeper: a thread that renews every claim this worker holds in the state store (its
// deliveries, notifications, objects being loaded and unfinished runs) every third of the
// lease, so that a claim outlives a long load and runs out only when the worker is gone.
//
// It keeps its own connection. A renewal that fails (the database unreachable) is logged and
// tried again at the next tick; if the worker stays cut off longer than the lease, others may
// take its work, which the load ledger keeps exactly-once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "common/worker_lease.h"

namespace ecompipe::runtime {

class LeaseKeeper {
 public:
  // Starts renewing. `location`: the state store (SQLite path or PostgreSQL URL).
  static Result<std::unique_ptr<LeaseKeeper>> Start(const std::string& location, WorkerLease lease);
  ~LeaseKeeper();  // stops the thread
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Renews once, now, on the caller's own connection to `location`. What the thread runs.
  static Status RenewOnce(const std::string& location, const WorkerLease& lease);

 private:
  LeaseKeeper() = default;
  void Loop(const std::string& location, WorkerLease lease);

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ecompipe::runtime
