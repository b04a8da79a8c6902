#include "api/http/connection_acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "api/http/request_head.h"
#include "common/json.h"

namespace ecompipe::api::http {
namespace {

// After "Connection: close", what the client still sends is read and dropped
// until it closes too, while bytes keep coming (2 s of silence ends it) and for
// at most 30 s and 64 MiB: a client still sending the body of a refused upload
// then reads the refusal instead of a reset.
constexpr int64_t kLingerSilenceMs = 2000;
constexpr int64_t kLingerMaxMs = 30'000;
constexpr uint64_t kLingerMaxBytes = 64ull << 20;
constexpr int64_t kSweepEveryMs = 100;  // deadline resolution
constexpr size_t kReadChunk = 16 << 10;
constexpr int64_t kRefusalLogEveryMs = 10'000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string PeerAddress(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof(buf));
    } else {
      ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    }
  } else {
    return "unknown";
  }
  return buf;
}

// Best effort: an answer of a few hundred bytes fits an empty socket buffer.
void SendNow(int fd, const std::string& data) {
  (void)::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// Reads and drops what already arrived, so that closing does not reset the
// connection (and with it our answer) because of unread bytes.
void DropPending(int fd) {
  char buf[4096];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0) return;
  }
}

}  // namespace

std::string JsonErrorResponse(int status, const std::string& reason, const std::string& code,
                              const std::string& message) {
  const std::string body = Json{{"error", {{"code", code}, {"message", message}}}}.dump() + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

ConnectionAcceptor::ConnectionAcceptor(const ConnectionLimits& limits, ServeFn serve,
                                       AcceptorAnswers answers)
    : limits_(limits),
      serve_(std::move(serve)),
      answers_(std::move(answers)),
      limiter_(static_cast<size_t>(limits.max_connections),
               static_cast<size_t>(limits.max_connections_per_address)) {}

ConnectionAcceptor::~ConnectionAcceptor() {
  Stop();
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_, reserve_fd_})
    if (fd >= 0) ::close(fd);
}

Result<std::unique_ptr<ConnectionAcceptor>> ConnectionAcceptor::Start(
    const std::string& host, int port, const ConnectionLimits& limits, ServeFn serve,
    AcceptorAnswers answers) {
  if (!answers.error) answers.error = JsonErrorResponse;
  std::unique_ptr<ConnectionAcceptor> a(
      new ConnectionAcceptor(limits, std::move(serve), std::move(answers)));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0 ||
      !found)
    return Status::Unavailable("cannot resolve " + host);
  std::string error = "no address";
  for (addrinfo* ai = found; ai && a->listen_fd_ < 0; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    // The backlog holds connections between two turns of the loop; the kernel
    // caps it at net.core.somaxconn.
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      a->listen_fd_ = fd;
    } else {
      error = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (a->listen_fd_ < 0)
    return Status::Unavailable("cannot listen on " + host + ":" + service + ": " + error);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(a->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  a->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  a->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  a->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  a->reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (a->epoll_fd_ < 0 || a->wake_fd_ < 0)
    return Status::Unavailable(std::string("epoll: ") + std::strerror(errno));
  for (int fd : {a->listen_fd_, a->wake_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(a->epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  for (int i = 0; i < std::max(1, limits.workers); ++i)
    a->workers_.emplace_back([p = a.get()] { p->WorkerLoop(); });
  a->loop_ = std::thread([p = a.get()] { p->Loop(); });
  return a;
}

void ConnectionAcceptor::Stop() {
  if (stopping_.exchange(true)) {
    if (loop_.joinable()) loop_.join();
    return;
  }
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)::write(wake_fd_, &one, sizeof(one));
  if (loop_.joinable()) loop_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers_done_ = true;
  }
  ready_cv_.notify_all();
  for (std::thread& t : workers_)
    if (t.joinable()) t.join();
}

void ConnectionAcceptor::Loop() {
  std::vector<epoll_event> events(256);
  int64_t last_sweep = SteadyMs();
  while (!stopping_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepEveryMs));
    const int64_t now = SteadyMs();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        AcceptAll(now);
      } else if (fd == wake_fd_) {
        uint64_t v;
        (void)::read(wake_fd_, &v, sizeof(v));
        TakeReturned(now);
      } else {
        auto it = conns_.find(fd);
        if (it != conns_.end()) OnReadable(*it->second, now);
      }
    }
    if (now - last_sweep >= kSweepEveryMs) {
      Sweep(now);
      last_sweep = now;
    }
  }
  ShutdownLoop();
}

