// The subscriber types this binary's notifiers send through. In the program,
// runtime/register_components.cc registers them; the notify tests link only the notify
// component, so they register its four types themselves, before any test runs.
#include <gtest/gtest.h>

#include "notify/subscriber.h"

namespace ecompipe::notify {
namespace {

[[maybe_unused]] const bool kRegistered = [] {
  SubscriberFactory& factory = SubscriberFactory::Instance();
  RegisterLogSubscriber(factory);
  RegisterWebhookSubscriber(factory);
  RegisterEmailSubscriber(factory);
  RegisterSnsSubscriber(factory);
  return true;
}();

TEST(SubscriberRegistryTest, ListsTheTypesInRegistrationOrder) {
  EXPECT_EQ(SubscriberFactory::Instance().Types(),
            (std::vector<std::string>{"log", "webhook", "email", "sns"}));
  EXPECT_EQ(SubscriberFactory::Instance().Find("pager"), nullptr);
}

}  // namespace
}  // namespace ecompipe::notify
