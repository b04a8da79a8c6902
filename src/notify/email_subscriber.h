// type: email: the event (or a digest) as a MIME message over SMTP (email_message.h,
// smtp_send.h).
#pragma once

#include <string>
#include <vector>

#include "notify/smtp_send.h"

namespace ecompipe::notify {

// Subscription::settings of an email subscription.
struct EmailSubscription {
  SmtpSettings smtp;  // password filled from `password_env` at send time when empty
  std::string password_env;
  std::string from;
  std::vector<std::string> to;
  std::string dashboard_url;
};

}  // namespace ecompipe::notify
