#include "api/s3/internal/digest.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>

#include "common/aws_sigv4.h"

namespace ecompipe::api::s3 {
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
  if (ctx_) EVP_DigestInit_ex(ctx_, md, nullptr);
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
      if (ctx_) EVP_DigestUpdate(ctx_, data, size);
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
  if (!ctx_ || EVP_DigestFinal_ex(ctx_, md, &len) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Md5Hex(std::string_view data) {
  Digest d(Digest::Kind::kMd5);
  d.Update(data);
  return HexEncode(d.Finish());
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0 || text.size() > (1u << 20)) return false;
  out.assign(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return true;
}

}  // namespace ecompipe::api::s3
