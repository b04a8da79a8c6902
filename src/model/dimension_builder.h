// How a warehouse hands over the dimension tables it reads, without knowing how the reader
// keeps them: the warehouse calls Add*() once per row it reads, and the job's side (transform/)
// implements these interfaces with its own layouts (Dimensions, DimensionIndex). A builder is
// filled from one thread.
#pragma once

#include <string_view>

#include "common/status.h"
#include "model/records.h"

namespace ecompipe::model {

// Receives whole dimension rows, every column (Warehouse::LoadDimensions). A row whose id was
// added before replaces the earlier one.
class DimensionBuilder {
 public:
  virtual ~DimensionBuilder() = default;
  virtual void AddProduct(Product product) = 0;
  virtual void AddCustomer(Customer customer) = 0;
};

// Receives only what the reference job's lookups read (Warehouse::LoadDimensionIndex): the
// ids, a customer's email, a product's name and supplier. The views need to live only for the
// call. Seal() is called once, after the last row.
class DimensionIndexBuilder {
 public:
  virtual ~DimensionIndexBuilder() = default;
  // False when `id` is already present as a non-numeric id (the row is not added); repeated
  // numeric ids are reported by Seal().
  virtual bool AddCustomer(std::string_view id, std::string_view email) = 0;
  virtual bool AddProduct(std::string_view id, std::string_view name,
                          std::string_view supplier_id) = 0;
  // kCorruptInput "duplicate customer_id 'C12'" (or product_id) when an id repeats.
  virtual Status Seal() = 0;
};

}  // namespace ecompipe::model
