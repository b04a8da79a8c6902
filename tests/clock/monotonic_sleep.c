/* Preloaded before libfaketime when the tests run at a fixed clock (EP_TEST_CLOCK, see
 * scripts/test.sh). libfaketime 0.9.10 (Debian 12) shifts the deadline of
 * clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...) by the fake offset even when told not
 * to fake monotonic clocks (FAKETIME_DONT_FAKE_MONOTONIC=1), so the kernel gets a negative
 * deadline and every Python time.sleep() fails with EINVAL. Sleeps on a monotonic clock go
 * straight to the kernel here; every other clock goes on to libfaketime. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec*, struct timespec*);

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec* request,
                    struct timespec* remain) {
  if (clock_id == CLOCK_MONOTONIC || clock_id == CLOCK_MONOTONIC_RAW ||
      clock_id == CLOCK_BOOTTIME) {
    /* clock_nanosleep returns the error number instead of setting errno. */
    return syscall(SYS_clock_nanosleep, clock_id, flags, request, remain) == 0 ? 0 : errno;
  }
  static clock_nanosleep_fn next;
  if (!next) next = (clock_nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
  return next ? next(clock_id, flags, request, remain) : ENOSYS;
}
