// ChunkRunner: the parallel, order-preserving core of the job engine.
//
// One reader thread cuts the decoded byte stream into chunks of about `chunk_bytes` at
// record boundaries (CSV: FindRecordEnd, never inside a quoted field; JSON Lines:
// FindLineEnd, after any LF; so never inside a UTF-8 character either); `threads` workers
// run `work` on chunks in any order, each into the Output of the chunk's slot; the calling
// thread runs `consume` on the outputs strictly in input order. The result therefore does
// not depend on the thread count or on the chunk size.
//
// Memory: 2 * threads + 2 slots, each one chunk (plus the longest record that straddles a
// cut) and one Output, all reused from chunk to chunk, and one Worker per worker thread
// (e.g. a parser), reused too; nothing grows with the input. Each chunk is followed by
// `padding` zero bytes (simdjson reads past a document's end).
//
// Contracts: `work` must be thread-safe against itself (it runs on several threads at once,
// each call with its own Output and, unless Worker is NoWorker, its thread's Worker) and
// report the number of line feeds in the chunk; it cannot fail (a bad record is data).
// `consume` runs on the calling thread only; an error from it, or from the stream, stops the
// run and is returned (a stream error is returned as is, with the line where the unread part
// starts in `*error_line`).
#pragma once

#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "storage/object_store.h"
#include "transform/internal/csv_boundary.h"

namespace ecompipe::transform::internal {

struct ChunkRunnerOptions {
  int threads = 1;                // workers, >= 1
  size_t chunk_bytes = 1 << 20;   // target chunk size, >= 1
  bool json_lines = false;        // records end at every LF; else CSV with these:
  char delimiter = ',';
  char quote = '"';
  size_t padding = 0;             // zero bytes after each chunk
};

// The Worker of a runner whose work needs no per-thread state.
struct NoWorker {};

template <typename Output, typename Worker = NoWorker>
class ChunkRunner {
 public:
  // Returns the number of LFs in `chunk` (the physical lines it spans).
  using Work = std::conditional_t<std::is_same_v<Worker, NoWorker>,
                                  std::function<int64_t(std::string_view chunk, Output& out)>,
                                  std::function<int64_t(std::string_view chunk, Output& out,
                                                        Worker& worker)>>;
  // `first_line`: 1-based physical line of the chunk's first byte in the object.
  using Consume = std::function<Status(std::string_view chunk, Output& out, int64_t first_line)>;

  explicit ChunkRunner(const ChunkRunnerOptions& options)
      : options_(options), slots_(static_cast<size_t>(options.threads) * 2 + 2) {}

