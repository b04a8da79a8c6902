// A crawler of ecompipe.yaml's `crawlers`, as catalog/crawler_config.h reads it. That names are
// unique across the list is runtime's check (tests/unit/runtime/config_test.cc).
#include "catalog/crawler_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/parse_config_text.h"

namespace ecompipe::catalog {
namespace {

using ::testing::HasSubstr;

struct Crawlers {
  std::vector<CrawlerConfig> crawlers;
};

Status ParseCrawlers(const ConfigReader& root, Crawlers& out) {
  return testing_util::ParseEachItem<CrawlerConfig>(root, "crawlers", ParseCrawlerConfig,
                                                    out.crawlers);
}

Crawlers ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<Crawlers>(text, ParseCrawlers);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<Crawlers>(text, ParseCrawlers);
}

TEST(CrawlerConfigTest, UnknownKeyInACrawler) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: c\n    nmae: d\n"),
            "ecompipe.yaml:3: unknown key 'crawlers[0].nmae' (did you mean 'name'?)");
}

TEST(CrawlerConfigTest, CrawlerHeaderIsDetectUnlessSet) {
  Crawlers cfg = ParseOrDie(
      "crawlers: [{name: a}, {name: b, header: present}, {name: c, header: absent}, "
      "{name: d, header: detect}]\n");
  ASSERT_EQ(cfg.crawlers.size(), 4u);
  EXPECT_EQ(cfg.crawlers[0].header, HeaderMode::kDetect);
  EXPECT_EQ(cfg.crawlers[1].header, HeaderMode::kPresent);
  EXPECT_EQ(cfg.crawlers[2].header, HeaderMode::kAbsent);
  EXPECT_EQ(cfg.crawlers[3].header, HeaderMode::kDetect);
}

TEST(CrawlerConfigTest, CrawlerHeaderRefusesOtherValuesNamingThem) {
  std::string error = ErrorOf("crawlers:\n  - name: a\n    header: yes\n");
  EXPECT_THAT(error, HasSubstr("ecompipe.yaml:3"));
  EXPECT_THAT(error, HasSubstr("'yes'"));
  EXPECT_THAT(error, HasSubstr("detect, present, absent"));
}

// Regression: `name: ""` gave a crawler, job, rule or topic an empty name.
TEST(CrawlerConfigTest, ARequiredStringMustNotBeEmpty) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: \"\"\n"),
            "ecompipe.yaml:2: 'crawlers[0].name' must not be empty");
}

}  // namespace
}  // namespace ecompipe::catalog
