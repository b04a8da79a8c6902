#include "api/s3/body_decoder.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/aws_sigv4.h"
#include "common/base64.h"

namespace ecompipe::api::s3 {
namespace {

constexpr size_t kMaxLine = 4096;
constexpr uint64_t kMaxChunk = 64ull << 20;

S3Error Incomplete(const std::string& why) {
  return S3Error::Make(400, "IncompleteBody", "The request body is malformed: " + why);
}

bool ChecksumKind(const std::string& name, Digest::Kind& kind) {
  if (name == "crc32")
    kind = Digest::Kind::kCrc32;
  else if (name == "crc32c")
    kind = Digest::Kind::kCrc32c;
  else if (name == "sha1")
    kind = Digest::Kind::kSha1;
  else if (name == "sha256")
    kind = Digest::Kind::kSha256;
  else
    return false;
  return true;
}

}  // namespace

BodyDecoder::~BodyDecoder() = default;

S3Result<std::unique_ptr<BodyDecoder>> BodyDecoder::Create(const S3Request& request,
                                                           const AuthContext& auth) {
  std::unique_ptr<BodyDecoder> d(new BodyDecoder(auth));
  d->chunked_ = auth.payload == PayloadMode::kStreamingSigned ||
                auth.payload == PayloadMode::kStreamingUnsigned;
  d->previous_signature_ = auth.seed_signature;
  if (auth.payload == PayloadMode::kSigned)
    d->payload_sha_ = std::make_unique<Digest>(Digest::Kind::kSha256);
  if (d->chunked_) {
    const std::string len = request.Header("x-amz-decoded-content-length");
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), d->expected_decoded_);
    if (len.empty() || ec != std::errc() || p != len.data() + len.size())
      return S3Error::Make(411, "MissingContentLength",
                           "aws-chunked uploads need x-amz-decoded-content-length");
    d->has_expected_decoded_ = true;
  }
  const std::string md5 = request.Header("Content-MD5");
  if (request.HasHeader("Content-MD5")) {
    if (!Base64Decode(md5, d->content_md5_) || d->content_md5_.size() != 16)
      return S3Error::Make(400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
  }
  // A checksum given as a header, or announced as a trailer.
  for (const auto& [k, v] : request.headers) {
    const std::string name = AsciiLower(k);
    if (name.rfind("x-amz-checksum-", 0) != 0 || name == "x-amz-checksum-algorithm" ||
        name == "x-amz-checksum-type" || name == "x-amz-checksum-mode")
      continue;
    d->checksum_name_ = name.substr(15);
    d->checksum_expected_ = v;
  }
  const std::string trailer = AsciiLower(request.Header("x-amz-trailer"));
  if (!trailer.empty()) {
    if (!d->chunked_ || trailer.rfind("x-amz-checksum-", 0) != 0 ||
        trailer.find(',') != std::string::npos)
      return S3Error::Make(400, "InvalidRequest", "unsupported x-amz-trailer '" + trailer + "'");
    d->checksum_name_ = trailer.substr(15);
    d->checksum_in_trailer_ = true;
  }
  if (!d->checksum_name_.empty()) {
    Digest::Kind kind;
    if (!ChecksumKind(d->checksum_name_, kind))
      return S3Error::Make(
          400, "InvalidRequest",
          "checksum algorithm '" + d->checksum_name_ +
              "' is not supported by ecompipe (use CRC32, CRC32C, SHA1 or SHA256)");
    d->checksum_ = std::make_unique<Digest>(kind);
  }
  return d;
}

S3Status BodyDecoder::Emit(const char* data, size_t size, const Sink& sink) {
  if (size == 0) return std::nullopt;
  // Checked before counting: decoded_bytes() counts only the bytes the sink was given.
  if (has_expected_decoded_ && decoded_ + size > expected_decoded_)
    return Incomplete("more bytes than x-amz-decoded-content-length");
  decoded_ += size;
  md5_.Update(data, size);
  if (checksum_) checksum_->Update(data, size);
  return sink(data, size);
}

