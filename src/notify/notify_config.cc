#include "notify/notify_config.h"

#include <algorithm>
#include <filesystem>

#include "events/events_config.h"
#include "notify/filter_policy.h"

namespace ecompipe::notify {
namespace {

// filter_policy: an SNS filter policy over the detail, which is the EventBridge pattern
// {"detail": policy}; translated here so that errors point into the policy as written.
Status ParseFilterPolicy(const ConfigReader& sr, Subscription& sub) {
  YAML::Node fp = sr.Node("filter_policy");
  Json policy;
  if (fp.IsScalar()) {
    Result<Json> parsed = ParseJson(fp.Scalar());
    if (!parsed.ok())
      return sr.Error(fp, "'" + sr.Path("filter_policy") + "': " + parsed.status().message());
    policy = std::move(*parsed);
  } else {
    EP_RETURN_IF_ERROR(YamlToJson(sr, fp, "'" + sr.Path("filter_policy") + "'",
                                  events::EventPattern::kMaxDepth, policy));
  }
  Result<Json> pattern = FilterPolicyToPatternJson(policy);
  if (!pattern.ok())
    return sr.Error(fp, "'" + sr.Path("filter_policy") + "': " + pattern.status().message());
  Result<events::EventPattern> p = events::EventPattern::Parse(*pattern);
  if (!p.ok()) {
    std::string place(p.status().place());
    auto at = place.find("detail");
    std::string where = at == std::string::npos ? "" : place.substr(at + 6);
    if (!where.empty() && where[0] == '.') where.erase(0, 1);
    return sr.Error(fp, "'" + sr.Path("filter_policy") + "'" +
                            (where.empty() ? "" : " at '" + where + "'") + ": " +
                            p.status().message());
  }
  sub.filter_policy = std::move(*p);
  return Status::Ok();
}

// The keys every subscription takes, after its type read its own.
Status ParseSubscriptionCommon(const ConfigReader& sr, size_t index, const Topic& topic,
                               Subscription& sub) {
  sub.name = sub.type + "-" + std::to_string(index + 1);
  EP_RETURN_IF_ERROR(sr.String("name", sub.name));
  if (sub.name.empty())
    return sr.Error(sr.Node("name"), "'" + sr.Path("name") + "' must not be empty");
  // The outbox keeps one notification per (topic, subscription, event): two subscriptions
  // with one name would share it, and the second would never be notified.
  if (std::any_of(topic.subscriptions.begin(), topic.subscriptions.end(),
                  [&](const Subscription& o) { return o.name == sub.name; }))
    return sr.Error(sr.Has("name") ? sr.Node("name") : sr.node(),
                    "duplicate subscription name '" + sub.name + "' in topic '" + topic.name + "'");
  if (sr.Has("filter")) {
    EP_ASSIGN_OR_RETURN(sub.filter, events::ParseEventPattern(sr, sr.Node("filter"),
                                                              "'" + sr.Path("filter") + "'"));
  }
  if (sr.Has("filter_policy")) EP_RETURN_IF_ERROR(ParseFilterPolicy(sr, sub));
  EP_RETURN_IF_ERROR(sr.Duration("max_age", sub.max_age_ms));
  EP_RETURN_IF_ERROR(sr.Duration("timeout", sub.timeout_ms));
  if (sr.Has("ca_file")) {
    std::string ca;
    EP_RETURN_IF_ERROR(sr.PathString("ca_file", ca));
    sub.ca_file = sr.Resolve(ca).string();
    if (!std::filesystem::is_regular_file(sub.ca_file))
      return sr.Error(sr.Node("ca_file"), "'" + sr.Path("ca_file") + "': no file " + sub.ca_file);
  }
  EP_RETURN_IF_ERROR(sr.Duration("backoff_base", sub.backoff_base_ms));
  EP_RETURN_IF_ERROR(sr.Duration("backoff_max", sub.backoff_max_ms));
  if (sub.backoff_max_ms < sub.backoff_base_ms)
    return sr.Error(sr.Node("backoff_max"),
                    "'" + sr.Path("backoff_max") + "' must not be shorter than backoff_base");
  // `rate_limit: {max: N, window: 10m}`, or `max_per_hour: N` for a one-hour window.
  if (sr.Has("max_per_hour") && sr.Has("rate_limit"))
    return sr.Error(sr.Node("rate_limit"), "give '" + sr.Path("max_per_hour") + "' or '" +
                                               sr.Path("rate_limit") + "', not both");
  int64_t rate_max = 0;
  EP_RETURN_IF_ERROR(sr.Int("max_per_hour", rate_max, 0, 1000000));
  if (sr.Has("rate_limit")) {
    ConfigReader rl = sr.Child("rate_limit");
    EP_RETURN_IF_ERROR(rl.ExpectMap());
    EP_RETURN_IF_ERROR(rl.CheckKeys({"max", "window"}));
    if (!rl.Has("max")) return rl.Error("missing required key '" + rl.Path("max") + "'");
    EP_RETURN_IF_ERROR(rl.Int("max", rate_max, 1, 1000000));
    EP_RETURN_IF_ERROR(rl.Duration("window", sub.rate_window_ms));
  }
  sub.rate_max = static_cast<int>(rate_max);
  return Status::Ok();
}

}  // namespace

Status ParseTopics(const ConfigReader& root, const SubscriberFactory& factory,
                   std::vector<Topic>& topics) {
  const YAML::Node list = root.Node("topics");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'topics' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigReader r = root.Child("topics").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    EP_RETURN_IF_ERROR(r.CheckKeys({"name", "subscriptions"}));
    Topic topic;
    EP_RETURN_IF_ERROR(r.String("name", topic.name, true));
    if (std::any_of(topics.begin(), topics.end(),
                    [&](const Topic& t) { return t.name == topic.name; }))
      return r.Error(r.Node("name"), "duplicate topic name '" + topic.name + "'");
    YAML::Node subs = r.Node("subscriptions");
    if (subs.IsDefined() && !subs.IsNull()) {
      if (!subs.IsSequence())
        return r.Error(subs, "'" + r.Path("subscriptions") + "' must be a list");
      for (size_t s = 0; s < subs.size(); ++s) {
        ConfigReader sr = r.Child("subscriptions").Item(subs[s], s);
        EP_RETURN_IF_ERROR(sr.ExpectMap());
        Subscription sub;
        EP_RETURN_IF_ERROR(sr.String("type", sub.type, true));
        const SubscriberType* type = factory.Find(sub.type);
        if (!type)
          return sr.Error(sr.Node("type"),
                          "'" + sr.Path("type") + "': unknown subscription type '" + sub.type +
                              "' (allowed: " + ConfigReader::Join(factory.Types()) + ")");
        EP_RETURN_IF_ERROR(type->parse(sr, sub));
        EP_RETURN_IF_ERROR(ParseSubscriptionCommon(sr, s, topic, sub));
        topic.subscriptions.push_back(std::move(sub));
      }
    }
    topics.push_back(std::move(topic));
  }
  return Status::Ok();
}

}  // namespace ecompipe::notify
