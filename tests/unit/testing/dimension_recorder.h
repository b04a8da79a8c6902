// Test doubles of the model's dimension builders: they keep what a warehouse hands them, so
// that warehouse tests check dimension loading without the job's in-memory layouts.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "model/dimension_builder.h"

namespace ecompipe::testing_util {

// Whole rows by id; a later row of an id replaces the earlier one.
struct RecordedDimensions final : model::DimensionBuilder {
  std::map<std::string, model::Product> products;
  std::map<std::string, model::Customer> customers;
  void AddProduct(model::Product product) override {
    std::string id = product.product_id;
    products.insert_or_assign(std::move(id), std::move(product));
  }
  void AddCustomer(model::Customer customer) override {
    std::string id = customer.customer_id;
    customers.insert_or_assign(std::move(id), std::move(customer));
  }
};

// The index's rows by id: a customer's email, a product's name and supplier. Seal() counts.
struct RecordedIndex final : model::DimensionIndexBuilder {
  std::map<std::string, std::string> emails;
  std::map<std::string, std::pair<std::string, std::string>> products;
  int seals = 0;
  bool AddCustomer(std::string_view id, std::string_view email) override {
    return emails.emplace(id, email).second;
  }
  bool AddProduct(std::string_view id, std::string_view name,
                  std::string_view supplier_id) override {
    return products.emplace(id, std::pair(std::string(name), std::string(supplier_id))).second;
  }
  Status Seal() override {
    ++seals;
    return Status::Ok();
  }
};

}  // namespace ecompipe::testing_util
