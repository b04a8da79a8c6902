// Identifiers: event ids (UUID v4), job run ids (Glue's "jr_" + 64 hex), load ids.
// Thread-safe: each thread draws from its own generator, seeded from the OS.
#pragma once

#include <string>

namespace ecompipe {

// "xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx": a random (version 4, RFC 4122 variant) UUID in
// lowercase hex, Y one of 8, 9, a, b.
std::string NewUuid();
std::string NewJobRunId();  // "jr_" + 64 lowercase hex digits, as Glue writes them
// 2 * `bytes` random lowercase hex digits; empty when `bytes` <= 0.
std::string NewHex(int bytes);

}  // namespace ecompipe
