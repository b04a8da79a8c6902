// The numeric key of an id made of a literal prefix and digits ("C0304787", "TXN00000001"),
// shared by the dimension index and the set of transaction ids. Pure; inline because the
// job's hot loop parses three ids a row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ecompipe::transform::internal {

inline constexpr uint64_t kNoIdKey = ~uint64_t{0};
inline constexpr size_t kMaxIdKeyDigits = 18;

// (10^d - 10) / 9 for d = 0..18: the first key of d-digit strings (see IdKey).
inline constexpr uint64_t kIdKeyLengthBase[kMaxIdKeyDigits + 1] = {
    0,  // unused: at least one digit
    0,
    10,
    110,
    1110,
    11110,
    111110,
    1111110,
    11111110,
    111111110,
    1111111110,
    11111111110,
    111111111110,
    1111111111110,
    11111111111110,
    111111111111110,
    1111111111111110,
    11111111111111110,
    111111111111111110};

// The key of `id` when it is `prefix` followed by 1 to 18 ASCII digits, else kNoIdKey.
// Strings of d digits map to [base(d), base(d+1)): a bijection that keeps "012" and "12"
// apart, all below 2^63. An id with a key matches the rule ^prefix[0-9]+$, so a caller that
// needs both parses the id once and runs the rule only on ids without a key.
inline uint64_t IdKey(std::string_view id, std::string_view prefix) {
  if (id.size() <= prefix.size() || id.size() - prefix.size() > kMaxIdKeyDigits) return kNoIdKey;
  // Compared char by char: inlined with a literal prefix, a compare or three.
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (id[i] != prefix[i]) return kNoIdKey;
  }
  uint64_t value = 0;
  for (size_t i = prefix.size(); i < id.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(id[i]) - unsigned{'0'};
    if (d > 9) return kNoIdKey;
    value = value * 10 + d;
  }
  return kIdKeyLengthBase[id.size() - prefix.size()] + value;
}

}  // namespace ecompipe::transform::internal
