#include "common/time_util.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace ecompipe {

int64_t NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

static std::tm ToTm(int64_t epoch_millis) {
  std::time_t secs = static_cast<std::time_t>(epoch_millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string FormatIsoSeconds(int64_t epoch_millis) {
  std::tm t = ToTm(epoch_millis);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.tm_year + 1900, t.tm_mon + 1,
                     t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

std::string FormatIsoMillis(int64_t epoch_millis) {
  std::tm t = ToTm(epoch_millis);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1,
                     t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                     static_cast<int>(epoch_millis % 1000));
}

std::string FormatDate(int64_t epoch_millis) {
  std::tm t = ToTm(epoch_millis);
  return fmt::format("{:04}-{:02}-{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
}

}  // namespace ecompipe
