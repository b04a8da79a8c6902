// TransactionIdSet: the set of transaction ids already accepted in one object, for the
// duplicate_transaction_id rule. Ids of the form TXN + up to 18 digits (all the generators'
// ids) become one 64-bit number each. Numbers that cluster (mostly increasing ids, as real
// files have) are kept as bits in 512-byte pages of 4096 consecutive numbers: about 1 bit
// per id, so 10M ids take ~1.3 MB. Pages are made only while they hold 64 ids each on
// average; beyond that, numbers go to an open-addressing table (16 to 32 bytes per id).
// Other ids fall back to a string set. Thread-safety: none.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "transform/internal/id_key.h"

namespace ecompipe::transform::internal {

class TransactionIdSet {
 public:
  // The number an id of the form TXN + 1 to 18 digits stands for, or kNoIdKey. Pure and
  // thread-safe: the file job's workers compute it (it also decides the id's rule), so that
  // the serial consumer only inserts.
  static uint64_t KeyOf(std::string_view id) { return IdKey(id, "TXN"); }
  // Adds `id`; false when it was already present.
  bool Insert(std::string_view id) { return Insert(id, KeyOf(id)); }
  // The same, given key == KeyOf(id).
  bool Insert(std::string_view id, uint64_t key) {
    if (key == kNoIdKey) return others_.emplace(id).second;
    return InsertNumber(key);
  }
  size_t size() const { return size_ + in_pages_ + others_.size(); }

 private:
  bool InsertNumber(uint64_t key);
  bool InsertHashed(uint64_t key);
  bool ContainsHashed(uint64_t key) const;
  void Grow();
  // The page of `key`'s bits, made when the budget allows; nullptr otherwise.
  uint64_t* PageOf(uint64_t key);

  static constexpr unsigned kPageBits = 12;            // 4096 numbers a page
  std::unordered_map<uint64_t, uint32_t> page_index_;  // page number -> pages_ index
  std::vector<std::array<uint64_t, 64>> pages_;
  uint64_t last_page_ = ~uint64_t{0};
  uint64_t* last_bits_ = nullptr;
  size_t in_pages_ = 0;

  std::vector<uint64_t> slots_;  // kEmpty or a key; size is a power of two
  size_t size_ = 0;
  std::unordered_set<std::string> others_;
};

}  // namespace ecompipe::transform::internal
