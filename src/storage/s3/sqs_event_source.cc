#include "storage/s3/sqs_event_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "common/time_util.h"
#include "storage/s3/s3_event_notification.h"

namespace ecompipe::storage::s3 {
namespace {

constexpr size_t kBatch = 10;  // SQS's limit for the batch calls
constexpr int64_t kKeeperTickMs = 250;

template <typename F>
void InBatches(const std::vector<std::string>& handles, F&& f) {
  for (size_t i = 0; i < handles.size(); i += kBatch)
    f(std::vector<std::string>(handles.begin() + i,
                               handles.begin() + std::min(handles.size(), i + kBatch)));
}

}  // namespace

// The messages held until their loads commit, shared with the `done` callbacks (which the
// owner may call after the source is gone).
struct SqsEventSource::Book {
  struct Held {
    std::string handle;    // of the latest receipt
    uint64_t receipt = 0;  // which receipt that is; done() of an older one is ignored
    std::vector<std::pair<std::string, std::string>> objects;  // (key, ETag) as recorded
    int unrecorded = 0;  // records whose done() has not come back
    bool record_failed = false;
    int64_t extend_at_ms = 0;  // when its visibility is renewed next
    int64_t check_at_ms = 0;   // when LoadCheck is asked next
    int checks = 0;
  };
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  uint64_t receipts = 0;
  std::map<std::string, Held> held;    // by message id
  std::vector<std::string> to_delete;  // receipt handles of messages with nothing for us
};

std::unique_ptr<SqsEventSource> SqsEventSource::Start(std::unique_ptr<SqsQueue> queue,
                                                      SqsOptions options, std::string bucket,
                                                      ObjectCallback on_object,
                                                      LoadCheck load_check) {
  options.wait_time_seconds = std::clamp(options.wait_time_seconds, 0, 20);
  options.max_messages = std::clamp(options.max_messages, 1, 10);
  options.visibility_timeout_seconds = std::clamp(options.visibility_timeout_seconds, 1, 43200);
  options.max_check_interval_ms = std::max<int64_t>(options.max_check_interval_ms, kKeeperTickMs);
  std::unique_ptr<SqsEventSource> s(new SqsEventSource(
      std::move(queue), options, std::move(bucket), std::move(on_object), std::move(load_check)));
  s->receiver_ = std::thread([p = s.get()] { p->Run(); });
  s->keeper_ = std::thread([p = s.get()] { p->RunKeeper(); });
  return s;
}

Result<std::unique_ptr<SqsEventSource>> SqsEventSource::Start(const SqsSettings& settings,
                                                              std::string bucket,
                                                              ObjectCallback on_object,
                                                              LoadCheck load_check) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<HttpSqsQueue> queue, HttpSqsQueue::Open(settings));
  SqsOptions options;
  options.wait_time_seconds = settings.wait_time_seconds;
  options.max_messages = settings.max_messages;
  options.visibility_timeout_seconds = settings.visibility_timeout_seconds;
  return Start(std::move(queue), options, std::move(bucket), std::move(on_object),
               std::move(load_check));
}

SqsEventSource::SqsEventSource(std::unique_ptr<SqsQueue> queue, SqsOptions options,
                               std::string bucket, ObjectCallback on_object, LoadCheck load_check)
    : queue_(std::move(queue)),
      options_(options),
      bucket_(std::move(bucket)),
      on_object_(std::move(on_object)),
      load_check_(std::move(load_check)),
      book_(std::make_shared<Book>()) {}

SqsEventSource::~SqsEventSource() { Stop(); }

void SqsEventSource::Stop() {
  stop_ = true;
  book_->cv.notify_all();
  if (receiver_.joinable()) receiver_.join();
  {
    std::lock_guard lock(book_->mu);
    book_->stop = true;
  }
  book_->cv.notify_all();
  if (keeper_.joinable()) keeper_.join();
}

size_t SqsEventSource::held() const {
  std::lock_guard lock(book_->mu);
  return book_->held.size();
}

void SqsEventSource::Run() {
  spdlog::info("SQS event source polling. queue={} bucket={} visibility_timeout_s={}",
               queue_->url(), bucket_, options_.visibility_timeout_seconds);
  int failures = 0;
  while (!stop_.load()) {
    Result<std::vector<SqsMessage>> messages =
        queue_->Receive(options_.max_messages, options_.wait_time_seconds,
                        options_.visibility_timeout_seconds, &stop_);
    if (stop_.load()) break;
    if (!messages.ok()) {
      ++failures;
      // One line per streak for a refused request; transient failures each get a warning.
      if (failures == 1 || messages.status().code() != StatusCode::kInvalidArgument)
        spdlog::error("SQS event source cannot receive; backing off. queue={} error={}",
                      queue_->url(), messages.status().ToString());
      const int64_t cap = messages.status().code() == StatusCode::kInvalidArgument ? 60000 : 30000;
      std::unique_lock lock(book_->mu);
      book_->cv.wait_for(
          lock,
          std::chrono::milliseconds(std::min<int64_t>(cap, 1000LL << std::min(failures - 1, 6))),
          [&] { return stop_.load(); });
      continue;
    }
    if (failures > 0) spdlog::info("SQS event source receiving again. queue={}", queue_->url());
    failures = 0;
    for (const SqsMessage& m : *messages) Handle(m);
  }
}

