// DimensionIndex: the dimension tables in the layout the job's hot loop wants. Each id
// ("C12345", "P00042") is parsed to one 64-bit key (a bijection that keeps leading zeros
// apart: "C12" and "C012" differ) and found in a dense vector when the keys are dense, or
// else in an open-addressing table; ids that are not a one-letter prefix plus 1 to 18 digits
// fall back to a string map. The attributes the job brings in (email; name, supplier) are
// kept both as read and CSV-quoted, so a lookup allocates nothing and the CSV writer copies
// bytes without re-checking them. A customer's email sits in its row (EmailSlot), so that
// the one random read per fact that the 1M customers cost finds it; other values live in an
// arena. The big tables sit on huge pages where the kernel has them
// (internal/large_page_allocator.h): lookups are random.
//
// Build with Add*() then Seal(); after Seal() the index is immutable and safe to share
// between threads (lookups are const and touch no shared mutable state).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/dimension_builder.h"
#include "transform/internal/id_key.h"
#include "transform/internal/large_page_allocator.h"

namespace ecompipe::transform {

struct Dimensions;  // transform/dimensions.h

// Maps ids of one dimension to dense row numbers 0..size()-1 in insertion order.
class IdTable {
 public:
  explicit IdTable(char prefix) : prefix_(prefix) {}
  // Adds `id` as the next row. Returns false (and adds nothing) when an equal non-numeric id
  // is present; repeated numeric ids are found by Seal(), which is cheaper in bulk.
  bool Add(std::string_view id);
  // Chooses the dense or hashed layout; call once after the last Add(). Returns the first id
  // (in row order) that repeats an earlier one, or nullopt.
  std::optional<std::string> Seal();
  static constexpr uint64_t kNoKey = internal::kNoIdKey;
  // The key Find() looks `id` up by: a number when `id` is the prefix and 1 to 18 digits,
  // else kNoKey. A caller that also checks the id against its rule (^prefix[0-9]+$) parses
  // it once: an id with a key passes the rule (internal/id_key.h).
  uint64_t KeyOf(std::string_view id) const {
    return internal::IdKey(id, std::string_view(&prefix_, 1));
  }
  // The row of `id`, or nullopt. Any string may be passed; `key` is KeyOf(id). Inline: the
  // job looks up two ids a row, mostly in the identity or dense layout.
  std::optional<uint32_t> Find(std::string_view id, uint64_t key) const {
    if (key == kNoKey) return FindOther(id);
    const uint64_t i = key - dense_base_;  // wraps to a huge value below the base
    if (identity_) {
      if (i >= size_) return std::nullopt;
      return static_cast<uint32_t>(i);
    }
    if (use_dense_) {
      if (i >= dense_.size() || dense_[i] == kNoRow) return std::nullopt;
      return dense_[i];
    }
    return FindHashed(key);
  }
  std::optional<uint32_t> Find(std::string_view id) const { return Find(id, KeyOf(id)); }
  uint32_t size() const { return size_; }

 private:
  static constexpr uint32_t kNoRow = ~uint32_t{0};
  std::string IdOf(uint64_t key) const;  // the inverse of KeyOf
  std::optional<uint32_t> FindHashed(uint64_t key) const;
  std::optional<uint32_t> FindOther(std::string_view id) const;  // an id without a key
  bool InsertHashed(uint64_t key, uint32_t row);
  void GrowHashed();

  char prefix_;
  uint32_t size_ = 0;
  bool sealed_ = false;
  std::vector<std::pair<uint64_t, uint32_t>> pending_;  // numeric (key, row) until Seal()
  // Dense layout: rows by key - dense_base_.
  uint64_t dense_base_ = 0;
  std::vector<uint32_t, internal::LargePageAllocator<uint32_t>> dense_;
  // Hashed layout: open addressing, power-of-two size.
  std::vector<uint64_t, internal::LargePageAllocator<uint64_t>> keys_;
  std::vector<uint32_t, internal::LargePageAllocator<uint32_t>> rows_;
  size_t hashed_count_ = 0;
  bool use_dense_ = false;
  // Dense and row == key - dense_base_ for every key (ids added in order without gaps, as
  // generated dimensions are): the row is computed, no table is read.
  bool identity_ = false;
  std::unordered_map<std::string, uint32_t> others_;
};

// A warehouse fills one through model::DimensionIndexBuilder (Warehouse::LoadDimensionIndex).
// Final, so that the job's own calls on a DimensionIndex are direct.
class DimensionIndex final : public model::DimensionIndexBuilder {
 public:
  DimensionIndex() : customers_('C'), products_('P') {}
  DimensionIndex(DimensionIndex&&) = default;
  DimensionIndex& operator=(DimensionIndex&&) = default;

