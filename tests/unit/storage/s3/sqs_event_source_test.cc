// SqsEventSource's bookkeeping against an in-memory queue that behaves as SQS does (visibility
// timeouts, a new receipt handle per receipt, stale handles refused). The real thing, moto's
// SQS fed by S3 notifications, is tests/e2e/test_s3_source.py.
#include "storage/s3/sqs_event_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "common/time_util.h"

namespace ecompipe::storage::s3 {
namespace {

using namespace std::chrono_literals;

std::string Notification(const std::vector<std::string>& keys, const std::string& bucket = "raw") {
  std::string records;
  for (const std::string& k : keys) {
    if (!records.empty()) records += ",";
    records += R"({"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":")" + bucket +
               R"("},"object":{"key":")" + k + R"(","size":1,"eTag":"e"}}})";
  }
  return R"({"Records":[)" + records + "]}";
}

// What the fake queue holds; the test keeps it while the source owns the queue.
struct QueueState {
  struct Msg {
    std::string id, body, handle;
    int64_t visible_at = 0;
    int receives = 0;
    bool deleted = false;
  };
  std::mutex mu;
  std::vector<Msg> msgs;
  std::vector<size_t> change_batches;  // entries per ChangeMessageVisibilityBatch call

  void Send(const std::string& id, const std::string& body) {
    std::lock_guard lock(mu);
    msgs.push_back({id, body});
  }
  Msg Get(const std::string& id) {
    std::lock_guard lock(mu);
    for (const Msg& m : msgs)
      if (m.id == id) return m;
    return {};
  }
  bool Visible(const std::string& id) {
    Msg m = Get(id);
    return !m.deleted && m.visible_at <= NowMillis();
  }
};

class FakeQueue final : public SqsQueue {
 public:
  explicit FakeQueue(std::shared_ptr<QueueState> s) : s_(std::move(s)) {}
  const std::string& url() const override { return url_; }
  Result<std::vector<SqsMessage>> Receive(int max_messages, int, int visibility_seconds,
                                          const std::atomic<bool>* cancel) override {
    for (int round = 0; round < 5 && !(cancel && cancel->load()); ++round) {
      std::vector<SqsMessage> out;
      {
        std::lock_guard lock(s_->mu);
        const int64_t now = NowMillis();
        for (auto& m : s_->msgs) {
          if (m.deleted || m.visible_at > now || static_cast<int>(out.size()) == max_messages)
            continue;
          m.visible_at = now + visibility_seconds * 1000LL;
          m.handle = m.id + "#" + std::to_string(++m.receives);
          out.push_back({m.id, m.handle, m.body});
        }
      }
      if (!out.empty()) return out;
      std::this_thread::sleep_for(20ms);
    }
    return std::vector<SqsMessage>{};
  }
  Result<std::vector<std::string>> DeleteBatch(const std::vector<std::string>& handles) override {
    EXPECT_LE(handles.size(), 10u);
    return ForEach(handles, [](QueueState::Msg& m) { m.deleted = true; });
  }
  Result<std::vector<std::string>> ChangeVisibilityBatch(const std::vector<std::string>& handles,
                                                         int visibility_seconds) override {
    {
      std::lock_guard lock(s_->mu);
      s_->change_batches.push_back(handles.size());
    }
    const int64_t now = NowMillis();
    return ForEach(handles,
                   [&](QueueState::Msg& m) { m.visible_at = now + visibility_seconds * 1000LL; });
  }

 private:
  // Applies `f` to each message whose current receipt `handles` names; the rest are refused.
  template <typename F>
  std::vector<std::string> ForEach(const std::vector<std::string>& handles, F f) {
    std::lock_guard lock(s_->mu);
    std::vector<std::string> refused;
    for (const std::string& h : handles) {
      auto it = std::find_if(s_->msgs.begin(), s_->msgs.end(),
                             [&](const QueueState::Msg& m) { return m.handle == h && !m.deleted; });
      if (it == s_->msgs.end()) {
        refused.push_back(h);
      } else {
        f(*it);
      }
    }
    return refused;
  }
  std::shared_ptr<QueueState> s_;
  std::string url_ = "http://fake/queue";
};

