#include "storage/s3/s3_object_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/base64.h"
#include "common/digest.h"

namespace ecompipe::storage::s3 {
namespace {

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// A single-part upload's ETag is the hex MD5 of the content; multipart ones end in "-N".
bool IsMd5Etag(const std::string& etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "Wed, 26 Nov 2026 17:00:00 GMT" (HTTP's Last-Modified) -> epoch ms; 0 when unreadable.
int64_t ParseHttpDate(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

bool ParseU64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// S3's bucket naming rules, loosely: 3-63 characters of [a-z0-9.-] (MinIO and Ceph accept
// some upper case too, which is why upper case passes; what matters here is that the name
// cannot change the URL's meaning).
bool PlausibleBucketName(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

}  // namespace

// --- the streaming GET -------------------------------------------------------------------

class S3ObjectStore::Stream final : public InputStream {
 public:
  Stream(const S3ObjectStore& store, ObjectRef object)
      : store_(store), object_(std::move(object)) {}

  ~Stream() override {
    {
      std::lock_guard lock(mu_);
      cancel_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Starts the transfer and waits for its first answer, so that a missing object or a
  // refused request is reported by Open().
  Status Start() {
    thread_ = std::thread([this] { Run(); });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ || done_; });
    if (done_ && !final_.ok() && chunks_.empty()) return final_;
    return Status::Ok();
  }

  Result<size_t> Read(char* buffer, size_t capacity) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || done_; });
    if (chunks_.empty()) {
      if (!final_.ok()) return final_;
      return size_t{0};
    }
    std::string& front = chunks_.front();
    const size_t n = std::min(capacity, front.size() - front_offset_);
    std::copy_n(front.data() + front_offset_, n, buffer);
    front_offset_ += n;
    if (front_offset_ == front.size()) {
      buffered_ -= front.size();
      chunks_.pop_front();
      front_offset_ = 0;
      cv_.notify_all();
    }
    return n;
  }

 private:
  static constexpr int kMaxAttemptsTotal = 20;

  void Finish(Status s) {
    {
      std::lock_guard lock(mu_);
      done_ = true;
      final_ = std::move(s);
    }
    cv_.notify_all();
  }

  void MarkStarted() {
    {
      std::lock_guard lock(mu_);
      started_ = true;
    }
    cv_.notify_all();
  }

  // Waits `ms`, or less when the stream is destroyed; false when it was.
  bool Sleep(int64_t ms) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return cancel_.load(); });
  }

  // Hands bytes to the reader, waiting while the buffer is full. False once cancelled.
  bool Deliver(const char* data, size_t n) {
    md5_.Update(data, n);
    received_ += n;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return buffered_ < kStreamBufferBytes || cancel_.load(); });
    if (cancel_) return false;
    if (!chunks_.empty() && chunks_.back().size() < 256 * 1024) {
      chunks_.back().append(data, n);  // curl delivers 16 KiB at a time; fewer, larger chunks
    } else {
      chunks_.emplace_back(data, n);
    }
    buffered_ += n;
    started_ = true;
    cv_.notify_all();
    return true;
  }

  void Run() {
    const std::string what = "GetObject " + object_.key;
    int failures_without_progress = 0;
    uint64_t expected = object_.size;
    bool size_known = !object_.etag.empty();  // a listed or headed object: its size is exact
    for (int attempt = 1;; ++attempt) {
      {
        std::lock_guard lock(mu_);
        if (cancel_) return;
      }
      HttpCall call = store_.MakeCall("GET", object_.key, {});
      call.timeout_ms = 0;
      call.cancel = &cancel_;
      const uint64_t from = received_;
      if (from > 0) call.headers.emplace_back("Range", "bytes=" + std::to_string(from) + "-");
      if (!object_.etag.empty()) call.headers.emplace_back("If-Match", "\"" + object_.etag + "\"");
      std::string error_body;
      Status refused;  // set when the answer's headers do not fit what was asked
      bool checked = false;
      call.sink = [&](const char* data, size_t n, long status) -> bool {
        if (status < 200 || status >= 300) {
          if (error_body.size() < 4096)
            error_body.append(data, std::min(n, 4096 - error_body.size()));
          return true;
        }
        if (!checked) {
          checked = true;
          if (from > 0 && status != 206) {
            refused = Status::Unavailable(what + ": the server ignored the Range header (HTTP " +
                                          std::to_string(status) + ") when resuming at byte " +
                                          std::to_string(from));
            return false;
          }
          MarkStarted();
        }
        return Deliver(data, n);
      };
      Result<HttpReply> r = Perform(call);
      {
        std::lock_guard lock(mu_);
        if (cancel_) return;
      }
      if (!refused.ok()) return Finish(refused);
      const bool progressed = received_ > from;
      if (progressed) failures_without_progress = 0;
      Status failure;
      if (r.ok() && r->status >= 200 && r->status < 300) {
        if (!size_known) {
          uint64_t length = 0;
          if (ParseU64(r->Header("content-length"), length)) {
            expected = from + length;
            size_known = true;
          }
        }
        if (!size_known || received_ == expected) return Verify(expected, size_known);
        if (received_ > expected)
          return Finish(Status::CorruptInput(what + ": received " + std::to_string(received_) +
                                             " bytes, the object has " + std::to_string(expected)));
        failure =
            Status::Unavailable(what + ": the answer ended after " + std::to_string(received_) +
                                " of " + std::to_string(expected) + " bytes");
      } else if (r.ok()) {
        r->body = error_body;
        if (r->status == 412)
          return Finish(Status::CorruptInput(
              what + ": the object changed while being read (ETag is no longer " + object_.etag +
              "); its new version is loaded through its own event"));
        if (!RetryableHttp(r->status)) return Finish(store_.ErrorFor(*r, what));
        failure = Status::Unavailable(what + ": " + DescribeFailure(*r));
      } else {
        failure = r.status();
      }
      if (!progressed) ++failures_without_progress;
      if (failures_without_progress >= store_.settings_.max_attempts ||
          attempt >= kMaxAttemptsTotal)
        return Finish(Status(failure.code(), failure.message() + " (after " +
                                                 std::to_string(attempt) + " attempts; " +
                                                 store_.where_ + ")"));
      const int64_t backoff = store_.settings_.base_backoff_ms
                              << std::min(failures_without_progress, 6);
      spdlog::warn("Object read interrupted; resuming. key={} at_byte={} attempt={} error={}",
                   object_.key, received_, attempt, failure.ToString());
      if (!Sleep(backoff)) return;
    }
  }

  void Verify(uint64_t expected, bool size_known) {
    if (size_known && received_ != expected) {
      return Finish(Status::Unavailable("GetObject " + object_.key + ": read " +
                                        std::to_string(received_) + " bytes, expected " +
                                        std::to_string(expected)));
    }
    if (IsMd5Etag(object_.etag)) {
      const std::string md5 = HexEncode(md5_.Finish());
      if (md5 != object_.etag)
        return Finish(Status::Unavailable("GetObject " + object_.key +
                                          ": the bytes read have MD5 " + md5 + ", the ETag says " +
                                          object_.etag + " (corrupted in transit)"));
    }
    Finish(Status::Ok());
  }

  const S3ObjectStore& store_;
  const ObjectRef object_;
  std::thread thread_;
  Digest md5_{Digest::Kind::kMd5};     // transfer thread only
  uint64_t received_ = 0;              // transfer thread only

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;  // guarded by mu_
  size_t front_offset_ = 0;
  size_t buffered_ = 0;
  bool started_ = false;
  bool done_ = false;
  std::atomic<bool> cancel_{false};  // set under mu_, read by curl's progress callback too
  Status final_;
};

