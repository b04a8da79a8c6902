// ObjectStore: the bucket that transaction and dimension files land in.
//
// An object is addressed by key ("transactions/year=2026/month=11/day=26/x.csv") and has an
// ETag that changes whenever its content does (S3's: the hex MD5 of the content for a
// single-part object). Backends: a local folder (storage/local/), later S3.
//
// Contract: Put() is atomic: a reader or watcher sees either no object or the whole object.
// Thread-safety: implementations are safe to call from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace ecompipe::storage {

struct ObjectRef {
  std::string bucket;
  std::string key;
  std::string etag;  // hex, no quotes
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // last modification, epoch milliseconds
};

// A forward-only byte source. Read() returns the number of bytes read, 0 at the end.
class InputStream {
 public:
  virtual ~InputStream() = default;
  virtual Result<size_t> Read(char* buffer, size_t capacity) = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual const std::string& bucket() const = 0;
  // How messages name the bucket: its folder, or "bucket 'b' at http://…". Default: bucket().
  virtual std::string where() const { return bucket(); }
  // Every complete object whose key starts with `prefix`, in key order. Temporary files of
  // uploads in progress are never listed.
  virtual Result<std::vector<ObjectRef>> List(const std::string& prefix) const = 0;
  // How many objects List(prefix) returns, without the ETags a backend would have to compute
  // (the local folder hashes each file it has not hashed in this process): `ecompipe status`
  // counts the bucket at a cost that does not grow with its bytes. Default: List's size.
  virtual Result<size_t> CountObjects(const std::string& prefix) const;
  virtual Result<ObjectRef> Head(const std::string& key) const = 0;
  // The object's raw bytes (no decompression; see OpenDecoded in storage/compression.h).
  virtual Result<std::unique_ptr<InputStream>> Open(const ObjectRef& object) const = 0;
  // Lands `source` under `key` atomically and returns the new object.
  virtual Result<ObjectRef> Put(const std::string& key, const std::filesystem::path& source) = 0;
};

// A key is a relative '/'-separated path: not empty, at most 1024 bytes, valid UTF-8 with no
// control characters, no empty, "." or ".." segment, no leading '/'.
Status ValidateKey(const std::string& key);

// True for names that editors and downloaders use for files still being written
// ("x.csv.part", ".x.csv.swp", "x.csv~", ".#x.csv", "x.crdownload", "x.tmp", dot-files);
// these are never objects.
bool IsTemporaryName(const std::string& file_name);

}  // namespace ecompipe::storage