// The owner: records every key at once (or fails to, while `record_fails`), and answers the
// load check from `states` (kPending when absent).
struct Owner {
  std::mutex mu;
  std::map<std::string, LoadState> states;
  std::map<std::string, int> handed_over;
  bool record_fails = false;

  void Set(const std::string& key, LoadState s) {
    std::lock_guard lock(mu);
    states[key] = s;
  }
  ObjectCallback OnObject() {
    return [this](const std::string& key, DoneCallback done) {
      bool fail;
      {
        std::lock_guard lock(mu);
        ++handed_over[key];
        fail = record_fails;
      }
      if (fail) return done(false, "");
      done(true, "etag-" + key);
    };
  }
  LoadCheck Check() {
    return [this](const std::string& key, const std::string& etag) -> Result<LoadState> {
      EXPECT_EQ(etag, "etag-" + key);
      std::lock_guard lock(mu);
      auto it = states.find(key);
      return it == states.end() ? LoadState::kPending : it->second;
    };
  }
};

template <typename P>
bool WaitFor(P p, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

class SqsEventSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqsEventSource> Start(int visibility_seconds = 1) {
    SqsOptions o;
    o.wait_time_seconds = 0;
    o.visibility_timeout_seconds = visibility_seconds;
    o.max_check_interval_ms = 250;
    return SqsEventSource::Start(std::make_unique<FakeQueue>(q_), o, "raw", owner_.OnObject(),
                                 owner_.Check());
  }
  std::shared_ptr<QueueState> q_ = std::make_shared<QueueState>();
  Owner owner_;
};

TEST_F(SqsEventSourceTest, MessageIsHeldInvisibleWhileTheLoadRunsAndDeletedOnCommit) {
  q_->Send("m1", Notification({"transactions/a.csv"}));
  auto source = Start(/*visibility_seconds=*/2);
  ASSERT_TRUE(WaitFor([&] { return source->held() == 1; }));
  // Two visibility timeouts pass with the load pending: heartbeats keep it from coming back.
  std::this_thread::sleep_for(4500ms);
  EXPECT_FALSE(q_->Get("m1").deleted);
  EXPECT_EQ(q_->Get("m1").receives, 1);
  EXPECT_FALSE(q_->Visible("m1"));
  owner_.Set("transactions/a.csv", LoadState::kCommitted);
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").deleted; }));
  EXPECT_EQ(source->held(), 0u);
  EXPECT_EQ(q_->Get("m1").receives, 1);
}

TEST_F(SqsEventSourceTest, MessageOfAnObjectLoadedEarlierIsDeletedOnItsRedelivery) {
  // After a restart: the event is deduplicated, the ledger already has the load.
  owner_.Set("transactions/a.csv", LoadState::kCommitted);
  q_->Send("m1", Notification({"transactions/a.csv"}));
  auto source = Start();
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").deleted; }));
  EXPECT_EQ(q_->Get("m1").receives, 1);
}

TEST_F(SqsEventSourceTest, FailedLoadLeavesTheMessageToComeBackAfterItsTimeout) {
  owner_.Set("transactions/bad.csv", LoadState::kFailed);
  q_->Send("m1", Notification({"transactions/bad.csv"}));
  auto source = Start(/*visibility_seconds=*/1);
  // Let go, not deleted, not renewed: SQS delivers it again (then its redrive policy decides).
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").receives >= 2; }));
  EXPECT_FALSE(q_->Get("m1").deleted);
  // Should the version ever commit (a retry that succeeded elsewhere), the next receipt deletes it.
  owner_.Set("transactions/bad.csv", LoadState::kCommitted);
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").deleted; }));
}

