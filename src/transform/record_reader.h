// RecordReader: the common shape of the job's input readers (CSV, JSON Lines). A reader pulls
// an object's decoded bytes from a storage::InputStream in chunks and yields one record at a
// time, so memory stays bounded by the chunk size and the record size limit, not by the
// object's size.
//
// Ownership: a reader borrows the InputStream, which must outlive it. A yielded Record and
// every view in it belong to the reader and stay valid until the next call to Next().
// Thread-safety: none; use one reader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ecompipe::transform {

// Raw text kept for a record that exceeds the size limit.
inline constexpr size_t kMaxRawBytes = 64 * 1024;

struct Record {
  int64_t line = 0;      // 1-based physical line where the record starts
  std::string_view raw;  // the record's text without its line terminator;
                         // at most kMaxRawBytes (cut at a UTF-8 boundary) when too_long
  size_t bytes = 0;      // the full length of the record's text
  std::vector<std::string_view> fields;  // unquoted/unescaped values; empty when too_long
  bool too_long = false;                 // bytes > the reader's max_record_bytes
  std::string malformed;                 // empty when well-formed, else why ("unclosed quote ...")
  // Set by the CSV reader for a record with no quote char at all: then no field holds the
  // delimiter, a quote or a LF (but one may hold a CR). False says nothing.
  bool unquoted = false;
};

// `text`, or its longest prefix of at most kMaxRawBytes that does not split a UTF-8 sequence.
std::string_view TruncateRaw(std::string_view text);
// Appends to `prefix` as much of `text` as TruncateRaw() may need (kMaxRawBytes + 3 bytes in
// all), so that a record skipped piece by piece gets the same raw as one read whole.
void KeepRawPrefix(std::string& prefix, std::string_view text);

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The next record, or nullptr at the end of the input. Blank lines are skipped. A record
  // that is too long or malformed is still yielded (flagged), and reading continues after
  // it. An error Status is the InputStream's, returned unchanged; the reader is then done.
  virtual Result<const Record*> Next() = 0;
  // 1-based physical line where the next record starts: the one being read when Next()
  // fails, for error messages about the stream.
  virtual int64_t line() const = 0;
};

}  // namespace ecompipe::transform
