// Test doubles for the transform tests: in-memory and generated InputStreams that hand out
// data in configurable pieces (to put chunk boundaries everywhere), and a collecting sink.
#pragma once

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "storage/object_store.h"
#include "transform/record_reader.h"
#include "transform/transaction_job.h"

namespace ecompipe::transform::testing {

// Serves `data` in pieces of at most `piece` bytes; optionally fails after `fail_after` bytes.
class StringInputStream : public storage::InputStream {
 public:
  explicit StringInputStream(std::string data, size_t piece = SIZE_MAX,
                             size_t fail_after = SIZE_MAX)
      : data_(std::move(data)), piece_(piece), fail_after_(fail_after) {}

  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (pos_ >= fail_after_) return Status::CorruptInput("gzip stream truncated").At("byte 77");
    size_t n = std::min({capacity, piece_, data_.size() - pos_, fail_after_ - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t piece_;
  size_t fail_after_;
  size_t pos_ = 0;
};

// Concatenates parts, where a part may be a generated run of one byte repeated `count` times,
// without ever holding the whole stream (for multi-megabyte records).
class GeneratedInputStream : public storage::InputStream {
 public:
  struct Part {
    std::string text;
    char fill = 0;
    size_t count = 0;  // when > 0: `fill` repeated count times instead of `text`
  };
  explicit GeneratedInputStream(std::vector<Part> parts) : parts_(std::move(parts)) {}

  Result<size_t> Read(char* buffer, size_t capacity) override {
    while (part_ < parts_.size()) {
      const Part& p = parts_[part_];
      const size_t size = p.count > 0 ? p.count : p.text.size();
      if (offset_ < size) {
        const size_t n = std::min(capacity, size - offset_);
        if (p.count > 0) {
          std::memset(buffer, p.fill, n);
        } else {
          std::memcpy(buffer, p.text.data() + offset_, n);
        }
        offset_ += n;
        return n;
      }
      ++part_;
      offset_ = 0;
    }
    return size_t{0};
  }

 private:
  std::vector<Part> parts_;
  size_t part_ = 0;
  size_t offset_ = 0;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A record copied out of the reader.
struct OwnedRecord {
  int64_t line = 0;
  std::string raw;
  size_t bytes = 0;
  std::vector<std::string> fields;
  bool too_long = false;
  std::string malformed;
};

inline Result<std::vector<OwnedRecord>> ReadAll(RecordReader& reader) {
  std::vector<OwnedRecord> out;
  while (true) {
    EP_ASSIGN_OR_RETURN(const Record* r, reader.Next());
    if (r == nullptr) return out;
    OwnedRecord o{r->line, std::string(r->raw), r->bytes, {}, r->too_long, r->malformed};
    for (std::string_view f : r->fields) o.fields.emplace_back(f);
    out.push_back(std::move(o));
  }
}

class CollectingSink : public RowSink {
 public:
  Status AddFacts(std::vector<model::FactRow>& rows) override {
    ++fact_batches;
    for (model::FactRow& r : rows) facts.push_back(std::move(r));
    return Status::Ok();
  }
  Status AddRejects(std::vector<model::RejectRow>& rows) override {
    for (model::RejectRow& r : rows) rejects.push_back(std::move(r));
    return Status::Ok();
  }
  std::vector<model::FactRow> facts;
  std::vector<model::RejectRow> rejects;
  int fact_batches = 0;
};

}  // namespace ecompipe::transform::testing
