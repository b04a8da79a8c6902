// Wall-clock helpers. All times are UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ecompipe {

int64_t NowMillis();
// "2026-11-26T14:03:35Z": EventBridge's second-precision ISO-8601 form.
std::string FormatIsoSeconds(int64_t epoch_millis);
// "2026-11-26T14:03:35.123Z"
std::string FormatIsoMillis(int64_t epoch_millis);
// "2026-11-26"
std::string FormatDate(int64_t epoch_millis);
// Seconds since the epoch of a UTC calendar time (month 1-12, day 1-31, hour 0-23, minute 0-59,
// second 0-60: a leap second counts as the next minute's first); nullopt for a field out of
// those ranges, and for a day its month does not have (February 30).
std::optional<int64_t> UtcEpochSeconds(int year, int month, int day, int hour, int minute,
                                       int second);

}  // namespace ecompipe
