// The dimension tables a job's lookups join with and dimension files upsert: dim_products and
// dim_customers.
#pragma once

#include <optional>
#include <string_view>

namespace ecompipe::model {

enum class Dimension { kProducts, kCustomers };
// "products", "customers": the spelling in the configuration (an upsert_dimension target's
// name, a lookup's `dimension`) and in `ecompipe load-dims` output.
std::string_view DimensionName(Dimension dimension);
std::optional<Dimension> ParseDimension(std::string_view name);  // exact; nullopt otherwise

}  // namespace ecompipe::model