TEST_F(SqsEventSourceTest, RecordThatCouldNotBeRecordedKeepsTheMessage) {
  owner_.record_fails = true;
  owner_.Set("transactions/a.csv", LoadState::kCommitted);
  q_->Send("m1", Notification({"transactions/a.csv"}));
  auto source = Start(/*visibility_seconds=*/1);
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").receives >= 2; }));
  EXPECT_FALSE(q_->Get("m1").deleted);
  {
    std::lock_guard lock(owner_.mu);
    owner_.record_fails = false;
  }
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").deleted; }));
}

TEST_F(SqsEventSourceTest, MessageWithTwoObjectsWaitsForBoth) {
  q_->Send("m1", Notification({"transactions/a.csv", "transactions/b.csv"}));
  auto source = Start();
  owner_.Set("transactions/a.csv", LoadState::kCommitted);
  ASSERT_TRUE(WaitFor([&] { return source->held() == 1; }));
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(q_->Get("m1").deleted);
  owner_.Set("transactions/b.csv", LoadState::kCommitted);
  ASSERT_TRUE(WaitFor([&] { return q_->Get("m1").deleted; }));
}

TEST_F(SqsEventSourceTest, MessageWithNothingForUsIsDeletedAndGarbageIsLeft) {
  q_->Send("test", R"({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"raw"})");
  q_->Send("other", Notification({"transactions/a.csv"}, "another-bucket"));
  q_->Send("garbage", "not a notification");
  auto source = Start(/*visibility_seconds=*/1);
  ASSERT_TRUE(WaitFor([&] { return q_->Get("test").deleted && q_->Get("other").deleted; }));
  ASSERT_TRUE(WaitFor([&] { return q_->Get("garbage").receives >= 2; }));
  EXPECT_FALSE(q_->Get("garbage").deleted);
  EXPECT_EQ(source->held(), 0u);
  std::lock_guard lock(owner_.mu);
  EXPECT_TRUE(owner_.handed_over.empty());
}

TEST_F(SqsEventSourceTest, HeartbeatsGoOutInBatchesOfTen) {
  for (int i = 0; i < 25; ++i)
    q_->Send("m" + std::to_string(i), Notification({"transactions/" + std::to_string(i)}));
  auto source = Start(/*visibility_seconds=*/2);
  ASSERT_TRUE(WaitFor([&] { return source->held() == 25; }));
  size_t entries = 0, calls = 0;
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(q_->mu);
    entries = 0;
    for (size_t n : q_->change_batches) entries += n;
    calls = q_->change_batches.size();
    return entries >= 50;  // two rounds
  }));
  std::lock_guard lock(q_->mu);
  for (size_t n : q_->change_batches) EXPECT_LE(n, 10u);
  EXPECT_LT(calls, entries / 2);  // batched: not one call per message
  for (const auto& m : q_->msgs) EXPECT_EQ(m.receives, 1) << m.id;
}

TEST_F(SqsEventSourceTest, StopReleasesHeldMessagesAtOnce) {
  q_->Send("m1", Notification({"transactions/a.csv"}));
  auto source = Start(/*visibility_seconds=*/600);
  ASSERT_TRUE(WaitFor([&] { return source->held() == 1; }));
  EXPECT_FALSE(q_->Visible("m1"));
  source->Stop();
  EXPECT_TRUE(q_->Visible("m1"));
  EXPECT_FALSE(q_->Get("m1").deleted);
}

TEST_F(SqsEventSourceTest, DoneAfterTheSourceIsGoneIsHarmless) {
  DoneCallback late;
  std::mutex mu;
  SqsOptions o;
  o.wait_time_seconds = 0;
  q_->Send("m1", Notification({"transactions/a.csv"}));
  auto source = SqsEventSource::Start(
      std::make_unique<FakeQueue>(q_), o, "raw",
      [&](const std::string&, DoneCallback done) {
        std::lock_guard lock(mu);
        late = std::move(done);
      },
      owner_.Check());
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return static_cast<bool>(late);
  }));
  source.reset();
  late(true, "etag-transactions/a.csv");
  EXPECT_FALSE(q_->Get("m1").deleted);
}

}  // namespace
}  // namespace ecompipe::storage::s3
