// Transparent decompression of object bytes: gzip (including concatenated members) and
// zstd are recognised by their magic numbers; anything else passes through unchanged.
// Streaming: memory does not depend on the object's size. A truncated or corrupt stream
// gives kCorruptInput from Read(), naming the compressed byte offset.
#pragma once

#include <memory>
#include <string>

#include "storage/object_store.h"

namespace ecompipe::storage {

enum class Compression { kNone, kGzip, kZstd };

std::string_view CompressionName(Compression c);  // "none", "gzip", "zstd"

// Wraps `raw`, sniffing its first bytes. `detected`, when given, receives the compression.
Result<std::unique_ptr<InputStream>> OpenDecoded(std::unique_ptr<InputStream> raw,
                                                 Compression* detected = nullptr);

}  // namespace ecompipe::storage
