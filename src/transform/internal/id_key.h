// The numeric key of an id made of a literal prefix and digits ("C0304787", "TXN00000001"),
// shared by the dimension index and the set of transaction ids. Pure; inline because the
// job's hot loop parses three ids a row.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ecompipe::transform::internal {

inline constexpr uint64_t kNoIdKey = ~uint64_t{0};
inline constexpr size_t kMaxIdKeyDigits = 18;

// (10^d - 10) / 9 for d = 0..18: the first key of d-digit strings (see IdKey).
inline constexpr uint64_t kIdKeyLengthBase[kMaxIdKeyDigits + 1] = {0,  // unused: at least one digit
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

// The value of 8 ASCII digits read as a little-endian word (the first digit in the lowest
// byte), or kNoIdKey when a byte is not a digit. SWAR: a byte is a digit when its high
// nibble is 3 and adding 6 does not carry it out of 0x3?; the three multiplies then combine
// digit pairs, then pairs of pairs, then the two halves (as in simdjson's and Lemire's
// 8-digit parsers).
inline uint64_t EightDigits(uint64_t word) {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL;
  constexpr uint64_t kZeros = 0x3030303030303030ULL;
  if ((word & kHigh) != kZeros || ((word + 0x0606060606060606ULL) & kHigh) != kZeros)
    return kNoIdKey;
  uint64_t v = word & 0x0F0F0F0F0F0F0F0FULL;
  v = (v * 2561) >> 8;                                          // 10 * a + b in each 16 bits
  v = ((v & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;            // 100 * ab + cd in each 32 bits
  return ((v & 0x0000FFFF0000FFFFULL) * 42949672960001) >> 32;  // 10^4 * abcd + efgh
}

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
  const size_t digits = id.size() - prefix.size();
  uint64_t value = 0;
  size_t scalar_end = id.size();  // the digits before it go one by one
  uint64_t last8 = 0;
  if (id.size() >= 8) {
    // The id's last 8 bytes in one load (most ids are 8 to 11 bytes). Prefix bytes among
    // them, when there are fewer than 8 digits, are read as '0' (leading zeros add nothing).
    uint64_t word;
    std::memcpy(&word, id.data() + id.size() - 8, 8);
    if (digits < 8) {
      const uint64_t prefix_bytes = (uint64_t{1} << (8 * (8 - digits))) - 1;
      word = (word & ~prefix_bytes) | (0x3030303030303030ULL & prefix_bytes);
    }
    last8 = EightDigits(word);
    if (last8 == kNoIdKey) return kNoIdKey;
    scalar_end = id.size() - 8;
  }
  for (size_t i = prefix.size(); i < scalar_end; ++i) {
    const unsigned d = static_cast<unsigned char>(id[i]) - unsigned{'0'};
    if (d > 9) return kNoIdKey;
    value = value * 10 + d;
  }
  if (scalar_end != id.size()) value = value * 100000000 + last8;
  return kIdKeyLengthBase[digits] + value;
}

}  // namespace ecompipe::transform::internal
