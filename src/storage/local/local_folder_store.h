// LocalFolderStore: an ObjectStore backed by a folder on the local file system; the default
// bucket. The object under key "a/b.csv" is the file <root>/a/b.csv.
//
// Objects are the regular files under the root, except temporary names (IsTemporaryName on
// the file name) and anything inside a folder named ".ecompipe-tmp", where Put() stages
// uploads. Files that users copy in directly become objects as they are; whether a file is
// complete is the watcher's business (storage/local/folder_watcher.h).
//
// Symbolic links are never followed, so nothing outside the bucket folder can be read, listed
// or written through one: every file system access goes through a BeneathFolder
// (storage/local/beneath_folder.h) opened on the root once, at Open(). A link, to a file or a
// folder, inside or outside the bucket, dangling or not, is not an object: List() skips it
// (logging "Skipped a symbolic link. key=… reason=…" once per key), Head()/Open() answer
// kNotFound, and Put()/Delete() refuse a key that is a link or passes through one with
// kInvalidArgument. FindLink() tells a caller which part of a key is a link. The root
// itself may be a link: it is resolved once, when the store opens. Hard links cannot be
// told from files and are served as the files they are.
//
// ETags are the lowercase hex MD5 of the content, as S3 computes them for single-part
// uploads, or the ETag an S3 client was given for that content (a multipart upload's
// "md5-of-parts-N", recorded by PutStream in <root>/.ecompipe-tmp/etags/ and valid while the
// file's MD5 is unchanged). They are cached in memory by (key, size, mtime, inode, device), so
// repeated Head() and List() calls hash only files that changed. Files modified in the last two
// seconds are hashed on every call: a rewrite within one timestamp tick would otherwise go
// unnoticed.
//
// Thread-safety: all methods may be called from several threads at once. Puts to the same
// key from several threads race; the last rename wins and each caller gets a consistent
// ObjectRef for what it wrote.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "storage/local/beneath_folder.h"
#include "storage/object_store.h"

namespace ecompipe::storage {

// The hidden folder (directly under the root) where Put() stages files before renaming them
// into place. Lists and watchers skip folders of this name.
inline constexpr std::string_view kStagingFolderName = ".ecompipe-tmp";

class LocalFolderStore final : public ObjectStore {
 public:
  // Opens the bucket `bucket_name` stored in `root`, creating `root` (and its staging
  // folder) if missing. Fails with kIoError when the folder cannot be created or is not a
  // folder, kInvalidArgument when `bucket_name` is empty.
  static Result<std::unique_ptr<LocalFolderStore>> Open(const std::filesystem::path& root,
                                                        std::string bucket_name);

  const std::string& bucket() const override { return bucket_; }

  // Walks the folder tree below the deepest folder named by `prefix`, in key (byte) order.
  // `prefix` need not end at a '/': "transactions/year=2026/mo" works. Files whose relative
  // path is not a valid key (ValidateKey) are skipped, as are files that vanish during the
  // walk. kInvalidArgument when the folder part of `prefix` is not a valid key path.
  Result<std::vector<ObjectRef>> List(const std::string& prefix) const override;
  // The files List(prefix) would describe, counted by the same walk without hashing them.
  Result<size_t> CountObjects(const std::string& prefix) const override;

  // kNotFound when there is no regular file at `key`; kInvalidArgument when `key` is not an
  // object key (see CheckObjectKey).
  Result<ObjectRef> Head(const std::string& key) const override;

  // Reads the file's current content with read(2) in large blocks. kInvalidArgument when
  // `object.bucket` is set and names another bucket; kNotFound when the file is gone. The
  // stream does not check `object.etag`: a file replaced after Head()/List() reads as its
  // new content (Put() replaces by rename, so a stream opened earlier keeps the old bytes).
  Result<std::unique_ptr<InputStream>> Open(const ObjectRef& object) const override;

  // Copies `source` into the staging folder, fsyncs it, creates the key's parent folders and
  // renames it into place, then fsyncs the parent folder. Atomic: readers and watchers see the
  // old object or the new one, never part of a file. The ETag is computed while copying.
  // Errors: kInvalidArgument for a bad key, kNotFound when `source` is missing, kIoError
  // otherwise (the staged file is removed).
  Result<ObjectRef> Put(const std::string& key, const std::filesystem::path& source) override;

  // Put() with the content given in memory.
  Result<ObjectRef> PutBytes(const std::string& key, std::string_view bytes);

  // Writes the new object's bytes through `sink`, which may be called any number of times.
  using ChunkSink = std::function<Status(const char* data, size_t size)>;
  using Producer = std::function<Status(const ChunkSink& sink)>;

