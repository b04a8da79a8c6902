// The names of an enum's values at the edges (SQL rows, JSON, CLI output): one table per enum
// and Name()/Parse() over it, so that a value's spelling is written in one place and the code
// between the edges compares enums, not strings.
//
//   inline constexpr EnumNames<Color, 2> kColorNames{{{{Color::kRed, "red"},
//                                                      {Color::kBlue, "blue"}}}};
//   kColorNames.Name(Color::kRed) == "red";  kColorNames.Parse("blue") == Color::kBlue
//
// Constant tables: thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace ecompipe {

template <typename E, size_t N>
struct EnumNames {
  std::array<std::pair<E, std::string_view>, N> table;

  // The name of `value`; "" for a value the table lacks (a bug the tests catch).
  constexpr std::string_view Name(E value) const {
    for (const auto& [v, name] : table)
      if (v == value) return name;
    return {};
  }
  // The value named exactly `name` (case-sensitive); nullopt for any other text.
  constexpr std::optional<E> Parse(std::string_view name) const {
    for (const auto& [v, n] : table)
      if (n == name) return v;
    return std::nullopt;
  }
};

}  // namespace ecompipe
