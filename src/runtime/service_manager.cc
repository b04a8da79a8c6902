#include "runtime/service_manager.h"

#include <time.h>  // NOLINT(modernize-deprecated-headers): clock_gettime is POSIX's

#include <spdlog/spdlog.h>

#include <cstdint>

#ifdef EP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace ecompipe::runtime {
namespace {

void Notify(const std::string& message) {
#ifdef EP_HAVE_SYSTEMD
  // A negative return (the socket is gone) is not worth stopping for: the manager will act on
  // its own timeouts.
  if (sd_notify(0, message.c_str()) < 0) spdlog::debug("sd_notify failed. message={}", message);
#else
  (void)message;
#endif
}

}  // namespace

bool ServiceManagerSupported() {
#ifdef EP_HAVE_SYSTEMD
  return true;
#else
  return false;
#endif
}

void NotifyReady(const std::string& status) { Notify("READY=1\nSTATUS=" + status); }

void NotifyReloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  Notify("RELOADING=1\nSTATUS=Reloading the configuration\nMONOTONIC_USEC=" + std::to_string(usec));
}

void NotifyStopping() { Notify("STOPPING=1\nSTATUS=Stopping"); }

void NotifyStatus(const std::string& status) { Notify("STATUS=" + status); }

WatchdogPinger::WatchdogPinger() {
#ifdef EP_HAVE_SYSTEMD
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  const auto every = std::chrono::microseconds(usec / 2);
  spdlog::info("Watchdog pings enabled. interval_ms={}", usec / 2000);
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      Notify("WATCHDOG=1");
      wake_.wait_for(lock, every, [this] { return stop_; });
    }
  });
#endif
}

WatchdogPinger::~WatchdogPinger() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ecompipe::runtime
