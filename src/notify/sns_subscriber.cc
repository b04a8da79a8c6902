#include "notify/sns_subscriber.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "common/time_util.h"
#include "notify/email_message.h"
#include "notify/subscriber.h"

namespace ecompipe::notify {
namespace {

Status ParseSns(const ConfigReader& sr, Subscription& sub) {
  EP_RETURN_IF_ERROR(
      sr.CheckKeys(SubscriptionKeys({"topic_arn", "region", "endpoint", "access_key_id",
                                     "secret_access_key", "dashboard_url", "timeout", "ca_file"})));
  SnsSubscription settings;
  SnsSettings& sns = settings.sns;
  EP_RETURN_IF_ERROR(sr.String("topic_arn", sns.topic_arn, true));
  if (sns.topic_arn.rfind("arn:", 0) != 0)
    return sr.Error(sr.Node("topic_arn"),
                    "'" + sr.Path("topic_arn") + "' must be an ARN (arn:aws:sns:…)");
  // The region defaults to the ARN's (arn:aws:sns:<region>:<account>:<name>).
  std::vector<std::string> parts;
  std::stringstream arn(sns.topic_arn);
  for (std::string part; std::getline(arn, part, ':');) parts.push_back(part);
  if (parts.size() >= 4) sns.region = parts[3];
  EP_RETURN_IF_ERROR(sr.String("region", sns.region));
  if (sns.region.empty()) return sr.Error(sr.node(), "missing 'region' (the topic ARN names none)");
  sns.endpoint = "https://sns." + sns.region + ".amazonaws.com";
  EP_RETURN_IF_ERROR(sr.String("endpoint", sns.endpoint));
  if (sns.endpoint.rfind("http://", 0) != 0 && sns.endpoint.rfind("https://", 0) != 0)
    return sr.Error(sr.Node("endpoint"),
                    "'" + sr.Path("endpoint") + "' must start with http:// or https://");
  EP_RETURN_IF_ERROR(sr.String("access_key_id", sns.credentials.access_key_id));
  EP_RETURN_IF_ERROR(sr.String("secret_access_key", sns.credentials.secret_access_key));
  if (sns.credentials.access_key_id.empty() != sns.credentials.secret_access_key.empty())
    return sr.Error(
        "give both 'access_key_id' and 'secret_access_key', or neither (then "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
  EP_RETURN_IF_ERROR(sr.String("dashboard_url", settings.dashboard_url));
  sub.target = sns.topic_arn;
  sub.settings = std::move(settings);
  return Status::Ok();
}

Status SendSns(const SendRequest& r) {
  const SnsSubscription* settings = r.sub ? r.sub->As<SnsSubscription>() : nullptr;
  if (!settings) return NoLongerConfigured(r.record);
  SnsSettings s = settings->sns;
  if (r.sub->timeout_ms > 0) s.http.timeout_ms = static_cast<long>(r.sub->timeout_ms);
  s.http.ca_file = r.sub->ca_file;
  if (s.credentials.access_key_id.empty()) {
    s.credentials.access_key_id = EnvValue("AWS_ACCESS_KEY_ID");
    s.credentials.secret_access_key = EnvValue("AWS_SECRET_ACCESS_KEY");
    s.credentials.session_token = EnvValue("AWS_SESSION_TOKEN");
  }
  if (s.credentials.access_key_id.empty() || s.credentials.secret_access_key.empty())
    return Status::Unavailable(
        "SNS: no credentials (configure them, or set AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY)");
  EmailOptions options{settings->dashboard_url};
  std::string subject = r.digest ? RenderDigestEmail(r.record.topic, r.events, options).subject
                                 : RenderEventEmail(r.events.front(), options).subject;
  Result<std::string> id = SnsPublish(s, r.payload, subject, NowMillis() / 1000);
  if (id.ok()) spdlog::info("Published to SNS. topic_arn={} message_id={}", s.topic_arn, *id);
  return id.status();
}

}  // namespace

void RegisterSnsSubscriber(SubscriberFactory& factory) {
  factory.Register("sns", {ParseSns, SendSns});
}

}  // namespace ecompipe::notify
