#include "cli/progress_line.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace ecompipe::cli {
namespace {

constexpr size_t kMaxNameChars = 48;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Bytes(double n) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (n >= 1024 && unit < 4) {
    n /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.1f} {}", n, kUnits[unit]);
}

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

// A long name keeps its end (the file name), with "..." before it.
std::string Shortened(std::string_view what) {
  if (what.size() <= kMaxNameChars) return std::string(what);
  return "..." + std::string(what.substr(what.size() - (kMaxNameChars - 3)));
}

}  // namespace

std::optional<ProgressMode> ParseProgressMode(std::string_view name) {
  if (name == "auto") return ProgressMode::kAuto;
  if (name == "always") return ProgressMode::kAlways;
  if (name == "never") return ProgressMode::kNever;
  return std::nullopt;
}

bool ShowProgress(ProgressMode mode, int fd) {
  switch (mode) {
    case ProgressMode::kAlways:
      return true;
    case ProgressMode::kNever:
      return false;
    case ProgressMode::kAuto:
      return ::isatty(fd) == 1;
  }
  return false;
}

ProgressLine::ProgressLine(std::FILE* out, Clock clock)
    : out_(out), clock_(clock ? std::move(clock) : Clock(SteadyMs)) {}

void ProgressLine::Begin(std::string_view what, uint64_t total_bytes) {
  std::lock_guard lock(mutex_);
  open_ = true;
  what_ = Shortened(what);
  total_ = total_bytes;
  started_ms_ = clock_();
  done_ = 0;
  Draw(started_ms_);
}

void ProgressLine::Add(uint64_t bytes) {
  done_ += bytes;
  const int64_t now = clock_();
  if (now - last_draw_ms_.load(std::memory_order_relaxed) < kRedrawMs) return;
  std::unique_lock lock(mutex_, std::try_to_lock);  // another thread is drawing: it will do
  if (lock.owns_lock() && open_) Draw(now);
}

void ProgressLine::End() {
  std::lock_guard lock(mutex_);
  if (!open_) return;
  Draw(clock_());  // the final figures, then nothing left behind
  std::fputs("\r\x1b[K", out_);
  std::fflush(out_);
  open_ = false;
}

void ProgressLine::Draw(int64_t now) {
  last_draw_ms_ = now;
  const std::string line = Format(what_, done_.load(), total_, now - started_ms_);
  std::fputs(("\r" + line + "\x1b[K").c_str(), out_);
  std::fflush(out_);
}

std::string ProgressLine::Format(std::string_view what, uint64_t done, uint64_t total,
                                 int64_t elapsed_ms) {
  // A piece may read past its size (a retried upload): never more than all of it.
  if (total > 0) done = std::min(done, total);
  std::string line = std::string(what) + "  " + Bytes(static_cast<double>(done));
  if (total > 0) {
    line += fmt::format(" / {}  {}%", Bytes(static_cast<double>(total)), done * 100 / total);
  }
  if (elapsed_ms <= 0 || done == 0) return line;
  const double rate = static_cast<double>(done) * 1000.0 / static_cast<double>(elapsed_ms);
  line += "  " + Bytes(rate) + "/s";
  if (total > done) line += "  ETA " + Duration(static_cast<double>(total - done) / rate);
  return line;
}

ScopedProgress::ScopedProgress(ProgressMode mode) {
  if (!ShowProgress(mode, STDERR_FILENO)) return;
  line_ = std::make_unique<ProgressLine>(stderr);
  previous_ = progress::Install(line_.get());
}

ScopedProgress::~ScopedProgress() {
  if (line_) progress::Install(previous_);
}

}  // namespace ecompipe::cli
