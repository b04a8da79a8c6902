// Digests, the one place ecompipe computes them: incremental MD5, SHA-1 and SHA-256 over
// OpenSSL EVP, zlib's CRC-32 and CRC-32C (for ETags, SigV4 payload hashes and S3's
// x-amz-checksum-* values), one-shot helpers, HMAC-SHA256 and lower-case hex. A Digest is used
// from one thread (one per stream); the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace ecompipe {

class Digest {
 public:
  enum class Kind { kMd5, kSha1, kSha256, kCrc32, kCrc32c };
  explicit Digest(Kind kind);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(const char* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // The raw digest (CRC values big-endian, as S3 encodes them). Call once. Empty when OpenSSL
  // failed (for instance MD5 disabled by a FIPS configuration).
  std::string Finish();

 private:
  Kind kind_;
  evp_md_ctx_st* ctx_ = nullptr;
  bool ok_ = true;
  uint32_t crc_ = 0;
};

// Lower-case hex of the bytes ("9b2c…").
std::string HexEncode(std::string_view bytes);
// The hex MD5 and SHA-256 of `data`.
std::string Md5Hex(std::string_view data);
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256 of `data` under `key`: the raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace ecompipe
