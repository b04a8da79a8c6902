// SigV4 verification on a request built from the input (a request head as text, see
// fuzz_s3_head.h): the header form (Authorization, x-amz-date, x-amz-content-sha256,
// SignedHeaders) and the presigned form (X-Amz-* query parameters). The verifier's clock is the
// request's own x-amz-date (or X-Amz-Date), so that a mutated signature, not the clock, decides.
// A request that verifies has its body run through the BodyDecoder, as the endpoint does.
// Crashes and sanitizer reports are the findings; an S3 error must have a code and be the
// client's (4xx, or 501 for a signing mode ecompipe does not implement), never a 500.
#include <cstdint>
#include <string>

#include "api/s3/body_decoder.h"
#include "api/s3/s3_request.h"
#include "api/s3/sigv4_verifier.h"
#include "fuzz_s3_head.h"

namespace {

using namespace ecompipe::api::s3;
using ecompipe::fuzz::ParseHead;

constexpr int64_t kExampleTime = 1369353600;  // 20130524T000000Z, AWS's examples
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SigV4Verifier verifier(
      {{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}, "us-east-1");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const S3Request request = ParseHead(text);
  std::string date = request.Header("x-amz-date");
  if (date.empty()) date = request.Query("X-Amz-Date");
  const int64_t now = ParseAmzDate(date).value_or(kExampleTime);
  auto auth = verifier.Verify(request, now);
  if (!auth.ok()) {
    const S3Error& e = auth.error();
    FUZZ_CHECK(!e.code.empty(), "an S3 error without a code");
    FUZZ_CHECK((e.http_status >= 400 && e.http_status < 500) || e.http_status == 501,
               "verification failed with HTTP " + std::to_string(e.http_status) + " " + e.code);
    return 0;
  }
  auto decoder = BodyDecoder::Create(request, *auth);
  if (!decoder.ok()) return 0;
  auto sink = [](const char*, size_t) -> S3Status { return std::nullopt; };
  const size_t piece = 1 + size % 13;
  for (size_t i = 0; i < text.size(); i += piece) {
    if ((*decoder)->Feed(text.data() + i, std::min(piece, text.size() - i), sink)) return 0;
  }
  (void)(*decoder)->Finish();
  return 0;
}
