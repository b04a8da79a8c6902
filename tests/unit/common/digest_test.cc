// Digests against published test vectors: RFC 1321 (MD5), FIPS 180 (SHA-1, SHA-256),
// RFC 4231 (HMAC-SHA256), the CRC-32 and CRC-32C check values of "123456789".
#include "common/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace ecompipe {
namespace {

std::string HexOf(Digest::Kind kind, std::string_view data, size_t piece = 0) {
  Digest d(kind);
  if (piece == 0) {
    d.Update(data);
  } else {
    for (size_t i = 0; i < data.size(); i += piece) d.Update(data.substr(i, piece));
  }
  return HexEncode(d.Finish());
}

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Digest::Kind::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexOf(Digest::Kind::kCrc32, "123456789"), "cbf43926");
  EXPECT_EQ(HexOf(Digest::Kind::kCrc32c, "123456789"), "e3069283");
}

TEST(DigestTest, PiecesGiveTheWholeDigest) {
  const std::string data(1000, 'x');
  for (const auto kind : {Digest::Kind::kMd5, Digest::Kind::kSha1, Digest::Kind::kSha256,
                          Digest::Kind::kCrc32, Digest::Kind::kCrc32c}) {
    EXPECT_EQ(HexOf(kind, data, 7), HexOf(kind, data)) << static_cast<int>(kind);
  }
}

TEST(DigestTest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(DigestTest, HexEncodeIsLowerCaseTwoDigitsABytes) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(HexEncode(""), "");
}

}  // namespace
}  // namespace ecompipe
