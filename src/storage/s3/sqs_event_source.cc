#include "storage/s3/sqs_event_source.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/s3/internal/s3_xml.h"
#include "storage/s3/s3_event_notification.h"

namespace ecompipe::storage::s3 {
namespace {

using Json = nlohmann::json;

}  // namespace

// The records of one message still waiting to be recorded; the message is acknowledged when
// the last one is done, and never when one failed.
struct SqsEventSource::Pending {
  std::mutex mu;
  int remaining = 0;
  bool failed = false;
};

Result<std::unique_ptr<SqsEventSource>> SqsEventSource::Start(SqsSettings settings, std::string bucket,
                                                              ObjectCallback on_object) {
  std::string endpoint_url = settings.endpoint;
  if (endpoint_url.empty()) {
    const size_t scheme = settings.queue_url.find("://");
    const size_t slash = scheme == std::string::npos ? std::string::npos : settings.queue_url.find('/', scheme + 3);
    endpoint_url = settings.queue_url.substr(0, slash);
  }
  Result<Endpoint> endpoint = ParseEndpoint(endpoint_url);
  if (!endpoint.ok())
    return Status::InvalidArgument("SQS queue '" + settings.queue_url + "': " + endpoint.status().message());
  if (settings.credentials.access_key_id.empty() || settings.credentials.secret_access_key.empty())
    return Status::InvalidArgument("SQS queue '" + settings.queue_url + "': no credentials");
  settings.wait_time_seconds = std::clamp(settings.wait_time_seconds, 0, 20);
  settings.max_messages = std::clamp(settings.max_messages, 1, 10);
  std::unique_ptr<SqsEventSource> s(
      new SqsEventSource(std::move(settings), std::move(*endpoint), std::move(bucket), std::move(on_object)));
  s->thread_ = std::thread([p = s.get()] { p->Run(); });
  s->deleter_ = std::thread([p = s.get()] { p->RunDeleter(); });
  return s;
}

SqsEventSource::SqsEventSource(SqsSettings settings, Endpoint endpoint, std::string bucket,
                               ObjectCallback on_object)
    : settings_(std::move(settings)),
      endpoint_(std::move(endpoint)),
      bucket_(std::move(bucket)),
      on_object_(std::move(on_object)) {}

SqsEventSource::~SqsEventSource() { Stop(); }

void SqsEventSource::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (deleter_.joinable()) deleter_.join();
}

bool SqsEventSource::Sleep(int64_t ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
}

std::string SqsEventSource::ReceiveBody(const SqsSettings& s) {
  return Json{{"QueueUrl", s.queue_url},
              {"MaxNumberOfMessages", s.max_messages},
              {"WaitTimeSeconds", s.wait_time_seconds},
              {"AttributeNames", {"ApproximateReceiveCount"}}}
      .dump();
}

std::string SqsEventSource::DeleteBody(const std::string& queue_url, const std::string& receipt_handle) {
  return Json{{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}}.dump();
}

Result<std::string> SqsEventSource::Call(const std::string& action, const std::string& body, long timeout_ms,
                                         bool cancellable) {
  HttpCall call;
  call.method = "POST";
  call.target.host = endpoint_.host;
  call.target.path = "/";
  call.target.url = endpoint_.scheme + "://" + endpoint_.host + "/";
  call.service = "sqs";
  call.region = settings_.region;
  call.credentials = settings_.credentials;
  call.body = body;
  call.headers = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "AmazonSQS." + action}};
  call.timeout_ms = timeout_ms;
  if (cancellable) call.cancel = &stop_;
  call.max_body_bytes = 4 << 20;
  const std::string what = "SQS " + action + " on " + settings_.queue_url;
  Result<HttpReply> r = Perform(call);
  if (!r.ok()) return Status(r.status().code(), what + ": " + r.status().message());
  if (r->status >= 200 && r->status < 300) return std::move(r->body);
  // SQS's JSON errors: {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"…"}.
  std::string detail = "HTTP " + std::to_string(r->status);
  Json err = Json::parse(r->body, nullptr, false);
  if (err.is_object()) {
    std::string type = err.value("__type", "");
    if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    std::string message = err.contains("message") && err["message"].is_string() ? err["message"].get<std::string>()
                          : err.contains("Message") && err["Message"].is_string() ? err["Message"].get<std::string>()
                                                                                    : "";
    if (!type.empty()) detail += " " + type;
    if (!message.empty()) detail += ": " + message;
  } else if (!r->body.empty()) {
    S3Error e = ParseS3Error(r->body);
    if (!e.code.empty()) detail += " " + e.code + ": " + e.message;
  }
  if (r->status == 403)
    return Status::InvalidArgument(what + ": " + detail + " (access denied: check the credentials and the "
                                                          "queue's policy)");
  if (RetryableHttp(r->status)) return Status::Unavailable(what + ": " + detail);
  return Status::InvalidArgument(what + ": " + detail);
}

