// ConnectionLimiter: counts an HTTP server's open connections, in all and per
// client address, and admits a new one only while both counts are under their
// caps. A client that opens connections without end (or a crowd of idle ones)
// then meets a refusal instead of taking every file descriptor the process has.
//
// Not thread-safe: the ConnectionAcceptor's event loop is its only user.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace ecompipe::api::http {

class ConnectionLimiter {
 public:
  enum class Verdict { kAdmitted, kAddressFull, kServerFull };

  // Both caps at least 1.
  ConnectionLimiter(size_t max_total, size_t max_per_address);

  // Counts one more connection from `address` when both caps allow it;
  // otherwise counts nothing and says which cap refused it (the total is
  // checked first).
  Verdict Admit(const std::string& address);
  // Forgets one admitted connection from `address`. The caller must have been
  // admitted.
  void Release(const std::string& address);

  size_t total() const { return total_; }
  size_t Of(const std::string& address) const;
  size_t addresses() const { return per_address_.size(); }

 private:
  size_t max_total_;
  size_t max_per_address_;
  size_t total_ = 0;
  std::unordered_map<std::string, size_t> per_address_;  // no zero entries
};

}  // namespace ecompipe::api::http
