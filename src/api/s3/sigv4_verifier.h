// SigV4Verifier: checks AWS Signature Version 4 on requests to the S3 endpoint, the way S3
// does: the Authorization header form and the presigned-URL form (X-Amz-* query parameters).
//
// It rebuilds the canonical request from the request as received (the client's
// SignedHeaders, the decoded path re-encoded once as S3 does, the query sorted), signs it with
// the secret of the access key named in the credential scope, and compares in constant time.
// The payload hash is the client's x-amz-content-sha256 claim (a hex SHA-256,
// UNSIGNED-PAYLOAD, or a streaming mode); the caller checks the body against the claim while
// streaming it (see AuthContext) and rejects the request if they differ.
//
// Failures are S3's: unknown key -> 403 InvalidAccessKeyId, wrong signature -> 403
// SignatureDoesNotMatch, x-amz-date more than `max_skew_seconds` away from now -> 403
// RequestTimeTooSkewed, expired presigned URL -> 403 AccessDenied, malformed header or wrong
// region -> 400 AuthorizationHeaderMalformed, no credentials at all -> 403 AccessDenied.
//
// Thread-safety: const after construction; Verify() may run on many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "api/s3/s3_error.h"
#include "api/s3/s3_request.h"

namespace ecompipe::api::s3 {

// How the request's body is protected.
enum class PayloadMode {
  kSigned,             // x-amz-content-sha256 is the body's hex SHA-256
  kUnsigned,           // UNSIGNED-PAYLOAD (and every presigned URL)
  kStreamingSigned,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked, each chunk signed
  kStreamingUnsigned,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked, checksum trailer
};

// What a verified request carries on to the body checks.
struct AuthContext {
  std::string access_key_id;
  PayloadMode payload = PayloadMode::kUnsigned;
  std::string payload_sha256;  // kSigned: the claimed hex SHA-256
  // For chunk signatures (kStreamingSigned): the seed signature and signing material.
  std::string seed_signature;
  std::string signing_key;  // raw HMAC key for the scope's date/region/service
  std::string amz_date;     // "20130524T000000Z"
  std::string scope;        // "20130524/us-east-1/s3/aws4_request"
};

class SigV4Verifier {
 public:
  // `keys`: access key id -> secret. `region`: the only region requests may be signed for.
  SigV4Verifier(std::map<std::string, std::string> keys, std::string region,
                int64_t max_skew_seconds = 15 * 60);

  // Verifies `request` at `now_epoch_seconds`.
  S3Result<AuthContext> Verify(const S3Request& request, int64_t now_epoch_seconds) const;

  const std::string& region() const { return region_; }

 private:
  S3Result<AuthContext> VerifyHeader(const S3Request& request, int64_t now) const;
  S3Result<AuthContext> VerifyPresigned(const S3Request& request, int64_t now) const;
  // Checks the credential scope "AKID/date/region/s3/aws4_request" against `amz_date`,
  // fills ctx.access_key_id, scope, signing_key; the secret's error otherwise.
  S3Status CheckScope(const std::string& credential, const std::string& amz_date,
                      AuthContext& ctx) const;

  std::map<std::string, std::string> keys_;
  std::string region_;
  int64_t max_skew_seconds_;
};

// The canonical request of SigV4 for `request`: `signed_headers` are lower-case names joined
// by ';', `skip_query` a parameter left out (X-Amz-Signature for presigned URLs).
std::string CanonicalRequest(const S3Request& request, const std::string& signed_headers,
                             const std::string& payload_hash, const std::string& skip_query);

// The signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD):
// `previous` is the seed signature for the first chunk, then each chunk's own.
std::string ChunkSignature(const AuthContext& ctx, const std::string& previous,
                           const std::string& chunk_sha256_hex);

}  // namespace ecompipe::api::s3
