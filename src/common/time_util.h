// Wall-clock helpers. All times are UTC.
#pragma once

#include <cstdint>
#include <string>

namespace ecompipe {

int64_t NowMillis();
// "2026-11-26T14:03:35Z": EventBridge's second-precision ISO-8601 form.
std::string FormatIsoSeconds(int64_t epoch_millis);
// "2026-11-26T14:03:35.123Z"
std::string FormatIsoMillis(int64_t epoch_millis);
// "2026-11-26"
std::string FormatDate(int64_t epoch_millis);

}  // namespace ecompipe
