// An ObjectStore wrapper that fails chosen calls, as LevelDB's fault-injecting Env does for
// files: tests prove that a failed read, listing or open is rolled back and retried rather
// than half-loaded or lost.
//
//   FaultInjectingStore store(base);
//   store.Inject({.op = Op::kRead, .key = "t/x.csv", .nth = 3,
//                 .status = Status::Unavailable("injected")});  // the 3rd read of t/x.csv fails
//
// A fault fires on the nth matching call (counted from 1 per fault; reads are counted across
// every stream opened on the key) and on the `times - 1` matching calls after it; then it is
// spent. `action`, when set, runs as the fault fires (to set a stop flag, say); a fault whose
// status is OK only runs its action and lets the call through. Calls are counted per op in
// calls(op).
//
// Thread-safety: every call may come from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::testing_util {

class FaultInjectingStore : public storage::ObjectStore {
 public:
  enum class Op { kList, kHead, kOpen, kRead };
  struct Fault {
    Op op = Op::kRead;
    std::string key;  // the object's key; "" matches any (for kList: the prefix listed)
    int nth = 1;
    int times = 1;
    Status status = Status::Unavailable("injected fault");
    std::function<void()> action;
  };

  explicit FaultInjectingStore(storage::ObjectStore& base) : base_(base) {}

  void Inject(Fault fault) {
    std::lock_guard lock(mu_);
    faults_.push_back({std::move(fault), 0});
  }
  void Clear() {
    std::lock_guard lock(mu_);
    faults_.clear();
  }
  // Matching calls each fault has failed so far, summed.
  int fired() const { return fired_.load(); }
  int calls(Op op) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
  }

  const std::string& bucket() const override { return base_.bucket(); }
  Result<std::vector<storage::ObjectRef>> List(const std::string& prefix) const override {
    EP_RETURN_IF_ERROR(Check(Op::kList, prefix));
    return base_.List(prefix);
  }
  Result<storage::ObjectRef> Head(const std::string& key) const override {
    EP_RETURN_IF_ERROR(Check(Op::kHead, key));
    return base_.Head(key);
  }
  Result<std::unique_ptr<storage::InputStream>> Open(
      const storage::ObjectRef& object) const override {
    EP_RETURN_IF_ERROR(Check(Op::kOpen, object.key));
    EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> in, base_.Open(object));
    return std::unique_ptr<storage::InputStream>(new Stream(*this, object.key, std::move(in)));
  }
  Result<storage::ObjectRef> Put(const std::string& key,
                                 const std::filesystem::path& source) override {
    return base_.Put(key, source);
  }

 private:
  struct Armed {
    Fault fault;
    int seen = 0;  // matching calls so far
  };
  class Stream : public storage::InputStream {
   public:
    Stream(const FaultInjectingStore& owner, std::string key,
           std::unique_ptr<storage::InputStream> in)
        : owner_(owner), key_(std::move(key)), in_(std::move(in)) {}
    Result<size_t> Read(char* buffer, size_t capacity) override {
      EP_RETURN_IF_ERROR(owner_.Check(Op::kRead, key_));
      return in_->Read(buffer, capacity);
    }

   private:
    const FaultInjectingStore& owner_;
    std::string key_;
    std::unique_ptr<storage::InputStream> in_;
  };

  // The status the call (op, key) gets: the first armed fault that fires, else OK.
  Status Check(Op op, const std::string& key) const {
    std::function<void()> action;
    Status result;
    {
      std::lock_guard lock(mu_);
      ++calls_[op];
      for (Armed& a : faults_) {
        if (a.fault.op != op || (!a.fault.key.empty() && a.fault.key != key)) continue;
        const int n = ++a.seen;
        if (n < a.fault.nth || n >= a.fault.nth + a.fault.times) continue;
        ++fired_;
        action = a.fault.action;
        result = a.fault.status;
        break;
      }
    }
    if (action) action();
    return result;
  }

  storage::ObjectStore& base_;
  mutable std::mutex mu_;
  mutable std::vector<Armed> faults_;
  mutable std::map<Op, int> calls_;
  mutable std::atomic<int> fired_{0};
};

}  // namespace ecompipe::testing_util
