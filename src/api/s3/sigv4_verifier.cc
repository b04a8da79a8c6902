#include "api/s3/sigv4_verifier.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/aws_sigv4.h"
#include "common/digest.h"

namespace ecompipe::api::s3 {
namespace {

constexpr const char* kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxPresignedExpires = 7 * 24 * 3600;

bool IsLowerHex(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool SameSignature(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

S3Error Denied(std::string message) {
  return S3Error::Make(403, "AccessDenied", std::move(message));
}
S3Error Malformed(std::string message) {
  return S3Error::Make(400, "AuthorizationHeaderMalformed", std::move(message));
}
S3Error Mismatch() {
  return S3Error::Make(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your key and signing method.");
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

std::string StringToSign(const AuthContext& ctx, const std::string& canonical) {
  return std::string(kAlgorithm) + "\n" + ctx.amz_date + "\n" + ctx.scope + "\n" +
         Sha256Hex(canonical);
}

}  // namespace

std::string CanonicalRequest(const S3Request& request, const std::string& signed_headers,
                             const std::string& payload_hash, const std::string& skip_query) {
  const std::string canonical_query = CanonicalQueryString(request.query, skip_query);
  std::string canonical_headers;
  for (const std::string& name : Split(signed_headers, ';')) {
    std::string joined;
    bool first = true;
    for (const auto& [k, v] : request.headers) {
      if (AsciiLower(k) != name) continue;
      if (!first) joined += ',';
      joined += CanonicalHeaderValue(v);
      first = false;
    }
    canonical_headers.append(name).append(1, ':').append(joined).append(1, '\n');
  }
  return request.method + "\n" + AwsUriEncode(request.path, true) + "\n" + canonical_query + "\n" +
         canonical_headers + "\n" + signed_headers + "\n" + payload_hash;
}

namespace {

// True when `signature` signs `request`. httplib 0.11 (Debian 12) hands over header values
// percent-decoded, so an x-amz-copy-source a client signed in its URL-encoded wire form (as the
// S3 API asks) reaches us decoded; its wire form is re-made with S3's URI encoding ('/' kept,
// as botocore, the AWS CLI and rclone send it) and a signature over either form is accepted.
bool SignatureMatches(const AuthContext& ctx, const S3Request& request,
                      const std::string& signed_headers, const std::string& payload_hash,
                      const std::string& skip_query, const std::string& signature) {
  const auto matches = [&](const S3Request& r) {
    const std::string canonical = CanonicalRequest(r, signed_headers, payload_hash, skip_query);
    return SameSignature(HexEncode(HmacSha256(ctx.signing_key, StringToSign(ctx, canonical))),
                         AsciiLower(signature));
  };
  if (matches(request)) return true;
  const std::vector<std::string> names = Split(signed_headers, ';');
  if (std::find(names.begin(), names.end(), "x-amz-copy-source") == names.end()) return false;
  S3Request encoded = request;
  bool changed = false;
  for (auto& [name, value] : encoded.headers) {
    if (AsciiLower(name) != "x-amz-copy-source") continue;
    std::string wire = AwsUriEncode(value, true);
    changed = changed || wire != value;
    value = std::move(wire);
  }
  return changed && matches(encoded);
}

}  // namespace

std::string ChunkSignature(const AuthContext& ctx, const std::string& previous,
                           const std::string& chunk_sha256_hex) {
  static const std::string kEmptySha = Sha256Hex("");
  const std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + ctx.amz_date + "\n" + ctx.scope +
                              "\n" + previous + "\n" + kEmptySha + "\n" + chunk_sha256_hex;
  return HexEncode(HmacSha256(ctx.signing_key, to_sign));
}

SigV4Verifier::SigV4Verifier(std::map<std::string, std::string> keys, std::string region,
                             int64_t max_skew_seconds)
    : keys_(std::move(keys)), region_(std::move(region)), max_skew_seconds_(max_skew_seconds) {}

S3Result<AuthContext> SigV4Verifier::Verify(const S3Request& request, int64_t now) const {
  const bool header = request.HasHeader("Authorization");
  const bool presigned =
      request.HasQuery("X-Amz-Signature") || request.HasQuery("X-Amz-Credential");
  if (header && presigned)
    return S3Error::Make(400, "InvalidArgument",
                         "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                         "parameter or the Authorization header should be specified");
  if (header) return VerifyHeader(request, now);
  if (presigned) return VerifyPresigned(request, now);
  if (request.HasQuery("AWSAccessKeyId") || request.HasQuery("Signature"))
    return Denied(
        "AWS Signature Version 2 is not supported; sign requests with Signature Version 4");
  return Denied(
      "Anonymous access is not allowed: sign the request with an access key of "
      "s3_endpoint.access_keys (AWS Signature Version 4)");
}

S3Status SigV4Verifier::CheckScope(const std::string& credential, const std::string& amz_date,
                                   AuthContext& ctx) const {
  std::vector<std::string> parts = Split(credential, '/');
  if (parts.size() != 5 || parts[0].empty())
    return Malformed(
        "the Credential '" + credential +
        "' is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"");
  auto key = keys_.find(parts[0]);
  if (key == keys_.end())
    return S3Error::Make(403, "InvalidAccessKeyId",
                         "The AWS Access Key Id you provided does not exist in our records.");
  if (parts[1] != amz_date.substr(0, 8))
    return Malformed("the credential date '" + parts[1] + "' does not match the request date '" +
                     amz_date.substr(0, 8) + "'");
  if (parts[2] != region_) {
    S3Error e = Malformed("the authorization header is malformed; the region '" + parts[2] +
                          "' is wrong; expecting '" + region_ + "'");
    e.region = region_;
    return e;
  }
  if (parts[3] != "s3") return Malformed("the credential service '" + parts[3] + "' is not 's3'");
  if (parts[4] != "aws4_request") return Malformed("the credential must end in 'aws4_request'");
  ctx.access_key_id = parts[0];
  ctx.scope = parts[1] + "/" + parts[2] + "/" + parts[3] + "/" + parts[4];
  ctx.signing_key = SigV4SigningKey(key->second, parts[1], parts[2], parts[3]);
  return std::nullopt;
}

S3Result<AuthContext> SigV4Verifier::VerifyHeader(const S3Request& request, int64_t now) const {
  const std::string auth = request.Header("Authorization");
  if (auth.rfind("AWS ", 0) == 0)
    return Denied(
        "AWS Signature Version 2 is not supported; sign requests with Signature Version 4");
  if (auth.rfind(std::string(kAlgorithm) + " ", 0) != 0)
    return Malformed("unsupported authorization type; only AWS4-HMAC-SHA256 is accepted");
  std::string credential, signed_headers, signature;
  for (std::string part : Split(auth.substr(std::string(kAlgorithm).size() + 1), ',')) {
    part = CanonicalHeaderValue(part);
    const size_t eq = part.find('=');
    if (eq == std::string::npos)
      return Malformed("the Authorization header is malformed: '" + part + "'");
    const std::string name = part.substr(0, eq), value = part.substr(eq + 1);
    if (name == "Credential")
      credential = value;
    else if (name == "SignedHeaders")
      signed_headers = value;
    else if (name == "Signature")
      signature = value;
  }
  if (credential.empty() || signed_headers.empty() || signature.empty())
    return Malformed("the Authorization header needs Credential, SignedHeaders and Signature");

  AuthContext ctx;
  ctx.amz_date = request.Header("x-amz-date");
  if (ctx.amz_date.empty()) return Denied("AWS authentication requires a valid x-amz-date header");
  std::optional<int64_t> when = ParseAmzDate(ctx.amz_date);
  if (!when) return Denied("x-amz-date '" + ctx.amz_date + "' is not YYYYMMDD'T'HHMMSS'Z'");
  if (S3Status e = CheckScope(credential, ctx.amz_date, ctx)) return *e;
  if (std::llabs(*when - now) > max_skew_seconds_)
    return S3Error::Make(403, "RequestTimeTooSkewed",
                         "The difference between the request time (" + ctx.amz_date +
                             ") and the server's time (" + AmzDate(now) +
                             ") is too large (more than " + std::to_string(max_skew_seconds_ / 60) +
                             " minutes).");
  std::vector<std::string> names = Split(signed_headers, ';');
  if (std::find(names.begin(), names.end(), "host") == names.end())
    return Malformed("SignedHeaders must include host");
  if (!std::is_sorted(names.begin(), names.end())) return Malformed("SignedHeaders must be sorted");

  const std::string payload = request.Header("x-amz-content-sha256");
  if (payload.empty())
    return S3Error::Make(400, "InvalidRequest",
                         "Missing required header for this request: x-amz-content-sha256");
  if (payload == "UNSIGNED-PAYLOAD") {
    ctx.payload = PayloadMode::kUnsigned;
  } else if (payload == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    ctx.payload = PayloadMode::kStreamingSigned;
  } else if (payload == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    ctx.payload = PayloadMode::kStreamingUnsigned;
  } else if (IsLowerHex(payload, 64)) {
    ctx.payload = PayloadMode::kSigned;
    ctx.payload_sha256 = payload;
  } else if (payload.rfind("STREAMING-", 0) == 0) {
    return S3Error::Make(501, "NotImplemented",
                         "x-amz-content-sha256 '" + payload + "' is not supported by ecompipe");
  } else {
    return S3Error::Make(400, "InvalidArgument",
                         "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a hex SHA-256");
  }
  if (!SignatureMatches(ctx, request, signed_headers, payload, "", signature)) return Mismatch();
  ctx.seed_signature = AsciiLower(signature);
  return ctx;
}

S3Result<AuthContext> SigV4Verifier::VerifyPresigned(const S3Request& request, int64_t now) const {
  if (request.Query("X-Amz-Algorithm") != kAlgorithm)
    return S3Error::Make(400, "AuthorizationQueryParametersError",
                         "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  const std::string credential = request.Query("X-Amz-Credential");
  const std::string signed_headers = request.Query("X-Amz-SignedHeaders");
  const std::string signature = request.Query("X-Amz-Signature");
  const std::string expires_text = request.Query("X-Amz-Expires");
  AuthContext ctx;
  ctx.amz_date = request.Query("X-Amz-Date");
  if (credential.empty() || signed_headers.empty() || signature.empty() || ctx.amz_date.empty() ||
      expires_text.empty())
    return S3Error::Make(400, "AuthorizationQueryParametersError",
                         "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                         "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                         "and X-Amz-Expires parameters.");
  std::optional<int64_t> when = ParseAmzDate(ctx.amz_date);
  if (!when)
    return S3Error::Make(400, "AuthorizationQueryParametersError",
                         "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  int64_t expires = -1;
  if (expires_text.size() > 7 || !std::all_of(expires_text.begin(), expires_text.end(),
                                              [](char c) { return c >= '0' && c <= '9'; }))
    expires = -1;
  else
    expires = std::strtoll(expires_text.c_str(), nullptr, 10);
  if (expires < 1 || expires > kMaxPresignedExpires)
    return S3Error::Make(400, "AuthorizationQueryParametersError",
                         "X-Amz-Expires must be between 1 and 604800 seconds");
  if (S3Status e = CheckScope(credential, ctx.amz_date, ctx)) return *e;
  if (*when - now > max_skew_seconds_) return Denied("Request is not valid yet");
  if (now > *when + expires) return Denied("Request has expired");
  std::vector<std::string> names = Split(signed_headers, ';');
  if (std::find(names.begin(), names.end(), "host") == names.end())
    return S3Error::Make(400, "AuthorizationQueryParametersError",
                         "X-Amz-SignedHeaders must include host");
  // Presigned URLs never sign the body.
  ctx.payload = PayloadMode::kUnsigned;
  if (!SignatureMatches(ctx, request, signed_headers, "UNSIGNED-PAYLOAD", "X-Amz-Signature",
                        signature))
    return Mismatch();
  return ctx;
}

}  // namespace ecompipe::api::s3