// --- the store -----------------------------------------------------------------------------

S3ObjectStore::S3ObjectStore(S3Settings settings, Endpoint endpoint)
    : settings_(std::move(settings)),
      endpoint_(std::move(endpoint)),
      where_("bucket '" + settings_.bucket + "' at " + settings_.endpoint) {}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(S3Settings settings) {
  if (!PlausibleBucketName(settings.bucket))
    return Status::InvalidArgument("S3 bucket name '" + settings.bucket +
                                   "' is not valid (3-63 characters: a-z, 0-9, '.', '-')");
  if (settings.region.empty())
    return Status::InvalidArgument("S3 bucket '" + settings.bucket + "': no region");
  if (settings.endpoint.empty())
    settings.endpoint = "https://s3." + settings.region + ".amazonaws.com";
  EP_ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(settings.endpoint));
  if (settings.credentials.access_key_id.empty() || settings.credentials.secret_access_key.empty())
    return Status::InvalidArgument("S3 bucket '" + settings.bucket + "' at " + settings.endpoint +
                                   ": no credentials (set storage.access_key_id and "
                                   "storage.secret_access_key, or AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY)");
  if (settings.max_attempts < 1) settings.max_attempts = 1;
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(settings), std::move(endpoint)));
}

bool S3ObjectStore::IsListedObject(const std::string& key) {
  return ValidateKey(key).ok() && !IsTemporaryName(key);
}