S3Status BodyDecoder::Feed(const char* data, size_t size, const Sink& sink) {
  if (payload_sha_) payload_sha_->Update(data, size);
  if (!chunked_) return Emit(data, size, sink);
  while (size > 0) {
    switch (state_) {
      case State::kHeader:
      case State::kTrailer:
      case State::kDataEnd: {
        const char c = *data++;
        --size;
        line_ += c;
        if (line_.size() > kMaxLine) return Incomplete("a chunk header line is too long");
        if (line_.size() >= 2 && line_[line_.size() - 2] == '\r' && c == '\n') {
          std::string line = line_.substr(0, line_.size() - 2);
          line_.clear();
          S3Status e;
          if (state_ == State::kHeader)
            e = OnChunkHeader(line);
          else if (state_ == State::kTrailer)
            e = OnTrailer(line);
          else if (!line.empty())
            e = Incomplete("chunk data longer than its declared size");
          else
            state_ = State::kHeader;
          if (e) return e;
        }
        break;
      }
      case State::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, size));
        if (chunk_sha_) chunk_sha_->Update(data, n);
        if (S3Status e = Emit(data, n, sink)) return e;
        data += n;
        size -= n;
        chunk_left_ -= n;
        if (chunk_left_ == 0) {
          if (S3Status e = OnChunkEnd()) return e;
          state_ = State::kDataEnd;
        }
        break;
      }
      case State::kDone:
        return Incomplete("bytes after the final chunk");
    }
  }
  return std::nullopt;
}

S3Status BodyDecoder::OnChunkHeader(const std::string& line) {
  const size_t semi = line.find(';');
  const std::string hex = line.substr(0, semi);
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
  if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
    return Incomplete("bad chunk size '" + hex.substr(0, 32) + "'");
  if (size > kMaxChunk) return Incomplete("a chunk is larger than 64 MiB");
  chunk_signature_.clear();
  if (semi != std::string::npos) {
    const std::string ext = line.substr(semi + 1);
    if (ext.rfind("chunk-signature=", 0) == 0) chunk_signature_ = ext.substr(16);
  }
  if (auth_.payload == PayloadMode::kStreamingSigned) {
    if (chunk_signature_.empty()) return Incomplete("a chunk has no chunk-signature");
    chunk_sha_ = std::make_unique<Digest>(Digest::Kind::kSha256);
  }
  chunk_size_ = size;
  chunk_left_ = size;
  if (size == 0) {
    if (S3Status e = OnChunkEnd()) return e;
    state_ = State::kTrailer;
  } else {
    state_ = State::kData;
  }
  return std::nullopt;
}

S3Status BodyDecoder::OnChunkEnd() {
  if (auth_.payload != PayloadMode::kStreamingSigned) return std::nullopt;
  const std::string expected =
      ChunkSignature(auth_, previous_signature_, HexEncode(chunk_sha_->Finish()));
  if (expected != chunk_signature_)
    return S3Error::Make(403, "SignatureDoesNotMatch",
                         "The chunk signature we calculated does not match the one you provided.");
  previous_signature_ = expected;
  return std::nullopt;
}

S3Status BodyDecoder::OnTrailer(const std::string& line) {
  if (line.empty()) {
    state_ = State::kDone;
    return std::nullopt;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return Incomplete("a malformed trailer line");
  const std::string name = AsciiLower(line.substr(0, colon));
  std::string value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  if (checksum_in_trailer_ && name == "x-amz-checksum-" + checksum_name_)
    checksum_expected_ = value;
  // x-amz-trailer-signature (signed trailers) is not accepted: the verifier refuses that mode.
  return std::nullopt;
}

S3Status BodyDecoder::Finish() {
  if (chunked_ && state_ != State::kDone)
    return Incomplete("the body ended before the final chunk");
  if (has_expected_decoded_ && decoded_ != expected_decoded_)
    return Incomplete("x-amz-decoded-content-length says " + std::to_string(expected_decoded_) +
                      " bytes, the chunks hold " + std::to_string(decoded_));
  const std::string md5 = md5_.Finish();
  md5_hex_ = HexEncode(md5);
  if (payload_sha_ && HexEncode(payload_sha_->Finish()) != auth_.payload_sha256)
    return S3Error::Make(
        400, "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.");
  if (!content_md5_.empty() && md5 != content_md5_)
    return S3Error::Make(400, "BadDigest",
                         "The Content-MD5 you specified did not match what we received.");
  if (checksum_) {
    if (checksum_expected_.empty())
      return S3Error::Make(
          400, "InvalidRequest",
          "the x-amz-checksum-" + checksum_name_ + " trailer was announced but not sent");
    std::string upper = checksum_name_;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (Base64Encode(checksum_->Finish()) != checksum_expected_)
      return S3Error::Make(
          400, "BadDigest",
          "The " + upper + " you specified did not match the calculated checksum.");
  }
  return std::nullopt;
}

}  // namespace ecompipe::api::s3
