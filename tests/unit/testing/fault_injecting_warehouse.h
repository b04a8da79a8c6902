// A Warehouse wrapper that fails chosen calls of a load and counts what reached the
// warehouse, committed or not: tests prove that a load failing half-way is rolled back (the
// facts reached the transaction, none stayed) and that its retry lands the rows once.
//
//   FaultInjectingWarehouse wh(base);
//   wh.Inject({.op = Op::kCommit, .status = Status::Unavailable("injected")});
//
// A fault fires on the nth matching call (counted from 1 per fault) and on the `times - 1`
// calls after it. Everything else is forwarded to the base warehouse unchanged.
//
// Thread-safety: as the base warehouse (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "warehouse/warehouse.h"

namespace ecompipe::testing_util {

class FaultInjectingWarehouse : public warehouse::Warehouse {
 public:
  enum class Op { kBeginLoad, kAddFacts, kCommit };
  struct Fault {
    Op op = Op::kCommit;
    int nth = 1;
    int times = 1;
    Status status = Status::Unavailable("injected fault");
  };

  explicit FaultInjectingWarehouse(warehouse::Warehouse& base) : base_(base) {}

  void Inject(Fault fault) { faults_.push_back({fault, 0}); }
  // Runs `hook` at every Commit, before faults are checked: a test changes the world there (a
  // store becomes unwritable while a load is in flight).
  void BeforeCommit(std::function<void()> hook) { before_commit_ = std::move(hook); }
  // Fact rows handed to AddFacts of any load, committed or rolled back.
  int64_t facts_added() const { return facts_added_; }
  int commits() const { return commits_; }

  Status EnsureSchema() override { return base_.EnsureSchema(); }
  Status EnsureFactColumns(std::span<const model::OutputColumn> columns) override {
    return base_.EnsureFactColumns(columns);
  }
  Result<std::optional<warehouse::LedgerEntry>> FindLoad(
      const storage::ObjectRef& object) override {
    return base_.FindLoad(object);
  }
  Result<bool> HasOtherVersion(const storage::ObjectRef& object) override {
    return base_.HasOtherVersion(object);
  }
  Result<std::unique_ptr<warehouse::LoadTransaction>> BeginLoad(
      const storage::ObjectRef& object, const std::string& load_id, const std::string& run_id,
      warehouse::ReloadMode mode) override {
    EP_RETURN_IF_ERROR(Check(Op::kBeginLoad));
    EP_ASSIGN_OR_RETURN(std::unique_ptr<warehouse::LoadTransaction> txn,
                        base_.BeginLoad(object, load_id, run_id, mode));
    return std::unique_ptr<warehouse::LoadTransaction>(new Transaction(*this, std::move(txn)));
  }
  Status RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                       warehouse::LedgerStatus status, const std::string& message) override {
    return base_.RecordSkipped(object, run_id, status, message);
  }
  Status UpsertProducts(std::span<const model::Product> rows) override {
    return base_.UpsertProducts(rows);
  }
  Status UpsertCustomers(std::span<const model::Customer> rows) override {
    return base_.UpsertCustomers(rows);
  }
  Status LoadDimensions(model::DimensionBuilder& out) override { return base_.LoadDimensions(out); }
  Status LoadDimensionIndex(model::DimensionIndexBuilder& out) override {
    return base_.LoadDimensionIndex(out);
  }
  Result<warehouse::WarehouseTotals> Totals() override { return base_.Totals(); }
  Result<std::vector<warehouse::QueryResult>> QueryAll(
      const std::string& sql, const warehouse::QueryOptions& options) override {
    return base_.QueryAll(sql, options);
  }

 private:
  struct Armed {
    Fault fault;
    int seen = 0;
  };
  class Transaction : public warehouse::LoadTransaction {
   public:
    Transaction(FaultInjectingWarehouse& owner, std::unique_ptr<warehouse::LoadTransaction> txn)
        : owner_(owner), txn_(std::move(txn)) {}
    void LimitRejects(const warehouse::RejectLimits& limits) override {
      txn_->LimitRejects(limits);
    }
    Status AddFacts(std::vector<model::FactRow>& facts) override {
      EP_RETURN_IF_ERROR(owner_.Check(Op::kAddFacts));
      owner_.facts_added_ += static_cast<int64_t>(facts.size());
      return txn_->AddFacts(facts);
    }
    Status AddRejects(std::vector<model::RejectRow>& rejects) override {
      return txn_->AddRejects(rejects);
    }
    Status UseFactColumns(std::span<const model::OutputColumn> columns) override {
      return txn_->UseFactColumns(columns);
    }
    Result<warehouse::LoadCounts> Commit(int64_t rows_read) override {
      if (owner_.before_commit_) owner_.before_commit_();
      EP_RETURN_IF_ERROR(owner_.Check(Op::kCommit));
      EP_ASSIGN_OR_RETURN(warehouse::LoadCounts counts, txn_->Commit(rows_read));
      ++owner_.commits_;
      return counts;
    }

   private:
    FaultInjectingWarehouse& owner_;
    std::unique_ptr<warehouse::LoadTransaction> txn_;
  };

  Status Check(Op op) {
    for (Armed& a : faults_) {
      if (a.fault.op != op) continue;
      const int n = ++a.seen;
      if (n >= a.fault.nth && n < a.fault.nth + a.fault.times) return a.fault.status;
    }
    return Status::Ok();
  }

  warehouse::Warehouse& base_;
  std::vector<Armed> faults_;
  std::function<void()> before_commit_;
  int64_t facts_added_ = 0;
  int commits_ = 0;
};

}  // namespace ecompipe::testing_util
