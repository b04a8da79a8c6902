// The configuration reader on a whole ecompipe.yaml: ParseConfig (yaml-cpp, then every
// component's parser through ConfigReader) must accept the text or refuse it with a Status
// naming the file, never crash, hang or throw. The path is one that does not exist, so that
// nothing is read or written beside it.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "runtime/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = ecompipe::runtime::ParseConfig(text, "/nonexistent-ecompipe-fuzz/ecompipe.yaml");
  if (!config.ok()) {
    FUZZ_CHECK(config.status().ToString().find("ecompipe.yaml") != std::string::npos,
               "a configuration error that does not name the file: " + config.status().ToString());
  }
  return 0;
}
