// The record readers' differential check, shared by the CSV and JSON Lines targets: a reader over
// text in memory and one over a stream serving the same text in small pieces (every record split
// across reads at every place) must yield the same records, each within the Record contract.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "transform/record_reader.h"

namespace ecompipe::fuzz {

// A Record with its views copied, to outlive the reader's next call.
struct RecordCopy {
  int64_t line;
  std::string raw;
  size_t bytes;
  std::vector<std::string> fields;
  bool too_long;
  std::string malformed;
  bool operator==(const RecordCopy&) const = default;
};

// Every record of `reader`, checked against the contract of transform::Record as it comes.
inline std::vector<RecordCopy> ReadAll(transform::RecordReader& reader) {
  std::vector<RecordCopy> out;
  while (true) {
    auto next = reader.Next();
    FUZZ_CHECK(next.ok(), "a reader over good bytes failed");
    const transform::Record* r = *next;
    if (r == nullptr) break;
    FUZZ_CHECK(r->raw.size() <= r->bytes, "raw longer than the record");
    FUZZ_CHECK(!r->too_long || r->fields.empty(), "too-long record with fields");
    FUZZ_CHECK(r->raw.size() <= transform::kMaxRawBytes, "raw over kMaxRawBytes");
    FUZZ_CHECK(out.empty() || r->line > out.back().line, "line numbers do not increase");
    RecordCopy c{r->line, std::string(r->raw), r->bytes, {}, r->too_long, r->malformed};
    for (auto f : r->fields) c.fields.emplace_back(f);
    out.push_back(std::move(c));
  }
  return out;
}

inline void ExpectSameRecords(const std::vector<RecordCopy>& in_memory,
                              const std::vector<RecordCopy>& streamed) {
  FUZZ_CHECK(in_memory.size() == streamed.size(), "record counts differ between memory and stream");
  for (size_t i = 0; i < in_memory.size(); ++i) {
    FUZZ_CHECK(in_memory[i] == streamed[i], "record " + std::to_string(i) + " differs (line " +
                                                std::to_string(in_memory[i].line) + ")");
  }
}

}  // namespace ecompipe::fuzz
