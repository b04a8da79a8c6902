// CrawlObject, apart from crawler.cc so that the byte-level inference links without storage.
#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "catalog/crawler.h"
#include "storage/compression.h"

namespace ecompipe::catalog {
namespace {

// `s`, placed at the object. The code is kept, so retryable storage errors stay retryable; a
// place the storage layer named (other than the key itself) joins the message.
Status AtObject(const Status& s, const storage::ObjectRef& object, std::string_view doing) {
  std::string message = fmt::format("{}: {}", doing, s.message());
  if (!s.place().empty() && s.place() != object.key) {
    message = fmt::format("{}: {}: {}", doing, s.place(), s.message());
  }
  return Status(s.code(), std::move(message)).At(object.key);
}

}  // namespace

Result<CrawlResult> CrawlObject(const storage::ObjectStore& store, const storage::ObjectRef& object,
                                const CrawlHints& hints) {
  auto raw = store.Open(object);
  if (!raw.ok()) return AtObject(raw.status(), object, "opening the object");
  storage::Compression compression = storage::Compression::kNone;
  auto decoded = storage::OpenDecoded(std::move(raw).value(), &compression);
  if (!decoded.ok()) return AtObject(decoded.status(), object, "decoding the object");

  // One byte past the sample tells whether the sample is the whole object.
  std::string sample(kSampleBytes + 1, '\0');
  size_t filled = 0;
  while (filled < sample.size()) {
    auto n = decoded.value()->Read(sample.data() + filled, sample.size() - filled);
    if (!n.ok()) return AtObject(n.status(), object, "reading a sample");
    if (*n == 0) break;
    filled += *n;
  }
  const bool whole = filled <= kSampleBytes;
  sample.resize(std::min(filled, kSampleBytes));

  auto schema = InferSchema(sample, whole, hints);
  if (!schema.ok()) {
    std::string message = schema.status().message();
    if (compression != storage::Compression::kNone) {
      message +=
          fmt::format(" (in the {}-decompressed content)", storage::CompressionName(compression));
    }
    return Status(schema.status().code(), std::move(message)).At(object.key);
  }
  CrawlResult result;
  result.table = TableNameFor(object.key);
  result.schema = std::move(schema).value();
  result.schema.compression = compression;
  result.partition = ParsePartitions(object.key);
  return result;
}

}  // namespace ecompipe::catalog
