#include "common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <random>
#include <vector>

namespace ecompipe {
namespace {

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) == 1) return;
  // RAND_bytes only fails when the OS has no entropy; fall back to random_device.
  static thread_local std::random_device rd;
  for (int i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(rd());
}

std::string Hex(const unsigned char* p, int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (int i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

}  // namespace

std::string NewHex(int bytes) {
  if (bytes <= 0) return {};
  std::vector<unsigned char> b(bytes);
  RandomBytes(b.data(), bytes);
  return Hex(b.data(), bytes);
}

std::string NewUuid() {
  std::array<unsigned char, 16> b;
  RandomBytes(b.data(), 16);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  std::string h = Hex(b.data(), 16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string NewJobRunId() { return "jr_" + NewHex(32); }

}  // namespace ecompipe