void ConnectionAcceptor::ShutdownLoop() {
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<int> idle;
  for (auto& [fd, conn] : conns_) {
    if (conn->phase == Phase::kServing) {
      ::shutdown(fd, SHUT_RDWR);  // the worker's reads and writes fail at once
    } else {
      idle.push_back(fd);
    }
  }
  for (int fd : idle) Close(fd);
  while (serving_ > 0) {
    epoll_event ev;
    (void)::epoll_wait(epoll_fd_, &ev, 1, static_cast<int>(kSweepEveryMs));
    uint64_t v;
    (void)::read(wake_fd_, &v, sizeof(v));
    TakeReturned(SteadyMs());  // while stopping, returned connections are closed
  }
}

void ConnectionAcceptor::AcceptAll(int64_t now) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
        // Out of descriptors: spend the reserve on taking the connection off
        // the backlog and refusing it, rather than leaving it to wake the loop
        // again and again.
        ::close(reserve_fd_);
        reserve_fd_ = -1;
        fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) Refuse(fd, PeerAddress(peer), ConnectionLimiter::Verdict::kServerFull);
        reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) continue;
      }
      return;  // EAGAIN, or nothing more to do now
    }
    std::string address = PeerAddress(peer);
    const ConnectionLimiter::Verdict verdict = limiter_.Admit(address);
    if (verdict != ConnectionLimiter::Verdict::kAdmitted) {
      Refuse(fd, address, verdict);
      continue;
    }
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    // cpp-httplib writes an answer's head and body in separate sends: with Nagle's algorithm the
    // body waits for the client's delayed ACK, 40 ms per answer on a kept-alive connection.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Conn>();
    conn->c.fd = fd;
    conn->c.address = std::move(address);
    conn->phase = Phase::kHead;
    conn->deadline_ms = now + limits_.header_timeout_ms;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      limiter_.Release(conn->c.address);
      ::close(fd);
      continue;
    }
    conns_.emplace(fd, std::move(conn));
  }
}

void ConnectionAcceptor::Refuse(int fd, const std::string& address,
                                ConnectionLimiter::Verdict why) {
  const bool per_address = why == ConnectionLimiter::Verdict::kAddressFull;
  (per_address ? counters_.refused_address : counters_.refused_total)
      .fetch_add(1, std::memory_order_relaxed);
  DropPending(fd);
  SendNow(fd,
          answers_.error(503, "Slow Down", "SlowDown",
                         per_address ? "Too many connections from your address; please reduce "
                                       "your request rate."
                                     : "Too many connections; please reduce your request rate."));
  ::close(fd);
  ++refusals_since_log_;
  const int64_t now = SteadyMs();
  if (now - last_refusal_log_ms_ >= kRefusalLogEveryMs) {
    spdlog::warn(
        "{} connections refused with 503 SlowDown. reason={} address={} "
        "refused={} open={} "
        "from_address={} max_connections={} max_connections_per_address={}",
        answers_.name, per_address ? "per_address_limit" : "connection_limit", address,
        refusals_since_log_, limiter_.total(), limiter_.Of(address), limits_.max_connections,
        limits_.max_connections_per_address);
    last_refusal_log_ms_ = now;
    refusals_since_log_ = 0;
  }
}

void ConnectionAcceptor::OnReadable(Conn& conn, int64_t now) {
  char buf[kReadChunk];
  const ssize_t n = ::recv(conn.c.fd, buf, sizeof(buf), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    if (conn.phase == Phase::kIdle || (conn.phase == Phase::kHead && conn.c.buffered.empty()))
      counters_.idle_closed.fetch_add(1, std::memory_order_relaxed);
    return Close(conn.c.fd);
  }
  if (conn.phase == Phase::kLinger) {  // dropped
    conn.linger_bytes += static_cast<uint64_t>(n);
    if (conn.linger_bytes > kLingerMaxBytes) return Close(conn.c.fd);
    conn.deadline_ms = std::min(now + kLingerSilenceMs, conn.linger_until_ms);
    return;
  }
  if (conn.phase == Phase::kIdle) {
    conn.phase = Phase::kHead;
    conn.deadline_ms = now + limits_.header_timeout_ms;
  }
  conn.c.buffered.append(buf, static_cast<size_t>(n));
  CheckHead(conn, now);
}

