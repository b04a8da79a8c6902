#include "transform/record_reader.h"

namespace ecompipe::transform {

std::string_view TruncateRaw(std::string_view text) {
  if (text.size() <= kMaxRawBytes) return text;
  size_t n = kMaxRawBytes;
  // Back off over at most 3 continuation bytes so a cut never creates invalid UTF-8.
  for (int i = 0; i < 3 && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80; ++i) --n;
  return text.substr(0, n);
}

void KeepRawPrefix(std::string& prefix, std::string_view text) {
  constexpr size_t kKeep = kMaxRawBytes + 3;
  if (prefix.size() < kKeep) prefix.append(text.substr(0, kKeep - prefix.size()));
}

}  // namespace ecompipe::transform
