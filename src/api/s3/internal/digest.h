// Incremental digests over OpenSSL EVP (MD5, SHA-1, SHA-256) and zlib's CRC-32, plus CRC-32C,
// for ETags, payload hashes and S3's x-amz-checksum-* values. Not thread-safe (one per stream).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace ecompipe::api::s3 {

class Digest {
 public:
  enum class Kind { kMd5, kSha1, kSha256, kCrc32, kCrc32c };
  explicit Digest(Kind kind);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(const char* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // The raw digest (CRC values big-endian, as S3 encodes them). Call once.
  std::string Finish();

 private:
  Kind kind_;
  evp_md_ctx_st* ctx_ = nullptr;
  uint32_t crc_ = 0;
};

std::string Md5Hex(std::string_view data);
std::string Base64Encode(std::string_view bytes);
// Empty optional-like: returns false on malformed input.
bool Base64Decode(std::string_view text, std::string& out);

}  // namespace ecompipe::api::s3
