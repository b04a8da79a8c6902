#include "notify/subscriber.h"

#include <cstdlib>

namespace ecompipe::notify {

std::vector<std::string> SubscriptionKeys(std::initializer_list<const char*> own) {
  std::vector<std::string> keys = {"name",          "type",         "filter",
                                   "filter_policy", "max_age",      "max_per_hour",
                                   "rate_limit",    "backoff_base", "backoff_max"};
  keys.insert(keys.end(), own.begin(), own.end());
  return keys;
}

Status NoLongerConfigured(const NotificationRecord& n) {
  return Status::InvalidArgument("subscription '" + n.subscription + "' of topic '" + n.topic +
                                 "' is no longer configured");
}

std::string EnvValue(const std::string& name) {
  if (name.empty()) return {};
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

}  // namespace ecompipe::notify
