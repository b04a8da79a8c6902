// A job's specification in ecompipe.yaml's `jobs` (here its classification bins and its
// reading limits), as transform/job_spec_config.h reads it. The job's own keys (name, table,
// on_reload, the quality gate) are runtime's (tests/unit/runtime/config_test.cc).
#include "transform/job_spec_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/money.h"
#include "testing/parse_config_text.h"

namespace ecompipe::transform {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Job {
  JobSpec spec;
};
struct Jobs {
  std::vector<Job> jobs;
};

Status ParseJobs(const ConfigReader& root, Jobs& out) {
  return testing_util::ParseEachItem<Job>(
      root, "jobs", [](const ConfigReader& r, Job& job) { return ParseJobSpec(r, job.spec); },
      out.jobs);
}

Jobs ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<Jobs>(text, ParseJobs);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<Jobs>(text, ParseJobs);
}

TEST(JobSpecConfigTest, UnknownKeyInAClassificationBin) {
  EXPECT_EQ(
      ErrorOf("jobs:\n"
              "  - name: j\n"
              "    classification:\n"
              "      - {max: \"1.00\", lable: S}\n"
              "      - {label: L}\n"),
      "ecompipe.yaml:4: unknown key 'jobs[0].classification[0].lable' (did you mean 'label'?)");
}

TEST(JobSpecConfigTest, CustomClassificationBinsAreRead) {
  Jobs cfg = ParseOrDie(
      "jobs:\n"
      "  - name: j\n"
      "    classification:\n"
      "      - {max: 50, label: Tiny}\n"
      "      - {max: \"99.99\", label: Mid}\n"
      "      - {max: 1000.5, label: Big}\n"
      "      - {label: Huge}\n");
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const auto& bins = cfg.jobs[0].spec.bins;
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_EQ(bins[0].upper, model::Money{5000});
  EXPECT_EQ(bins[1].upper, model::Money{9999});
  EXPECT_EQ(bins[2].upper, model::Money{100050});
  EXPECT_FALSE(bins[3].upper.has_value());
  EXPECT_EQ(bins[3].label, "Huge");
}

TEST(JobSpecConfigTest, ClassificationBoundsMustIncrease) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: \"100.00\", label: S}\n"
                    "      - {max: 100, label: M}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:5: 'jobs[0].classification[1].max': bounds must increase");
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: 500, label: S}\n"
                    "      - {max: 100, label: M}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:5: 'jobs[0].classification[1].max': bounds must increase");
}

TEST(JobSpecConfigTest, TheLastClassificationBinMustBeUnbounded) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: 100, label: S}\n"
                    "      - {max: 500, label: M}\n"),
            "ecompipe.yaml:4: the last classification bin must have no 'max' (it takes every "
            "larger total)");
}

TEST(JobSpecConfigTest, OnlyTheLastClassificationBinMayOmitMax) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {label: S}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:4: only the last classification bin may omit 'max'");
}

TEST(JobSpecConfigTest, AClassificationBoundMustBeAnAmount) {
  for (const char* bad : {"abc", "1.234", "-5", "1e2", "\"\"", "$5"}) {
    std::string e = ErrorOf(std::string("jobs:\n  - name: j\n    classification:\n      - {max: ") +
                            bad + ", label: S}\n      - {label: L}\n");
    EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: 'jobs[0].classification[0].max': ")) << bad;
    EXPECT_THAT(e, HasSubstr("is not an amount like 100.00")) << bad;
  }
}

TEST(JobSpecConfigTest, AClassificationMustBeANonEmptyList) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: []\n"),
            "ecompipe.yaml:3: 'jobs[0].classification' must be a non-empty list of {max, label}");
  // A mapping is the long form {column, output, bins}.
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: {max: 1}\n"),
            "ecompipe.yaml:3: unknown key 'jobs[0].classification.max' (allowed: column, output, "
            "bins)");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: {column: total_amount}\n"),
            "ecompipe.yaml:3: missing required key 'jobs[0].classification.bins'");
}

TEST(JobSpecConfigTest, AClassificationBinNeedsALabel) {
  EXPECT_EQ(
      ErrorOf("jobs:\n  - name: j\n    classification:\n      - {max: 1}\n      - {label: L}\n"),
      "ecompipe.yaml:4: missing required key 'jobs[0].classification[0].label'");
}

TEST(JobSpecConfigTest, MaxRecordBytesIsBounded) {
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, max_record_bytes: 4096}]\n").jobs[0].spec.max_record_bytes,
            4096u);
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    max_record_bytes: 100\n"),
            "ecompipe.yaml:3: 'jobs[0].max_record_bytes' must be between 1024 and 1073741824");
}

TEST(JobSpecConfigTest, ThreadsAndChunkBytesAreReadAndBounded) {
  const auto spec = ParseOrDie("jobs: [{name: j, threads: 2, chunk_bytes: 65536}]\n").jobs[0].spec;
  EXPECT_EQ(spec.threads, 2);
  EXPECT_EQ(spec.chunk_bytes, 65536u);
  EXPECT_EQ(ParseOrDie("jobs: [{name: j}]\n").jobs[0].spec.threads, 0);  // one per core
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    threads: -1\n"),
            "ecompipe.yaml:3: 'jobs[0].threads' must be between 0 and 256");
}

}  // namespace
}  // namespace ecompipe::transform
