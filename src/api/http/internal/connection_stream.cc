#include "api/http/internal/connection_stream.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

namespace ecompipe::api::http {
namespace {

constexpr size_t kReadBlock = 64 << 10;

void IpAndPort(const sockaddr_storage& ss, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    port = ntohs(a->sin6_port);
  }
  ip = buf;
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, std::string buffered, int64_t timeout_ms)
    : fd_(fd), buf_(std::move(buffered)), timeout_ms_(timeout_ms) {}

bool ConnectionStream::Wait(short events) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fd_, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX)));
    if (n > 0) return true;  // ready, or an error/hang-up the next call reports
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool ConnectionStream::is_readable() const { return off_ < buf_.size() || Wait(POLLIN); }

bool ConnectionStream::is_writable() const { return Wait(POLLOUT); }

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (off_ < buf_.size()) {
    const size_t n = std::min(size, buf_.size() - off_);
    std::memcpy(ptr, buf_.data() + off_, n);
    off_ += n;
    return static_cast<ssize_t>(n);
  }
  if (read_broken_) return -1;
  buf_.clear();
  off_ = 0;
  // Large reads go straight to the caller; small ones (httplib reads lines byte
  // by byte) are served from a block read ahead.
  const bool direct = size >= kReadBlock;
  if (!direct) buf_.resize(kReadBlock);
  for (;;) {
    const ssize_t n = ::recv(fd_, direct ? ptr : buf_.data(), direct ? size : kReadBlock, 0);
    if (n > 0) {
      if (direct) return n;
      buf_.resize(static_cast<size_t>(n));
      return read(ptr, size);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && Wait(POLLIN)) continue;
    buf_.clear();
    read_broken_ = true;  // the end of the stream, an error, or `timeout_ms_` of silence
    return n == 0 ? 0 : -1;
  }
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  // A read that broke leaves writing possible: the answer to a stalled upload
  // still goes out.
  if (write_broken_) return -1;
  for (;;) {
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && Wait(POLLOUT)) continue;
    write_broken_ = true;
    return -1;
  }
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) IpAndPort(ss, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) IpAndPort(ss, ip, port);
}

std::string ConnectionStream::TakeUnread() {
  std::string rest = off_ < buf_.size() ? buf_.substr(off_) : std::string();
  buf_.clear();
  off_ = 0;
  return rest;
}

}  // namespace ecompipe::api::http
