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
// Connections are accepted and held by a ConnectionAcceptor (an event loop that reads each
// request head under a deadline and enforces the connection caps); a request with a complete
// head runs on one of its worker threads through cpp-httplib's request processing.
//
// Thread-safety: Start() and Stop() from one thread; requests are served on the acceptor's
// worker threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/http/connection_acceptor.h"
#include "common/status.h"
#include "metrics/metrics.h"
#include "storage/local/local_folder_store.h"

namespace ecompipe::api::s3 {

using http::AcceptedConnection;
using http::AfterRequest;
using http::ConnectionAcceptor;
using http::ConnectionLimits;

class S3Bucket;
class SigV4Verifier;

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
  ConnectionLimits limits;  // timeouts and connection caps (docs/s3.md, "Slow and idle clients")
  // Multipart uploads neither completed nor aborted are removed this long after they started
  // (s3_endpoint.multipart_expiry; S3's AbortIncompleteMultipartUpload, commonly 7 days).
  int64_t multipart_expiry_ms = 7 * 24 * 3'600'000LL;
};

class S3Endpoint {
 public:
  // Resolves secrets, binds and starts serving `store`. kInvalidArgument when a secret_env
  // variable is unset or no key is configured; kUnavailable when the address cannot be bound.
  // limits.max_connections is lowered (and a warning logged) when the process's open-file
  // limit could not hold that many connections beside the pipeline's own files.
  // `metrics`, when given, counts the requests and the body bytes received (metrics.h); it must
  // outlive the endpoint.
  static Result<std::unique_ptr<S3Endpoint>> Start(const S3EndpointConfig& config,
                                                   storage::LocalFolderStore& store,
                                                   metrics::Metrics* metrics = nullptr);
  ~S3Endpoint();
  S3Endpoint(const S3Endpoint&) = delete;
  S3Endpoint& operator=(const S3Endpoint&) = delete;

  // Stops accepting, finishes nothing in flight (the sockets of requests in flight are shut
  // down; an interrupted upload leaves nothing behind) and joins the acceptor's threads.
  // Idempotent.
  void Stop();
  // Expires abandoned multipart uploads (S3Bucket::ExpireUploads) when the last check is at
  // least min(1 h, multipart_expiry / 2) old; Start() checks once. The serve loop calls it
  // every round; `now_ms` is the clock (tests fix it). Returns how many were removed.
  int Maintain(int64_t now_ms);
  int port() const { return port_; }
  // The limits in force (after the open-file limit clipped them).
  const ConnectionLimits& limits() const { return config_.limits; }

 private:
  S3Endpoint(const S3EndpointConfig& config, std::unique_ptr<S3Bucket> bucket,
             std::unique_ptr<SigV4Verifier> verifier);
  class Handler;
  class HttpServer;

  S3EndpointConfig config_;
  int64_t last_expiry_check_ms_ = 0;
  std::unique_ptr<S3Bucket> bucket_;
  std::unique_ptr<SigV4Verifier> verifier_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<ConnectionAcceptor> acceptor_;
  int port_ = 0;
};

}  // namespace ecompipe::api::s3
