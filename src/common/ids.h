// Identifiers: event ids (UUID v4), job run ids (Glue's "jr_" + 64 hex), load ids.
// Thread-safe: each thread draws from its own generator, seeded from the OS.
#pragma once

#include <string>

namespace ecompipe {

std::string NewUuid();
std::string NewJobRunId();    // "jr_" + 64 lowercase hex digits, as Glue writes them
std::string NewHex(int bytes);

}  // namespace ecompipe
