#include "common/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <algorithm>
#include <array>

namespace ecompipe {
namespace {

// CRC-32C (Castagnoli), reflected, as S3's x-amz-checksum-crc32c uses it.
const std::array<uint32_t, 256>& Crc32cTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

}  // namespace

Digest::Digest(Kind kind) : kind_(kind) {
  const EVP_MD* md = nullptr;
  switch (kind) {
    case Kind::kMd5:
      md = EVP_md5();
      break;
    case Kind::kSha1:
      md = EVP_sha1();
      break;
    case Kind::kSha256:
      md = EVP_sha256();
      break;
    case Kind::kCrc32:
      crc_ = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
      return;
    case Kind::kCrc32c:
      crc_ = 0xFFFFFFFFu;
      return;
  }
  ctx_ = EVP_MD_CTX_new();
  ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) == 1;
}

Digest::~Digest() { EVP_MD_CTX_free(ctx_); }

void Digest::Update(const char* data, size_t size) {
  if (size == 0) return;
  switch (kind_) {
    case Kind::kCrc32:
      while (size > 0) {  // zlib takes uInt lengths
        const uInt n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
        crc_ = static_cast<uint32_t>(crc32(crc_, reinterpret_cast<const Bytef*>(data), n));
        data += n;
        size -= n;
      }
      return;
    case Kind::kCrc32c: {
      const auto& t = Crc32cTable();
      for (size_t i = 0; i < size; ++i)
        crc_ = t[(crc_ ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (crc_ >> 8);
      return;
    }
    default:
      if (ok_) ok_ = EVP_DigestUpdate(ctx_, data, size) == 1;
  }
}

std::string Digest::Finish() {
  if (kind_ == Kind::kCrc32 || kind_ == Kind::kCrc32c) {
    const uint32_t v = kind_ == Kind::kCrc32c ? crc_ ^ 0xFFFFFFFFu : crc_;
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i)
      out[static_cast<size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
    return out;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_, md, &len) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  Digest d(Digest::Kind::kMd5);
  d.Update(data);
  return HexEncode(d.Finish());
}

std::string Sha256Hex(std::string_view data) {
  Digest d(Digest::Kind::kSha256);
  d.Update(data);
  return HexEncode(d.Finish());
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace ecompipe
