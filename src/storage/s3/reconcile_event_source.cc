#include "storage/s3/reconcile_event_source.h"

#include <spdlog/spdlog.h>

#include "common/time_util.h"

namespace ecompipe::storage::s3 {

Result<bool> ReconcileEventSource::Step() {
  EP_ASSIGN_OR_RETURN(ListPage page, store_.ListObjectsPage("", after_, "", page_size_));
  for (const ObjectRef& o : page.objects) {
    if (S3ObjectStore::IsListedObject(o.key)) EP_RETURN_IF_ERROR(on_listed_(o));
  }
  if (!page.is_truncated || page.objects.empty()) {
    after_.clear();
    return true;
  }
  after_ = page.objects.back().key;
  return false;
}

std::optional<int64_t> ReconcileEventSource::Poll() {
  const int64_t now = NowMillis();
  if (next_ms_ < 0) next_ms_ = now + interval_ms_;
  if (now < next_ms_) return next_ms_ - now;
  Result<bool> pass_done = Step();
  if (!pass_done.ok()) {
    spdlog::error("Bucket reconciliation failed; next attempt in one interval. error={}",
                  pass_done.status().ToString());
    next_ms_ = NowMillis() + interval_ms_;
  } else if (*pass_done) {
    next_ms_ = NowMillis() + interval_ms_;
  }
  return 0;  // the loop dispatches what the page announced before it waits
}

}  // namespace ecompipe::storage::s3
