#include "transform/internal/chunk_buffer.h"

#include <algorithm>
#include <cstring>

namespace ecompipe::transform::internal {

ChunkBuffer::ChunkBuffer(storage::InputStream& in, size_t chunk_size)
    : in_(&in), chunk_size_(std::max<size_t>(chunk_size, 1)) {}

ChunkBuffer::ChunkBuffer(std::string_view data)
    : in_(nullptr),
      chunk_size_(1),
      base_(data.data()),
      capacity_(data.size()),
      end_(data.size()),
      eof_(true) {}

Result<bool> ChunkBuffer::Fill() {
  if (eof_) return false;
  if (capacity_ - end_ < chunk_size_) {
    const size_t live = available();
    if (capacity_ - live >= chunk_size_) {
      std::memmove(data_.get(), begin(), live);
    } else {
      // The unconsumed bytes fill the buffer: grow geometrically so that a long record
      // costs amortised O(1) copies per byte.
      const size_t new_capacity = std::max(capacity_ * 2, live + chunk_size_);
      auto bigger = std::make_unique_for_overwrite<char[]>(new_capacity);
      if (live > 0) std::memcpy(bigger.get(), begin(), live);
      data_ = std::move(bigger);
      base_ = data_.get();
      capacity_ = new_capacity;
    }
    pos_ = 0;
    end_ = live;
  }
  EP_ASSIGN_OR_RETURN(size_t n, in_->Read(data_.get() + end_, capacity_ - end_));
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += n;
  return true;
}

}  // namespace ecompipe::transform::internal
