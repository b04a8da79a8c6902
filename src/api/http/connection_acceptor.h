// ConnectionAcceptor: the front door of ecompipe's HTTP servers (the S3 endpoint, the HTTP
// API). One event-loop thread
// (epoll) accepts connections and holds every one that is not running a
// request: it reads each request head into a buffer under a total deadline,
// closes keep-alive connections that stay idle, and enforces the connection
// caps (ConnectionLimiter). Only a connection whose head is complete is handed
// to one of a fixed pool of worker threads, which runs the request (body,
// handler, answer) and hands the connection back. So a slow or idle client
// costs a file descriptor and a small buffer, never a worker thread:
// cpp-httplib's own accept loop gave every connection a worker for as long as
// the client kept it open, and read a head line by line with a timeout per read
// (one line every two seconds never timed out). docs/s3.md, "Slow and idle
// clients".
//
// Thread-safety: Start() and Stop() from one thread. `serve` runs on the worker
// threads, one connection per worker at a time; the rest is the loop thread's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/http/connection_limiter.h"
#include "common/status.h"

namespace ecompipe::api::http {

// The limits, configurable in ecompipe.yaml's s3_endpoint and api sections.
struct ConnectionLimits {
  int64_t header_timeout_ms =
      10'000;                        // from accept (or a keep-alive's first byte) to the head's end
  int64_t body_timeout_ms = 30'000;  // longest silence while a body is read or an answer written
  int64_t idle_timeout_ms = 15'000;  // a keep-alive connection with no next request is closed
  int max_connections = 4096;        // open connections in all (clipped to the fd limit)
  int max_connections_per_address = 128;
  int workers = 32;                  // requests run at the same time
  size_t max_head_bytes = 64 << 10;  // request line and headers
};

// A connection with a complete request head, lent to a worker.
struct AcceptedConnection {
  int fd = -1;           // non-blocking; the acceptor closes it
  std::string address;   // the peer's IP address (IPv4-mapped IPv6 addresses as IPv4)
  std::string buffered;  // bytes read but not consumed: the complete head, maybe more
  int requests = 0;      // requests served before this one
};

enum class AfterRequest {
  kKeepAlive,  // `buffered` holds what was read past the request; wait for the
               // next one
  kClose,      // the answer said "Connection: close", or the stream broke: close
               // (lingering)
};

// How the server an acceptor fronts words the answers the loop gives itself.
struct AcceptorAnswers {
  std::string name = "HTTP";  // the server's name in log lines ("S3", "API")
  // A complete HTTP/1.1 answer carrying "Connection: close" for `status` (`reason` its phrase),
  // `code` a machine-readable name (SlowDown, RequestTimeout, RequestHeaderSectionTooLarge) and
  // `message` for people. Called on the loop thread. Empty: JsonErrorResponse.
  std::function<std::string(int status, const std::string& reason, const std::string& code,
                            const std::string& message)>
      error;
};

// The default answer: a JSON body {"error": {"code": …, "message": …}}.
std::string JsonErrorResponse(int status, const std::string& reason, const std::string& code,
                              const std::string& message);

class ConnectionAcceptor {
 public:
  using ServeFn = std::function<AfterRequest(AcceptedConnection&)>;

  // Binds host:port (port 0: any free port) with a SOMAXCONN backlog, starts
  // the loop and the workers. kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<ConnectionAcceptor>> Start(const std::string& host, int port,
                                                           const ConnectionLimits& limits,
                                                           ServeFn serve,
                                                           AcceptorAnswers answers = {});
  ~ConnectionAcceptor();
  ConnectionAcceptor(const ConnectionAcceptor&) = delete;
  ConnectionAcceptor& operator=(const ConnectionAcceptor&) = delete;

  // Stops accepting, closes idle connections, shuts down the sockets of
  // requests in flight (so their reads and writes fail at once: an upload cut
  // this way leaves nothing behind) and joins every thread. Idempotent.
  void Stop();
  int port() const { return port_; }
  const ConnectionLimits& limits() const { return limits_; }

  // Counters for logs and tests; read from any thread.
  struct Counters {
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> refused_address{0};  // per-address cap: 503 SlowDown
    std::atomic<uint64_t> refused_total{0};    // total cap or no file descriptor left: 503 SlowDown
    std::atomic<uint64_t> head_timeouts{0};    // a head not complete within header_timeout
    std::atomic<uint64_t> idle_closed{0};  // idle keep-alive (or never-speaking) connections closed
    std::atomic<uint64_t> dispatched{0};   // requests handed to a worker
  };
  const Counters& counters() const { return counters_; }

 private:
  enum class Phase { kHead, kIdle, kServing, kLinger };
  struct Conn {
    AcceptedConnection c;
    Phase phase = Phase::kHead;
    int64_t deadline_ms = 0;
    size_t scanned = 0;           // ScanRequestHead's progress
    int64_t linger_until_ms = 0;  // kLinger: the latest close, however the bytes flow
    uint64_t linger_bytes = 0;    // kLinger: bytes dropped so far
  };

  ConnectionAcceptor(const ConnectionLimits& limits, ServeFn serve, AcceptorAnswers answers);
  void Loop();
  void WorkerLoop();
  void AcceptAll(int64_t now);
  void OnReadable(Conn& conn, int64_t now);
  void TakeReturned(int64_t now);
  void Sweep(int64_t now);
  // Hands `conn` to a worker when its head is complete; answers 400 when it is
  // too large. Returns false when `conn` was closed or handed on (it must not
  // be touched again).
  bool CheckHead(Conn& conn, int64_t now);
  void Dispatch(Conn& conn);
  void Answer(Conn& conn, int status, const std::string& reason, const std::string& code,
              const std::string& message);
  void Linger(Conn& conn, int64_t now);
  void Close(int fd);
  void Refuse(int fd, const std::string& address, ConnectionLimiter::Verdict why);
  void ShutdownLoop();

  ConnectionLimits limits_;
  ServeFn serve_;
  AcceptorAnswers answers_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;     // eventfd: workers hand connections back, Stop() asks to end
  int reserve_fd_ = -1;  // spent to accept-and-refuse when the process is out of descriptors
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread loop_;
  std::vector<std::thread> workers_;

  // Loop thread only.
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  ConnectionLimiter limiter_;
  size_t serving_ = 0;
  int64_t last_refusal_log_ms_ = 0;
  uint64_t refusals_since_log_ = 0;

  std::mutex mu_;  // guards ready_, returned_, workers_done_
  std::condition_variable ready_cv_;
  std::deque<Conn*> ready_;
  std::vector<std::pair<Conn*, AfterRequest>> returned_;
  bool workers_done_ = false;

  Counters counters_;
};

}  // namespace ecompipe::api::http
