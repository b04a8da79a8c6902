// JsonLinesReader on arbitrary bytes, read over the text in memory (parsed in place, with
// simdjson's padding after it) and over a stream serving it in pieces of 1 to 16 bytes: the two
// must agree record for record (fuzz_records.h), and a well-formed line has one field per wanted
// column. Then again with a small record limit. The wanted columns are the reference job's plus
// a few names the seeds use, so that values of every JSON kind are read.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_records.h"
#include "transform/json_lines_reader.h"
#include "transform/test_streams.h"

namespace {

using ecompipe::transform::JsonLineParser;
using ecompipe::transform::JsonLinesOptions;
using ecompipe::transform::JsonLinesReader;

const std::vector<std::string> kColumns = {
    "transaction_id",   "customer_id", "product_id", "quantity", "price",
    "transaction_date", "a",           "b",          ""};

void ReadEveryWay(std::string_view text, const JsonLinesOptions& options, size_t piece) {
  // The in-memory reader may read kPadding bytes past the text: give it exactly that many.
  std::string padded(text);
  padded.append(JsonLinesReader::kPadding, '\0');
  JsonLineParser parser;
  JsonLinesReader in_memory(std::string_view(padded.data(), text.size()), JsonLinesReader::kPadding,
                            kColumns, options, parser);
  ecompipe::transform::testing::StringInputStream stream{std::string(text), piece};
  JsonLinesOptions streamed_options = options;
  streamed_options.chunk_size = piece;
  JsonLinesReader streamed(stream, kColumns, streamed_options);
  const auto records = ecompipe::fuzz::ReadAll(in_memory);
  for (const auto& r : records) {
    FUZZ_CHECK(r.too_long || !r.malformed.empty() || r.fields.size() == kColumns.size(),
               "a well-formed line without one field per column");
  }
  ecompipe::fuzz::ExpectSameRecords(records, ecompipe::fuzz::ReadAll(streamed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ReadEveryWay(text, JsonLinesOptions{}, 1 + (size % 16));
  JsonLinesOptions small;
  small.max_record_bytes = 16 + size % 32;
  small.skip_bom = (size & 1) != 0;
  ReadEveryWay(text, small, 1 + (size % 5));
  return 0;
}
