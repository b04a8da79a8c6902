// AWS SNS Publish over the Query API (form-encoded POST), signed with SigV4.
#pragma once

#include <cstdint>
#include <string>

#include "common/aws_sigv4.h"
#include "common/status.h"
#include "notify/http_post.h"

namespace ecompipe::notify {

struct SnsSettings {
  std::string endpoint;  // "https://sns.eu-west-1.amazonaws.com" or a compatible server
  std::string region;
  std::string topic_arn;
  AwsCredentials credentials;
  HttpOptions http;  // timeout, CA file
};

// The form body of Publish: Action, Message, Subject (when not empty), TopicArn, Version.
std::string SnsPublishForm(const std::string& topic_arn, const std::string& message,
                           const std::string& subject);

// Publishes `message` with `subject` (SNS wants ASCII, no line breaks, under 100 characters; it
// is cut to fit). Returns the MessageId SNS answered. Errors as notify::HttpPost (a 4xx such as a
// rejected signature is kInvalidArgument; 5xx and connection failures are retryable).
Result<std::string> SnsPublish(const SnsSettings& settings, const std::string& message,
                               const std::string& subject, int64_t epoch_seconds);

}  // namespace ecompipe::notify
