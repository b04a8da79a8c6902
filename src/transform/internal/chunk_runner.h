// ChunkRunner: the parallel, order-preserving core of the job engine.
//
// One reader thread cuts the decoded byte stream into chunks of about `chunk_bytes` at
// record boundaries (CSV: FindRecordEnd, never inside a quoted field; JSON Lines:
// FindLineEnd, after any LF; so never inside a UTF-8 character either); `threads` workers
// run `work` on chunks in any order, each into the Output of the chunk's slot; the calling
// thread runs `consume` on the outputs strictly in input order. The result therefore does
// not depend on the thread count or on the chunk size.
//
// A record longer than the chunk makes its chunk grow, but only up to max_record_bytes + 2
// bytes: a record with no end by then is longer than the sequential readers allow, so the
// reader thread reads it (and the rest of it from the stream) with the sequential reader
// itself, which skips it in bounded memory, keeping the CSV quote state and the line count
// (an unclosed quote swallows the rest of the input, as it does there). The workers then get
// that reader's record (too_long, its raw text truncated) as a chunk of its own
// (Chunk::long_record), so the rejects are the sequential path's to the byte.
//
// Memory: 2 * threads + 2 slots, each one Output and at most about chunk_bytes +
// max_record_bytes of bytes (a chunk and the start of a record that straddles its cut), or
// chunk_bytes + 2 * max_record_bytes in the slot after an over-long record (the sequential
// reader's read-ahead is carried into it), each followed by `padding` zero bytes (simdjson
// reads past a document's end), all reused from chunk to chunk; the reader thread's
// carry-over (less than a slot) and, while it skips an over-long record, the sequential
// reader's buffer (at most about 2 * (max_record_bytes + min(chunk_bytes, 1 MiB))); one Worker
// per worker thread (e.g. a parser), reused too. Nothing grows with the input or with the
// length of a record (peak_buffer_bytes() tells the reader thread's peak, for tests).
//
// Contracts: `work` must be thread-safe against itself (it runs on several threads at once,
// each call with its own Output and, unless Worker is NoWorker, its thread's Worker) and
// report the number of line feeds in the chunk; it cannot fail (a bad record is data).
// `consume` runs on the calling thread only; an error from it, or from the stream, stops the
// run and is returned (a stream error is returned as is, with the line where the unread part
// starts in `*error_line`).
#pragma once

#include <algorithm>
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
#include "transform/csv_reader.h"
#include "transform/internal/csv_boundary.h"
#include "transform/json_lines_reader.h"
#include "transform/record_reader.h"

namespace ecompipe::transform::internal {

struct ChunkRunnerOptions {
  int threads = 1;               // workers, >= 1
  size_t chunk_bytes = 1 << 20;  // target chunk size, >= 1
  bool json_lines = false;       // records end at every LF; else CSV with these:
  char delimiter = ',';
  char quote = '"';
  size_t padding = 0;                 // zero bytes after each chunk
  size_t max_record_bytes = 1 << 20;  // the readers' limit: a longer record is not buffered
};

// A record longer than max_record_bytes, read (and skipped) by the reader thread exactly as
// the sequential reader reads it: too_long, its raw text truncated, its line 1.
struct LongRecord {
  Record record;  // record.raw views `raw`
  std::string raw;
  int64_t lines = 0;  // LFs it spans, with the one that ends it
};

// What a worker gets: whole records, or one over-long record.
struct Chunk {
  std::string_view text;                    // followed by `padding` zero bytes; empty when long
  const LongRecord* long_record = nullptr;  // set: the chunk is this record alone
};

// Yields a LongRecord once, as a reader over its chunk would.
class LongRecordReader final : public RecordReader {
 public:
  explicit LongRecordReader(const LongRecord& record) : record_(record) {}
  Result<const Record*> Next() override {
    if (done_) return nullptr;
    done_ = true;
    return &record_.record;
  }
  int64_t line() const override { return done_ ? 1 + record_.lines : 1; }

 private:
  const LongRecord& record_;
  bool done_ = false;
};

// The bytes of `head`, then those of `rest`.
class ConcatInputStream final : public storage::InputStream {
 public:
  ConcatInputStream(std::string_view head, storage::InputStream& rest) : head_(head), rest_(rest) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    if (!head_.empty()) {
      const size_t n = std::min(capacity, head_.size());
      std::memcpy(buffer, head_.data(), n);
      head_.remove_prefix(n);
      return n;
    }
    Result<size_t> n = rest_.Read(buffer, capacity);
    if (n.ok() && *n == 0) eof_ = true;
    return n;
  }
  std::string_view head() const { return head_; }  // not read yet
  bool eof() const { return eof_; }                // `rest` has ended

 private:
  std::string_view head_;
  storage::InputStream& rest_;
  bool eof_ = false;
};

// The Worker of a runner whose work needs no per-thread state.
struct NoWorker {};

template <typename Output, typename Worker = NoWorker>
class ChunkRunner {
 public:
  // Returns the number of LFs in `chunk` (the physical lines it spans).
  using Work =
      std::conditional_t<std::is_same_v<Worker, NoWorker>,
                         std::function<int64_t(const Chunk& chunk, Output& out)>,
                         std::function<int64_t(const Chunk& chunk, Output& out, Worker& worker)>>;
  // `first_line`: 1-based physical line of the chunk's first byte in the object.
  using Consume = std::function<Status(const Chunk& chunk, Output& out, int64_t first_line)>;

