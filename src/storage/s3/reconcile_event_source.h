// ReconcileEventSource: the event source that lists an S3 bucket (ListObjectsV2) every
// `interval_ms`, so that objects whose notification was lost (or that landed with no other
// source configured) are still announced. It has no thread: the serve loop calls Poll() after
// each dispatch round, and a due pass lists one page per call (StartAfter cursor), so events
// keep flowing during a long listing. Each listed object goes to `on_listed`, on that thread;
// the pipeline announces the versions it has not seen.
//
// A failed page (the server down, `on_listed` failing) is logged and the pass is tried again
// one interval later, from where it stopped. The first pass starts one interval after the first
// Poll() (the serve loop lists the whole bucket at start itself).
//
// Thread-safety: one thread (the serve loop's).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "storage/event_source.h"
#include "storage/object_store.h"
#include "storage/s3/s3_object_store.h"

namespace ecompipe::storage::s3 {

class ReconcileEventSource final : public EventSource {
 public:
  using ListedCallback = std::function<Status(const ObjectRef& object)>;

  // `store` is owned by the caller and outlives the source.
  ReconcileEventSource(const S3ObjectStore& store, int64_t interval_ms, int page_size,
                       ListedCallback on_listed)
      : store_(store),
        interval_ms_(interval_ms),
        page_size_(page_size),
        on_listed_(std::move(on_listed)) {}

  void Stop() override {}
  std::optional<int64_t> Poll() override;

  // One page: lists up to page_size keys after the cursor and hands each object to
  // `on_listed`; at the end of the bucket the cursor starts over. Returns whether the pass
  // reached the end.
  Result<bool> Step();

 private:
  const S3ObjectStore& store_;
  const int64_t interval_ms_;
  const int page_size_;
  ListedCallback on_listed_;
  std::string after_;     // StartAfter of the next page
  int64_t next_ms_ = -1;  // when the next page is due; -1 before the first Poll()
};

}  // namespace ecompipe::storage::s3
