// The serve loop's health: its backoff after failed rounds, what it logs, and the file that
// `ecompipe status` reads.
#include "runtime/dispatch_health.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "testing/temp_dir.h"

namespace ecompipe::runtime {
namespace {

// Regression (issue 14): with the disk full, the dispatcher retried about every 10 ms and
// logged each attempt (100 lines a second). A failed round now waits base * 2^(n-1), capped,
// and the log says so once per change of state.
TEST(DispatchHealthTest, FailedRoundsBackOffExponentiallyUpToTheCapAndLogOncePerChange) {
  int64_t now = 1'000'000;
  DispatchHealth health({}, {100, 1000}, [&] { return now; });
  const Status full = Status::IoError("database or disk is full");
  std::vector<int64_t> delays;
  for (int i = 0; i < 8; ++i) {
    std::optional<int64_t> d = health.Round(full);
    ASSERT_TRUE(d.has_value());
    delays.push_back(*d);
    now += *d;
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000, 1000, 1000}));
  EXPECT_TRUE(health.degraded());
  EXPECT_EQ(health.failures(), 8);
  EXPECT_EQ(health.logged(), 1);  // eight failures of one kind: one line
  EXPECT_TRUE(health.Round(Status::Unavailable("locked")).has_value());
  EXPECT_EQ(health.logged(), 2);  // another kind of error: one more
  EXPECT_EQ(health.Round(Status::Ok()), std::nullopt);
  EXPECT_EQ(health.logged(), 3);  // recovered
  EXPECT_FALSE(health.degraded());
  EXPECT_EQ(health.Round(Status::Ok()), std::nullopt);
  EXPECT_EQ(health.logged(), 3);
  EXPECT_EQ(health.Round(full), 100);  // a new episode starts from the base again
}

TEST(DispatchHealthTest, TheFileSaysWhatStatusShowsAndKeepsItsSize) {
  testing_util::TempDir dir;
  const std::filesystem::path file = DispatchHealthFile(dir.File("state.db"));
  EXPECT_EQ(file.filename(), "serve-health.json");
  int64_t now = 1'800'000'000'000;
  {
    DispatchHealth health(file, {100, 1000}, [&] { return now; });
    std::optional<Json> report = ReadDispatchHealth(file);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ((*report)["state"], "serving");
    const auto size = std::filesystem::file_size(file);
    health.Round(Status::IoError("database or disk is full"));
    now += 50;
    health.Round(Status::IoError("database or disk is full"));
    report = ReadDispatchHealth(file);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ((*report)["state"], "degraded");
    EXPECT_EQ((*report)["failures"], 2);
    EXPECT_EQ((*report)["error"], Status::IoError("database or disk is full").ToString());
    EXPECT_EQ((*report)["since"], "2027-01-15T08:00:00.000Z");
    EXPECT_EQ((*report)["next_round_at"], "2027-01-15T08:00:00.250Z");
    // Rewritten in place, padded to the same size: no new disk blocks are needed.
    EXPECT_EQ(std::filesystem::file_size(file), size);
    health.Round(Status::Ok());
    EXPECT_EQ((*ReadDispatchHealth(file))["state"], "serving");
  }
  // A loop that ended leaves nothing to report.
  EXPECT_EQ(ReadDispatchHealth(file), std::nullopt);
}

TEST(DispatchHealthTest, AFileOfAProcessThatIsGoneIsNotReported) {
  testing_util::TempDir dir;
  const std::filesystem::path file = dir.File("serve-health.json");
  {
    std::ofstream out(file);
    out << R"({"pid": 2147483646, "state": "degraded"})";
  }
  EXPECT_EQ(ReadDispatchHealth(file), std::nullopt);
  EXPECT_EQ(ReadDispatchHealth(dir.File("absent.json")), std::nullopt);
}

}  // namespace
}  // namespace ecompipe::runtime
