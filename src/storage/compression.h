// Transparent decompression of object bytes: gzip (including concatenated members) and
// zstd are recognised by their magic numbers; anything else passes through unchanged.
// Streaming: memory does not depend on the object's size. A truncated or corrupt stream
// gives kCorruptInput from Read(), naming the compressed byte offset.
//
// A decoded stream is bounded (DecodeLimits): a small compressed object may not expand
// without end (a gzip or zstd "bomb"). Past a limit Read() fails with kCorruptInput saying
// which limit and its value; the caller adds the object's name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/object_store.h"

namespace ecompipe::storage {

enum class Compression { kNone, kGzip, kZstd };

std::string_view CompressionName(Compression c);  // "none", "gzip", "zstd"

// How far a compressed stream may expand. Plain (uncompressed) input is never limited: its
// size is what was uploaded.
struct DecodeLimits {
  // Most decompressed bytes; 0 turns the check off.
  uint64_t max_bytes = uint64_t{64} << 30;
  // Most decompressed bytes per compressed byte read, checked once more than
  // `ratio_floor_bytes` were decompressed (a small file may expand far without harm); 0 turns
  // the check off. Real CSV and JSON Lines compress 3 to 30 times; gzip cannot exceed about
  // 1032, zstd can reach millions.
  double max_ratio = 200;
  uint64_t ratio_floor_bytes = uint64_t{8} << 20;

  static DecodeLimits None() { return {0, 0, 0}; }
};

// Wraps `raw`, sniffing its first bytes. `detected`, when given, receives the compression.
Result<std::unique_ptr<InputStream>> OpenDecoded(std::unique_ptr<InputStream> raw,
                                                 Compression* detected = nullptr,
                                                 const DecodeLimits& limits = {});

}  // namespace ecompipe::storage
