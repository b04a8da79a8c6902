// The reference job's field rules as plain predicates (no regex engine), shared by the
// transaction job and the dimension readers. Each function is pure and thread-safe; each
// comment gives the exact language it accepts. An empty field fails every rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ecompipe::transform {

// ^TXN[0-9]+$
bool IsTransactionId(std::string_view s);
// ^C[0-9]+$
bool IsCustomerId(std::string_view s);
// ^P[0-9]+$
bool IsProductId(std::string_view s);
// ^[0-9]{1,9}$ with a value > 0 ("007" is 7); nullopt otherwise ("0", "+5", " 5", "1e2").
std::optional<int32_t> ParseQuantity(std::string_view s);
// ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ naming a real day of the proleptic Gregorian calendar with a
// year other than 0000 (so 2024-02-29 and 2000-02-29 pass, 1900-02-29 and 2023-02-29 fail).
bool IsValidDate(std::string_view s);

}  // namespace ecompipe::transform
