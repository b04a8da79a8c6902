#include "transform/internal/transaction_id_set.h"

#include "transform/internal/mix_hash.h"

namespace ecompipe::transform::internal {

namespace {

constexpr uint64_t kEmpty = ~uint64_t{0};

using internal::MixHash;

// Real ids are mostly increasing, so runs of 64 consecutive ids go to 64 consecutive slots
// (512 bytes) at a scrambled place: an increasing id then rarely misses the cache, while
// probe sequences stay short because no run of occupied slots grows much past 64.
uint64_t Slot(uint64_t key) { return (MixHash(key >> 6) << 6) | (key & 63); }

}  // namespace

uint64_t* TransactionIdSet::PageOf(uint64_t key) {
  const uint64_t page = key >> kPageBits;
  if (page == last_page_) return last_bits_;
  uint64_t* bits = nullptr;
  if (const auto it = page_index_.find(page); it != page_index_.end()) {
    bits = pages_[it->second].data();
  } else if (pages_.size() < 256 || pages_.size() * 64 < in_pages_) {
    page_index_.emplace(page, static_cast<uint32_t>(pages_.size()));
    pages_.emplace_back();
    pages_.back().fill(0);
    // Pointers into pages_ moved: only the one returned now is cached.
    bits = pages_.back().data();
  } else {
    return nullptr;
  }
  last_page_ = page;
  last_bits_ = bits;
  return bits;
}

bool TransactionIdSet::InsertNumber(uint64_t key) {
  if (uint64_t* bits = PageOf(key)) {
    const uint64_t bit = key & ((uint64_t{1} << kPageBits) - 1);
    uint64_t& word = bits[bit >> 6];
    const uint64_t mask = uint64_t{1} << (bit & 63);
    if ((word & mask) != 0) return false;
    // The key may have gone to the table before its page existed.
    if (size_ != 0 && ContainsHashed(key)) return false;
    word |= mask;
    ++in_pages_;
    return true;
  }
  return InsertHashed(key);
}

bool TransactionIdSet::ContainsHashed(uint64_t key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = Slot(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == key) return true;
    if (slots_[i] == kEmpty) return false;
  }
}

bool TransactionIdSet::InsertHashed(uint64_t key) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = Slot(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == key) return false;
    if (slots_[i] == kEmpty) {
      slots_[i] = key;
      ++size_;
      return true;
    }
  }
}

void TransactionIdSet::Grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, kEmpty);
  const size_t mask = slots_.size() - 1;
  for (uint64_t key : old) {
    if (key == kEmpty) continue;
    size_t i = Slot(key) & mask;
    while (slots_[i] != kEmpty) i = (i + 1) & mask;
    slots_[i] = key;
  }
}

}  // namespace ecompipe::transform::internal
