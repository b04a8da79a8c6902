// Base64 against RFC 4648's test vectors, and what Base64Decode refuses.
#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace ecompipe {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    std::string decoded;
    ASSERT_TRUE(Base64Decode(encoded, decoded)) << encoded;
    EXPECT_EQ(decoded, plain);
  }
}

TEST(Base64Test, BinaryRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  std::string decoded;
  ASSERT_TRUE(Base64Decode(Base64Encode(bytes), decoded));
  EXPECT_EQ(decoded, bytes);
}

TEST(Base64Test, DecodeRefusesWhatIsNotBase64) {
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9", out));                             // not a multiple of 4
  EXPECT_FALSE(Base64Decode("Zm9v!A==", out));                        // outside the alphabet
  EXPECT_FALSE(Base64Decode(std::string((1u << 20) + 4, 'A'), out));  // longer than 1 MiB
}

}  // namespace
}  // namespace ecompipe
