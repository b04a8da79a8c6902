// The two ways to drive a pipeline: `serve` (watch the bucket and react until stopped) and
// `process` (handle what is in the bucket, to quiescence, then return).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>

#include "common/status.h"
#include "runtime/pipeline.h"
#include "runtime/reload.h"

namespace ecompipe::runtime {

// Holds an exclusive lock on a pipeline's state folder, so that two `serve`/`process`
// processes never drive one SQLite-backed pipeline at once. Released when destroyed. (With a
// PostgreSQL state store, workers share the pipeline through claims instead.)
class PipelineLock {
 public:
  // kUnavailable naming the holder's pid when another process holds it.
  static Result<std::unique_ptr<PipelineLock>> Acquire(const std::filesystem::path& state_db);
  ~PipelineLock();

 private:
  explicit PipelineLock(int fd) : fd_(fd) {}
  int fd_;
};

// The serve loop, for every kind of bucket: recovers interrupted runs, starts the bucket's event
// sources (Pipeline::StartEventSources: the folder watcher, or the S3 bucket's SQS, webhook and
// reconcile sources), the S3 endpoint and the HTTP API (runtime/api_service.h) when enabled, lists
// the bucket once (objects that landed while ecompipe was down), then dispatches events until
// `stop` is set, letting the sources that have no thread of their own work between rounds. Errors
// at start (a source that cannot start, the first listing refused) are returned; errors of one
// round are logged and the pipeline keeps serving. Once serving, it tells the service manager
// READY=1 (and pings its watchdog when one is configured; runtime/service_manager.h), and
// STOPPING=1 when `stop` is set.
//
// With `reload`, a set `requested` flag is cleared and `apply` called between dispatch rounds,
// on the serving thread (so no delivery runs meanwhile): SIGHUP's configuration reload.
// `apply` is given what else applies a configuration (the API's tokens).
struct ServeReload {
  std::atomic<bool>* requested = nullptr;
  std::function<void(Pipeline&, const ReloadListener&)> apply;
};
Status Serve(Pipeline& pipeline, const std::atomic<bool>& stop, const ServeReload& reload = {});

// Recovers, scans the bucket and dispatches until nothing is due.
Status ProcessToQuiescence(Pipeline& pipeline, const std::atomic<bool>& stop);

}  // namespace ecompipe::runtime
