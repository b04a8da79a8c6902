// ChunkBuffer: a growable read buffer over an InputStream for the record readers. The
// reader looks at the unconsumed bytes [begin(), end()), consumes whole records, and calls
// Fill() when it needs more. Fill() may move the unconsumed bytes, so readers keep offsets
// from begin(), never pointers, across it. The buffer only grows when the unconsumed bytes
// fill it, so its size is bounded by the longest run of unconsumed bytes plus a chunk.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::transform::internal {

class ChunkBuffer {
 public:
  ChunkBuffer(storage::InputStream& in, size_t chunk_size);
  // Over bytes already in memory (not owned; they must outlive the buffer): nothing is
  // copied and Fill() has nothing to add.
  explicit ChunkBuffer(std::string_view data);

  const char* begin() const { return base_ + pos_; }
  const char* end() const { return base_ + end_; }
  size_t available() const { return end_ - pos_; }
  bool eof() const { return eof_; }
  size_t capacity() const { return capacity_; }

  // Drops the first `n` unconsumed bytes; n <= available().
  void Consume(size_t n) { pos_ += n; }

  // Appends at least one byte from the stream, or returns false at its end. Keeps the
  // unconsumed bytes (possibly at a new address). A stream error is returned as is.
  Result<bool> Fill();

 private:
  storage::InputStream* in_;  // null over memory
  size_t chunk_size_;
  std::unique_ptr<char[]> data_;
  const char* base_ = nullptr;  // data_.get(), or the bytes in memory
  size_t capacity_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

}  // namespace ecompipe::transform::internal
