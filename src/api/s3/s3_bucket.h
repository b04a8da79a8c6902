// S3Bucket: the S3 view of the pipeline's bucket (a LocalFolderStore): S3 ETags and object
// metadata, and multipart uploads.
//
// Objects are the store's objects; every write goes through LocalFolderStore::PutStream, so
// an object appears atomically (staged, fsynced, renamed into place) and the folder watcher
// sees it land exactly as it sees a file copied in by hand: that rename is what turns into
// the pipeline's `Object Created` event. Nothing else signals the pipeline.
//
// What the folder cannot hold is kept beside it, under the store's staging folder (which
// lists and watchers skip):
//   .ecompipe-tmp/s3-meta/<sha256(key)>       JSON: the S3 ETag ("…-N" for multipart), the
//                                             content MD5 it belongs to, Content-Type and
//                                             x-amz-meta-* headers. Used only while the file's
//                                             MD5 still matches, so a file replaced by other
//                                             means reads with its plain MD5 ETag.
//   .ecompipe-tmp/s3-uploads/<upload id>/     one multipart upload: "key", "meta.json" and
//                                             parts "part-<NNNNN>-<md5 hex>".
// Parts are assembled on CompleteMultipartUpload by streaming them into one PutStream; the
// upload folder is then removed. Aborted uploads leave nothing behind. Side files are reached
// only through the store (LocalFolderStore::SideFolder), objects only through its methods:
// this class never builds a path, so no symbolic link is ever followed.
//
// Symbolic links: a key that is a link, or whose folder is (or passes through) one, is
// refused by every operation (GET, HEAD, PUT, COPY from or to it, DELETE, multipart) with
// 403 AccessDenied, naming the link by its key, never by a server path. Lists skip links.
//
// Thread-safety: all methods may be called from several threads; concurrent writes to one
// key race as LocalFolderStore's do (the last rename wins).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/s3/s3_error.h"
#include "storage/local/local_folder_store.h"

namespace ecompipe::api::s3 {

struct ObjectMeta {
  std::string content_type;                 // empty: application/octet-stream
  std::map<std::string, std::string> user;  // x-amz-meta-<name> -> value (name lower-case)
};

struct ObjectInfo {
  storage::ObjectRef ref;  // ref.etag is the content MD5
  std::string s3_etag;     // what S3 clients see (no quotes)
  ObjectMeta meta;
};

struct CompletedPart {
  int number = 0;
  std::string etag;  // hex MD5, quotes removed
};

inline constexpr uint64_t kMinPartSize = 5ull << 20;
inline constexpr int kMaxPartNumber = 10000;

class S3Bucket {
 public:
  using Producer = storage::LocalFolderStore::Producer;

  // Creates the side folders if missing.
  static Result<std::unique_ptr<S3Bucket>> Open(storage::LocalFolderStore& store);

  const std::string& name() const { return store_.bucket(); }
  storage::LocalFolderStore& store() { return store_; }

  // 404 NoSuchKey when absent (or not an object key).
  S3Result<ObjectInfo> Head(const std::string& key) const;

  // Removes the multipart uploads initiated at least `max_age_ms` before `now_ms` and neither
  // completed nor aborted (S3's lifecycle rule AbortIncompleteMultipartUpload), with their
  // parts; returns how many. An upload's age counts from CreateMultipartUpload (its state
  // file's time), whatever parts came later. Each removal is logged.
  Result<int> ExpireUploads(int64_t now_ms, int64_t max_age_ms);
  // Every object under `prefix`, in key order. Only `ref` is filled in (cheap); Describe()
  // adds the S3 ETag and metadata of the ones a page shows.
  S3Result<std::vector<ObjectInfo>> List(const std::string& prefix) const;
  // `ref` with its S3 ETag and metadata (from the side file, when it still matches).
  ObjectInfo Describe(const storage::ObjectRef& ref) const;
  // Lands an object. `produce` streams its bytes; when it fails, nothing is left behind.
  S3Result<ObjectInfo> Put(const std::string& key, const Producer& produce, const ObjectMeta& meta);
  // 404 NoSuchKey when absent.
  S3Status Delete(const std::string& key);
  // A read-only descriptor of the object's file (for ranged reads). 404 NoSuchKey when absent.
  S3Result<storage::UniqueFd> OpenForRead(const std::string& key) const;

  // Multipart uploads.
  S3Result<std::string> CreateUpload(const std::string& key, const ObjectMeta& meta);
  // Stores part `number` (replacing an earlier one); returns its ETag (hex MD5).
  S3Result<std::string> PutPart(const std::string& upload_id, const std::string& key, int number,
                                const Producer& produce);
  // Assembles the listed parts (ascending, each but the last >= 5 MiB) into the object.
  S3Result<ObjectInfo> Complete(const std::string& upload_id, const std::string& key,
                                const std::vector<CompletedPart>& parts);
  S3Status Abort(const std::string& upload_id, const std::string& key);

  // S3's rules for keys ecompipe can store: a valid object key of the folder store. 400
  // naming the rule otherwise.
  static S3Status CheckKey(const std::string& key);
  // For a key read or deleted: 400 when the key is malformed (CheckKey), 404 NoSuchKey when it
  // is well formed but names nothing the folder can hold.
  static S3Status CheckExistingKey(const std::string& key);

 private:
  explicit S3Bucket(storage::LocalFolderStore& store);
  // The upload's folder, after checking the id's form and that it belongs to `key`.
  S3Result<storage::BeneathFolder> FindUpload(const std::string& upload_id,
                                              const std::string& key) const;
  void WriteMeta(const ObjectInfo& info) const;
  // The S3 answer to the store's failure `status` for `key`: 403 AccessDenied when a link is
  // in the way, else FromStatus().
  S3Error KeyError(const std::string& key, const Status& status) const;

  storage::LocalFolderStore& store_;
};

}  // namespace ecompipe::api::s3
