// Writing CSV text fast: a growable output buffer written through raw pointers, and the
// field writers the file job formats its rows with. A field is copied with a few fixed-size
// (inlined) moves rather than one memcpy call or byte loop per field, since the job writes
// 13 short fields per row. Pure functions; OutBuffer has no thread-safety of its own.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "model/csv_field.h"
#include "model/money.h"

namespace ecompipe::transform::internal {

// A byte buffer that keeps its memory across clear(), so that a buffer reused chunk after
// chunk touches (and page-faults) its pages once.
class OutBuffer {
 public:
  // Room for `n` more bytes; write them from the returned pointer, then Commit(end).
  char* Reserve(size_t n) {
    if (size_ + n > capacity_) Grow(size_ + n);
    return data_.get() + size_;
  }
  void Commit(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

 private:
  void Grow(size_t needed) {
    const size_t capacity = std::max(capacity_ * 2, needed + 4096);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Copies `s` to `p` and returns the end. Reads and writes exactly s.size() bytes: two
// overlapping moves of 4, 8 or 16 bytes cover every length up to 32.
[[gnu::always_inline]] inline char* PutBytes(char* p, std::string_view s) {
  const size_t n = s.size();
  const char* src = s.data();
  if (n >= 16) {
    if (n > 32) {
      std::memcpy(p, src, n);
    } else {
      std::memcpy(p, src, 16);
      std::memcpy(p + n - 16, src + n - 16, 16);
    }
  } else if (n >= 8) {
    std::memcpy(p, src, 8);
    std::memcpy(p + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(p, src, 4);
    std::memcpy(p + n - 4, src + n - 4, 4);
  } else if (n > 0) {
    p[0] = src[0];
    p[n / 2] = src[n / 2];
    p[n - 1] = src[n - 1];
  }
  return p + n;
}

// Writes `value` as one CSV field (as model::AppendCsvField does); `p` has room for
// 2 * value.size() + 2 bytes.
inline char* PutCsvField(char* p, std::string_view value) {
  if (!model::NeedsCsvQuotes(value)) return PutBytes(p, value);
  *p++ = '"';
  for (char c : value) {
    *p++ = c;
    if (c == '"') *p++ = '"';
  }
  *p++ = '"';
  return p;
}

// At most 20 digits.
inline char* PutUnsigned(char* p, uint64_t value) { return std::to_chars(p, p + 20, value).ptr; }

// Non-negative cents with exactly 2 decimals ("5.00", "0.07"); at most 23 bytes.
inline char* PutMoney(char* p, model::Money m) {
  const auto cents = static_cast<uint64_t>(m.cents);
  p = PutUnsigned(p, cents / 100);
  const auto frac = static_cast<unsigned>(cents % 100);
  p[0] = '.';
  p[1] = static_cast<char>('0' + frac / 10);
  p[2] = static_cast<char>('0' + frac % 10);
  return p + 3;
}

// `text` is the canonical form PutMoney would write for its value: digits without a leading
// zero (or a lone 0), a point, two digits. The job then copies the input as is.
inline bool IsCanonicalMoney(std::string_view text) {
  const size_t n = text.size();
  return n >= 4 && text[n - 3] == '.' && (text[0] != '0' || n == 4);
}

}  // namespace ecompipe::transform::internal
