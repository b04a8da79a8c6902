// Helpers shared by the libFuzzer targets: splitting an input into parts, and FUZZ_CHECK, which
// aborts, and so makes libFuzzer save the input as a crash, when an invariant of the code under
// test fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace ecompipe::fuzz {

// Splits `data` at the first `separator` byte: {before, after}; {data, ""} without one.
inline std::pair<std::string_view, std::string_view> SplitAt(std::string_view data,
                                                             char separator) {
  const size_t at = data.find(separator);
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + 1)};
}

}  // namespace ecompipe::fuzz

#define FUZZ_CHECK(cond, what)                                                                \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                                \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