  // Put() with the content streamed by `produce` (e.g. from a socket): staged, fsynced and
  // renamed into place only when `produce` returns OK. When `produce` fails, its Status is
  // returned and nothing of the upload is left behind. `s3_etag`, when given, is the ETag the
  // object has for S3 clients (a multipart upload's); it is recorded before the object appears,
  // so Head(), List() and the returned ObjectRef report it rather than the MD5. Without it, an
  // ETag recorded for an earlier object of the key is dropped.
  Result<ObjectRef> PutStream(const std::string& key, const Producer& produce,
                              const std::string& s3_etag = "") {
    return PutFrom(key, produce, s3_etag);
  }

  // Removes the object `key`. kNotFound when there is no regular file at `key`,
  // kInvalidArgument for a key that is not an object key. Empty parent folders stay (they
  // are not objects and List() does not show them).
  Status Delete(const std::string& key);

  // A read-only descriptor of the regular file of object `key` (for readers that need
  // pread(2), such as the S3 endpoint's ranged GET). Errors as Open().
  Result<UniqueFd> OpenObjectFile(const std::string& key) const;

  // The first part of `key` ("a/link" of "a/link/x.csv", or the key itself) that is a
  // symbolic link in the bucket folder, or nullopt. For telling a caller why a key failed.
  std::optional<std::string> FindLink(const std::string& key) const;

  // The folder `.ecompipe-tmp/<name>`, created if missing, where a user of the store (the S3
  // endpoint) keeps files that are not objects. Reached only through the returned folder,
  // which never follows links; kInvalidArgument when a link is on the way.
  Result<BeneathFolder> SideFolder(const std::string& name) const;

  // Where the object `key` would be, for messages and tests only: the store never opens
  // paths, and nor may its callers (a link on the path would be followed).
  std::filesystem::path PathOf(const std::string& key) const;

  // The configured root (absolute, possibly a link). The store uses the folder it resolved
  // to when it opened.
  const std::filesystem::path& root() const { return root_; }
  std::string where() const override { return root_.string(); }

  // ValidateKey, plus the rules of this backend: no segment longer than kMaxSegmentBytes (a
  // file or folder name), the file name is not a temporary name and no segment is the staging
  // folder. kInvalidArgument naming the key otherwise.
  static Status CheckObjectKey(const std::string& key);
  // Whether `key` is refused for its length: over 1024 bytes, or a segment over 255.
  static bool KeyTooLong(const std::string& key);
  static constexpr size_t kMaxSegmentBytes = 255;  // NAME_MAX of Linux file systems

 private:
  // List()'s walk: describes each object into `objects`, or, when `objects` is null, only
  // counts it in `count`.
  Status Walk(const std::string& prefix, std::vector<ObjectRef>* objects, size_t* count) const;
  struct FileIdentity {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t inode = 0;
    uint64_t device = 0;
    bool operator==(const FileIdentity&) const = default;
  };
  struct CachedEtag {
    FileIdentity identity;
    std::string etag;
  };
  LocalFolderStore(std::filesystem::path root, BeneathFolder folder, std::string bucket);

  // Head() of `key`, whose file is `name` in `parent`, once the key is known to be valid:
  // stats the file (not following a link) and hashes it unless cached.
  Result<ObjectRef> Describe(const BeneathFolder& parent, const std::string& name,
                             const std::string& key) const;
  // The folder holding `key`'s file, and the file's name in `name`. kNotFound when the
  // folder is missing, kInvalidArgument when a link is on the way.
  Result<BeneathFolder> ParentOf(const std::string& key, std::string& name) const;
  Result<ObjectRef> PutFrom(const std::string& key, const Producer& produce,
                            const std::string& s3_etag = "");
  // The ETag recorded for `key` if its content's MD5 is `md5`, else `md5`.
  std::string RecordedEtag(const std::string& key, std::string md5) const;
  bool LookUpEtag(const std::string& key, const FileIdentity& id, std::string& etag) const;
  void RememberEtag(const std::string& key, const FileIdentity& id, const std::string& etag) const;
  ObjectRef MakeRef(const std::string& key, const FileIdentity& id, std::string etag) const;

  const std::filesystem::path root_;
  const BeneathFolder folder_;  // the root, opened once
  const std::string bucket_;

  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, CachedEtag> etags_;  // guarded by mu_
};

// Logs "Skipped a symbolic link. key=… reason=…" at warning level, once per key and reason
// in this process (lists and rescans repeat; the log should not).
void LogSkippedLink(const std::string& key, std::string_view reason);

// Streams a regular file outside any bucket (e.g. a dimension file given on the command
// line). kNotFound when it does not exist or is not a regular file.
Result<std::unique_ptr<InputStream>> OpenLocalFile(const std::filesystem::path& path);

}  // namespace ecompipe::storage
