// CSV fields as every writer of rows in ecompipe quotes them (RFC 4180): a field is written as
// is, or quoted with its quotes doubled when it holds the delimiter ',', a quote, CR or LF.
// Pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ecompipe::model {

// True when `value` must be quoted as a CSV field (it holds ',', '"', CR or LF). Eight bytes
// at a time: a byte equal to c is a zero byte of word ^ (c in every byte), and
// (x - 0x01..01) & ~x & 0x80..80 is non-zero exactly when x has a zero byte. Inline: the job
// tests every text field it writes.
inline bool NeedsCsvQuotes(std::string_view value) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const auto zero_bytes = [](uint64_t word, char c) {  // non-zero when word holds c
    const uint64_t x = word ^ (kOnes * static_cast<uint8_t>(c));
    return (x - kOnes) & ~x & kHighs;
  };
  size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, value.data() + i, 8);
    // All four tests, and one branch.
    if ((zero_bytes(word, ',') | zero_bytes(word, '"') | zero_bytes(word, '\r') |
         zero_bytes(word, '\n')) != 0) {
      return true;
    }
  }
  for (; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

// Appends `value` to `out` as one CSV field: as is, or quoted with quotes doubled when it
// holds the delimiter ',', a quote, CR or LF.
void AppendCsvField(std::string& out, std::string_view value);

}  // namespace ecompipe::model
