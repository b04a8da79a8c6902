#include "storage/compression.h"

#include <fmt/format.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <utility>
#include <vector>

namespace ecompipe::storage {
namespace {

constexpr size_t kSniffBytes = 4;
constexpr size_t kGzipInputBytes = 64 * 1024;

bool IsGzipMagic(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

// A zstd frame (28 b5 2f fd) or a skippable frame (5? 2a 4d 18), which zstd streams may
// start with.
bool IsZstdMagic(std::string_view head) {
  if (head.size() < 4) return false;
  const auto b = [&](int i) { return static_cast<unsigned char>(head[i]); };
  if (b(0) == 0x28 && b(1) == 0xb5 && b(2) == 0x2f && b(3) == 0xfd) return true;
  return (b(0) & 0xf0) == 0x50 && b(1) == 0x2a && b(2) == 0x4d && b(3) == 0x18;
}

// The raw stream with the bytes already taken for sniffing put back in front. Counts the
// compressed bytes handed out, for error messages.
class Source {
 public:
  Source(std::string head, std::unique_ptr<InputStream> raw)
      : head_(std::move(head)), raw_(std::move(raw)) {}

  Result<size_t> Read(char* buffer, size_t capacity) {
    size_t n = 0;
    if (head_pos_ < head_.size()) {
      n = std::min(capacity, head_.size() - head_pos_);
      std::memcpy(buffer, head_.data() + head_pos_, n);
      head_pos_ += n;
    } else {
      EP_ASSIGN_OR_RETURN(n, raw_->Read(buffer, capacity));
    }
    total_ += n;
    return n;
  }

  // Bytes handed out so far.
  uint64_t total() const { return total_; }

 private:
  std::string head_;
  size_t head_pos_ = 0;
  std::unique_ptr<InputStream> raw_;
  uint64_t total_ = 0;
};

// Counts what a decoder produced against DecodeLimits.
class Bound {
 public:
  explicit Bound(const DecodeLimits& limits) : limits_(limits) {}

  // Adds `produced` decoded bytes, `compressed` having been read so far; an error once a limit
  // is passed.
  Status Add(size_t produced, uint64_t compressed, std::string_view codec) {
    decoded_ += produced;
    if (limits_.max_bytes > 0 && decoded_ > limits_.max_bytes) {
      return Status::CorruptInput(fmt::format(
          "{} stream decompresses to more than max_decoded_bytes {} (at compressed byte {}); "
          "refused as a decompression bomb",
          codec, limits_.max_bytes, compressed));
    }
    if (limits_.max_ratio > 0 && decoded_ > limits_.ratio_floor_bytes && compressed > 0 &&
        static_cast<double>(decoded_) > limits_.max_ratio * static_cast<double>(compressed)) {
      return Status::CorruptInput(fmt::format(
          "{} stream decompresses to more than max_decoded_ratio {} times its compressed size "
          "({} bytes from {}); refused as a decompression bomb",
          codec, limits_.max_ratio, decoded_, compressed));
    }
    return Status::Ok();
  }

 private:
  DecodeLimits limits_;
  uint64_t decoded_ = 0;
};

class PassThroughStream final : public InputStream {
 public:
  explicit PassThroughStream(Source source) : source_(std::move(source)) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (capacity == 0) return size_t{0};
    return source_.Read(buffer, capacity);
  }

 private:
  Source source_;
};

// Inflates gzip members one after another (RFC 1952 allows concatenation; `cat a.gz b.gz`
// is a valid gzip file). Any bytes after a member must start another member.
class GzipStream final : public InputStream {
 public:
  GzipStream(Source source, const DecodeLimits& limits)
      : source_(std::move(source)), input_(kGzipInputBytes), bound_(limits) {}
  ~GzipStream() override {
    if (initialized_) inflateEnd(&z_);
  }

  Status Init() {
    std::memset(&z_, 0, sizeof(z_));
    // 16 + MAX_WBITS: expect a gzip header and trailer, not zlib's.
    const int rc = inflateInit2(&z_, 16 + MAX_WBITS);
    if (rc != Z_OK) return Status::Internal("inflateInit2 failed: " + std::to_string(rc));
    initialized_ = true;
    return Status::Ok();
  }

  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (!error_.ok()) return error_;
    if (done_ || capacity == 0) return size_t{0};
    for (;;) {
      if (z_.avail_in == 0 && !source_ended_) {
        auto n = source_.Read(input_.data(), input_.size());
        if (!n.ok()) return Fail(n.status());
        if (*n == 0) {
          source_ended_ = true;
        } else {
          z_.next_in = reinterpret_cast<Bytef*>(input_.data());
          z_.avail_in = static_cast<uInt>(*n);
        }
      }
      if (z_.avail_in == 0 && source_ended_ && !in_member_) {
        done_ = true;
        return size_t{0};
      }
      if (!in_member_) {
        if (member_count_ > 0 && *z_.next_in != 0x1f) {
          return Fail(Corrupt("data after the end of gzip member " + std::to_string(member_count_) +
                              " is not another gzip member"));
        }
        if (member_count_ > 0) inflateReset(&z_);
        in_member_ = true;
        ++member_count_;
      }
      // uInt is 32 bits; a larger request is simply served in part.
      const auto out_capacity = static_cast<uInt>(std::min<size_t>(capacity, 1u << 30));
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = out_capacity;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const size_t produced = out_capacity - z_.avail_out;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc == Z_BUF_ERROR) {
        // No progress possible: only legitimate when all input was consumed.
        if (z_.avail_in != 0) return Fail(Corrupt("inflate made no progress"));
      } else if (rc == Z_MEM_ERROR) {
        return Fail(Status::Internal("gzip decoder out of memory"));
      } else if (rc != Z_OK) {
        return Fail(Corrupt(z_.msg != nullptr ? z_.msg : "inflate error " + std::to_string(rc)));
      }
      if (produced > 0) {
        if (Status s = bound_.Add(produced, source_.total(), "gzip"); !s.ok()) return Fail(s);
        return produced;
      }
      // At the end of the input, a member that is still open was cut short.
      if (in_member_ && source_ended_ && z_.avail_in == 0) {
        return Fail(Status::CorruptInput("truncated gzip stream at compressed byte " +
                                         std::to_string(source_.total())));
      }
    }
  }