HttpCall S3ObjectStore::MakeCall(const std::string& method, const std::string& key,
                                 const Params& query) const {
  HttpCall call;
  call.method = method;
  call.target = BuildTarget(endpoint_, settings_.bucket,
                            settings_.addressing == Addressing::kVirtual, key, query);
  call.region = settings_.region;
  call.credentials = settings_.credentials;
  call.timeout_ms = settings_.timeout_ms;
  return call;
}

Status S3ObjectStore::ErrorFor(const HttpReply& reply, const std::string& what) const {
  const std::string failure = DescribeFailure(reply);
  const std::string msg = what + ": " + where_ + ": " + failure;
  if (reply.status == 403)
    return Status::InvalidArgument(msg +
                                   " (access denied: check access_key_id and secret_access_key, "
                                   "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the "
                                   "bucket's policy; not retried)");
  if (reply.status == 404) return Status::NotFound(msg);
  if (reply.status == 301 || reply.status == 307 || reply.status == 308) {
    std::string region = reply.Header("x-amz-bucket-region");
    return Status::InvalidArgument(msg + " (redirected: the bucket is in " +
                                   (region.empty() ? "another region" : "region '" + region + "'") +
                                   "; set storage.region or storage.endpoint)");
  }
  if (RetryableHttp(reply.status)) return Status::Unavailable(msg);
  return Status::InvalidArgument(msg);
}

Result<HttpReply> S3ObjectStore::Send(const HttpCall& call, const std::string& what) const {
  for (int attempt = 1;; ++attempt) {
    Result<HttpReply> r = Perform(call);
    Status failure;
    if (r.ok()) {
      if (r->status >= 200 && r->status < 300) return r;
      failure = ErrorFor(*r, what);
      if (!RetryableHttp(r->status)) return failure;
    } else {
      if (!r.status().retryable())
        return Status(r.status().code(), what + ": " + where_ + ": " + r.status().message());
      failure = Status(r.status().code(), what + ": " + where_ + ": " + r.status().message());
    }
    if (attempt >= settings_.max_attempts)
      return Status(failure.code(),
                    failure.message() + " (after " + std::to_string(attempt) + " attempts)");
    const int64_t backoff = settings_.base_backoff_ms << (attempt - 1);
    spdlog::warn("S3 request failed; retrying. request={} attempt={} in_ms={} error={}", what,
                 attempt, backoff, failure.message());
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
  }
}

Result<ObjectRef> S3ObjectStore::Head(const std::string& key) const {
  EP_RETURN_IF_ERROR(ValidateKey(key));
  EP_ASSIGN_OR_RETURN(HttpReply r, Send(MakeCall("HEAD", key, {}), "HeadObject " + key));
  ObjectRef ref;
  ref.bucket = settings_.bucket;
  ref.key = key;
  ref.etag = Unquote(r.Header("etag"));
  if (!ParseU64(r.Header("content-length"), ref.size))
    return Status::CorruptInput("HeadObject " + key + ": " + where_ +
                                ": no Content-Length in the answer");
  ref.mtime_ms = ParseHttpDate(r.Header("last-modified"));
  return ref;
}

