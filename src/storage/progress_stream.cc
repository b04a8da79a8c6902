#include "storage/progress_stream.h"

#include <utility>

#include "common/progress.h"

namespace ecompipe::storage {
namespace {

class ProgressStream final : public InputStream {
 public:
  explicit ProgressStream(std::unique_ptr<InputStream> in) : in_(std::move(in)) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    Result<size_t> n = in_->Read(buffer, capacity);
    if (n.ok()) progress::Add(*n);
    return n;
  }

 private:
  std::unique_ptr<InputStream> in_;
};

}  // namespace

std::unique_ptr<InputStream> WithProgress(std::unique_ptr<InputStream> in) {
  return std::make_unique<ProgressStream>(std::move(in));
}

}  // namespace ecompipe::storage