bool ConnectionAcceptor::CheckHead(Conn& conn, int64_t now) {
  size_t end = 0;
  switch (ScanRequestHead(conn.c.buffered, limits_.max_head_bytes, conn.scanned, end)) {
    case HeadState::kIncomplete:
      return true;
    case HeadState::kTooLarge:
      Answer(conn, 400, "Bad Request", "RequestHeaderSectionTooLarge",
             "Your request header section exceeds the maximum allowed size (" +
                 std::to_string(limits_.max_head_bytes) + " bytes).");
      Linger(conn, now);
      return true;
    case HeadState::kComplete:
      Dispatch(conn);
      return false;
  }
  return true;
}

void ConnectionAcceptor::Dispatch(Conn& conn) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.c.fd, nullptr);
  conn.phase = Phase::kServing;
  conn.scanned = 0;
  ++serving_;
  counters_.dispatched.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(&conn);
  }
  ready_cv_.notify_one();
}

void ConnectionAcceptor::WorkerLoop() {
  for (;;) {
    Conn* conn = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_cv_.wait(lock, [&] { return workers_done_ || !ready_.empty(); });
      if (ready_.empty()) return;
      conn = ready_.front();
      ready_.pop_front();
    }
    AfterRequest after = AfterRequest::kClose;
    if (!stopping_.load()) {
      after = serve_(conn->c);
      ++conn->c.requests;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      returned_.emplace_back(conn, after);
    }
    const uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof(one));
  }
}

void ConnectionAcceptor::TakeReturned(int64_t now) {
  std::vector<std::pair<Conn*, AfterRequest>> back;
  {
    std::lock_guard<std::mutex> lock(mu_);
    back.swap(returned_);
  }
  for (auto& [conn, after] : back) {
    --serving_;
    if (stopping_.load()) {
      Close(conn->c.fd);
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = conn->c.fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn->c.fd, &ev);
    if (after == AfterRequest::kClose) {
      Linger(*conn, now);
      continue;
    }
    if (conn->c.buffered.empty()) {
      conn->phase = Phase::kIdle;
      conn->deadline_ms = now + limits_.idle_timeout_ms;
    } else {
      // The next request began arriving with this one.
      conn->phase = Phase::kHead;
      conn->deadline_ms = now + limits_.header_timeout_ms;
      CheckHead(*conn, now);
    }
  }
}

void ConnectionAcceptor::Sweep(int64_t now) {
  std::vector<Conn*> due;
  for (auto& [fd, conn] : conns_)
    if (conn->phase != Phase::kServing && conn->deadline_ms <= now) due.push_back(conn.get());
  for (Conn* conn : due) {
    switch (conn->phase) {
      case Phase::kHead:
        if (!conn->c.buffered.empty()) {
          counters_.head_timeouts.fetch_add(1, std::memory_order_relaxed);
          spdlog::debug(
              "{} request head not complete in time; connection "
              "closed. address={} bytes={}",
              answers_.name, conn->c.address, conn->c.buffered.size());
          Answer(*conn, 400, "Bad Request", "RequestTimeout",
                 "Your socket connection to the server was not read from or "
                 "written to within the "
                 "timeout period. Idle connections will be closed.");
          Close(conn->c.fd);
          break;
        }
        [[fallthrough]];
      case Phase::kIdle:
        counters_.idle_closed.fetch_add(1, std::memory_order_relaxed);
        Close(conn->c.fd);
        break;
      case Phase::kLinger:
        Close(conn->c.fd);
        break;
      case Phase::kServing:
        break;
    }
  }
}

void ConnectionAcceptor::Answer(Conn& conn, int status, const std::string& reason,
                                const std::string& code, const std::string& message) {
  DropPending(conn.c.fd);
  SendNow(conn.c.fd, answers_.error(status, reason, code, message));
}

void ConnectionAcceptor::Linger(Conn& conn, int64_t now) {
  // Half-close and drop what still arrives until the client closes too: closing
  // with unread bytes would reset the connection, and the client could lose the
  // answer it has not read yet.
  ::shutdown(conn.c.fd, SHUT_WR);
  conn.phase = Phase::kLinger;
  conn.linger_until_ms = now + kLingerMaxMs;
  conn.linger_bytes = 0;
  conn.deadline_ms = now + kLingerSilenceMs;
  conn.c.buffered.clear();
  conn.c.buffered.shrink_to_fit();
}

void ConnectionAcceptor::Close(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  limiter_.Release(it->second->c.address);
  ::close(fd);  // also leaves the epoll set
  conns_.erase(it);
}

}  // namespace ecompipe::api::http
