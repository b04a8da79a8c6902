// S3ObjectStore: an ObjectStore backed by a bucket on any S3-compatible server (AWS S3, MinIO,
// Ceph RGW, moto), spoken to over libcurl with AWS Signature Version 4; no AWS SDK.
//
// Operations: HeadObject (Head), ListObjectsV2 with paging (List, ListPage), GetObject
// streamed (Open), PutObject of one part (Put; objects up to 5 GiB), DeleteObject (Delete).
//
// Errors and retries. Transport failures, 5xx, 429 and 408 are retried (settings.max_attempts
// in all, exponential backoff from 200 ms) and then reported as kUnavailable/kTimeout. A 403
// is never retried: it is kInvalidArgument naming the bucket, the endpoint and S3's error
// code (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied), so wrong credentials give
// one clear error instead of a storm. 404 is kNotFound. A redirect (wrong region) is
// kInvalidArgument naming the bucket's region when S3 says it.
//
// Streaming. Open() returns a stream fed by a transfer thread through a bounded buffer
// (kStreamBufferBytes), so memory does not depend on the object's size. When the connection
// breaks mid-object, the stream resumes with a Range request from the last byte received,
// pinned to the version being read with If-Match; it fails rather than mix two versions.
// Before reporting the end, the stream checks the byte count against the object's size and,
// for single-part ETags, the MD5 of everything read against the ETag: a short or corrupted
// read is an error from Read(), never a clean end, so a load can never commit part of an
// object.
//
// Thread-safety: all methods may be called from several threads at once; a stream belongs
// to one reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/aws_sigv4.h"
#include "common/status.h"
#include "storage/object_store.h"
#include "storage/s3/internal/s3_http.h"
#include "storage/s3/internal/s3_xml.h"

namespace ecompipe::storage::s3 {

enum class Addressing { kPath, kVirtual };

struct S3Settings {
  std::string bucket;
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  Addressing addressing = Addressing::kPath;
  AwsCredentials credentials;
  int max_attempts = 4;  // per request, the first included
  int64_t base_backoff_ms = 200;
  long timeout_ms = 60000;  // requests other than streaming GETs
};

inline constexpr size_t kStreamBufferBytes = 4 << 20;

class S3ObjectStore final : public ObjectStore {
 public:
  // Checks the settings (endpoint syntax, bucket name, credentials present); no request is
  // made. kInvalidArgument naming the problem.
  static Result<std::unique_ptr<S3ObjectStore>> Open(S3Settings settings);

  const std::string& bucket() const override { return settings_.bucket; }
  // Every page of ListObjectsV2 under `prefix`; keys that are not valid object keys
  // (ValidateKey: "folder/" markers, "a//b") or are temporary names are skipped.
  Result<std::vector<ObjectRef>> List(const std::string& prefix) const override;
  Result<ObjectRef> Head(const std::string& key) const override;
  Result<std::unique_ptr<InputStream>> Open(const ObjectRef& object) const override;
  // PutObject from a file, streamed, with Content-MD5 and the payload's SHA-256 signed.
  Result<ObjectRef> Put(const std::string& key, const std::filesystem::path& source) override;
  // DeleteObject. Deleting a key that does not exist succeeds (S3 answers 204 either way).
  Status Delete(const std::string& key);

  // One ListObjectsV2 call (the raw page: no key filtering). `start_after` and
  // `continuation_token` as S3 defines them; `max_keys` 1..1000.
  Result<s3::ListPage> ListObjectsPage(const std::string& prefix, const std::string& start_after,
                                       const std::string& continuation_token, int max_keys) const;

  // "bucket 'b' at http://127.0.0.1:9000": how messages name this store.
  std::string where() const override { return where_; }
  const S3Settings& settings() const { return settings_; }

  // Keys S3 listings may hold that are not objects for ecompipe.
  static bool IsListedObject(const std::string& key);

 private:
  class Stream;
  S3ObjectStore(S3Settings settings, Endpoint endpoint);

  HttpCall MakeCall(const std::string& method, const std::string& key, const Params& query) const;
  // Performs `call` with retries; returns the 2xx reply or the error (see the header comment).
  // `what` names the operation in messages ("HeadObject transactions/x.csv").
  Result<HttpReply> Send(const HttpCall& call, const std::string& what) const;
  Status ErrorFor(const HttpReply& reply, const std::string& what) const;

  const S3Settings settings_;
  const Endpoint endpoint_;
  const std::string where_;
};

}  // namespace ecompipe::storage::s3
