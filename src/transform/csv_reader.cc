#include "transform/csv_reader.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ecompipe::transform {

Status CsvReader::CheckOptions(const CsvOptions& options) {
  const auto bad = [](char c) { return c == '\n' || c == '\r'; };
  if (options.delimiter == options.quote || bad(options.delimiter) || bad(options.quote)) {
    return Status::InvalidArgument("CSV delimiter and quote must differ and must not be CR or LF");
  }
  return Status::Ok();
}

CsvReader::CsvReader(storage::InputStream& in, const CsvOptions& options)
    : buffer_(in, options.chunk_size),
      delimiter_(options.delimiter),
      quote_(options.quote),
      max_record_bytes_(options.max_record_bytes),
      skip_bom_(options.skip_bom) {}

CsvReader::CsvReader(std::string_view text, const CsvOptions& options)
    : buffer_(text),
      delimiter_(options.delimiter),
      quote_(options.quote),
      max_record_bytes_(options.max_record_bytes),
      skip_bom_(options.skip_bom) {}

Status CsvReader::SkipBom() {
  while (buffer_.available() < 3) {
    EP_ASSIGN_OR_RETURN(bool more, buffer_.Fill());
    if (!more) break;
  }
  if (buffer_.available() >= 3 && std::memcmp(buffer_.begin(), "\xEF\xBB\xBF", 3) == 0) {
    buffer_.Consume(3);
  }
  return Status::Ok();
}

Result<const Record*> CsvReader::Next() {
  if (!started_) {
    if (skip_bom_) EP_RETURN_IF_ERROR(SkipBom());
    started_ = true;
  }
  while (true) {
    record_.malformed.clear();
    record_.too_long = false;
    const Simple simple = TrySimpleRecord();
    if (simple == Simple::kRecord) return &record_;
    if (simple == Simple::kBlank) continue;

    state_ = State::kFieldStart;
    scan_ = 0;
    field_begin_ = field_end_ = 0;
    field_escaped_ = false;
    quoted_newlines_ = 0;
    spans_.clear();
    field_count_ = 0;
    skipping_ = false;
    skipped_bytes_ = 0;
    last_skipped_byte_ = 0;
    bool found = Scan();
    while (!found) {
      if (!skipping_ && scan_ > max_record_bytes_ + 1) {
        // Even without a trailing CR the record is longer than allowed: keep its start
        // for the reject row and drop the rest as it is scanned.
        skipping_ = true;
        truncated_raw_.clear();
      }
      if (skipping_) {
        KeepRawPrefix(truncated_raw_, std::string_view(buffer_.begin(), scan_));
        if (scan_ > 0) last_skipped_byte_ = buffer_.begin()[scan_ - 1];
        skipped_bytes_ += scan_;
        buffer_.Consume(scan_);
        scan_ = field_begin_ = field_end_ = 0;
      }
      EP_ASSIGN_OR_RETURN(bool more, buffer_.Fill());
      if (!more) break;
      found = Scan();
    }
    if (!found && skipped_bytes_ == 0 && buffer_.available() == 0) return nullptr;
    if (FinishRecord(found ? record_end_ : buffer_.available(), !found)) return &record_;
  }
}

