// What `ecompipe serve` tells the service manager (systemd's Type=notify protocol, through
// libsystemd's sd_notify): READY=1 once it serves, STATUS= lines, RELOADING=1 around a reload,
// STOPPING=1 on the way out, and WATCHDOG=1 while a watchdog is configured. Every call is a
// no-op when the process was not started with NOTIFY_SOCKET (run by hand, under a test, or by a
// manager that does not listen) or when the binary was built without libsystemd
// (ServiceManagerSupported() is false then). Thread-safe: each call is one datagram.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace ecompipe::runtime {

// True when built with libsystemd (EP_HAVE_SYSTEMD).
bool ServiceManagerSupported();

// READY=1 with a human-readable STATUS=.
void NotifyReady(const std::string& status);
// RELOADING=1 and the monotonic time of the reload's start (systemd 253's Type=notify-reload
// wants it; older managers ignore it); READY=1 again when the reload is done, whatever its
// outcome.
void NotifyReloading();
// STOPPING=1.
void NotifyStopping();
// STATUS= only.
void NotifyStatus(const std::string& status);

// Sends WATCHDOG=1 every half of the interval the manager asked for (WATCHDOG_USEC, for this
// process per WATCHDOG_PID), from a thread of its own, from construction to destruction; does
// nothing when no watchdog was asked for. It shows that the process is alive and scheduled; it
// does not time the work, so one long load never trips it.
class WatchdogPinger {
 public:
  WatchdogPinger();
  ~WatchdogPinger();
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ecompipe::runtime
