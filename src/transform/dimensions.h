// Dimensions: the dimension tables the job joins with, in memory, and the builder a warehouse
// fills them through (model::DimensionBuilder).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "model/dimension_builder.h"
#include "model/records.h"
#include "transform/dimension_index.h"

namespace ecompipe::transform {

// The dimension tables, keyed by id. Read-only once built; safe to share between threads.
// `index`, when set, must describe exactly these maps (DimensionIndex::Build(*this)); the job
// uses it for its lookups and builds a temporary one when it is not set.
struct Dimensions {
  std::unordered_map<std::string, model::Product> products;
  std::unordered_map<std::string, model::Customer> customers;
  std::shared_ptr<const DimensionIndex> index;
};

// Collects the rows a warehouse reads (Warehouse::LoadDimensions); a row replaces an earlier
// one with the same id.
class DimensionsBuilder final : public model::DimensionBuilder {
 public:
  void AddProduct(model::Product product) override;
  void AddCustomer(model::Customer customer) override;
  // The tables, with their index built once here so that every job over them shares it.
  Dimensions Finish() &&;

 private:
  Dimensions dims_;
};

}  // namespace ecompipe::transform
