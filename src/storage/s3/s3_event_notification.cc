#include "storage/s3/s3_event_notification.h"

#include <nlohmann/json.hpp>

namespace ecompipe::storage::s3 {
namespace {

using Json = nlohmann::json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Str(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::string> DecodeS3EventKey(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size())
        return Status::CorruptInput("key '" + std::string(in.substr(0, 200)) +
                                    "': a '%' without two hex digits");
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0)
        return Status::CorruptInput("key '" + std::string(in.substr(0, 200)) +
                                    "': a '%' without two hex digits");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

Result<std::vector<S3EventRecord>> ParseS3EventNotification(std::string_view text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::CorruptInput("not an S3 event notification: not a JSON object");
  // SNS envelope: the notification is the string in "Message".
  if (Str(doc, "Type") == "Notification" && doc.contains("Message") && doc["Message"].is_string()) {
    doc = Json::parse(doc["Message"].get<std::string>(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return Status::CorruptInput("SNS notification whose Message is not an S3 event notification");
  }
  std::vector<S3EventRecord> out;
  if (Str(doc, "Event") == "s3:TestEvent") return out;
  auto records = doc.find("Records");
  if (records == doc.end() || !records->is_array())
    return Status::CorruptInput("not an S3 event notification: no \"Records\" list");
  for (const Json& r : *records) {
    if (!r.is_object())
      return Status::CorruptInput("S3 event notification: a record is not an object");
    S3EventRecord rec;
    rec.event_name = Str(r, "eventName");
    if (rec.event_name.starts_with("s3:")) rec.event_name.erase(0, 3);
    auto s3 = r.find("s3");
    if (s3 == r.end() || !s3->is_object())
      return Status::CorruptInput("S3 event notification: a record has no \"s3\" object");
    const Json& bucket = s3->value("bucket", Json::object());
    const Json& object = s3->value("object", Json::object());
    if (!bucket.is_object() || !object.is_object())
      return Status::CorruptInput("S3 event notification: malformed s3.bucket or s3.object");
    rec.bucket = Str(bucket, "name");
    const std::string key = Str(object, "key");
    if (rec.bucket.empty() || key.empty())
      return Status::CorruptInput(
          "S3 event notification: a record without s3.bucket.name or s3.object.key");
    EP_ASSIGN_OR_RETURN(rec.key, DecodeS3EventKey(key));
    auto size = object.find("size");
    if (size != object.end() && size->is_number_unsigned()) rec.size = size->get<uint64_t>();
    rec.etag = Str(object, "eTag");
    if (rec.etag.empty()) rec.etag = Str(object, "etag");  // Ceph spells it so in some versions
    if (rec.etag.size() >= 2 && rec.etag.front() == '"' && rec.etag.back() == '"')
      rec.etag = rec.etag.substr(1, rec.etag.size() - 2);
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace ecompipe::storage::s3
