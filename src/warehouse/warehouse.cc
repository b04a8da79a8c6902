#include "warehouse/warehouse.h"

#include <algorithm>

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

Status Warehouse::EnsureFactColumns(std::span<const transform::OutputColumn> columns) {
  const std::vector<transform::OutputColumn> reference = transform::ReferenceOutput();
  if (std::equal(columns.begin(), columns.end(), reference.begin(), reference.end())) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns; configured output "
      "columns (jobs[].output) need the sqlite warehouse");
}

Status LoadTransaction::UseFactColumns(std::span<const transform::OutputColumn>) {
  return Status::InvalidArgument(
      "this warehouse backend stores only the reference job's fact columns");
}

}  // namespace ecompipe::warehouse
