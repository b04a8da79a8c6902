// JsonLinesReader: a streaming JSON Lines reader (one JSON object per line) with simdjson.
//
// It is built with the column names the caller wants and yields, for each line, one field
// per name in that order: a string's unescaped value, a number's text as written ("007"
// is not valid JSON; "1e2" stays "1e2"), "true"/"false", and the empty string for null or a
// missing key. Other keys are ignored; when a key repeats, the last value wins. A line that
// is not one JSON object, or whose wanted value is an object or array, yields a record with
// `malformed` set. Blank (whitespace-only) lines are skipped but counted; a trailing CR and
// a UTF-8 BOM at the start are ignored. Too-long lines are handled as in CsvReader.
//
// Thread-safety: none (see RecordReader).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "storage/object_store.h"
#include "transform/internal/chunk_buffer.h"
#include "transform/record_reader.h"

namespace ecompipe::transform {

struct JsonLinesOptions {
  size_t max_record_bytes = 1 << 20;
  size_t chunk_size = 1 << 20;
};

class JsonLinesReader final : public RecordReader {
 public:
  // `in` must outlive the reader.
  JsonLinesReader(storage::InputStream& in, std::vector<std::string> columns,
                  const JsonLinesOptions& options);
  ~JsonLinesReader() override;

  Result<const Record*> Next() override;
  int64_t line() const override { return line_; }

 private:
  struct Parser;  // hides simdjson from includers

  // Fills record_.fields from record_.raw, or sets record_.malformed.
  void Parse();

  internal::ChunkBuffer buffer_;
  std::vector<std::string> columns_;
  const size_t max_record_bytes_;
  std::unique_ptr<Parser> parser_;
  bool started_ = false;
  int64_t line_ = 1;
  Record record_;
  std::string truncated_raw_;
};

}  // namespace ecompipe::transform