CsvReader::Simple CsvReader::TrySimpleRecord() {
  const char* const begin = buffer_.begin();
  // The record and its LF must lie within the longest record allowed.
  const size_t limit = std::min(buffer_.available(), max_record_bytes_ + 1);
  constexpr size_t kNoEnd = ~size_t{0};
  size_t length = kNoEnd;  // offset of the record's LF, once found
  record_.fields.clear();
  const char* field = begin;  // where the current field starts
  const auto end_field = [&](const char* delimiter) {
    record_.fields.emplace_back(field, static_cast<size_t>(delimiter - field));
    field = delimiter + 1;
  };
  // One pass finds the LF, the delimiters and any quote char (which sends the record to the
  // general path), 16 bytes at a time; the bytes of a block past the LF are the next
  // record's and are masked off. Only the last few bytes of the buffer go one by one.
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i delimiter = _mm_set1_epi8(delimiter_);
  const __m128i quote = _mm_set1_epi8(quote_);
  for (; i + 16 <= limit; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin + i));
    const auto lfs = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, lf)));
    auto delimiters = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, delimiter)));
    auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, quote)));
    if (lfs != 0) {
      const unsigned before_lf = (lfs & (0 - lfs)) - 1;  // the bits below the first LF
      delimiters &= before_lf;
      quotes &= before_lf;
      length = i + static_cast<size_t>(__builtin_ctz(lfs));
    }
    if (quotes != 0) return Simple::kNotApplicable;
    for (; delimiters != 0; delimiters &= delimiters - 1)
      end_field(begin + i + __builtin_ctz(delimiters));
    if (length != kNoEnd) break;
  }
#endif
  for (; length == kNoEnd && i < limit; ++i) {
    const char c = begin[i];
    if (c == '\n') {
      length = i;
    } else if (c == quote_) {
      return Simple::kNotApplicable;
    } else if (c == delimiter_) {
      end_field(begin + i);
    }
  }
  if (length == kNoEnd) return Simple::kNotApplicable;  // the record is not wholly here
  const size_t raw_length = (length > 0 && begin[length - 1] == '\r') ? length - 1 : length;
  if (raw_length == 0) {
    ++line_;
    buffer_.Consume(length + 1);
    return Simple::kBlank;
  }
  record_.fields.emplace_back(field, static_cast<size_t>(begin + raw_length - field));
  record_.raw = std::string_view(begin, raw_length);
  record_.bytes = raw_length;
  record_.unquoted = true;
  record_.line = line_++;
  buffer_.Consume(length + 1);  // the views stay valid until the next Fill()
  return Simple::kRecord;
}

void CsvReader::PushField(size_t begin, size_t end, bool escaped) {
  ++field_count_;
  if (!skipping_) spans_.push_back(Span{begin, end, escaped});
}

void CsvReader::MarkStray() {
  if (record_.malformed.empty()) {
    record_.malformed =
        "unexpected character after the closing quote of field " + std::to_string(field_count_ + 1);
  }
  // Read on as an unquoted field so the record still ends where a lenient reader ends it.
  state_ = State::kUnquoted;
}

bool CsvReader::Scan() {
  const char* const base = buffer_.begin();
  const size_t n = buffer_.available();
  size_t i = scan_;
  while (i < n) {
    switch (state_) {
      case State::kFieldStart: {
        const char c = base[i];
        if (c == quote_) {
          state_ = State::kQuoted;
          field_begin_ = i + 1;
          field_escaped_ = false;
          ++i;
        } else if (c == delimiter_) {
          PushField(i, i, false);
          ++i;
        } else if (c == '\n') {
          PushField(i, i, false);
          record_end_ = scan_ = i;
          return true;
        } else {
          state_ = State::kUnquoted;
          field_begin_ = i;
        }
        break;
      }
      case State::kUnquoted: {
        size_t j = i;
        while (j < n && base[j] != delimiter_ && base[j] != '\n') ++j;
        if (j == n) {
          i = n;
          break;
        }
        if (base[j] == delimiter_) {
          PushField(field_begin_, j, false);
          state_ = State::kFieldStart;
          i = j + 1;
          break;
        }
        const size_t field_end = (j > field_begin_ && base[j - 1] == '\r') ? j - 1 : j;
        PushField(field_begin_, field_end, false);
        record_end_ = scan_ = j;
        return true;
      }
      case State::kQuoted: {
        const auto* q = static_cast<const char*>(std::memchr(base + i, quote_, n - i));
        const size_t j = q != nullptr ? static_cast<size_t>(q - base) : n;
        quoted_newlines_ += std::count(base + i, base + j, '\n');
        if (q == nullptr) {
          i = n;
          break;
        }
        field_end_ = j;
        state_ = State::kQuoteInQuoted;
        i = j + 1;
        break;
      }
      case State::kQuoteInQuoted: {
        const char c = base[i];
        if (c == quote_) {
          field_escaped_ = true;
          state_ = State::kQuoted;
          ++i;
        } else if (c == delimiter_) {
          PushField(field_begin_, field_end_, field_escaped_);
          state_ = State::kFieldStart;
          ++i;
        } else if (c == '\n') {
          PushField(field_begin_, field_end_, field_escaped_);
          record_end_ = scan_ = i;
          return true;
        } else if (c == '\r') {
          state_ = State::kCrAfterQuote;
          ++i;
        } else {
          MarkStray();
        }
        break;
      }
      case State::kCrAfterQuote: {
        if (base[i] == '\n') {
          PushField(field_begin_, field_end_, field_escaped_);
          record_end_ = scan_ = i;
          return true;
        }
        MarkStray();
        break;
      }
    }
  }
  scan_ = n;
  return false;
}

