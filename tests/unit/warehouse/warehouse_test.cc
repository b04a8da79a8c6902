#include "warehouse/warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecompipe::warehouse {
namespace {

using ::testing::HasSubstr;

TEST(ReloadModeTest, ParsesTheThreeModes) {
  for (ReloadMode mode : {ReloadMode::kReplace, ReloadMode::kAppend, ReloadMode::kIgnore}) {
    Result<ReloadMode> parsed = ParseReloadMode(std::string(ReloadModeName(mode)));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, mode);
  }
}

TEST(ReloadModeTest, UnknownModeListsTheChoices) {
  for (const char* text : {"", "Replace", "overwrite", "append "}) {
    Result<ReloadMode> parsed = ParseReloadMode(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("replace, append, ignore"));
    EXPECT_THAT(parsed.status().message(), HasSubstr(std::string("'") + text + "'"));
  }
}

}  // namespace
}  // namespace ecompipe::warehouse
