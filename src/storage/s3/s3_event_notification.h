// S3 event notifications: the JSON that AWS S3 (to SQS, SNS, Lambda), MinIO (webhook, AMQP…)
// and Ceph RGW (HTTP push) send when an object is created or removed:
//   {"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},
//                "object":{"key":"a+b%2Bc.csv","size":12,"eTag":"…"}}}]}
// Keys arrive URL-encoded the way S3 encodes form values: '+' is a space, "%2B" a plus.
// Also accepted: the same document wrapped in an SNS notification (S3 -> SNS -> SQS without
// raw message delivery). S3's "s3:TestEvent", sent when a notification is configured, holds
// no records. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ecompipe::storage::s3 {

struct S3EventRecord {
  std::string event_name;  // normalised: "ObjectCreated:Put" (MinIO's "s3:" prefix dropped)
  std::string bucket;
  std::string key;  // decoded
  uint64_t size = 0;
  std::string etag;  // no quotes; may be empty (deletions)
  bool created() const { return event_name.starts_with("ObjectCreated:"); }
};

// kCorruptInput when `json` is not an S3 event notification (or an SNS envelope holding one)
// or a record lacks its bucket name or key, or a key does not decode.
Result<std::vector<S3EventRecord>> ParseS3EventNotification(std::string_view json);

// S3's key encoding in notifications: '+' -> ' ', "%XX" -> the byte. kCorruptInput for a
// malformed escape.
Result<std::string> DecodeS3EventKey(std::string_view encoded);

}  // namespace ecompipe::storage::s3
