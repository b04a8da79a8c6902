#include "runtime/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/s3/s3_endpoint.h"
#include "common/time_util.h"
#include "runtime/api_service.h"
#include "runtime/dispatch_health.h"
#include "runtime/service_manager.h"

namespace ecompipe::runtime {

Result<std::unique_ptr<PipelineLock>> PipelineLock::Acquire(const std::filesystem::path& state_db) {
  std::filesystem::path path = state_db.parent_path() / "pipeline.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    return Status::Unavailable("another ecompipe process (pid " + pid +
                               ") is driving this pipeline; stop it first, or use the read-only "
                               "commands (status, runs, query) beside it");
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return std::unique_ptr<PipelineLock>(new PipelineLock(fd));
}

PipelineLock::~PipelineLock() { ::close(fd_); }

Status ProcessToQuiescence(Pipeline& p, const std::atomic<bool>& stop) {
  EP_RETURN_IF_ERROR(p.Recover());
  EP_ASSIGN_OR_RETURN(int landed, p.ScanBucket());
  spdlog::info("Bucket scanned. new_objects={}", landed);
  EP_RETURN_IF_ERROR(p.ReapAbandoned(stop));
  return p.RunUntilIdle(stop);
}

namespace {

// A server holds a descriptor per client connection (the S3 endpoint up to
// s3_endpoint.max_connections), and distributions start processes at a soft limit of 1024: the
// soft limit is raised to the hard one, which needs no privilege.
void RaiseOpenFileLimit() {
  rlimit fds{};
  if (::getrlimit(RLIMIT_NOFILE, &fds) != 0 || fds.rlim_cur >= fds.rlim_max) return;
  const rlim_t before = fds.rlim_cur;
  fds.rlim_cur = fds.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &fds) != 0) {
    spdlog::warn("Cannot raise the open-file limit. soft={} hard={} error={}",
                 static_cast<uint64_t>(before), static_cast<uint64_t>(fds.rlim_max),
                 std::strerror(errno));
    return;
  }
  spdlog::info(
      "Raised the open-file limit. soft_before={} soft={}", static_cast<uint64_t>(before),
      fds.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(fds.rlim_max));
}

}  // namespace

Status Serve(Pipeline& p, const std::atomic<bool>& stop, const ServeReload& reload) {
  RaiseOpenFileLimit();
  EP_RETURN_IF_ERROR(p.Recover());
  // Sources first, then the listing: an object landing between the two is seen by one of them.
  EP_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<storage::EventSource>> sources,
                      p.StartEventSources());
  auto stop_sources = [&] {
    for (auto& s : sources) s->Stop();
  };
  // Objects written through the S3 endpoint land in the folder like any file, so the watcher
  // (started above) is what turns them into events.
  Result<std::unique_ptr<api::s3::S3Endpoint>> s3 = p.StartS3Endpoint();
  if (!s3.ok()) {
    stop_sources();
    return s3.status();
  }
  Result<std::unique_ptr<ApiService>> api = ApiService::Start(p.config(), p.metrics());
  if (!api.ok()) {
    if (*s3) (*s3)->Stop();
    stop_sources();
    return api.status();
  }
  Result<int> landed = p.ScanBucket();
  if (!landed.ok()) {
    if (*api) (*api)->Stop();
    if (*s3) (*s3)->Stop();
    stop_sources();
    return landed.status();
  }
  spdlog::info("Serving. bucket={} new_objects_at_start={}", p.store().where(), *landed);
  // The bucket is watched and the S3 endpoint listens: systemd may count the service started.
  WatchdogPinger watchdog;
  NotifyReady("Serving " + p.store().where());
  DispatchHealth health(DispatchHealthFile(p.config().state.path));
  while (!stop.load()) {
    if (reload.requested && reload.requested->exchange(false))
      reload.apply(p, [&api](const PipelineConfig& next) {
        return *api ? (*api)->Reload(next) : Status::Ok();
      });
    Status s = p.ReapAbandoned(stop);
    if (s.ok()) s = p.RunUntilIdle(stop);
    if (*s3) (*s3)->Maintain(NowMillis());  // abandoned multipart uploads
    // A failed round waits out its backoff whatever is due or lands meanwhile (a full disk is
    // still full 10 ms later); a stop still ends the wait.
    if (std::optional<int64_t> backoff = health.Round(s)) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(*backoff);
      while (!stop.load() && std::chrono::steady_clock::now() < until)
        p.bus().WaitForWork(std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now()));
      continue;
    }
    if (stop.load()) break;
    // Sources without threads (reconciliation) work between rounds, a page at a time.
    std::optional<int64_t> poll_in_ms;
    for (auto& source : sources) {
      if (std::optional<int64_t> ms = source->Poll())
        poll_in_ms = std::min(poll_in_ms.value_or(*ms), *ms);
    }
    if (poll_in_ms == 0) continue;  // dispatch what it announced first
    int64_t wait_ms = 1000;
    Result<std::optional<int64_t>> next = p.NextDueInMs();
    if (next.ok() && next->has_value())
      wait_ms = std::min<int64_t>(wait_ms, std::max<int64_t>(**next, 10));
    if (poll_in_ms) wait_ms = std::clamp<int64_t>(*poll_in_ms, 10, wait_ms);
    p.bus().WaitForWork(std::chrono::milliseconds(wait_ms));
  }
  NotifyStopping();
  if (*api) (*api)->Stop();
  if (*s3) (*s3)->Stop();
  stop_sources();
  spdlog::info("Stopped cleanly.");
  return Status::Ok();
}

}  // namespace ecompipe::runtime