Result<ListPage> S3ObjectStore::ListObjectsPage(const std::string& prefix,
                                                const std::string& start_after,
                                                const std::string& continuation_token,
                                                int max_keys) const {
  Params query = {{"list-type", "2"}, {"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))}};
  if (!prefix.empty()) query.emplace_back("prefix", prefix);
  if (!start_after.empty()) query.emplace_back("start-after", start_after);
  if (!continuation_token.empty()) query.emplace_back("continuation-token", continuation_token);
  EP_ASSIGN_OR_RETURN(HttpReply r, Send(MakeCall("GET", "", query), "ListObjectsV2"));
  Result<s3::ListPage> page = ParseListObjectsV2(r.body);
  if (!page.ok()) return Status::CorruptInput(where_ + ": " + page.status().message());
  for (ObjectRef& o : page->objects) o.bucket = settings_.bucket;
  return page;
}

Result<std::vector<ObjectRef>> S3ObjectStore::List(const std::string& prefix) const {
  std::vector<ObjectRef> out;
  std::string token;
  for (int pages = 1;; ++pages) {
    EP_ASSIGN_OR_RETURN(s3::ListPage page, ListObjectsPage(prefix, "", token, 1000));
    for (ObjectRef& o : page.objects)
      if (IsListedObject(o.key)) out.push_back(std::move(o));
    if (!page.is_truncated) break;
    if (page.next_continuation_token == token)
      return Status::CorruptInput("ListObjectsV2: " + where_ +
                                  ": the same continuation token twice");
    token = std::move(page.next_continuation_token);
  }
  return out;
}

Result<std::unique_ptr<InputStream>> S3ObjectStore::Open(const ObjectRef& object) const {
  if (!object.bucket.empty() && object.bucket != settings_.bucket)
    return Status::InvalidArgument("object " + object.key + " is in bucket '" + object.bucket +
                                   "', not in " + where_);
  EP_RETURN_IF_ERROR(ValidateKey(object.key));
  auto stream = std::make_unique<Stream>(*this, object);
  EP_RETURN_IF_ERROR(stream->Start());
  return std::unique_ptr<InputStream>(std::move(stream));
}

Result<ObjectRef> S3ObjectStore::Put(const std::string& key, const std::filesystem::path& source) {
  EP_RETURN_IF_ERROR(ValidateKey(key));
  std::ifstream in(source, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + source.string());
  Digest md5(Digest::Kind::kMd5), sha(Digest::Kind::kSha256);
  std::vector<char> buffer(1 << 20);
  uint64_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<size_t>(in.gcount());
    md5.Update(buffer.data(), n);
    sha.Update(buffer.data(), n);
    size += n;
  }
  if (in.bad()) return Status::IoError("cannot read " + source.string());
  constexpr uint64_t kMaxSinglePut = 5ull << 30;
  if (size > kMaxSinglePut)
    return Status::InvalidArgument(source.string() +
                                   " is larger than 5 GiB; multipart upload is not "
                                   "supported (use aws s3 cp)");
  const std::string md5_raw = md5.Finish();
  HttpCall call = MakeCall("PUT", key, {});
  call.body_file = source.string();
  call.body_file_size = size;
  call.payload_hash = HexEncode(sha.Finish());
  call.headers = {{"Content-MD5", Base64Encode(md5_raw)},
                  {"Content-Type", "application/octet-stream"}};
  call.timeout_ms = 0;
  EP_ASSIGN_OR_RETURN(HttpReply r, Send(call, "PutObject " + key));
  const std::string etag = Unquote(r.Header("etag"));
  if (IsMd5Etag(etag) && etag != HexEncode(md5_raw))
    return Status::Unavailable("PutObject " + key + ": " + where_ + ": the stored ETag " + etag +
                               " is not the MD5 of what was sent");
  return Head(key);
}

Status S3ObjectStore::Delete(const std::string& key) {
  EP_RETURN_IF_ERROR(ValidateKey(key));
  Result<HttpReply> r = Send(MakeCall("DELETE", key, {}), "DeleteObject " + key);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) return r.status();
  return Status::Ok();
}

}  // namespace ecompipe::storage::s3
