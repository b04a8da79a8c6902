// CsvReader on arbitrary bytes, read over the text in memory and over a stream serving it in
// pieces of 1 to 16 bytes: the two must agree record for record (fuzz_records.h). Then again
// with a small record limit, ';' and '\'' as delimiter and quote, so that too-long records are
// skipped piece by piece. Crashes, sanitizer reports and any difference are findings.
#include <cstdint>
#include <string>

#include "fuzz_records.h"
#include "transform/csv_reader.h"
#include "transform/test_streams.h"

namespace {

using ecompipe::transform::CsvOptions;
using ecompipe::transform::CsvReader;

void ReadEveryWay(std::string_view text, const CsvOptions& options, size_t piece) {
  CsvReader in_memory(text, options);
  ecompipe::transform::testing::StringInputStream stream{std::string(text), piece};
  CsvOptions streamed_options = options;
  streamed_options.chunk_size = piece;
  CsvReader streamed(stream, streamed_options);
  ecompipe::fuzz::ExpectSameRecords(ecompipe::fuzz::ReadAll(in_memory),
                                    ecompipe::fuzz::ReadAll(streamed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ReadEveryWay(text, CsvOptions{}, 1 + (size % 16));
  CsvOptions small;
  small.delimiter = ';';
  small.quote = '\'';
  small.max_record_bytes = 8 + size % 24;
  small.skip_bom = (size & 1) != 0;
  ReadEveryWay(text, small, 1 + (size % 5));
  return 0;
}
