// TransactionIdSet: the set of transaction ids already accepted in one object, for the
// duplicate_transaction_id rule. Ids of the form TXN + up to 18 digits (all the generators'
// ids) are stored as one 64-bit number each in an open-addressing table, 16 to 32 bytes per
// id; other ids fall back to a string set. Thread-safety: none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ecompipe::transform::internal {

class TransactionIdSet {
 public:
  // Adds `id`; false when it was already present.
  bool Insert(std::string_view id);
  size_t size() const { return size_ + others_.size(); }

 private:
  bool InsertNumber(uint64_t key);
  void Grow();

  std::vector<uint64_t> slots_;  // kEmpty or a key; size is a power of two
  size_t size_ = 0;
  std::unordered_set<std::string> others_;
};

}  // namespace ecompipe::transform::internal
