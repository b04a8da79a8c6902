#include "runtime/s3_serve.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/time_util.h"
#include "storage/s3/s3_store_config.h"

namespace ecompipe::runtime {
namespace {

using storage::s3::EventSource;
using storage::s3::S3EventSourceConfig;

// Starts one configured source through its type's factory entry; errors are placed at the
// source's line in the configuration file.
Result<std::unique_ptr<EventSource>> StartSource(Pipeline& p, const S3EventSourceConfig& c) {
  const std::string where =
      p.config().config_path.filename().string() + ":" + std::to_string(c.line);
  const storage::s3::EventSourceType* type =
      storage::s3::EventSourceFactory::Instance().Find(c.type);
  if (!type)
    return Status::InvalidArgument("event source type '" + c.type + "' is not registered")
        .At(where);
  storage::s3::EventSourceContext context;
  context.bucket = p.config().storage.bucket;
  context.store = p.s3_store()->settings();
  context.on_object = [&p](const std::string& key, storage::s3::DoneCallback done) {
    p.QueueLanded(key, std::move(done));
  };
  context.load_check = [&p](const std::string& key, const std::string& etag) {
    return p.LoadStateOf(key, etag);
  };
  Result<std::unique_ptr<EventSource>> r = type->start(c, context);
  if (!r.ok()) return Status(r.status().code(), r.status().message()).At(where);
  return r;
}

}  // namespace

Status ServeS3Bucket(Pipeline& p, const std::atomic<bool>& stop) {
  const storage::ObjectStoreConfig& st = p.config().storage;
  static const storage::s3::S3StoreConfig kNoS3;
  const storage::s3::S3StoreConfig* s3 = st.As<storage::s3::S3StoreConfig>();
  const std::vector<S3EventSourceConfig>& events = (s3 ? *s3 : kNoS3).events;
  std::vector<std::unique_ptr<EventSource>> sources;
  auto stop_sources = [&] {
    for (auto& s : sources)
      if (s) s->Stop();
  };
  int64_t reconcile_every_ms = 0;
  int page_size = 1000;
  for (const S3EventSourceConfig& c : events) {
    // Reconciliation has no listener: the loop below lists the bucket itself.
    if (const auto* reconcile = std::get_if<storage::s3::ReconcileSourceConfig>(&c.source)) {
      reconcile_every_ms = reconcile->interval_seconds * 1000;
      page_size = reconcile->page_size;
      continue;
    }
    Result<std::unique_ptr<EventSource>> s = StartSource(p, c);
    if (!s.ok()) {
      stop_sources();
      return s.status();
    }
    sources.push_back(std::move(*s));
  }
  if (events.empty()) {
    reconcile_every_ms = 60000;
    spdlog::warn(
        "No S3 event source configured; the bucket is listed every 60 s (storage.events). "
        "bucket={}",
        st.bucket);
  }
  // Sources first, then the listing: an object landing between the two is seen by one of them.
  Result<int> landed = p.ScanBucket();
  if (!landed.ok()) {
    stop_sources();
    return landed.status();
  }
  spdlog::info("Serving. bucket={} new_objects_at_start={}", p.s3_store()->where(), *landed);
  int64_t next_reconcile = reconcile_every_ms > 0 ? NowMillis() + reconcile_every_ms : 0;
  while (!stop.load()) {
    Status s = p.RunUntilIdle(stop);
    if (!s.ok()) spdlog::error("Dispatch round failed; retrying shortly. error={}", s.ToString());
    if (stop.load()) break;
    if (next_reconcile > 0 && NowMillis() >= next_reconcile) {
      // One page per round, so that events keep flowing during a long listing.
      Result<bool> pass_done = p.ReconcileStep(page_size);
      if (!pass_done.ok()) {
        spdlog::error("Bucket reconciliation failed; next attempt in one interval. error={}",
                      pass_done.status().ToString());
        next_reconcile = NowMillis() + reconcile_every_ms;
      } else if (*pass_done) {
        next_reconcile = NowMillis() + reconcile_every_ms;
      }
      continue;
    }
    int64_t wait_ms = s.ok() ? 1000 : 2000;
    Result<std::optional<int64_t>> next = p.NextDueInMs();
    if (next.ok() && next->has_value())
      wait_ms = std::min<int64_t>(wait_ms, std::max<int64_t>(**next, 10));
    if (next_reconcile > 0)
      wait_ms = std::clamp<int64_t>(next_reconcile - NowMillis(), 10, wait_ms);
    p.bus().WaitForWork(std::chrono::milliseconds(wait_ms));
  }
  stop_sources();
  spdlog::info("Stopped cleanly.");
  return Status::Ok();
}

}  // namespace ecompipe::runtime
