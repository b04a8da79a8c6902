// DispatchHealth: what the serve loop's rounds say about the pipeline, and how long it waits
// after a failed one.
//
// A round fails when a store cannot be written (the disk is full, the state database is
// locked or gone). Retrying such a round at once only fills the log: the disk is still full 10
// ms later (issue 14: the dispatcher retried about every 10 ms, 100 log lines a second). So
// after a failed round the loop waits an exponential backoff (base, doubled per failure up to
// max), whatever is due or lands meanwhile, and the log says so once per change of state: when
// rounds start failing, when the error's kind changes, and when a round succeeds again.
//
// The state is also written to a small file (`serve-health.json` beside the state database)
// that `ecompipe status`, and a future /readyz, read from another process. The file is sized
// when the loop starts and later overwritten in place, padded to the same size, so writing it
// needs no new disk blocks and works on a full disk.
//
// Thread-safety: one thread (the serve loop). Reading the file is safe from any process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/json.h"
#include "common/status.h"

namespace ecompipe::runtime {

struct BackoffOptions {
  int64_t base_ms = 100;
  int64_t max_ms = 30'000;
};

class DispatchHealth {
 public:
  // `file` empty: no file. `now_ms` is the clock (tests fix it).
  explicit DispatchHealth(std::filesystem::path file, BackoffOptions options = {},
                          std::function<int64_t()> now_ms = {});
  ~DispatchHealth();
  DispatchHealth(const DispatchHealth&) = delete;
  DispatchHealth& operator=(const DispatchHealth&) = delete;

  // Records a round's outcome. Returns how long the loop must wait before the next round
  // (after the n-th failure in a row: min(max_ms, base_ms * 2^(n-1))), or nullopt when the round
  // succeeded and the loop's own wait applies.
  std::optional<int64_t> Round(const Status& round);

  bool degraded() const { return failures_ > 0; }
  int64_t failures() const { return failures_; }
  // Log lines written about the state (tests count them).
  int64_t logged() const { return logged_; }
  // What the file holds: {"pid", "state": "serving"|"degraded", "updated_at"} and, degraded,
  // {"since", "failures", "error", "next_round_at"}.
  Json Report() const;

 private:
  void Write();

  std::filesystem::path file_;
  BackoffOptions options_;
  std::function<int64_t()> now_ms_;
  int fd_ = -1;
  int64_t failures_ = 0;
  int64_t since_ms_ = 0;
  int64_t next_round_ms_ = 0;
  StatusCode code_ = StatusCode::kOk;
  std::string error_;
  int64_t logged_ = 0;
};

// The file a serve process keeps for the pipeline whose state database is `state_db` (SQLite);
// beside it, in the same folder.
std::filesystem::path DispatchHealthFile(const std::filesystem::path& state_db);

// The report in `file` when a live process wrote it (its pid runs), else nullopt.
std::optional<Json> ReadDispatchHealth(const std::filesystem::path& file);

}  // namespace ecompipe::runtime
