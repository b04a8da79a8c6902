// S3Endpoint: ecompipe's own S3-compatible endpoint. `ecompipe serve` runs it when
// ecompipe.yaml has an `s3_endpoint` section, so that boto3, the AWS CLI and rclone upload
// into the pipeline's bucket unchanged (path-style or virtual-host addressing).
//
// Operations: ListBuckets, HeadBucket, GetBucketLocation, GetBucketVersioning (always
// unversioned), CreateBucket (of the one bucket: BucketAlreadyOwnedByYou), ListObjects V1 and
// V2, PutObject, CopyObject, GetObject (with Range), HeadObject, DeleteObject, DeleteObjects,
// CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload. Everything
// else answers 501 NotImplemented. Every request must carry a valid AWS Signature Version 4
// (see sigv4_verifier.h); bodies are streamed to disk and checked (body_decoder.h) before an
// object appears. Objects land through S3Bucket, i.e. through the same folder, atomic rename
// and watcher as any file, which is what fires the pipeline's `Object Created` event.
//
// Thread-safety: Start() and Stop() from one thread; requests are served on the HTTP
// server's own thread pool.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "storage/local/local_folder_store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ecompipe::api::s3 {

class S3Bucket;
class SigV4Verifier;
struct S3Request;
struct S3Error;

struct S3AccessKey {
  std::string id;
  std::string secret;      // given in the file, or
  std::string secret_env;  // read from this environment variable at start
};

struct S3EndpointConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 9000;  // 0: any free port (logged)
  std::string region = "us-east-1";
  std::vector<S3AccessKey> access_keys;
  int64_t max_clock_skew_seconds = 15 * 60;
};

class S3Endpoint {
 public:
  // Resolves secrets, binds and starts serving `store`. kInvalidArgument when a secret_env
  // variable is unset or no key is configured; kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<S3Endpoint>> Start(const S3EndpointConfig& config,
                                                   storage::LocalFolderStore& store);
  ~S3Endpoint();
  S3Endpoint(const S3Endpoint&) = delete;
  S3Endpoint& operator=(const S3Endpoint&) = delete;

  // Stops accepting, finishes nothing in flight (an interrupted upload leaves nothing
  // behind) and joins the server thread. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  S3Endpoint(const S3EndpointConfig& config, std::unique_ptr<S3Bucket> bucket,
             std::unique_ptr<SigV4Verifier> verifier);
  class Handler;

  S3EndpointConfig config_;
  std::unique_ptr<S3Bucket> bucket_;
  std::unique_ptr<SigV4Verifier> verifier_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace ecompipe::api::s3