  // Builds a sealed index of `dims` (copies the needed attributes).
  static DimensionIndex Build(const Dimensions& dims);

  // False when `id` is already present as a non-numeric id (the row is not added);
  // repeated numeric ids are reported by Seal*().
  bool AddCustomer(std::string_view id, std::string_view email) override;
  bool AddProduct(std::string_view id, std::string_view name,
                  std::string_view supplier_id) override;
  // kCorruptInput "duplicate customer_id 'C12'" when an id repeats.
  Status SealCustomers();
  Status SealProducts();
  Status Seal() override;

  std::optional<uint32_t> FindCustomer(std::string_view id) const { return customers_.Find(id); }
  std::optional<uint32_t> FindProduct(std::string_view id) const { return products_.Find(id); }
  // The same, with the id parsed once for its rule and its lookup (see IdTable::KeyOf): the
  // customer ids' prefix is "C" and the products' "P", as in IsCustomerId and IsProductId.
  uint64_t CustomerKey(std::string_view id) const { return customers_.KeyOf(id); }
  uint64_t ProductKey(std::string_view id) const { return products_.KeyOf(id); }
  std::optional<uint32_t> FindCustomer(std::string_view id, uint64_t key) const {
    return customers_.Find(id, key);
  }
  std::optional<uint32_t> FindProduct(std::string_view id, uint64_t key) const {
    return products_.Find(id, key);
  }

  // Attributes of a row returned by Find*(); `csv` variants are ready to write as one CSV
  // field (quoted when they hold a comma, quote, CR or LF).
  std::string_view email(uint32_t row) const {
    const EmailSlot& slot = emails_[row];
    return slot.size != EmailSlot::kInArena ? slot.Inline() : Value(slot.InArena());
  }
  std::string_view email_csv(uint32_t row) const {
    const EmailSlot& slot = emails_[row];
    return slot.size != EmailSlot::kInArena ? slot.Inline() : Csv(slot.InArena());
  }
  std::string_view product_name(uint32_t row) const { return Value(product_attrs_[row * 2]); }
  std::string_view product_name_csv(uint32_t row) const { return Csv(product_attrs_[row * 2]); }
  std::string_view supplier_id(uint32_t row) const { return Value(product_attrs_[row * 2 + 1]); }
  std::string_view supplier_id_csv(uint32_t row) const { return Csv(product_attrs_[row * 2 + 1]); }

  // Starts loading a customer row's attributes into the cache, a hint without effect on
  // results: a caller about to look up many rows overlaps their memory latency.
  // A slot spans at most two cache lines; both are asked for at once.
  void PrefetchCustomer(uint32_t row) const {
    const char* slot = reinterpret_cast<const char*>(&emails_[row]);
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + sizeof(EmailSlot) - 1);
  }

  size_t customer_count() const { return customers_.size(); }
  size_t product_count() const { return product_attrs_.size() / 2; }

 private:
  // 16 bytes: the value at `offset`; its CSV form is the value itself when csv_size == size,
  // else the quoted text stored right after it.
  struct Attr {
    uint64_t offset = 0;
    uint32_t size = 0;
    uint32_t csv_size = 0;
  };
  // A customer's email, 48 bytes a row: inline (its CSV form is the value itself) when it
  // needs no quotes and fits in 47 bytes, as real emails do; else in the arena. Inline, a
  // fact's email costs one random read instead of two dependent ones (row, then arena).
  struct EmailSlot {
    static constexpr uint8_t kInArena = 0xFF;
    uint8_t size;   // the inline email's length, or kInArena
    char text[47];  // the email, or (kInArena) the Attr of the value and its CSV form
    std::string_view Inline() const { return std::string_view(text, size); }
    Attr InArena() const {
      Attr a;
      std::memcpy(&a, text, sizeof(a));
      return a;
    }
  };
  static_assert(sizeof(EmailSlot) == 48 && sizeof(Attr) <= sizeof(EmailSlot::text));
  Attr Store(std::string_view value);
  std::string_view Value(Attr a) const {
    return std::string_view(arena_.data() + a.offset, a.size);
  }
  std::string_view Csv(Attr a) const {
    return std::string_view(arena_.data() + a.offset + (a.csv_size == a.size ? 0 : a.size),
                            a.csv_size);
  }

  IdTable customers_;
  IdTable products_;
  template <typename T>
  using Table = std::vector<T, internal::LargePageAllocator<T>>;
  Table<EmailSlot> emails_;
  Table<Attr> product_attrs_;  // name, supplier per product
  Table<char> arena_;
};

}  // namespace ecompipe::transform