 private:
  // Offset of the first compressed byte the decoder has not consumed.
  uint64_t Offset() const { return source_.total() - z_.avail_in; }

  Status Corrupt(const std::string& what) const {
    return Status::CorruptInput("corrupt gzip stream: " + what + " (at compressed byte " +
                                std::to_string(Offset()) + ")");
  }

  Status Fail(Status status) {
    error_ = std::move(status);
    return error_;
  }

  Source source_;
  std::vector<char> input_;
  z_stream z_;
  bool initialized_ = false;
  bool in_member_ = false;
  bool source_ended_ = false;
  bool done_ = false;
  uint64_t member_count_ = 0;
  Bound bound_;
  Status error_;
};

// Decodes zstd frames one after another; ZSTD_decompressStream starts the next frame by
// itself. Memory is bounded by libzstd's default window limit (ZSTD_d_windowLogMax).
class ZstdStream final : public InputStream {
 public:
  ZstdStream(Source source, const DecodeLimits& limits)
      : source_(std::move(source)), input_(ZSTD_DStreamInSize()), bound_(limits) {}
  ~ZstdStream() override { ZSTD_freeDStream(dstream_); }

  Status Init() {
    dstream_ = ZSTD_createDStream();
    if (dstream_ == nullptr) return Status::Internal("ZSTD_createDStream failed");
    const size_t rc = ZSTD_initDStream(dstream_);
    if (ZSTD_isError(rc)) {
      return Status::Internal(std::string("ZSTD_initDStream failed: ") + ZSTD_getErrorName(rc));
    }
    in_ = ZSTD_inBuffer{input_.data(), 0, 0};
    return Status::Ok();
  }

  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (!error_.ok()) return error_;
    if (done_ || capacity == 0) return size_t{0};
    for (;;) {
      // When the last call filled the output, the decoder may hold more without new input.
      if (in_.pos == in_.size && !output_was_full_) {
        auto n = source_.Read(input_.data(), input_.size());
        if (!n.ok()) return Fail(n.status());
        if (*n == 0) {
          if (in_frame_) {
            return Fail(Status::CorruptInput("truncated zstd stream at compressed byte " +
                                             std::to_string(source_.total())));
          }
          done_ = true;
          return size_t{0};
        }
        in_ = ZSTD_inBuffer{input_.data(), *n, 0};
      }
      ZSTD_outBuffer out{buffer, capacity, 0};
      const size_t in_pos_before = in_.pos;
      const size_t rc = ZSTD_decompressStream(dstream_, &out, &in_);
      if (ZSTD_isError(rc)) {
        return Fail(Status::CorruptInput(
            std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc) + " (at compressed byte " +
            std::to_string(source_.total() - (in_.size - in_.pos)) + ")"));
      }
      // 0 means a frame is complete and flushed; anything else, the frame goes on. A call
      // that neither consumed nor produced anything (flushing after a full output buffer)
      // changed nothing, and between frames it returns a nonzero size hint all the same.
      if (in_.pos != in_pos_before || out.pos > 0) in_frame_ = rc != 0;
      output_was_full_ = out.pos == out.size;
      if (out.pos > 0) {
        if (Status s = bound_.Add(out.pos, source_.total(), "zstd"); !s.ok()) return Fail(s);
        return out.pos;
      }
    }
  }

 private:
  Status Fail(Status status) {
    error_ = std::move(status);
    return error_;
  }

  Source source_;
  std::vector<char> input_;
  ZSTD_DStream* dstream_ = nullptr;
  ZSTD_inBuffer in_{};
  bool in_frame_ = false;
  bool output_was_full_ = false;
  bool done_ = false;
  Bound bound_;
  Status error_;
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

Result<std::unique_ptr<InputStream>> OpenDecoded(std::unique_ptr<InputStream> raw,
                                                 Compression* detected,
                                                 const DecodeLimits& limits) {
  if (raw == nullptr) return Status::InvalidArgument("OpenDecoded: no input stream");
  // Read() may return fewer bytes than asked, so gather the magic number in a loop.
  std::string head(kSniffBytes, '\0');
  size_t have = 0;
  while (have < kSniffBytes) {
    EP_ASSIGN_OR_RETURN(size_t n, raw->Read(head.data() + have, kSniffBytes - have));
    if (n == 0) break;
    have += n;
  }
  head.resize(have);

  Compression kind = Compression::kNone;
  if (IsGzipMagic(head)) {
    kind = Compression::kGzip;
  } else if (IsZstdMagic(head)) {
    kind = Compression::kZstd;
  }
  if (detected != nullptr) *detected = kind;

  Source source(std::move(head), std::move(raw));
  switch (kind) {
    case Compression::kGzip: {
      auto stream = std::make_unique<GzipStream>(std::move(source), limits);
      EP_RETURN_IF_ERROR(stream->Init());
      return std::unique_ptr<InputStream>(std::move(stream));
    }
    case Compression::kZstd: {
      auto stream = std::make_unique<ZstdStream>(std::move(source), limits);
      EP_RETURN_IF_ERROR(stream->Init());
      return std::unique_ptr<InputStream>(std::move(stream));
    }
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<InputStream>(std::make_unique<PassThroughStream>(std::move(source)));
}

}  // namespace ecompipe::storage
