// Files compiled into the binary at build time (cmake/embed_files.cmake writes the table from
// the dashboard's assets and Debian's Chart.js), so the dashboard needs no file beside the
// binary and no network.
#pragma once

#include <cstddef>
#include <string_view>

namespace ecompipe::api::dashboard {

struct EmbeddedFile {
  const char* name;       // the path under /assets/ ("app.js"), or "index.html"
  std::string_view data;  // the file's bytes
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

}  // namespace ecompipe::api::dashboard
