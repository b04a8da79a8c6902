#include "model/csv_field.h"

namespace ecompipe::model {

void AppendCsvField(std::string& out, std::string_view value) {
  if (!NeedsCsvQuotes(value)) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
}

}  // namespace ecompipe::model
