// The hash the transform's open-addressing tables use for integer keys.
#pragma once

#include <cstdint>

namespace ecompipe::transform::internal {

// splitmix64's finaliser: spreads dense or clustered ids over the whole table.
inline uint64_t MixHash(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace ecompipe::transform::internal
