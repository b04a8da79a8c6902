#include "api/http/connection_limiter.h"

#include <algorithm>
#include <cassert>

namespace ecompipe::api::http {

ConnectionLimiter::ConnectionLimiter(size_t max_total, size_t max_per_address)
    : max_total_(std::max<size_t>(max_total, 1)),
      max_per_address_(std::max<size_t>(max_per_address, 1)) {}

ConnectionLimiter::Verdict ConnectionLimiter::Admit(const std::string& address) {
  if (total_ >= max_total_) return Verdict::kServerFull;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && it->second >= max_per_address_) return Verdict::kAddressFull;
  if (it == per_address_.end()) it = per_address_.emplace(address, 0).first;
  ++it->second;
  ++total_;
  return Verdict::kAdmitted;
}

void ConnectionLimiter::Release(const std::string& address) {
  auto it = per_address_.find(address);
  assert(it != per_address_.end() && total_ > 0);
  if (it == per_address_.end()) return;
  --total_;
  if (--it->second == 0) per_address_.erase(it);
}

size_t ConnectionLimiter::Of(const std::string& address) const {
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace ecompipe::api::http
