// ProgressLine: the progress of long work (common/progress.h) as one line on a stream
// (stderr), redrawn at most every 200 ms and when a piece begins and ends, and cleared when it
// ends, so that nothing of it stays on the terminal:
//
//   transactions/2026/11/26/a.csv  12.5 MiB / 40.0 MiB  31%  8.2 MiB/s  ETA 4s
//
// Without a known size: "name  12.5 MiB  8.2 MiB/s". Each drawing is "\r", the line, and
// "\x1b[K" (erase the rest of the line); the clearing is "\r\x1b[K".
//
// Thread-safety: Add() may be called from any thread while a piece is open.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/progress.h"

namespace ecompipe::cli {

// --progress: auto draws the line when stderr is a terminal.
enum class ProgressMode { kAuto, kAlways, kNever };
std::optional<ProgressMode> ParseProgressMode(std::string_view name);  // "auto", "always", "never"
// Whether a line is drawn on file descriptor `fd` in `mode`.
bool ShowProgress(ProgressMode mode, int fd);

class ProgressLine final : public progress::Sink {
 public:
  using Clock = std::function<int64_t()>;  // milliseconds, monotonic
  static constexpr int64_t kRedrawMs = 200;

  // `out` must outlive the line; `clock` defaults to std::chrono::steady_clock.
  explicit ProgressLine(std::FILE* out, Clock clock = {});

  void Begin(std::string_view what, uint64_t total_bytes) override;
  void Add(uint64_t bytes) override;
  void End() override;

  // The line for `done` of `total` bytes (0: unknown) after `elapsed_ms`.
  static std::string Format(std::string_view what, uint64_t done, uint64_t total,
                            int64_t elapsed_ms);

 private:
  void Draw(int64_t now);  // with mutex_ held

  std::FILE* out_;
  Clock clock_;
  std::mutex mutex_;
  bool open_ = false;
  std::string what_;
  uint64_t total_ = 0;
  int64_t started_ms_ = 0;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> last_draw_ms_{0};
};

// Installs a ProgressLine on stderr for the life of this object when `mode` says one is shown;
// otherwise does nothing.
class ScopedProgress {
 public:
  explicit ScopedProgress(ProgressMode mode);
  ~ScopedProgress();
  ScopedProgress(const ScopedProgress&) = delete;
  ScopedProgress& operator=(const ScopedProgress&) = delete;

 private:
  std::unique_ptr<ProgressLine> line_;
  progress::Sink* previous_ = nullptr;
};

}  // namespace ecompipe::cli
