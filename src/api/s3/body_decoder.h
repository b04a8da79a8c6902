// BodyDecoder: turns the bytes of a PUT/POST body, as they arrive from the socket, into the
// object's bytes, checking everything the request promised about them:
//
//   - aws-chunked framing (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each
//     chunk's signature chained from the seed signature; STREAMING-UNSIGNED-PAYLOAD-TRAILER,
//     with a checksum trailer) and x-amz-decoded-content-length;
//   - the signed payload hash (x-amz-content-sha256 as hex SHA-256);
//   - Content-MD5 and x-amz-checksum-{crc32,crc32c,sha1,sha256}, as header or trailer.
//
// Bytes are handed to the sink as they are decoded; the verdict on hashes and checksums comes
// only from Finish(), so callers stage the bytes and publish nothing until Finish() is OK.
// Memory is bounded: nothing but a chunk header line (at most 4 KiB) is buffered.
//
// Not thread-safe: one decoder per request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/s3/s3_error.h"
#include "api/s3/s3_request.h"
#include "api/s3/sigv4_verifier.h"
#include "common/digest.h"

namespace ecompipe::api::s3 {

class BodyDecoder {
 public:
  using Sink = std::function<S3Status(const char* data, size_t size)>;

  // Fails (before any byte is read) on a malformed Content-MD5, an unsupported checksum
  // algorithm or a streaming request without x-amz-decoded-content-length.
  static S3Result<std::unique_ptr<BodyDecoder>> Create(const S3Request& request,
                                                       const AuthContext& auth);
  ~BodyDecoder();

  // Decodes the next `size` raw body bytes, passing object bytes to `sink`.
  S3Status Feed(const char* data, size_t size, const Sink& sink);
  // The body ended: checks framing, lengths, hashes and checksums.
  S3Status Finish();

  // The object bytes handed to the sink so far.
  uint64_t decoded_bytes() const { return decoded_; }
  // Hex MD5 of the decoded bytes (valid after Finish()).
  const std::string& md5_hex() const { return md5_hex_; }

 private:
  enum class State { kHeader, kData, kDataEnd, kTrailer, kDone };
  BodyDecoder(const AuthContext& auth) : auth_(auth) {}
  S3Status Emit(const char* data, size_t size, const Sink& sink);
  S3Status OnChunkHeader(const std::string& line);
  S3Status OnChunkEnd();
  S3Status OnTrailer(const std::string& line);

  AuthContext auth_;
  bool chunked_ = false;
  State state_ = State::kHeader;
  std::string line_;
  uint64_t chunk_left_ = 0;
  uint64_t chunk_size_ = 0;
  std::string chunk_signature_;
  std::string previous_signature_;
  std::unique_ptr<Digest> chunk_sha_;
  uint64_t expected_decoded_ = 0;
  bool has_expected_decoded_ = false;
  uint64_t decoded_ = 0;

  Digest md5_{Digest::Kind::kMd5};
  std::string md5_hex_;
  std::string content_md5_;  // raw 16 bytes, when Content-MD5 was given
  std::unique_ptr<Digest> payload_sha_;
  std::unique_ptr<Digest> checksum_;
  std::string checksum_name_;      // "crc32"
  std::string checksum_expected_;  // base64, from the header or the trailer
  bool checksum_in_trailer_ = false;
};

}  // namespace ecompipe::api::s3
