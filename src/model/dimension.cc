#include "model/dimension.h"

#include "common/enum_names.h"

namespace ecompipe::model {
namespace {

constexpr EnumNames<Dimension, 2> kDimensionNames{{{
    {Dimension::kProducts, "products"},
    {Dimension::kCustomers, "customers"},
}}};

}  // namespace

std::string_view DimensionName(Dimension dimension) { return kDimensionNames.Name(dimension); }
std::optional<Dimension> ParseDimension(std::string_view name) {
  return kDimensionNames.Parse(name);
}

}  // namespace ecompipe::model
