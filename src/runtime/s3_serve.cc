#include "runtime/s3_serve.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/time_util.h"
#include "storage/s3/sqs_event_source.h"
#include "storage/s3/webhook_event_source.h"

namespace ecompipe::runtime {
namespace {

using storage::s3::EventSource;

Result<std::unique_ptr<EventSource>> StartSource(Pipeline& p, const S3EventSourceConfig& c) {
  const StorageConfig& st = p.config().storage;
  auto on_object = [&p](const std::string& key, storage::s3::DoneCallback done) {
    p.QueueLanded(key, std::move(done));
  };
  const std::string where =
      p.config().config_path.filename().string() + ":" + std::to_string(c.line);
  if (c.type == "sqs") {
    storage::s3::SqsSettings s;
    s.queue_url = c.queue_url;
    s.endpoint = c.endpoint;
    s.region = st.region;
    s.credentials = p.s3_store()->settings().credentials;
    s.wait_time_seconds = c.wait_time_seconds;
    s.visibility_timeout_seconds = c.visibility_timeout_seconds;
    auto load_check = [&p](const std::string& key, const std::string& etag) {
      return p.LoadStateOf(key, etag);
    };
    Result<std::unique_ptr<storage::s3::SqsEventSource>> r =
        storage::s3::SqsEventSource::Start(s, st.bucket, on_object, load_check);
    if (!r.ok()) return Status(r.status().code(), r.status().message()).At(where);
    return std::unique_ptr<EventSource>(std::move(*r));
  }
  if (c.type == "webhook") {
    storage::s3::WebhookSettings s;
    const size_t colon = c.listen.rfind(':');
    s.host = c.listen.substr(0, colon);
    const std::string port = c.listen.substr(colon + 1);
    std::from_chars(port.data(), port.data() + port.size(), s.port);
    s.path = c.path;
    s.token = c.token;
    if (!c.token_env.empty()) {
      const char* v = std::getenv(c.token_env.c_str());
      if (!v || !*v)
        return Status::InvalidArgument("the S3 webhook source's token variable " + c.token_env +
                                       " is not set (or empty)")
            .At(where);
      s.token = v;
    }
    Result<std::unique_ptr<storage::s3::WebhookEventSource>> r =
        storage::s3::WebhookEventSource::Start(std::move(s), st.bucket, on_object);
    if (!r.ok()) return Status(r.status().code(), r.status().message()).At(where);
    return std::unique_ptr<EventSource>(std::move(*r));
  }
  return std::unique_ptr<EventSource>();  // reconcile: driven by the serve loop
}

}  // namespace

Status ServeS3Bucket(Pipeline& p, const std::atomic<bool>& stop) {
  const StorageConfig& st = p.config().storage;
  std::vector<std::unique_ptr<EventSource>> sources;
  auto stop_sources = [&] {
    for (auto& s : sources)
      if (s) s->Stop();
  };
  int64_t reconcile_every_ms = 0;
  int page_size = 1000;
  for (const S3EventSourceConfig& c : st.events) {
    if (c.type == "reconcile") {
      reconcile_every_ms = c.interval_seconds * 1000;
      page_size = c.page_size;
      continue;
    }
    Result<std::unique_ptr<EventSource>> s = StartSource(p, c);
    if (!s.ok()) {
      stop_sources();
      return s.status();
    }
    sources.push_back(std::move(*s));
  }
  if (st.events.empty()) {
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
