// CsvReader: a streaming RFC 4180 reader.
//
// Accepted input: records end at LF or CRLF (a lone CR is data); fields are separated by
// `delimiter`; a field that starts with `quote` is quoted and may contain delimiters, line
// breaks and doubled quotes ("" stands for "). A quote inside an unquoted field is data
// (5" screen). A UTF-8 byte order mark at the very start is skipped, a last record without
// a line break is read, and blank lines (nothing but the terminator) are skipped but
// counted, so line numbers stay physical.
//
// Hostile input: a record longer than `max_record_bytes` is skipped to its end (quotes
// respected) without buffering it and yielded with too_long set, its first kMaxRawBytes as
// raw and no fields. An unclosed quote at the end of the input, or text after a closing
// quote ("ab"c), yields a record with `malformed` set. NUL bytes and invalid UTF-8 are passed
// through: the caller checks raw.
//
// Memory: the buffer holds at most about 2 * (max_record_bytes + chunk_size) bytes.
// Thread-safety: none (see RecordReader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/object_store.h"
#include "transform/internal/chunk_buffer.h"
#include "transform/record_reader.h"

namespace ecompipe::transform {

struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  size_t max_record_bytes = 1 << 20;
  size_t chunk_size = 1 << 20;  // bytes asked of the stream per read
  // Skip a UTF-8 byte order mark at the start. Off for a chunk cut from the middle of an
  // object, whose first record may legitimately start with U+FEFF.
  bool skip_bom = true;
};

class CsvReader final : public RecordReader {
 public:
  // kInvalidArgument when the delimiter and quote are the same or either is CR or LF.
  static Status CheckOptions(const CsvOptions& options);

  // The caller guarantees CheckOptions(options).ok(); `in` must outlive the reader.
  CsvReader(storage::InputStream& in, const CsvOptions& options);
  // Over text already in memory, which must outlive the reader: nothing is copied.
  // options.chunk_size is not used.
  CsvReader(std::string_view text, const CsvOptions& options);

  Result<const Record*> Next() override;
  int64_t line() const override { return line_; }

  // The read buffer's current size, for tests of the memory bound.
  size_t buffer_capacity() const { return buffer_.capacity(); }
  // The bytes read from the stream and not yet part of a yielded record (valid until the
  // next Next()).
  std::string_view unread() const { return {buffer_.begin(), buffer_.available()}; }

 private:
  enum class State : uint8_t {
    kFieldStart,
    kUnquoted,
    kQuoted,
    kQuoteInQuoted,  // saw a quote inside a quoted field: an escape or the closing quote
    kCrAfterQuote,   // saw CR right after a closing quote
  };
  // A field's bytes as offsets from the record's start in the buffer.
  struct Span {
    size_t begin;
    size_t end;
    bool escaped;  // contains doubled quotes
  };

  Status SkipBom();
  enum class Simple : uint8_t { kNotApplicable, kBlank, kRecord };
  // Fast path for a record that is wholly in the buffer, short enough and free of quote
  // chars: split it in one SIMD pass. Touches nothing but record_.fields when it does not
  // apply.
  Simple TrySimpleRecord();
  // Scans the current record from scan_ with the saved state; true when its end was found
  // (then end_ is the offset of its LF, or of the end of input at EOF).
  bool Scan();
  void PushField(size_t begin, size_t end, bool escaped);
  void MarkStray();
  // Builds record_ from the scanned record ending at offset `end` (its LF, or the end of
  // input when `at_eof`), consumes it, and returns false when it was a blank line.
  bool FinishRecord(size_t end, bool at_eof);

  internal::ChunkBuffer buffer_;
  const char delimiter_;
  const char quote_;
  const size_t max_record_bytes_;
  const bool skip_bom_;
  bool started_ = false;
  int64_t line_ = 1;

  // State of the record being scanned.
  State state_ = State::kFieldStart;
  size_t scan_ = 0;
  size_t record_end_ = 0;  // set by Scan(): offset of the LF that ends the record
  size_t field_begin_ = 0;
  size_t field_end_ = 0;
  bool field_escaped_ = false;
  int64_t quoted_newlines_ = 0;
  std::vector<Span> spans_;
  size_t field_count_ = 0;  // fields ended so far, kept or not
  bool skipping_ = false;   // too long: scanned bytes are dropped, not kept
  size_t skipped_bytes_ = 0;
  char last_skipped_byte_ = 0;

  Record record_;
  std::string unescaped_;      // backing store of fields that held doubled quotes
  std::string truncated_raw_;  // backing store of a too-long record's raw
};

}  // namespace ecompipe::transform
