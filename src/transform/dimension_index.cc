#include "transform/dimension_index.h"

#include <algorithm>
#include <cstring>

#include "model/csv_field.h"
#include "transform/dimensions.h"
#include "transform/internal/id_key.h"
#include "transform/internal/mix_hash.h"

namespace ecompipe::transform {

namespace {

using internal::MixHash;

}  // namespace

bool IdTable::Add(std::string_view id) {
  const uint64_t key = KeyOf(id);
  if (key == kNoKey) {
    if (!others_.emplace(std::string(id), size_).second) return false;
    ++size_;
    return true;
  }
  pending_.emplace_back(key, size_);
  ++size_;
  return true;
}

bool IdTable::InsertHashed(uint64_t key, uint32_t row) {
  if ((hashed_count_ + 1) * 2 > keys_.size()) GrowHashed();
  const size_t mask = keys_.size() - 1;
  for (size_t i = MixHash(key) & mask;; i = (i + 1) & mask) {
    if (keys_[i] == key) return false;
    if (keys_[i] == kNoKey) {
      keys_[i] = key;
      rows_[i] = row;
      ++hashed_count_;
      return true;
    }
  }
}

void IdTable::GrowHashed() {
  auto old_keys = std::move(keys_);
  auto old_rows = std::move(rows_);
  const size_t size = old_keys.empty() ? 1024 : old_keys.size() * 2;
  keys_.assign(size, kNoKey);
  rows_.assign(size, kNoRow);
  const size_t mask = size - 1;
  for (size_t j = 0; j < old_keys.size(); ++j) {
    if (old_keys[j] == kNoKey) continue;
    size_t i = MixHash(old_keys[j]) & mask;
    while (keys_[i] != kNoKey) i = (i + 1) & mask;
    keys_[i] = old_keys[j];
    rows_[i] = old_rows[j];
  }
}

std::string IdTable::IdOf(uint64_t key) const {
  size_t digits = internal::kMaxIdKeyDigits;
  while (digits > 1 && key < internal::kIdKeyLengthBase[digits]) --digits;
  std::string value = std::to_string(key - internal::kIdKeyLengthBase[digits]);
  return std::string(1, prefix_) + std::string(digits - value.size(), '0') + value;
}

std::optional<std::string> IdTable::Seal() {
  sealed_ = true;
  if (pending_.empty()) return std::nullopt;
  uint64_t lo = pending_.front().first;
  uint64_t hi = lo;
  for (const auto& [key, row] : pending_) {
    lo = std::min(lo, key);
    hi = std::max(hi, key);
  }
  // Dense when the vector costs at most ~3x the keys: 4 bytes a slot against the hashed
  // layout's 24 bytes a key at load 1/2, and one cache miss instead of one or more.
  const uint64_t span = hi - lo + 1;
  if (span <= 3 * pending_.size() + 1024) {
    use_dense_ = true;
    dense_base_ = lo;
    dense_.assign(span, kNoRow);
    std::optional<std::string> duplicate;
    for (const auto& [key, row] : pending_) {
      uint32_t& slot = dense_[key - lo];
      if (slot != kNoRow) {
        if (!duplicate) duplicate = IdOf(key);
        continue;  // the first row keeps the id
      }
      slot = row;
    }
    identity_ = !duplicate && span == pending_.size() && others_.empty();
    for (size_t i = 0; identity_ && i < span; ++i) identity_ = dense_[i] == i;
    if (identity_) dense_ = {};
    pending_ = {};
    return duplicate;
  }
  std::optional<std::string> duplicate;
  for (const auto& [key, row] : pending_) {
    if (!InsertHashed(key, row) && !duplicate) duplicate = IdOf(key);
  }
  pending_ = {};
  return duplicate;
}

std::optional<uint32_t> IdTable::FindHashed(uint64_t key) const {
  if (keys_.empty()) return std::nullopt;
  const size_t mask = keys_.size() - 1;
  for (size_t i = MixHash(key) & mask;; i = (i + 1) & mask) {
    if (keys_[i] == key) return rows_[i];
    if (keys_[i] == kNoKey) return std::nullopt;
  }
}

std::optional<uint32_t> IdTable::FindOther(std::string_view id) const {
  if (others_.empty()) return std::nullopt;
  const auto it = others_.find(std::string(id));
  if (it == others_.end()) return std::nullopt;
  return it->second;
}

using model::AppendCsvField;
using model::NeedsCsvQuotes;

DimensionIndex::Attr DimensionIndex::Store(std::string_view value) {
  Attr attr{.offset = arena_.size(),
            .size = static_cast<uint32_t>(value.size()),
            .csv_size = static_cast<uint32_t>(value.size())};
  const auto append = [&](std::string_view bytes) {
    const size_t at = arena_.size();
    arena_.resize(at + bytes.size());  // uninitialized (LargePageAllocator), then copied
    std::memcpy(arena_.data() + at, bytes.data(), bytes.size());
  };
  append(value);
  if (NeedsCsvQuotes(value)) {  // quoting adds at least 2 bytes: csv_size != size
    std::string quoted;
    AppendCsvField(quoted, value);
    append(quoted);
    attr.csv_size = static_cast<uint32_t>(quoted.size());
  }
  return attr;
}

bool DimensionIndex::AddCustomer(std::string_view id, std::string_view email) {
  if (!customers_.Add(id)) return false;
  EmailSlot& slot = emails_.emplace_back();
  if (email.size() <= sizeof(slot.text) && !NeedsCsvQuotes(email)) {
    slot.size = static_cast<uint8_t>(email.size());
    std::memcpy(slot.text, email.data(), email.size());
  } else {
    slot.size = EmailSlot::kInArena;
    const Attr attr = Store(email);
    std::memcpy(slot.text, &attr, sizeof(attr));
  }
  return true;
}

bool DimensionIndex::AddProduct(std::string_view id, std::string_view name,
                                std::string_view supplier_id) {
  if (!products_.Add(id)) return false;
  product_attrs_.push_back(Store(name));
  product_attrs_.push_back(Store(supplier_id));
  return true;
}

Status DimensionIndex::SealCustomers() {
  if (std::optional<std::string> id = customers_.Seal())
    return Status::CorruptInput("duplicate customer_id '" + *id + "'");
  return Status::Ok();
}

Status DimensionIndex::SealProducts() {
  if (std::optional<std::string> id = products_.Seal())
    return Status::CorruptInput("duplicate product_id '" + *id + "'");
  return Status::Ok();
}

Status DimensionIndex::Seal() {
  EP_RETURN_IF_ERROR(SealCustomers());
  return SealProducts();
}

DimensionIndex DimensionIndex::Build(const Dimensions& dims) {
  DimensionIndex index;
  for (const auto& [id, customer] : dims.customers) index.AddCustomer(id, customer.email);
  for (const auto& [id, product] : dims.products)
    index.AddProduct(id, product.product_name, product.supplier_id);
  (void)index.Seal();  // map keys are unique
  return index;
}

void DimensionsBuilder::AddProduct(model::Product product) {
  std::string id = product.product_id;
  dims_.products.insert_or_assign(std::move(id), std::move(product));
}

void DimensionsBuilder::AddCustomer(model::Customer customer) {
  std::string id = customer.customer_id;
  dims_.customers.insert_or_assign(std::move(id), std::move(customer));
}

Dimensions DimensionsBuilder::Finish() && {
  dims_.index = std::make_shared<const DimensionIndex>(DimensionIndex::Build(dims_));
  return std::move(dims_);
}

}  // namespace ecompipe::transform
