#include "storage/s3/sqs_queue.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "storage/s3/internal/s3_xml.h"

namespace ecompipe::storage::s3 {
namespace {

using Json = nlohmann::json;

}  // namespace

Result<std::unique_ptr<HttpSqsQueue>> HttpSqsQueue::Open(const SqsSettings& settings) {
  std::string endpoint_url = settings.endpoint;
  if (endpoint_url.empty()) {
    const size_t scheme = settings.queue_url.find("://");
    const size_t slash =
        scheme == std::string::npos ? std::string::npos : settings.queue_url.find('/', scheme + 3);
    endpoint_url = settings.queue_url.substr(0, slash);
  }
  Result<Endpoint> endpoint = ParseEndpoint(endpoint_url);
  if (!endpoint.ok())
    return Status::InvalidArgument("SQS queue '" + settings.queue_url +
                                   "': " + endpoint.status().message());
  if (settings.credentials.access_key_id.empty() || settings.credentials.secret_access_key.empty())
    return Status::InvalidArgument("SQS queue '" + settings.queue_url + "': no credentials");
  return std::unique_ptr<HttpSqsQueue>(new HttpSqsQueue(settings.queue_url, std::move(*endpoint),
                                                        settings.region, settings.credentials));
}

std::string HttpSqsQueue::ReceiveBody(const std::string& queue_url, int max_messages,
                                      int wait_seconds, int visibility_seconds) {
  return Json{{"QueueUrl", queue_url},
              {"MaxNumberOfMessages", max_messages},
              {"WaitTimeSeconds", wait_seconds},
              {"VisibilityTimeout", visibility_seconds},
              {"AttributeNames", {"ApproximateReceiveCount"}}}
      .dump();
}

std::string HttpSqsQueue::BatchBody(const std::string& queue_url,
                                    const std::vector<std::string>& handles,
                                    int visibility_seconds) {
  Json entries = Json::array();
  for (size_t i = 0; i < handles.size(); ++i) {
    Json e = {{"Id", std::to_string(i)}, {"ReceiptHandle", handles[i]}};
    if (visibility_seconds >= 0) e["VisibilityTimeout"] = visibility_seconds;
    entries.push_back(std::move(e));
  }
  return Json{{"QueueUrl", queue_url}, {"Entries", std::move(entries)}}.dump();
}

Result<std::string> HttpSqsQueue::Call(const std::string& action, const std::string& body,
                                       long timeout_ms, const std::atomic<bool>* cancel) const {
  HttpCall call;
  call.method = "POST";
  call.target.host = endpoint_.host;
  call.target.path = "/";
  call.target.url = endpoint_.scheme + "://" + endpoint_.host + "/";
  call.service = "sqs";
  call.region = region_;
  call.credentials = credentials_;
  call.body = body;
  call.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                  {"X-Amz-Target", "AmazonSQS." + action}};
  call.timeout_ms = timeout_ms;
  call.cancel = cancel;
  call.max_body_bytes = 4 << 20;
  const std::string what = "SQS " + action + " on " + queue_url_;
  Result<HttpReply> r = Perform(call);
  if (!r.ok()) return Status(r.status().code(), what + ": " + r.status().message());
  if (r->status >= 200 && r->status < 300) return std::move(r->body);
  // SQS's JSON errors: {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"…"}.
  std::string detail = "HTTP " + std::to_string(r->status);
  Json err = Json::parse(r->body, nullptr, false);
  if (err.is_object()) {
    std::string type = err.value("__type", "");
    if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    std::string message =
        err.contains("message") && err["message"].is_string()   ? err["message"].get<std::string>()
        : err.contains("Message") && err["Message"].is_string() ? err["Message"].get<std::string>()
                                                                : "";
    if (!type.empty()) detail += " " + type;
    if (!message.empty()) detail += ": " + message;
  } else if (!r->body.empty()) {
    S3Error e = ParseS3Error(r->body);
    if (!e.code.empty()) detail += " " + e.code + ": " + e.message;
  }
  if (r->status == 403)
    return Status::InvalidArgument(what + ": " + detail +
                                   " (access denied: check the credentials and the "
                                   "queue's policy)");
  if (RetryableHttp(r->status)) return Status::Unavailable(what + ": " + detail);
  return Status::InvalidArgument(what + ": " + detail);
}

Result<std::vector<SqsMessage>> HttpSqsQueue::Receive(int max_messages, int wait_seconds,
                                                      int visibility_seconds,
                                                      const std::atomic<bool>* cancel) {
  const long timeout_ms = (wait_seconds + 15) * 1000L;
  EP_ASSIGN_OR_RETURN(std::string answer,
                      Call("ReceiveMessage",
                           ReceiveBody(queue_url_, max_messages, wait_seconds, visibility_seconds),
                           timeout_ms, cancel));
  Json doc = Json::parse(answer, nullptr, false);
  if (!doc.is_object())
    return Status::Unavailable("SQS ReceiveMessage on " + queue_url_ + ": the answer is not JSON");
  std::vector<SqsMessage> out;
  auto messages = doc.find("Messages");
  if (messages == doc.end() || !messages->is_array()) return out;  // the long poll ended empty
  for (const Json& m : *messages) {
    if (!m.is_object()) continue;
    SqsMessage msg{m.value("MessageId", ""), m.value("ReceiptHandle", ""), m.value("Body", "")};
    if (!msg.receipt_handle.empty()) out.push_back(std::move(msg));
  }
  return out;
}

Result<std::vector<std::string>> HttpSqsQueue::Batch(const std::string& action,
                                                     const std::vector<std::string>& handles,
                                                     int visibility_seconds) {
  if (handles.empty()) return std::vector<std::string>{};
  EP_ASSIGN_OR_RETURN(
      std::string answer,
      Call(action, BatchBody(queue_url_, handles, visibility_seconds), 15000, nullptr));
  Json doc = Json::parse(answer, nullptr, false);
  if (!doc.is_object())
    return Status::Unavailable("SQS " + action + " on " + queue_url_ + ": the answer is not JSON");
  std::vector<std::string> refused;
  auto failed = doc.find("Failed");
  if (failed == doc.end() || !failed->is_array()) return refused;
  for (const Json& f : *failed) {
    if (!f.is_object()) continue;
    const std::string id = f.value("Id", "");
    size_t index = handles.size();
    if (!id.empty() &&
        std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        id.size() < 3)
      std::from_chars(id.data(), id.data() + id.size(), index);
    if (index >= handles.size()) continue;
    spdlog::warn("SQS refused one entry of a batch. action={} queue={} code={} message={}", action,
                 queue_url_, f.value("Code", ""), f.value("Message", ""));
    refused.push_back(handles[index]);
  }
  return refused;
}

Result<std::vector<std::string>> HttpSqsQueue::DeleteBatch(
    const std::vector<std::string>& handles) {
  return Batch("DeleteMessageBatch", handles, -1);
}

Result<std::vector<std::string>> HttpSqsQueue::ChangeVisibilityBatch(
    const std::vector<std::string>& handles, int visibility_seconds) {
  return Batch("ChangeMessageVisibilityBatch", handles, visibility_seconds);
}

}  // namespace ecompipe::storage::s3
