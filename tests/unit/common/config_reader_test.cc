// The strict reader every component parses ecompipe.yaml with: places and lines in errors,
// absent sections, and the lines of places found after parsing (PlaceLines).
#include "common/config_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/parse_config_text.h"

namespace ecompipe {
namespace {

using ::testing::HasSubstr;

using testing_util::ConfigErrorOf;

struct Section {
  std::string name = "default";
  int64_t size = 1;
};

Status ParseSection(const ConfigReader& root, Section& out) {
  ConfigReader s = root.Child("section");
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(s.CheckKeys({"name", "size"}));
  EP_RETURN_IF_ERROR(s.String("name", out.name, false));
  return s.Int("size", out.size, 1, 10);
}

// Found by fuzz_money_date: the year's bound was checked on the number before its unit, so
// "202490h" (23 years) and "31536000d" passed.
TEST(ParseDurationMsTest, TheBoundIsOnTheDurationNotTheNumber) {
  constexpr int64_t kYearMs = 365LL * 24 * 3600 * 1000;
  EXPECT_EQ(ParseDurationMs("500ms"), 500);
  EXPECT_EQ(ParseDurationMs("90"), 90'000);
  EXPECT_EQ(ParseDurationMs("365d"), kYearMs);
  EXPECT_EQ(ParseDurationMs("8760h"), kYearMs);
  EXPECT_EQ(ParseDurationMs("31536000000ms"), kYearMs);
  EXPECT_FALSE(ParseDurationMs("366d"));
  EXPECT_FALSE(ParseDurationMs("8761h"));
  EXPECT_FALSE(ParseDurationMs("202490h"));
  EXPECT_FALSE(ParseDurationMs("31536000d"));
  EXPECT_FALSE(ParseDurationMs("9223372036854775807d"));
  EXPECT_FALSE(ParseDurationMs("0s"));
}

// Regression (issue 14): a YAML alias bomb in a configuration grew `status` to 8.6 GB. Nine
// levels of nine aliases stand for 387 million values; the document is refused, quickly and in
// bounded memory, before any reader runs.
TEST(ParseYamlTextTest, AnAliasBombIsRefusedBeforeReading) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  bool parsed = false;
  Status s = ParseYamlText(text, "ecompipe.yaml", "/srv", [&](const ConfigReader&) {
    parsed = true;
    return Status::Ok();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(parsed);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.ToString(), HasSubstr("ecompipe.yaml"));
  EXPECT_THAT(s.ToString(), HasSubstr("larger than 100000 values"));
  EXPECT_THAT(s.ToString(), HasSubstr("alias"));
}

TEST(ParseYamlTextTest, OrdinaryAliasesPassAndDeepNestingIsRefused) {
  const std::string text =
      "common: &common {timeout: 5s, retries: 3}\nfirst: *common\nsecond: *common\n";
  EXPECT_TRUE(ParseYamlText(text, "ecompipe.yaml", "/srv", [](const ConfigReader&) {
                return Status::Ok();
              }).ok());
  std::string deep;
  for (int i = 0; i < kMaxConfigDepth + 5; ++i) deep += "[";
  for (int i = 0; i < kMaxConfigDepth + 5; ++i) deep += "]";
  EXPECT_THAT(
      ParseYamlText(deep, "ecompipe.yaml", "/srv", [](const ConfigReader&) { return Status::Ok(); })
          .ToString(),
      HasSubstr("nested deeper than 200"));
}

TEST(ConfigReaderTest, AnAbsentOrNullSectionKeepsTheDefaults) {
  for (const char* text : {"other: 1\n", "section:\n", "section: ~\n"}) {
    Result<Section> s = testing_util::ParseConfigText<Section>(text, ParseSection);
    ASSERT_TRUE(s.ok()) << text << s.status().ToString();
    EXPECT_EQ(s->name, "default") << text;
    EXPECT_EQ(s->size, 1) << text;
  }
}

TEST(ConfigReaderTest, ErrorsNameTheFileLineAndPath) {
  EXPECT_EQ(ConfigErrorOf<Section>("section:\n  nmae: x\n", ParseSection),
            "ecompipe.yaml:2: unknown key 'section.nmae' (did you mean 'name'?)");
  EXPECT_EQ(ConfigErrorOf<Section>("section:\n  size: 11\n", ParseSection),
            "ecompipe.yaml:2: 'section.size' must be between 1 and 10");
  EXPECT_EQ(ConfigErrorOf<Section>("section: [1]\n", ParseSection),
            "ecompipe.yaml:1: 'section' must be a mapping");
  EXPECT_EQ(ConfigErrorOf<Section>("section: {name: [\n", ParseSection).rfind("ecompipe.yaml:", 0),
            0u);
}

TEST(ConfigReaderTest, RelativePathsResolveBesideTheFile) {
  ConfigReader r(YAML::Load("{}"), "ecompipe.yaml", "", "/srv/shop");
  EXPECT_EQ(r.Resolve("bucket"), std::filesystem::path("/srv/shop/bucket"));
  EXPECT_EQ(r.Resolve("/var/b"), std::filesystem::path("/var/b"));
}

TEST(PlaceLinesTest, FindsThePlaceOrItsNearestEnclosingOne) {
  const YAML::Node n = YAML::Load(
      "detail:\n"              // line 0
      "  a.b:\n"               // 1
      "    - x\n"              // 2
      "    - {prefix: y}\n"    // 3
      "  state: [FAILED]\n");  // 4
  PlaceLines lines(n, "pattern", false);
  EXPECT_EQ(lines.LineOf("pattern.detail.a.b[1].prefix"), 3);  // a key holding a dot
  EXPECT_EQ(lines.LineOf("pattern.detail.a.b[0]"), 2);
  EXPECT_EQ(lines.LineOf("pattern.detail.state[7]"), 4);  // no item 7: the list's line
  EXPECT_EQ(lines.LineOf("elsewhere"), std::nullopt);
}

TEST(PlaceLinesTest, NamedItemsFindListItemsByNameOrKey) {
  const YAML::Node n = YAML::Load(
      "columns:\n"                    // line 0
      "  - product_name\n"            // 1
      "  - {email: buyer_email}\n");  // 2
  PlaceLines lines(n, "", true);
  EXPECT_EQ(lines.LineOf("columns.product_name"), 1);
  EXPECT_EQ(lines.LineOf("columns.email"), 2);
  EXPECT_EQ(lines.LineOf("columns[0]"), 1);
}

}  // namespace
}  // namespace ecompipe
