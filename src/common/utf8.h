// UTF-8, decoded and validated in one place (RFC 3629): object keys, the crawler's text check,
// event-pattern case folding, text made storable for PostgreSQL. Pure functions: thread-safe.
// Inline: callers run them on every byte of keys and samples.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ecompipe {

// DecodeUtf8's result when `s` ends inside a sequence that is valid as far as it goes.
inline constexpr int kUtf8Truncated = -1;

// Decodes the UTF-8 sequence that starts at s[i] (i < s.size()) into `code_point`. Returns its
// length, 1 to 4; 0 when the bytes there are not UTF-8 (a continuation or invalid lead byte,
// an overlong form, a surrogate, a code point past U+10FFFF, a bad continuation byte); or
// kUtf8Truncated when `s` ends first. `code_point` is set only for a length of 1 to 4.
inline int DecodeUtf8(std::string_view s, size_t i, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  int length;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  char32_t cp;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < length; ++k) {
    if (i + static_cast<size_t>(k) >= s.size()) return kUtf8Truncated;
    const auto c = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  code_point = cp;
  return length;
}

// The length of the UTF-8 sequence at s[i] as DecodeUtf8 gives it, without the code point.
inline int Utf8SequenceLength(std::string_view s, size_t i) {
  char32_t code_point;
  return DecodeUtf8(s, i, code_point);
}

// Appends `code_point` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(char32_t code_point, std::string& out);

}  // namespace ecompipe