void SqsEventSource::Handle(const SqsMessage& m) {
  Result<std::vector<S3EventRecord>> records = ParseS3EventNotification(m.body);
  if (!records.ok()) {
    spdlog::warn(
        "SQS message is not an S3 event notification; left in the queue (its redrive policy "
        "decides). queue={} message_id={} error={}",
        queue_->url(), m.message_id, records.status().ToString());
    return;
  }
  std::vector<std::string> keys;
  for (const S3EventRecord& r : *records) {
    if (!r.created()) continue;
    if (r.bucket != bucket_) {
      spdlog::warn("S3 notification for another bucket ignored. queue={} bucket={} key={}",
                   queue_->url(), r.bucket, r.key);
      continue;
    }
    keys.push_back(r.key);
  }
  if (keys.empty()) {
    {
      std::lock_guard lock(book_->mu);
      book_->to_delete.push_back(m.receipt_handle);
    }
    book_->cv.notify_all();
    return;
  }
  uint64_t receipt = 0;
  {
    std::lock_guard lock(book_->mu);
    auto [it, added] = book_->held.try_emplace(m.message_id);
    // A message delivered again while held (its visibility ran out before a renewal got
    // through): the new receipt handle replaces the old one, which SQS no longer honours.
    if (!added)
      spdlog::warn(
          "SQS message delivered again while held; its visibility timeout ran out. queue={} "
          "message_id={}",
          queue_->url(), m.message_id);
    Book::Held& h = it->second;
    h = Book::Held{};
    h.handle = m.receipt_handle;
    h.receipt = receipt = ++book_->receipts;
    h.unrecorded = static_cast<int>(keys.size());
    h.extend_at_ms = NowMillis() + options_.visibility_timeout_seconds * 500LL;
  }
  for (const std::string& key : keys) {
    on_object_(key, [book = book_, id = m.message_id, receipt, key](bool recorded,
                                                                    const std::string& etag) {
      std::lock_guard lock(book->mu);
      auto it = book->held.find(id);
      if (it == book->held.end() || it->second.receipt != receipt) return;
      Book::Held& h = it->second;
      if (recorded) {
        h.objects.emplace_back(key, etag);
      } else {
        h.record_failed = true;
      }
      if (--h.unrecorded == 0) book->cv.notify_all();
    });
  }
}

void SqsEventSource::RunKeeper() {
  while (true) {
    {
      std::unique_lock lock(book_->mu);
      book_->cv.wait_for(lock, std::chrono::milliseconds(kKeeperTickMs),
                         [&] { return book_->stop; });
      if (book_->stop) break;
    }
    std::vector<std::string> nothing_for_us;
    {
      std::lock_guard lock(book_->mu);
      nothing_for_us.swap(book_->to_delete);
    }
    DeleteNow(nothing_for_us, "it holds no object created in the bucket");
    CheckHeld();
    Heartbeat();
  }
  // Stopping: what is settled goes, the rest becomes visible again at once for whoever
  // receives next (a restart, another worker).
  std::vector<std::string> release, settled;
  {
    std::lock_guard lock(book_->mu);
    settled.swap(book_->to_delete);
    for (const auto& [id, h] : book_->held) release.push_back(h.handle);
    book_->held.clear();
  }
  DeleteNow(settled, "it holds no object created in the bucket");
  InBatches(release, [&](const std::vector<std::string>& batch) {
    Result<std::vector<std::string>> r = queue_->ChangeVisibilityBatch(batch, 0);
    if (!r.ok())
      spdlog::warn(
          "SQS messages not released at stop; they return when their visibility timeout ends. "
          "queue={} error={}",
          queue_->url(), r.status().ToString());
  });
  if (!release.empty())
    spdlog::info(
        "SQS messages whose loads had not committed were released to the queue. queue={} "
        "messages={}",
        queue_->url(), release.size());
}

