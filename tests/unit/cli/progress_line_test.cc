#include "cli/progress_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "common/progress.h"

namespace ecompipe::cli {
namespace {

TEST(ProgressLineTest, FormatShowsDoneTotalRateAndEta) {
  EXPECT_EQ(ProgressLine::Format("a.csv", 0, 4 << 20, 0), "a.csv  0 B / 4.0 MiB  0%");
  EXPECT_EQ(ProgressLine::Format("a.csv", 1 << 20, 4 << 20, 1000),
            "a.csv  1.0 MiB / 4.0 MiB  25%  1.0 MiB/s  ETA 3s");
  EXPECT_EQ(ProgressLine::Format("a.csv", 4 << 20, 4 << 20, 2000),
            "a.csv  4.0 MiB / 4.0 MiB  100%  2.0 MiB/s");
  // Unknown size: no percentage, no ETA.
  EXPECT_EQ(ProgressLine::Format("a.csv", 1536, 0, 1000), "a.csv  1.5 KiB  1.5 KiB/s");
  // More read than the size said (a retried read): never past 100%.
  EXPECT_EQ(ProgressLine::Format("a", 300, 200, 1000), "a  200 B / 200 B  100%  200 B/s");
  EXPECT_EQ(ProgressLine::Format("a", 1, 7200, 1000), "a  1 B / 7.0 KiB  0%  1 B/s  ETA 1h59m");
}

// Captures what a ProgressLine writes, on a clock the test moves.
class ProgressLineDrawTest : public ::testing::Test {
 protected:
  ProgressLineDrawTest() : out_(std::tmpfile()), line_(out_, [this] { return now_; }) {}
  ~ProgressLineDrawTest() override { std::fclose(out_); }
  std::string Written() {
    std::fflush(out_);
    std::rewind(out_);
    std::string text;
    for (int c; (c = std::fgetc(out_)) != EOF;) text += static_cast<char>(c);
    return text;
  }
  static int Drawings(const std::string& text) {
    int n = 0;
    for (size_t at = 0; (at = text.find("\x1b[K", at)) != std::string::npos; ++at) ++n;
    return n;
  }

  int64_t now_ = 1000;
  std::FILE* out_;
  ProgressLine line_;
};

TEST_F(ProgressLineDrawTest, RedrawsAtMostEvery200MsAndClearsAtTheEnd) {
  line_.Begin("k", 1000);
  for (int i = 0; i < 50; ++i) {
    now_ += 10;  // 500 ms of reads every 10 ms
    line_.Add(10);
  }
  line_.End();
  const std::string text = Written();
  // Begin, a redraw at 200 and 400 ms, End's final figures, then the clearing.
  EXPECT_EQ(Drawings(text), 5) << text;
  EXPECT_EQ(text.substr(0, 15), "\rk  0 B / 1000 ");
  EXPECT_NE(text.find("\rk  500 B / 1000 B  50%  1000 B/s  ETA 1s\x1b[K\r\x1b[K"),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with("\r\x1b[K"));
}

TEST_F(ProgressLineDrawTest, ItIsFedThroughTheInstalledSinkOnly) {
  progress::Add(5);  // nothing installed: nowhere to go
  progress::Sink* before = progress::Install(&line_);
  {
    progress::Task task("t", 10);
    progress::Add(10);
  }
  progress::Install(before);
  { progress::Task untold("u", 10); }
  const std::string text = Written();
  EXPECT_NE(text.find("\rt  10 B / 10 B  100%"), std::string::npos) << text;
  EXPECT_EQ(text.find("\ru"), std::string::npos);
}

TEST(ProgressModeTest, AutoFollowsTheTerminalAlwaysAndNeverDoNot) {
  EXPECT_EQ(ParseProgressMode("always"), ProgressMode::kAlways);
  EXPECT_EQ(ParseProgressMode("sometimes"), std::nullopt);
  std::FILE* file = std::tmpfile();
  EXPECT_FALSE(ShowProgress(ProgressMode::kAuto, fileno(file)));
  EXPECT_TRUE(ShowProgress(ProgressMode::kAlways, fileno(file)));
  EXPECT_FALSE(ShowProgress(ProgressMode::kNever, fileno(file)));
  std::fclose(file);
}

}  // namespace
}  // namespace ecompipe::cli
