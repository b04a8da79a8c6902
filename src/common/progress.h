// Progress: how far long work has got, for the one progress line the CLI draws on a terminal
// (cli/progress_line.h) while `put`, `load-dims`, `process` and `job run` work.
//
// Long work says what it starts (Task: a name and its size in bytes) and the bytes it reads
// (Add, from the reader that already counts them: storage::WithProgress wraps a stream). It
// tells the process's one Sink, which the CLI installs for those commands only; without one
// (the default, and always in `serve`) each call costs one atomic load. A process has one
// terminal, hence one sink rather than one passed through every layer.
//
// Thread-safety: every function may be called from any thread; the installed sink must be
// thread-safe and outlive its installation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ecompipe::progress {

class Sink {
 public:
  virtual ~Sink() = default;
  // A piece of work starts: `what` names it (a key, a file), `total_bytes` is its size (0:
  // unknown). A Begin while another piece is open replaces it.
  virtual void Begin(std::string_view what, uint64_t total_bytes) = 0;
  virtual void Add(uint64_t bytes) = 0;
  // The piece is finished (or abandoned).
  virtual void End() = 0;
};

// Makes `sink` the process's sink (nullptr: none) and returns the previous one.
Sink* Install(Sink* sink);

void Add(uint64_t bytes);

// One piece of work: Begin when made, End when destroyed.
class Task {
 public:
  Task(std::string_view what, uint64_t total_bytes);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

 private:
  Sink* sink_;
};

}  // namespace ecompipe::progress
