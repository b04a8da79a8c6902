// The control-plane JSON type (events, configs, API bodies). The data path uses simdjson.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace ecompipe {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses `text`; a syntax error becomes kInvalidArgument naming the byte offset.
Result<Json> ParseJson(std::string_view text);

}  // namespace ecompipe
