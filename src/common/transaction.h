// The one frame every SQL transaction in ecompipe runs in (SqliteDb, PostgresDb and SqlDb's
// Transaction()): begin, run the body, commit; roll back when the body returns an error or
// throws (the exception goes on), or when COMMIT fails, so that a connection is never left
// inside a transaction.
#pragma once

#include <type_traits>
#include <utility>

#include "common/status.h"

namespace ecompipe {

// Rolls back on destruction unless Release()d: what makes an exception from the body roll
// back too.
template <typename Rollback>
class RollbackGuard {
 public:
  explicit RollbackGuard(Rollback& rollback) : rollback_(rollback) {}
  ~RollbackGuard() {
    if (armed_) rollback_();
  }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;
  void Release() { armed_ = false; }

 private:
  Rollback& rollback_;
  bool armed_ = true;
};

// `begin` and `commit` return Status; `rollback` returns nothing and must not throw; `body`
// returns Status. Returns begin's error, the body's error, or commit's result.
template <typename Begin, typename Commit, typename Rollback, typename Body>
Status RunTransaction(Begin&& begin, Commit&& commit, Rollback&& rollback, Body&& body) {
  EP_RETURN_IF_ERROR(begin());
  RollbackGuard<std::remove_reference_t<Rollback>> guard(rollback);
  EP_RETURN_IF_ERROR(std::forward<Body>(body)());
  Status committed = commit();
  if (committed.ok()) guard.Release();
  return committed;
}

}  // namespace ecompipe
