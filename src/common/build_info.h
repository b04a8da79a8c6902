// What a binary was built from: its version (CMake's project()), the git commit (with "-dirty"
// when tracked files were edited, "unknown" when built outside git without EP_GIT_COMMIT), the
// CMake build type and the optional features compiled in. Defined in a file generated at every
// build (cmake/build_info.cmake) that only the ep_build_info library holds: a target that
// includes this header links ep_build_info.
#pragma once

#include <string>

namespace ecompipe {

struct BuildInfo {
  const char* version;     // "0.1.0"
  const char* commit;      // "ffb8836a1b2c", "ffb8836a1b2c-dirty" or "unknown"
  const char* build_type;  // "Release", "RelWithDebInfo", "Debug", ...
  const char* features;    // optional parts compiled in, space-separated: "systemd"
};

const BuildInfo& GetBuildInfo();

// What `ecompipe --version` prints: "ecompipe 0.1.0" on the first line, then one line per
// field, "commit: ...", "build type: ...", "features: ..." ("none" when none).
inline std::string VersionText() {
  const BuildInfo& b = GetBuildInfo();
  return std::string("ecompipe ") + b.version + "\ncommit: " + b.commit +
         "\nbuild type: " + b.build_type + "\nfeatures: " + (*b.features ? b.features : "none");
}

}  // namespace ecompipe
