// An ObjectStore held in memory, for tests that need a bucket without a folder or a server.
// Objects are put as text; the ETag is a hash of the content, so a new content makes a new
// version as in S3. Reads hand out at most read_size() bytes per call, so a reader goes
// through many calls on a small object (what a fault-injecting store counts).
//
// Thread-safety: every call may come from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::testing_util {

class MemoryObjectStore : public storage::ObjectStore {
 public:
  explicit MemoryObjectStore(std::string bucket = "test-bucket") : bucket_(std::move(bucket)) {}

  // Lands `content` under `key` (replacing what was there) and returns the new version.
  storage::ObjectRef PutText(const std::string& key, std::string content) {
    std::lock_guard lock(mu_);
    storage::ObjectRef ref{bucket_, key, Etag(content), content.size(), ++clock_ms_};
    objects_[key] = {ref, std::make_shared<const std::string>(std::move(content))};
    return ref;
  }
  void Remove(const std::string& key) {
    std::lock_guard lock(mu_);
    objects_.erase(key);
  }
  void set_read_size(size_t n) { read_size_ = std::max<size_t>(n, 1); }
  size_t read_size() const { return read_size_.load(); }

  const std::string& bucket() const override { return bucket_; }
  Result<std::vector<storage::ObjectRef>> List(const std::string& prefix) const override {
    std::lock_guard lock(mu_);
    std::vector<storage::ObjectRef> out;
    for (const auto& [key, object] : objects_)
      if (key.starts_with(prefix)) out.push_back(object.ref);
    return out;
  }
  Result<storage::ObjectRef> Head(const std::string& key) const override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("no such object").At(key);
    return it->second.ref;
  }
  Result<std::unique_ptr<storage::InputStream>> Open(
      const storage::ObjectRef& object) const override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(object.key);
    if (it == objects_.end() || (!object.etag.empty() && it->second.ref.etag != object.etag))
      return Status::NotFound("no such object version").At(object.key);
    return std::unique_ptr<storage::InputStream>(new Stream(it->second.content, read_size_.load()));
  }
  Result<storage::ObjectRef> Put(const std::string& key,
                                 const std::filesystem::path& source) override {
    std::ifstream in(source, std::ios::binary);
    if (!in) return Status::IoError("cannot read " + source.string());
    return PutText(key, std::string(std::istreambuf_iterator<char>(in), {}));
  }

 private:
  struct Object {
    storage::ObjectRef ref;
    std::shared_ptr<const std::string> content;
  };
  class Stream : public storage::InputStream {
   public:
    Stream(std::shared_ptr<const std::string> content, size_t read_size)
        : content_(std::move(content)), read_size_(read_size) {}
    Result<size_t> Read(char* buffer, size_t capacity) override {
      const size_t n = std::min({capacity, read_size_, content_->size() - offset_});
      std::memcpy(buffer, content_->data() + offset_, n);
      offset_ += n;
      return n;
    }

   private:
    std::shared_ptr<const std::string> content_;
    size_t read_size_;
    size_t offset_ = 0;
  };

  // FNV-1a, 64 bits, twice with different offsets: 32 hex digits like an MD5 ETag.
  static std::string Etag(const std::string& content) {
    auto fnv = [&](uint64_t h) {
      for (unsigned char c : content) h = (h ^ c) * 1099511628211ULL;
      return h;
    };
    return fmt::format("{:016x}{:016x}", fnv(14695981039346656037ULL), fnv(0x9e3779b97f4a7c15ULL));
  }

  const std::string bucket_;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
  int64_t clock_ms_ = 1'700'000'000'000;
  std::atomic<size_t> read_size_{1 << 20};
};

}  // namespace ecompipe::testing_util
