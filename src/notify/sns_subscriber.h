// type: sns: the event (or a digest) published to an AWS SNS topic (sns_publish.h).
#pragma once

#include <string>

#include "notify/sns_publish.h"

namespace ecompipe::notify {

// Subscription::settings of an sns subscription.
struct SnsSubscription {
  SnsSettings sns;            // empty credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  std::string dashboard_url;  // linked from the message's subject line rendering
};

}  // namespace ecompipe::notify