  // Runs over `prefix` (bytes already taken from `in`, starting at a record boundary) and
  // then the rest of `in`. `first_line` is the line of prefix's first byte.
  Status Run(storage::InputStream& in, std::string_view prefix, int64_t first_line,
             const Work& work, const Consume& consume, int64_t* error_line) {
    std::thread reader([&] { ReadChunks(in, prefix); });
    std::vector<std::thread> workers;
    for (int i = 0; i < options_.threads; ++i) workers.emplace_back([&] { WorkLoop(work); });

    Status status = Status::Ok();
    int64_t line = first_line;
    for (size_t seq = 0;; ++seq) {
      Slot& slot = slots_[seq % slots_.size()];
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return slot.state == SlotState::kDone || (read_done_ && seq >= chunks_); });
        if (slot.state != SlotState::kDone) break;  // all chunks consumed
      }
      if (status.ok()) status = consume(std::string_view(slot.data.get(), slot.size), slot.out, line);
      line += slot.lines;
      {
        std::lock_guard lock(mu_);
        slot.state = SlotState::kFree;
        if (!status.ok()) stop_ = true;
      }
      cv_.notify_all();
    }
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    reader.join();
    for (std::thread& t : workers) t.join();
    if (status.ok() && !read_status_.ok()) {
      if (error_line != nullptr) *error_line = line;
      return read_status_;
    }
    return status;
  }

 private:
  enum class SlotState { kFree, kQueued, kDone };
  struct Slot {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t size = 0;
    int64_t lines = 0;
    SlotState state = SlotState::kFree;
    Output out;
  };

  // Room for `needed` bytes of chunk and the padding after them.
  void Reserve(Slot& slot, size_t needed) const {
    needed += options_.padding;
    if (slot.capacity >= needed) return;
    auto bigger = std::make_unique_for_overwrite<char[]>(needed);
    if (slot.size > 0) std::memcpy(bigger.get(), slot.data.get(), slot.size);
    slot.data = std::move(bigger);
    slot.capacity = needed;
  }

  void ReadChunks(storage::InputStream& in, std::string_view prefix) {
    std::string carry(prefix);
    bool eof = false;
    Status status = Status::Ok();
    for (size_t seq = 0; !eof || !carry.empty(); ++seq) {
      Slot& slot = slots_[seq % slots_.size()];
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return slot.state == SlotState::kFree || stop_; });
        if (stop_) break;
      }
      slot.size = 0;
      Reserve(slot, carry.size() + options_.chunk_bytes);
      std::memcpy(slot.data.get(), carry.data(), carry.size());
      slot.size = carry.size();
      size_t target = carry.size() + options_.chunk_bytes;
      size_t cut = kNoBoundary;
      while (true) {
        while (!eof && slot.size < target) {
          Result<size_t> n = in.Read(slot.data.get() + slot.size, target - slot.size);
          if (!n.ok()) {
            status = n.status();
            eof = true;
            break;
          }
          if (*n == 0) eof = true;
          slot.size += *n;
        }
        if (!status.ok()) {
          // Hand on the complete records read before the error, so that the error's line
          // is where reading stopped, as with a sequential reader.
          cut = FindEnd(std::string_view(slot.data.get(), slot.size));
          if (cut == kNoBoundary) cut = 0;
          break;
        }
        if (eof) {
          cut = slot.size;  // the rest is the last chunk, a record without LF included
          break;
        }
        // Quote state is known only at the chunk's start, so a grown chunk is rescanned
        // from there (each growth doubles it: linear in all).
        const size_t found = FindEnd(std::string_view(slot.data.get(), slot.size));
        if (found != kNoBoundary) {
          cut = found;
          break;
        }
        // One record longer than the chunk: grow and read on.
        target = slot.size * 2;
        Reserve(slot, target);
      }
      carry.assign(slot.data.get() + cut, slot.size - cut);
      slot.size = cut;
      // Defined padding: readers past the chunk's end see zeros, never stale bytes.
      std::memset(slot.data.get() + slot.size, 0, options_.padding);
      if (slot.size == 0) break;
      {
        std::lock_guard lock(mu_);
        slot.state = SlotState::kQueued;
        queue_.push_back(seq);
        chunks_ = seq + 1;
      }
      cv_.notify_all();
      if (!status.ok()) break;
    }
    {
      std::lock_guard lock(mu_);
      read_status_ = std::move(status);
      read_done_ = true;
    }
    cv_.notify_all();
  }

  // The end of the last complete record in `text`, or kNoBoundary.
  size_t FindEnd(std::string_view text) const {
    if (options_.json_lines) return FindLineEnd(text, true);
    return FindRecordEnd(text, options_.delimiter, options_.quote, true);
  }

  void WorkLoop(const Work& work) {
    Worker worker;
    while (true) {
      size_t seq = 0;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || stop_ || read_done_; });
        if (queue_.empty()) {
          if (stop_ || read_done_) return;
          continue;
        }
        seq = queue_.front();
        queue_.erase(queue_.begin());
      }
      Slot& slot = slots_[seq % slots_.size()];
      const std::string_view chunk(slot.data.get(), slot.size);
      if constexpr (std::is_same_v<Worker, NoWorker>) {
        slot.lines = work(chunk, slot.out);
      } else {
        slot.lines = work(chunk, slot.out, worker);
      }
      {
        std::lock_guard lock(mu_);
        slot.state = SlotState::kDone;
      }
      cv_.notify_all();
    }
  }

  const ChunkRunnerOptions options_;
  std::vector<Slot> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<size_t> queue_;  // queued chunk numbers, oldest first (at most slots_.size())
  size_t chunks_ = 0;          // chunks queued so far
  bool read_done_ = false;
  bool stop_ = false;
  Status read_status_ = Status::Ok();
};

}  // namespace ecompipe::transform::internal