bool CsvReader::FinishRecord(size_t end, bool at_eof) {
  const char* const base = buffer_.begin();
  if (at_eof) {
    switch (state_) {
      case State::kFieldStart:
        PushField(end, end, false);  // the input ended right after a delimiter
        break;
      case State::kUnquoted:
        PushField(field_begin_, (end > field_begin_ && base[end - 1] == '\r') ? end - 1 : end,
                  false);
        break;
      case State::kQuoted:
        record_.malformed =
            "unclosed quote at end of input in field " + std::to_string(field_count_ + 1);
        PushField(field_begin_, end, false);
        break;
      case State::kQuoteInQuoted:
      case State::kCrAfterQuote:
        PushField(field_begin_, field_end_, field_escaped_);
        break;
    }
  }
  const char last_byte = end > 0 ? base[end - 1] : last_skipped_byte_;
  const bool strip_cr = last_byte == '\r' && skipped_bytes_ + end > 0 && state_ != State::kQuoted;
  record_.line = line_;
  record_.unquoted = false;
  line_ += quoted_newlines_ + (at_eof ? 0 : 1);
  buffer_.Consume(at_eof ? end : end + 1);  // views stay valid until the next Fill()
  record_.fields.clear();

  if (skipping_) {
    KeepRawPrefix(truncated_raw_, std::string_view(base, end));
    record_.too_long = true;
    record_.bytes = skipped_bytes_ + end - (strip_cr ? 1 : 0);
    if (truncated_raw_.size() > record_.bytes) truncated_raw_.resize(record_.bytes);
    record_.raw = TruncateRaw(truncated_raw_);
    return true;
  }
  const size_t raw_length = strip_cr ? end - 1 : end;
  if (raw_length == 0) return false;  // a blank line
  record_.bytes = raw_length;
  if (raw_length > max_record_bytes_) {
    record_.too_long = true;
    record_.raw = TruncateRaw(std::string_view(base, raw_length));
    return true;
  }
  record_.raw = std::string_view(base, raw_length);

  // Unescape into one string reserved up front, so views into it stay valid.
  size_t escaped_bytes = 0;
  for (const Span& s : spans_) {
    if (s.escaped) escaped_bytes += s.end - s.begin;
  }
  unescaped_.clear();
  unescaped_.reserve(escaped_bytes);
  for (const Span& s : spans_) {
    if (!s.escaped) {
      record_.fields.emplace_back(base + s.begin, s.end - s.begin);
      continue;
    }
    const size_t start = unescaped_.size();
    for (size_t k = s.begin; k < s.end; ++k) {
      unescaped_.push_back(base[k]);
      if (base[k] == quote_) ++k;  // the second quote of a doubled pair
    }
    record_.fields.emplace_back(unescaped_.data() + start, unescaped_.size() - start);
  }
  return true;
}

}  // namespace ecompipe::transform
