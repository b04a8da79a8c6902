#include "api/http/connection_acceptor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http/internal/connection_stream.h"

namespace ecompipe::api::http {
namespace {

using namespace std::chrono_literals;

constexpr char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// A blocking client socket to 127.0.0.1:port, from `source` (any 127.x.y.z is
// this machine).
class Client {
 public:
  Client(int port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  }
  ~Client() { ::close(fd_); }
  void Send(const std::string& s) {
    ASSERT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  bool TrySend(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Everything until the peer closes, or until `wait` passes; `closed` says
  // which.
  std::string ReadAll(std::chrono::milliseconds wait, bool* closed = nullptr) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    if (closed) *closed = false;
    return out;
  }
  // Reads until `n` bytes arrived (or 10 s).
  std::string ReadExactly(size_t n) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (out.size() < n && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (r <= 0) break;
      out.append(buf, static_cast<size_t>(r));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

// Records each request head handed to a worker and answers kOk, keeping the
// connection.
struct Recorder {
  std::mutex mu;
  std::vector<AcceptedConnection> seen;
  ConnectionAcceptor::ServeFn Fn() {
    return [this](AcceptedConnection& c) {
      const size_t end = c.buffered.find("\r\n\r\n") + 4;
      {
        std::lock_guard<std::mutex> lock(mu);
        AcceptedConnection copy = c;
        copy.buffered = c.buffered.substr(0, end);
        seen.push_back(copy);
      }
      c.buffered.erase(0, end);
      (void)::send(c.fd, kOk, sizeof(kOk) - 1, MSG_NOSIGNAL);
      return AfterRequest::kKeepAlive;
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return seen.size();
  }
};

ConnectionLimits Quick() {
  ConnectionLimits l;
  l.header_timeout_ms = 300;
  l.idle_timeout_ms = 300;
  l.body_timeout_ms = 300;
  l.workers = 2;
  return l;
}

std::unique_ptr<ConnectionAcceptor> StartOrDie(const ConnectionLimits& l,
                                               ConnectionAcceptor::ServeFn fn) {
  auto a = ConnectionAcceptor::Start("127.0.0.1", 0, l, std::move(fn));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return std::move(*a);
}

TEST(ConnectionAcceptorTest, CompleteHeadGoesToAWorkerAndTheConnectionIsKeptForTheNext) {
  Recorder r;
  ConnectionLimits l = Quick();
  l.idle_timeout_ms = 10'000;
  auto a = StartOrDie(l, r.Fn());
  Client c(a->port());
  c.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadExactly(sizeof(kOk) - 1), kOk);
  c.Send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadExactly(sizeof(kOk) - 1), kOk);
  ASSERT_EQ(r.count(), 2u);
  EXPECT_EQ(r.seen[0].buffered, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.seen[0].address, "127.0.0.1");
  EXPECT_EQ(r.seen[1].buffered, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.seen[1].requests, 1);
}

TEST(ConnectionAcceptorTest, PipelinedRequestsAreServedInTurn) {
  Recorder r;
  auto a = StartOrDie(Quick(), r.Fn());
  Client c(a->port());
  c.Send("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.ReadExactly(2 * (sizeof(kOk) - 1)), std::string(kOk) + kOk);
  ASSERT_EQ(r.count(), 2u);
  EXPECT_EQ(r.seen[1].buffered, "GET /b HTTP/1.1\r\n\r\n");
}

// The regression: a head sent one line at a time, each well within any per-read
// timeout, is cut at the total deadline and never reaches a worker.
TEST(ConnectionAcceptorTest, HeadTricklingInIsCutAtTheTotalDeadline) {
  Recorder r;
  auto a = StartOrDie(Quick(), r.Fn());
  Client c(a->port());
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    c.Send("PUT /b/k HTTP/1.1\r\n");
    for (int i = 0; i < 100 && !done; ++i) {
      std::this_thread::sleep_for(50ms);
      // The server may have closed already; a failed send ends the trickle.
      if (!c.TrySend("X-Slow-" + std::to_string(i) + ": y\r\n")) break;
    }
  });
  bool closed = false;
  const std::string answer = c.ReadAll(5s, &closed);
  done = true;
  trickle.join();
  EXPECT_TRUE(closed);
  EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"code\":\"RequestTimeout\""), std::string::npos) << answer;
  EXPECT_EQ(r.count(), 0u);
  EXPECT_EQ(a->counters().head_timeouts.load(), 1u);
}

TEST(ConnectionAcceptorTest, SilentAndIdleConnectionsAreClosed) {
  Recorder r;
  auto a = StartOrDie(Quick(), r.Fn());
  Client silent(a->port());
  bool closed = false;
  EXPECT_EQ(silent.ReadAll(5s, &closed), "");  // closed without an answer
  EXPECT_TRUE(closed);

  Client kept(a->port());
  kept.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(kept.ReadExactly(sizeof(kOk) - 1), kOk);
  EXPECT_EQ(kept.ReadAll(5s, &closed), "");  // then idle past idle_timeout
  EXPECT_TRUE(closed);
  EXPECT_EQ(a->counters().idle_closed.load(), 2u);
}

TEST(ConnectionAcceptorTest, ConnectionsOverTheAddressCapGetSlowDown) {
  Recorder r;
  ConnectionLimits l = Quick();
  l.header_timeout_ms = 10'000;
  l.max_connections_per_address = 2;
  auto a = StartOrDie(l, r.Fn());
  auto held1 = std::make_unique<Client>(a->port(), "127.0.0.2");
  Client held2(a->port(), "127.0.0.2");
  // Both admitted before the third arrives (accept order is connect order on
  // one listener).
  std::this_thread::sleep_for(200ms);
  Client refused(a->port(), "127.0.0.2");
  bool closed = false;
  const std::string answer = refused.ReadAll(5s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"code\":\"SlowDown\""), std::string::npos) << answer;
  // Another address is not affected.
  Client other(a->port(), "127.0.0.3");
  other.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(other.ReadExactly(sizeof(kOk) - 1), kOk);
  // A closed connection makes room again.
  held1.reset();
  for (int i = 0; i < 500 && a->counters().idle_closed.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  Client again(a->port(), "127.0.0.2");
  again.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(again.ReadExactly(sizeof(kOk) - 1), kOk);
  EXPECT_EQ(a->counters().refused_address.load(), 1u);
}

TEST(ConnectionAcceptorTest, ConnectionsOverTheTotalCapGetSlowDown) {
  Recorder r;
  ConnectionLimits l = Quick();
  l.header_timeout_ms = 10'000;
  l.max_connections = 2;
  auto a = StartOrDie(l, r.Fn());
  Client c1(a->port(), "127.0.0.4");
  Client c2(a->port(), "127.0.0.5");
  std::this_thread::sleep_for(200ms);
  Client c3(a->port(), "127.0.0.6");
  bool closed = false;
  EXPECT_NE(c3.ReadAll(5s, &closed).find("\"code\":\"SlowDown\""), std::string::npos);
  EXPECT_EQ(a->counters().refused_total.load(), 1u);
}

TEST(ConnectionAcceptorTest, OversizedHeadIsRefused) {
  Recorder r;
  ConnectionLimits l = Quick();
  l.header_timeout_ms = 10'000;
  l.max_head_bytes = 1024;
  auto a = StartOrDie(l, r.Fn());
  Client c(a->port());
  c.Send("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'));
  const std::string answer = c.ReadAll(5s);
  EXPECT_NE(answer.find("\"code\":\"RequestHeaderSectionTooLarge\""), std::string::npos) << answer;
  EXPECT_EQ(r.count(), 0u);
}

TEST(ConnectionAcceptorTest, CloseAfterAnswerLetsTheClientReadItThenEnds) {
  auto a = StartOrDie(Quick(), [](AcceptedConnection& c) {
    (void)::send(c.fd, kOk, sizeof(kOk) - 1, MSG_NOSIGNAL);
    return AfterRequest::kClose;  // e.g. a refused upload whose body was not
                                  // read
  });
  Client c(a->port());
  c.Send("PUT /b/k HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + std::string(50000, 'x'));
  bool closed = false;
  EXPECT_EQ(c.ReadAll(5s, &closed), kOk);
  EXPECT_TRUE(closed);
}

// Stop() must not wait for a client that stalls mid-body: its socket is shut
// down.
TEST(ConnectionAcceptorTest, StopEndsARequestInFlight) {
  std::atomic<bool> reading{false};
  std::atomic<bool> broken{false};
  ConnectionLimits l = Quick();
  l.body_timeout_ms = 60'000;
  auto a = StartOrDie(l, [&](AcceptedConnection& c) {
    ConnectionStream s(c.fd, c.buffered, 60'000);
    char buf[64];
    while (s.read(buf, sizeof(buf)) > 0) reading = true;
    broken = s.broken();
    return AfterRequest::kClose;
  });
  Client c(a->port());
  c.Send("PUT /b/k HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  for (int i = 0; i < 100 && !reading; ++i) std::this_thread::sleep_for(20ms);
  const auto before = std::chrono::steady_clock::now();
  a->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before,
            30s);  // not the 60 s body timeout
  EXPECT_TRUE(broken);
}

TEST(ConnectionStreamTest, BufferedBytesComeFirstThenTheSocketThenTheRestIsUnread) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ConnectionStream s(sv[0], "HEAD", 1000);
  ASSERT_EQ(::send(sv[1], "BODYNEXT", 8, 0), 8);
  char buf[4];
  ASSERT_EQ(s.read(buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "HEAD");
  ASSERT_EQ(s.read(buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "BODY");
  EXPECT_EQ(s.TakeUnread(), "NEXT");  // read ahead with the body, not consumed
  EXPECT_FALSE(s.broken());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(ConnectionStreamTest, SilenceLongerThanTheTimeoutBreaksTheStream) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ConnectionStream s(sv[0], "", 100);
  char buf[4];
  EXPECT_EQ(s.read(buf, 4), -1);
  EXPECT_TRUE(s.broken());
  EXPECT_EQ(s.read(buf, 4), -1);  // stays broken
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(ConnectionStreamTest, EndOfStreamBreaksTheStream) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ConnectionStream s(sv[0], "", 1000);
  ::close(sv[1]);
  char buf[4];
  EXPECT_EQ(s.read(buf, 4), 0);
  EXPECT_TRUE(s.broken());
  ::close(sv[0]);
}

}  // namespace
}  // namespace ecompipe::api::http