  explicit ChunkRunner(const ChunkRunnerOptions& options)
      : options_(options), slots_(static_cast<size_t>(options.threads) * 2 + 2) {}

  // Runs over `prefix` (bytes already taken from `in`, starting at a record boundary) and
  // then the rest of `in`. `first_line` is the line of prefix's first byte.
  Status Run(storage::InputStream& in, std::string_view prefix, int64_t first_line,
             const Work& work, const Consume& consume, int64_t* error_line) {
    std::thread reader([&] { ReadChunks(in, prefix); });
    std::vector<std::thread> workers;
    workers.reserve(options_.threads);
    for (int i = 0; i < options_.threads; ++i) workers.emplace_back([&] { WorkLoop(work); });

    Status status = Status::Ok();
    int64_t line = first_line;
    for (size_t seq = 0;; ++seq) {
      Slot& slot = slots_[seq % slots_.size()];
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock,
                 [&] { return slot.state == SlotState::kDone || (read_done_ && seq >= chunks_); });
        if (slot.state != SlotState::kDone) break;  // all chunks consumed
      }
      if (status.ok()) status = consume(ChunkOf(slot), slot.out, line);
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

  // The most bytes the reader thread held at once (after Run): the slot it filled, the bytes
  // carried to the next one and, for an over-long record, the sequential reader's buffer.
  size_t peak_buffer_bytes() const { return peak_buffer_bytes_; }

 private:
  enum class SlotState { kFree, kQueued, kDone };
  struct Slot {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t size = 0;
    int64_t lines = 0;
    SlotState state = SlotState::kFree;
    bool is_long = false;  // holds long_record, not text
    LongRecord long_record;
    Output out;
  };

  static Chunk ChunkOf(const Slot& slot) {
    if (slot.is_long) return Chunk{.text = {}, .long_record = &slot.long_record};
    return Chunk{.text = std::string_view(slot.data.get(), slot.size), .long_record = nullptr};
  }

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
      slot.is_long = false;
      Reserve(slot, carry.size() + options_.chunk_bytes);
      std::memcpy(slot.data.get(), carry.data(), carry.size());
      slot.size = carry.size();
      size_t target = carry.size() + options_.chunk_bytes;
      size_t cut = kNoBoundary;
      bool too_long = false;
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
        // The slot starts at a record boundary and holds no record end: one record longer
        // than the chunk. Past max_record_bytes + 1 bytes (where the sequential readers
        // start to skip) it is rejected whatever follows: stop buffering it.
        if (slot.size > options_.max_record_bytes + 1) {
          too_long = true;
          break;
        }
        target = std::min(slot.size * 2, options_.max_record_bytes + 2);  // > slot.size
        Reserve(slot, target);
      }
      NotePeak(slot.capacity + carry.capacity());
      if (too_long) {
        status = ReadLongRecord(slot, in, eof, carry);
        if (!status.ok()) break;  // the record's line is where reading stopped
      } else {
        carry.assign(slot.data.get() + cut, slot.size - cut);
        slot.size = cut;
      }
      // Defined padding: readers past the chunk's end see zeros, never stale bytes.
      std::memset(slot.data.get() + slot.size, 0, options_.padding);
      if (slot.size == 0 && !slot.is_long) break;
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

  // Reads the over-long record that fills `slot`, and then the rest of it from `in`, with the
  // sequential reader (which skips it in bounded memory, keeping the CSV quote state and
  // the line count), into slot.long_record; the bytes read past its end go to `carry`.
  Status ReadLongRecord(Slot& slot, storage::InputStream& in, bool& eof, std::string& carry) {
    ConcatInputStream stream(std::string_view(slot.data.get(), slot.size), in);
    const size_t read_size = std::clamp<size_t>(options_.chunk_bytes, 4096, 1 << 20);
    const auto take = [&](auto& reader) -> Status {
      EP_ASSIGN_OR_RETURN(const Record* record, reader.Next());
      // Not null: the stream starts with more than max_record_bytes + 1 bytes of this record.
      LongRecord& out = slot.long_record;
      out.raw.assign(record->raw);
      out.record = *record;
      out.record.raw = out.raw;
      out.record.fields.clear();  // empty when too_long, which this record is
      out.lines = reader.line() - 1;
      NotePeak(slot.capacity + reader.buffer_capacity());
      carry.assign(reader.unread());
      carry.append(stream.head());
      return Status::Ok();
    };
    if (options_.json_lines) {
      JsonLinesReader reader(stream, {},
                             JsonLinesOptions{.max_record_bytes = options_.max_record_bytes,
                                              .chunk_size = read_size,
                                              .skip_bom = false});
      EP_RETURN_IF_ERROR(take(reader));
    } else {
      CsvReader reader(stream, CsvOptions{.delimiter = options_.delimiter,
                                          .quote = options_.quote,
                                          .max_record_bytes = options_.max_record_bytes,
                                          .chunk_size = read_size,
                                          .skip_bom = false});
      EP_RETURN_IF_ERROR(take(reader));
    }
    eof = stream.eof();
    slot.size = 0;
    slot.is_long = true;
    return Status::Ok();
  }

  void NotePeak(size_t bytes) { peak_buffer_bytes_ = std::max(peak_buffer_bytes_, bytes); }

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
      const Chunk chunk = ChunkOf(slot);
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
  size_t peak_buffer_bytes_ = 0;  // the reader thread's; read after Run
};

}  // namespace ecompipe::transform::internal
