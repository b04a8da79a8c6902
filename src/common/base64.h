// Base64 (RFC 4648, standard alphabet, '=' padding, no line breaks), the one implementation
// in ecompipe: S3 Content-MD5 and checksum values, MIME encoded words. Pure functions:
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ecompipe {

std::string Base64Encode(std::string_view bytes);
// Decodes `text` into `out`; false when it is not Base64 (its length not a multiple of 4, a
// character outside the alphabet) or longer than 1 MiB (ecompipe decodes digests only).
bool Base64Decode(std::string_view text, std::string& out);

}  // namespace ecompipe