void SqsEventSource::Run() {
  spdlog::info("SQS event source polling. queue={} bucket={}", settings_.queue_url, bucket_);
  int failures = 0;
  const long timeout_ms = (settings_.wait_time_seconds + 15) * 1000L;
  while (!stop_.load()) {
    Result<std::string> answer = Call("ReceiveMessage", ReceiveBody(settings_), timeout_ms, true);
    if (stop_.load()) break;
    if (!answer.ok()) {
      ++failures;
      // One line per streak for a refused request; transient failures each get a warning.
      if (failures == 1 || answer.status().code() != StatusCode::kInvalidArgument)
        spdlog::error("SQS event source cannot receive; backing off. queue={} error={}", settings_.queue_url,
                      answer.status().ToString());
      const int64_t cap = answer.status().code() == StatusCode::kInvalidArgument ? 60000 : 30000;
      if (!Sleep(std::min<int64_t>(cap, 1000LL << std::min(failures - 1, 6)))) break;
      continue;
    }
    if (failures > 0) spdlog::info("SQS event source receiving again. queue={}", settings_.queue_url);
    failures = 0;
    Json doc = Json::parse(*answer, nullptr, false);
    if (!doc.is_object()) {
      spdlog::error("SQS ReceiveMessage answer is not JSON. queue={}", settings_.queue_url);
      if (!Sleep(1000)) break;
      continue;
    }
    auto messages = doc.find("Messages");
    if (messages == doc.end() || !messages->is_array()) continue;  // long poll ended empty
    for (const Json& m : *messages) {
      if (!m.is_object()) continue;
      std::string body = m.value("Body", ""), handle = m.value("ReceiptHandle", ""), id = m.value("MessageId", "");
      if (handle.empty()) continue;
      Handle(body, handle, id);
    }
  }
}

void SqsEventSource::Handle(const std::string& body, const std::string& handle, const std::string& id) {
  Result<std::vector<S3EventRecord>> records = ParseS3EventNotification(body);
  if (!records.ok()) {
    spdlog::warn("SQS message is not an S3 event notification; left in the queue (its redrive policy "
                 "decides). queue={} message_id={} error={}",
                 settings_.queue_url, id, records.status().ToString());
    return;
  }
  std::vector<const S3EventRecord*> wanted;
  for (const S3EventRecord& r : *records) {
    if (!r.created()) continue;
    if (r.bucket != bucket_) {
      spdlog::warn("S3 notification for another bucket ignored. queue={} bucket={} key={}", settings_.queue_url,
                   r.bucket, r.key);
      continue;
    }
    wanted.push_back(&r);
  }
  auto acknowledge = [this, handle] {
    {
      std::lock_guard lock(mu_);
      to_delete_.push_back(handle);
    }
    cv_.notify_all();
  };
  if (wanted.empty()) return acknowledge();
  auto pending = std::make_shared<Pending>();
  pending->remaining = static_cast<int>(wanted.size());
  for (const S3EventRecord* r : wanted) {
    on_object_(r->key, [pending, acknowledge, key = r->key, id](bool recorded) {
      bool last = false;
      {
        std::lock_guard lock(pending->mu);
        if (!recorded) pending->failed = true;
        last = --pending->remaining == 0;
      }
      if (!last) return;
      if (pending->failed) {
        spdlog::warn("SQS message kept: an object of it could not be recorded; SQS delivers it again. "
                     "message_id={} key={}", id, key);
        return;
      }
      acknowledge();
    });
  }
}

void SqsEventSource::RunDeleter() {
  while (true) {
    std::vector<std::string> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_.load() || !to_delete_.empty(); });
      batch.swap(to_delete_);
      if (batch.empty() && stop_.load()) return;
    }
    for (const std::string& handle : batch) {
      // Deletes go out even while stopping: these messages are recorded, and deleting them
      // now saves a redelivery. A failure only costs that redelivery.
      Result<std::string> r = Call("DeleteMessage", DeleteBody(settings_.queue_url, handle), 15000, false);
      if (!r.ok()) {
        spdlog::warn("SQS DeleteMessage failed; the message will be delivered again and deduplicated. "
                     "queue={} error={}", settings_.queue_url, r.status().ToString());
      }
    }
  }
}

}  // namespace ecompipe::storage::s3
