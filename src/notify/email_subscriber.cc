#include "notify/email_subscriber.h"

#include "common/time_util.h"
#include "notify/email_message.h"
#include "notify/subscriber.h"

namespace ecompipe::notify {
namespace {

// A string without CR, LF or NUL (it goes into a mail header or an SMTP command).
Status HeaderSafeString(const ConfigReader& r, const std::string& key, std::string& out,
                        bool required) {
  EP_RETURN_IF_ERROR(r.String(key, out, required));
  if (out.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
    return r.Error(r.Node(key), "'" + r.Path(key) + "' must not hold a line break");
  return Status::Ok();
}

Status ParseEmail(const ConfigReader& sr, Subscription& sub) {
  EP_RETURN_IF_ERROR(sr.CheckKeys(
      SubscriptionKeys({"url", "from", "to", "starttls", "insecure_skip_verify", "username",
                        "password", "password_env", "dashboard_url", "timeout", "ca_file"})));
  EmailSubscription e;
  EP_RETURN_IF_ERROR(sr.String("url", e.smtp.url, true));
  if (e.smtp.url.rfind("smtp://", 0) != 0 && e.smtp.url.rfind("smtps://", 0) != 0)
    return sr.Error(sr.Node("url"), "'" + sr.Path("url") + "' must start with smtp:// or smtps://");
  EP_RETURN_IF_ERROR(HeaderSafeString(sr, "from", e.from, true));
  YAML::Node to = sr.Node("to");
  if (!to.IsDefined() || to.IsNull())
    return sr.Error("missing required key '" + sr.Path("to") + "'");
  if (to.IsScalar()) {
    e.to.push_back(to.Scalar());
  } else if (to.IsSequence()) {
    for (const auto& item : to) {
      if (!item.IsScalar()) return sr.Error(item, "'" + sr.Path("to") + "' must list addresses");
      e.to.push_back(item.Scalar());
    }
  } else {
    return sr.Error(to, "'" + sr.Path("to") + "' must be an address or a list of addresses");
  }
  for (const std::string& a : e.to) {
    if (a.find('@') == std::string::npos ||
        a.find_first_of(std::string("\r\n\0,", 4)) != std::string::npos)
      return sr.Error(to, "'" + sr.Path("to") + "': '" + a + "' is not one email address");
  }
  if (e.to.empty()) return sr.Error(to, "'" + sr.Path("to") + "' must not be empty");
  EP_RETURN_IF_ERROR(sr.Bool("starttls", e.smtp.starttls));
  EP_RETURN_IF_ERROR(sr.Bool("insecure_skip_verify", e.smtp.insecure_skip_verify));
  EP_RETURN_IF_ERROR(sr.String("username", e.smtp.username));
  EP_RETURN_IF_ERROR(sr.String("password", e.smtp.password));
  EP_RETURN_IF_ERROR(sr.String("password_env", e.password_env));
  if (!e.smtp.password.empty() && !e.password_env.empty())
    return sr.Error(sr.Node("password_env"), "give '" + sr.Path("password") + "' or '" +
                                                 sr.Path("password_env") + "', not both");
  if ((!e.smtp.password.empty() || !e.password_env.empty()) && e.smtp.username.empty())
    return sr.Error("a password needs '" + sr.Path("username") + "'");
  EP_RETURN_IF_ERROR(sr.String("dashboard_url", e.dashboard_url));
  for (const std::string& a : e.to) sub.target += (sub.target.empty() ? "" : ",") + a;
  sub.settings = std::move(e);
  return Status::Ok();
}

std::string Domain(const std::string& from) {
  auto at = from.rfind('@');
  if (at == std::string::npos) return "ecompipe.localhost";
  std::string d = from.substr(at + 1);
  auto gt = d.find('>');
  return gt == std::string::npos ? d : d.substr(0, gt);
}

Status SendEmail(const SendRequest& r) {
  const EmailSubscription* email = r.sub ? r.sub->As<EmailSubscription>() : nullptr;
  if (!email) return NoLongerConfigured(r.record);
  const NotificationRecord& n = r.record;
  EmailOptions options{email->dashboard_url};
  EmailContent content = r.digest ? RenderDigestEmail(n.topic, r.events, options)
                                  : RenderEventEmail(r.events.front(), options);
  MimeEnvelope env;
  env.from = email->from;
  env.to = email->to;
  env.message_id = r.delivery_id + "@" + Domain(email->from);
  env.date_epoch_seconds = NowMillis() / 1000;
  env.extra_headers = {{"X-Ecompipe-Delivery", r.delivery_id}, {"X-Ecompipe-Topic", n.topic}};
  SmtpSettings smtp = email->smtp;
  if (r.sub->timeout_ms > 0) smtp.timeout_ms = static_cast<long>(r.sub->timeout_ms);
  if (!r.sub->ca_file.empty()) smtp.ca_file = r.sub->ca_file;
  if (smtp.password.empty() && !email->password_env.empty()) {
    smtp.password = EnvValue(email->password_env);
    if (smtp.password.empty())
      return Status::Unavailable("SMTP password: environment variable " + email->password_env +
                                 " is not set");
  }
  return SmtpSend(smtp, env.from, env.to, BuildMimeMessage(content, env));
}

}  // namespace

void RegisterEmailSubscriber(SubscriberFactory& factory) {
  factory.Register("email", {ParseEmail, SendEmail});
}

}  // namespace ecompipe::notify
