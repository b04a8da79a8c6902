// PostgreSQL's binary COPY format, for the values the fact table holds: writing rows that
// `COPY ... FROM STDIN (FORMAT binary)` reads. The format (PostgreSQL 15 documentation, COPY,
// "Binary Format"): a 19-byte header, then per row a 16-bit field count and per field a 32-bit
// length (-1 for NULL) followed by the value in the type's send/receive representation, all
// integers in network byte order; a 16-bit -1 ends the stream.
//
// The server parses less than in text format (no escapes, no numeric or date parsing), but it
// still checks every value: text must be valid UTF-8 without NUL bytes, NUMERIC must fit the
// column's typmod, DATE its range. The encoders here write exactly what the server's own
// numeric_send/date_send would send for the same value.
//
// Thread-safety: plain functions over the caller's buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/money.h"

namespace ecompipe::warehouse {

// "PGCOPY\n\377\r\n\0", then flags 0 and header-extension length 0.
inline constexpr std::string_view kCopyBinaryHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
inline constexpr std::string_view kCopyBinaryTrailer{"\377\377", 2};

// The start of a row of `fields` fields.
void AppendBinaryRowStart(std::string& out, int16_t fields);
void AppendBinaryNull(std::string& out);
// TEXT/VARCHAR: the bytes as they are (the caller guarantees valid UTF-8 without NUL, or the
// server refuses the COPY, as it would the same text in text format).
void AppendBinaryText(std::string& out, std::string_view text);
void AppendBinaryInt4(std::string& out, int32_t v);
void AppendBinaryInt8(std::string& out, int64_t v);
// NUMERIC with display scale 2 (DECIMAL(p,2)): `m` as base-10000 digits, weight, sign and
// dscale, with leading and trailing zero digits stripped as numeric_send sends them
// (0.00 is no digits, weight 0, dscale 2).
void AppendBinaryMoney(std::string& out, model::Money m);
// A DATE's binary value: the days from 2000-01-01 to `iso`, a real calendar day "YYYY-MM-DD"
// (year 1..9999); nullopt for anything else. Append it with AppendBinaryInt4.
std::optional<int32_t> PgDateDays(std::string_view iso);

}  // namespace ecompipe::warehouse
