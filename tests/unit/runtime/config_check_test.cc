#include <gtest/gtest.h>

#include "runtime/config.h"
#include "runtime/config_lint.h"
#include "runtime/reload.h"

namespace ecompipe::runtime {
namespace {

std::vector<std::string> Errors(const std::string& text) {
  std::vector<std::string> out;
  for (const Status& s : CheckConfig(text, "ecompipe.yaml").errors) out.push_back(s.ToString());
  return out;
}

TEST(CheckConfigTest, EachBrokenSectionIsReportedOnce) {
  const auto errors = Errors(
      "storage: {type: local, path: b, bukcet: x}\n"  // line 1
      "warehouse: {type: oracle}\n"                   // line 2
      "crawlers: [{name: t, header: maybe}]\n"        // line 3
      "log: {format: xml}\n");                        // line 4
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].rfind("ecompipe.yaml:1: unknown key 'storage.bukcet'", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("ecompipe.yaml:2: ", 0), 0u) << errors[1];
  EXPECT_EQ(errors[2].rfind("ecompipe.yaml:3: ", 0), 0u) << errors[2];
  EXPECT_EQ(errors[3].rfind("ecompipe.yaml:4: ", 0), 0u) << errors[3];
}

TEST(CheckConfigTest, ValidTextGivesTheConfigurationAndItsText) {
  const std::string text = DefaultConfigText();
  ConfigCheck check = CheckConfig(text, "/p/ecompipe.yaml");
  ASSERT_TRUE(check.errors.empty()) << check.errors.front().ToString();
  ASSERT_TRUE(check.config.has_value());
  EXPECT_EQ(check.config->text, text);
  EXPECT_EQ(check.config->rules.size(), 8u);
}

TEST(CheckConfigTest, YamlSyntaxErrorIsTheOnlyError) {
  EXPECT_EQ(Errors("rules: [unclosed\nstorage: {bukcet: 1}\n").size(), 1u);
}

std::vector<std::string> Warnings(const std::string& rules) {
  ConfigCheck check = CheckConfig(
      "crawlers: [{name: transactions}]\n"
      "jobs: [{name: nightly, table: transactions}]\n"
      "rules:\n" +
          rules,
      "ecompipe.yaml");
  EXPECT_TRUE(check.errors.empty()) << check.errors.front().ToString();
  std::vector<std::string> out;
  if (!check.config) return out;
  for (const ConfigWarning& w : RuleWarnings(*check.config, check.config->text))
    out.push_back(std::to_string(w.line) + ": " + w.message);
  return out;
}

TEST(RuleWarningsTest, RulesMatchingWhatEcompipeEmitsHaveNone) {
  EXPECT_TRUE(Warnings("  - name: ok\n"
                       "    pattern: {source: [ecompipe.glue], detail-type: [Glue Job State "
                       "Change], detail: {jobName: [nightly], state: [SUCCEEDED, FAILED]}}\n"
                       "    targets: [{type: start_crawler, name: transactions}]\n")
                  .empty());
}

TEST(RuleWarningsTest, CrawlerStateInJobCaseNeverMatches) {
  const auto w = Warnings(
      "  - name: r\n"
      "    pattern:\n"
      "      source: [ecompipe.glue]\n"
      "      detail-type: [Glue Crawler State Change]\n"
      "      detail: {state: [SUCCEEDED]}\n"
      "    targets: [{type: start_job, name: nightly}]\n");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "8: rule 'r' can never match: pattern.detail.state lists 'SUCCEEDED', but the state of "
            "those events is Failed or Succeeded (did you mean 'Succeeded'?)");
}

TEST(RuleWarningsTest, OperatorsAreNotJudgedAndUnknownNamesAre) {
  EXPECT_TRUE(Warnings("  - name: r\n"
                       "    pattern: {detail: {state: [{prefix: SUCC}], jobName: [{anything-but: "
                       "x}]}}\n"
                       "    targets: [{type: start_job, name: nightly}]\n")
                  .empty());
  const auto w = Warnings(
      "  - name: r\n"
      "    pattern: {detail-type: [Object Created, Object Restore Completed], detail: "
      "{crawlerName: [tx]}}\n"
      "    targets: [{type: start_job, name: nightly}]\n");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("partly never matches: pattern.detail-type lists 'Object Restore Completed'"),
            std::string::npos)
      << w[0];
  EXPECT_NE(w[1].find("can never match: pattern.detail.crawlerName lists 'tx', but the crawlers "
                      "are transactions"),
            std::string::npos)
      << w[1];
}

TEST(ChangedSectionsTest, ComparesSectionsAsYamlNotAsText) {
  const std::vector<std::string> sections = {"storage", "warehouse", "log"};
  EXPECT_TRUE(ChangedSections("storage: {path: b}  # a comment\nwarehouse: {path: w.db}\n",
                              "warehouse:\n  path: w.db\nstorage:\n  path: b\n", sections)
                  .empty());
  EXPECT_EQ(
      ChangedSections("warehouse: {path: w.db}\n", "warehouse: {path: x.db}\nlog: {}\n", sections),
      std::vector<std::string>{"warehouse"});  // an empty section is an absent one
  EXPECT_EQ(ChangedSections("storage: {}\n", "storage: [\n", sections), sections);
}

}  // namespace
}  // namespace ecompipe::runtime
