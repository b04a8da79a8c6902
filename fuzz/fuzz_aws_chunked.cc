// The S3 endpoint's body decoding: aws-chunked framing (chunk headers, chunk signatures,
// trailers), x-amz-decoded-content-length, the signed payload hash, Content-MD5 and the
// x-amz-checksum-* headers and trailers. The input is a request head and body (fuzz_s3_head.h);
// the payload mode is what x-amz-content-sha256 names, as the verifier would set it, with AWS's
// aws-chunked example as the signing context for signed chunks. The body is fed in pieces of 1
// to 16 bytes. Invariants: never more decoded bytes than the body had, and none beyond the
// declared decoded length.
#include <charconv>
#include <cstdint>
#include <string>

#include "api/s3/body_decoder.h"
#include "api/s3/sigv4_verifier.h"
#include "common/aws_sigv4.h"
#include "fuzz_s3_head.h"

namespace {

using namespace ecompipe::api::s3;

AuthContext ContextFor(const S3Request& request) {
  AuthContext auth;
  auth.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  const std::string claim = request.Header("x-amz-content-sha256");
  if (claim == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    auth.payload = PayloadMode::kStreamingSigned;
    auth.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    auth.signing_key =
        ecompipe::SigV4SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
    auth.amz_date = "20130524T000000Z";
    auth.scope = "20130524/us-east-1/s3/aws4_request";
  } else if (claim == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    auth.payload = PayloadMode::kStreamingUnsigned;
  } else if (claim.empty() || claim == "UNSIGNED-PAYLOAD") {
    auth.payload = PayloadMode::kUnsigned;
  } else {
    auth.payload = PayloadMode::kSigned;
    auth.payload_sha256 = claim;
  }
  return auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const S3Request request = ecompipe::fuzz::ParseHead(text);
  auto decoder = BodyDecoder::Create(request, ContextFor(request));
  if (!decoder.ok()) {
    FUZZ_CHECK(decoder.error().http_status >= 400 && decoder.error().http_status < 500,
               "Create failed with " + decoder.error().code);
    return 0;
  }
  uint64_t out = 0;
  auto sink = [&](const char*, size_t n) -> S3Status {
    out += n;
    return std::nullopt;
  };
  const size_t piece = 1 + size % 16;
  bool failed = false;
  for (size_t i = 0; i < text.size() && !failed; i += piece) {
    failed = (*decoder)->Feed(text.data() + i, std::min(piece, text.size() - i), sink).has_value();
    FUZZ_CHECK(out <= i + piece, "more bytes decoded than were fed");
  }
  FUZZ_CHECK(out == (*decoder)->decoded_bytes(), "the sink and decoded_bytes() disagree");
  if (!failed && !(*decoder)->Finish()) {
    const std::string declared = request.Header("x-amz-decoded-content-length");
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), n);
    if (ec == std::errc() && end == declared.data() + declared.size() &&
        request.Header("x-amz-content-sha256").rfind("STREAMING", 0) == 0) {
      FUZZ_CHECK(out == n, "a streaming body accepted with " + std::to_string(out) +
                               " bytes, declared " + declared);
    }
  }
  return 0;
}
