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
// Over text in memory (a chunk cut at line feeds by the parallel engine) the reader parses
// each line in place when the caller vouches for enough allocated bytes after the text
// (kPadding), and borrows a JsonLineParser so that one parser serves many chunks.
//
// Thread-safety: none (see RecordReader); likewise for JsonLineParser.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"
#include "transform/internal/chunk_buffer.h"
#include "transform/record_reader.h"

namespace ecompipe::transform {

struct JsonLinesOptions {
  size_t max_record_bytes = 1 << 20;
  size_t chunk_size = 1 << 20;
  bool skip_bom = true;  // false for text that does not start an object
};

// simdjson's parser and a scratch buffer, reused from line to line and reader to reader.
class JsonLineParser {
 public:
  JsonLineParser();
  ~JsonLineParser();
  JsonLineParser(JsonLineParser&&) noexcept;
  JsonLineParser& operator=(JsonLineParser&&) noexcept;

 private:
  friend class JsonLinesReader;
  struct Impl;  // hides simdjson from includers
  std::unique_ptr<Impl> impl_;
};

class JsonLinesReader final : public RecordReader {
 public:
  // Allocated bytes after a text in memory that let every line be parsed in place
  // (simdjson's SIMDJSON_PADDING).
  static constexpr size_t kPadding = 64;

  // `in` must outlive the reader.
  JsonLinesReader(storage::InputStream& in, std::vector<std::string> columns,
                  const JsonLinesOptions& options);
  // Over `text` (not owned); `padding` allocated bytes follow it (any content). `text` and
  // `parser` must outlive the reader.
  JsonLinesReader(std::string_view text, size_t padding, std::vector<std::string> columns,
                  const JsonLinesOptions& options, JsonLineParser& parser);
  ~JsonLinesReader() override;

  Result<const Record*> Next() override;
  int64_t line() const override { return line_; }

  // The read buffer's current size, for tests of the memory bound.
  size_t buffer_capacity() const { return buffer_.capacity(); }
  // The bytes read from the stream and not yet part of a yielded record (valid until the
  // next Next()).
  std::string_view unread() const { return {buffer_.begin(), buffer_.available()}; }

 private:
  // Fills record_.fields from record_.raw, or sets record_.malformed.
  void Parse();

  internal::ChunkBuffer buffer_;
  std::vector<std::string> columns_;
  const size_t max_record_bytes_;
  // Over memory: the end of the bytes that may be read (the text's end plus its padding);
  // null over a stream, whose lines are parsed from a padded copy.
  const char* readable_end_ = nullptr;
  std::unique_ptr<JsonLineParser> own_parser_;  // over a stream
  JsonLineParser* parser_;
  bool started_ = false;
  int64_t line_ = 1;
  Record record_;
  std::string truncated_raw_;
};

}  // namespace ecompipe::transform
