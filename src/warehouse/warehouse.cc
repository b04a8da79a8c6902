#include "warehouse/warehouse.h"

namespace ecompipe::warehouse {

Result<ReloadMode> ParseReloadMode(const std::string& text) {
  if (text == "replace") return ReloadMode::kReplace;
  if (text == "append") return ReloadMode::kAppend;
  if (text == "ignore") return ReloadMode::kIgnore;
  return Status::InvalidArgument("unknown reload mode '" + text +
                                 "' (choose one of: replace, append, ignore)");
}

std::string_view ReloadModeName(ReloadMode mode) {
  switch (mode) {
    case ReloadMode::kReplace:
      return "replace";
    case ReloadMode::kAppend:
      return "append";
    case ReloadMode::kIgnore:
      return "ignore";
  }
  return "unknown";
}

}  // namespace ecompipe::warehouse
