#include "runtime/lease_keeper.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/sql_db.h"
#include "common/time_util.h"

namespace ecompipe::runtime {
namespace {

// Every table that holds claims, with the condition that a row is one of this worker's
// unfinished claims (?1: the worker).
constexpr const char* kRenewals[] = {
    "UPDATE deliveries SET lease_until = ?2 WHERE claimed_by = ?1 AND status = 'pending'",
    "UPDATE notifications SET lease_until = ?2 WHERE claimed_by = ?1 AND status = 'pending'",
    "UPDATE object_claims SET lease_until = ?2 WHERE claimed_by = ?1",
    "UPDATE runs SET lease_until = ?2 WHERE worker = ?1 AND state IN ('STARTING', 'RUNNING')",
};

Status Renew(SqlDb& db, const WorkerLease& lease) {
  const int64_t until = NowMillis() + lease.lease_ms;
  return db.ConcurrentTransaction([&]() -> Status {
    for (const char* sql : kRenewals)
      EP_RETURN_IF_ERROR(db.Exec(sql, {lease.worker_id, until}).status());
    return Status::Ok();
  });
}

}  // namespace

Status LeaseKeeper::RenewOnce(const std::string& location, const WorkerLease& lease) {
  EP_ASSIGN_OR_RETURN(auto db, OpenSqlDb(location));
  return Renew(*db, lease);
}

Result<std::unique_ptr<LeaseKeeper>> LeaseKeeper::Start(const std::string& location,
                                                        WorkerLease lease) {
  std::unique_ptr<LeaseKeeper> k(new LeaseKeeper());
  k->thread_ = std::thread(&LeaseKeeper::Loop, k.get(), location, std::move(lease));
  return k;
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::Loop(const std::string& location, WorkerLease lease) {
  const auto every = std::chrono::milliseconds(std::max<int64_t>(lease.lease_ms / 3, 50));
  std::unique_ptr<SqlDb> db;
  bool failing = false;  // logged once when renewals start failing and once when they recover
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, every, [&] { return stop_; })) {
    lock.unlock();
    Status s;
    if (!db) {
      Result<std::unique_ptr<SqlDb>> opened = OpenSqlDb(location);
      if (opened.ok())
        db = std::move(*opened);
      else
        s = opened.status();
    }
    if (db) s = Renew(*db, lease);
    if (!s.ok() && !failing) {
      spdlog::warn("Could not renew this worker's leases; retrying every {} ms. worker={} error={}",
                   every.count(), lease.worker_id, s.ToString());
    } else if (s.ok() && failing) {
      spdlog::info("Renewing this worker's leases again. worker={}", lease.worker_id);
    }
    failing = !s.ok();
    lock.lock();
  }
}

}  // namespace ecompipe::runtime
