#include "api/http/request_head.h"

#include <algorithm>

namespace ecompipe::api::http {

HeadState ScanRequestHead(std::string_view buffered, size_t max_head_bytes, size_t& scanned,
                          size_t& head_end) {
  // The terminator may straddle the previous scan's end: look back three bytes.
  const size_t from = scanned >= 3 ? scanned - 3 : 0;
  const size_t limit = std::min(buffered.size(), max_head_bytes);
  const size_t at = buffered.substr(0, limit).find("\r\n\r\n", from);
  if (at != std::string_view::npos) {
    head_end = at + 4;
    scanned = head_end;
    return HeadState::kComplete;
  }
  scanned = limit;
  return buffered.size() >= max_head_bytes ? HeadState::kTooLarge : HeadState::kIncomplete;
}

}  // namespace ecompipe::api::http
