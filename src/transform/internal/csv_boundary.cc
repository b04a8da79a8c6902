#include "transform/internal/csv_boundary.h"

#include <cstring>

namespace ecompipe::transform::internal {

size_t FindLineEnd(std::string_view text, bool last) {
  const char* const data = text.data();
  const void* lf = last ? memrchr(data, '\n', text.size()) : std::memchr(data, '\n', text.size());
  if (lf == nullptr) return kNoBoundary;
  return static_cast<size_t>(static_cast<const char*>(lf) - data) + 1;
}

size_t FindRecordEnd(std::string_view text, char delimiter, char quote, bool last) {
  const char* const data = text.data();
  const size_t n = text.size();
  // Without quote chars every LF ends a record (CsvReader's quote-free fast path agrees).
  if (std::memchr(data, quote, n) == nullptr) return FindLineEnd(text, last);
  // CsvReader's state machine (csv_reader.cc, Scan), reduced to where records end.
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kCrAfterQuote };
  State state = State::kFieldStart;
  size_t found = kNoBoundary;
  for (size_t i = 0; i < n; ++i) {
    const char c = data[i];
    switch (state) {
      case State::kFieldStart:
        if (c == quote) {
          state = State::kQuoted;
        } else if (c == '\n') {
          found = i + 1;
          if (!last) return found;
        } else if (c != delimiter) {
          state = State::kUnquoted;
        }
        break;
      case State::kUnquoted:
        if (c == delimiter) {
          state = State::kFieldStart;
        } else if (c == '\n') {
          found = i + 1;
          if (!last) return found;
          state = State::kFieldStart;
        }
        break;
      case State::kQuoted: {
        const void* q = std::memchr(data + i, quote, n - i);
        if (q == nullptr) return found;
        i = static_cast<size_t>(static_cast<const char*>(q) - data);
        state = State::kQuoteInQuoted;
        break;
      }
      case State::kQuoteInQuoted:
      case State::kCrAfterQuote:
        if (state == State::kQuoteInQuoted && c == quote) {
          state = State::kQuoted;
        } else if (c == '\n') {
          found = i + 1;
          if (!last) return found;
          state = State::kFieldStart;
        } else if (state == State::kQuoteInQuoted && c == '\r') {
          state = State::kCrAfterQuote;
        } else if (c == delimiter) {
          state = State::kFieldStart;
        } else {
          state = State::kUnquoted;  // a stray char after the closing quote: read on unquoted
        }
        break;
    }
  }
  return found;
}

}  // namespace ecompipe::transform::internal
