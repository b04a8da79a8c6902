// Record boundaries of CSV text, found exactly as CsvReader ends records (and of JSON Lines
// text, as JsonLinesReader ends them), so that text cut
// at a boundary parses into the same records as the whole: a cut never falls inside a
// quoted field (whose line breaks are data), and, since it falls right after an LF, never
// inside a multi-byte UTF-8 character.
#pragma once

#include <cstddef>
#include <string_view>

namespace ecompipe::transform::internal {

inline constexpr size_t kNoBoundary = static_cast<size_t>(-1);

// `text` starts at a record boundary. Returns the offset just past the LF that ends the
// last (when `last`) or the first complete record in `text` (a blank line counts as a
// record here), or kNoBoundary when no record ends in `text`.
size_t FindRecordEnd(std::string_view text, char delimiter, char quote, bool last);

// The same for JSON Lines, where every LF ends a record (JSON strings cannot hold a raw LF).
size_t FindLineEnd(std::string_view text, bool last);

}  // namespace ecompipe::transform::internal
