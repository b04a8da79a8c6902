// Who this process is among the workers that share one state store, and how long its claims
// on work (deliveries, notifications, objects to load, runs) last without renewal.
//
// A worker renews every claim it holds well before the lease ends (runtime::LeaseKeeper); a
// worker that dies stops renewing, and its claims fall to the others when the lease runs out.
#pragma once

#include <cstdint>
#include <string>

namespace ecompipe {

struct WorkerLease {
  std::string worker_id = NewWorkerIdOnce();
  int64_t lease_ms = 30'000;

  // "<host>:<pid>:<random>", made once per process.
  static const std::string& NewWorkerIdOnce();
};

}  // namespace ecompipe
