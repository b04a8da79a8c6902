// ConnectionStream: cpp-httplib's view of one connection lent by the
// ConnectionAcceptor. Reads serve the bytes the acceptor already buffered (the
// request head, perhaps more) before the socket's; every wait for the socket,
// to read or to write, is bounded by `timeout_ms` of silence, so a body or an
// answer stalls for at most that long (bytes must keep flowing). After the
// request, Unread() is what arrived past it: the start of the next request on a
// keep-alive connection.
//
// Not thread-safe: one worker thread uses it for one request.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>

namespace ecompipe::api::http {

class ConnectionStream final : public httplib::Stream {
 public:
  // `fd` is non-blocking and stays owned by the caller.
  ConnectionStream(int fd, std::string buffered, int64_t timeout_ms);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

  // True once a read or write timed out, failed, or met the end of the stream:
  // the connection cannot carry another request.
  bool broken() const { return read_broken_ || write_broken_; }
  // The bytes read but not consumed (moved out).
  std::string TakeUnread();

 private:
  bool Wait(short events) const;

  int fd_;
  std::string buf_;
  size_t off_ = 0;
  int64_t timeout_ms_;
  bool read_broken_ = false;
  bool write_broken_ = false;
};

}  // namespace ecompipe::api::http