void SqsEventSource::CheckHeld() {
  struct Due {
    std::string id;
    uint64_t receipt;
    bool record_failed;
    std::vector<std::pair<std::string, std::string>> objects;
  };
  std::vector<Due> due;
  const int64_t now = NowMillis();
  {
    std::lock_guard lock(book_->mu);
    for (auto& [id, h] : book_->held) {
      if (h.unrecorded > 0 || h.check_at_ms > now) continue;
      due.push_back({id, h.receipt, h.record_failed, h.objects});
      // Soon after the hand-over, then less and less often: a long load costs few queries.
      h.check_at_ms = now + std::min<int64_t>(options_.max_check_interval_ms,
                                              kKeeperTickMs << std::min(h.checks, 5));
      ++h.checks;
    }
  }
  enum class Outcome { kKeep, kDelete, kLetGo };
  std::vector<std::pair<const Due*, Outcome>> outcomes;
  for (const Due& d : due) {
    Outcome outcome = Outcome::kDelete;
    std::string why;
    if (d.record_failed) {
      outcome = Outcome::kLetGo;
      why = "an object of it could not be recorded";
    }
    for (const auto& [key, etag] : d.objects) {
      if (outcome != Outcome::kDelete) break;
      if (etag.empty()) continue;  // the object is gone: nothing will load
      Result<LoadState> state = load_check_(key, etag);
      if (!state.ok()) {
        spdlog::warn(
            "Cannot tell whether an object's load committed; its SQS message stays held. key={} "
            "error={}",
            key, state.status().ToString());
        outcome = Outcome::kKeep;
      } else if (*state == LoadState::kPending) {
        outcome = Outcome::kKeep;
      } else if (*state == LoadState::kFailed) {
        outcome = Outcome::kLetGo;
        why = "the load of " + key + " (ETag " + etag + ") failed";
      }
    }
    if (outcome == Outcome::kLetGo)
      spdlog::warn(
          "SQS message left in the queue: {}. SQS delivers it again after its visibility timeout; "
          "give the queue a redrive policy so that it ends in a dead-letter queue. queue={} "
          "message_id={}",
          why, queue_->url(), d.id);
    if (outcome != Outcome::kKeep) outcomes.emplace_back(&d, outcome);
  }
  std::vector<std::string> deletes;
  {
    std::lock_guard lock(book_->mu);
    for (const auto& [d, outcome] : outcomes) {
      auto it = book_->held.find(d->id);
      if (it == book_->held.end() || it->second.receipt != d->receipt) continue;
      if (outcome == Outcome::kDelete) deletes.push_back(it->second.handle);
      book_->held.erase(it);
    }
  }
  DeleteNow(deletes, "the load of its objects committed");
}

void SqsEventSource::Heartbeat() {
  struct Extend {
    std::string id;
    uint64_t receipt;
  };
  std::vector<Extend> who;
  std::vector<std::string> handles;
  const int64_t now = NowMillis();
  {
    std::lock_guard lock(book_->mu);
    for (const auto& [id, h] : book_->held) {
      if (h.extend_at_ms > now) continue;
      who.push_back({id, h.receipt});
      handles.push_back(h.handle);
    }
  }
  for (size_t i = 0; i < handles.size(); i += kBatch) {
    const size_t end = std::min(handles.size(), i + kBatch);
    std::vector<std::string> batch(handles.begin() + i, handles.begin() + end);
    Result<std::vector<std::string>> refused =
        queue_->ChangeVisibilityBatch(batch, options_.visibility_timeout_seconds);
    if (!refused.ok())
      spdlog::warn("SQS ChangeMessageVisibility failed; retrying in a second. queue={} error={}",
                   queue_->url(), refused.status().ToString());
    const int64_t next = refused.ok() ? NowMillis() + options_.visibility_timeout_seconds * 500LL
                                      : NowMillis() + 1000;
    std::lock_guard lock(book_->mu);
    for (size_t j = i; j < end; ++j) {
      auto it = book_->held.find(who[j].id);
      if (it == book_->held.end() || it->second.receipt != who[j].receipt) continue;
      if (refused.ok() &&
          std::find(refused->begin(), refused->end(), handles[j]) != refused->end()) {
        // An expired handle, or the 12 hours SQS allows from receipt are over.
        spdlog::warn(
            "SQS refused to keep a message invisible; it will be delivered again. queue={} "
            "message_id={}",
            queue_->url(), who[j].id);
        book_->held.erase(it);
        continue;
      }
      it->second.extend_at_ms = next;
    }
  }
}

void SqsEventSource::DeleteNow(const std::vector<std::string>& handles, const char* why) {
  InBatches(handles, [&](const std::vector<std::string>& batch) {
    Result<std::vector<std::string>> refused = queue_->DeleteBatch(batch);
    if (!refused.ok()) {
      // Only costs a redelivery, which deduplication and the ledger absorb.
      spdlog::warn(
          "SQS DeleteMessageBatch failed; the messages will be delivered again and deleted then. "
          "queue={} error={}",
          queue_->url(), refused.status().ToString());
      return;
    }
    spdlog::debug("SQS messages deleted: {}. queue={} deleted={}", why, queue_->url(),
                  batch.size() - refused->size());
  });
}

}  // namespace ecompipe::storage::s3
