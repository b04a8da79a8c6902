#!/usr/bin/env bash
# Builds the Debian package: dist/ecompipe_VERSION_ARCH.deb and its debug symbols,
# dist/ecompipe-dbgsym_VERSION_ARCH.ddeb (docs/install.md).
#
# A Release build of its own in build-package/ (the tests are not built), with Debian's build
# flags (dpkg-buildflags: hardening, -g); CPack installs it, splits the debug information into the
# .ddeb, strips the binary, and computes Depends: with dpkg-shlibdeps. Then lintian reads the
# package (its findings are printed; tags it reports at error level fail this script).
#   scripts/package.sh            # build and package
#   EP_GIT_COMMIT=abc123 scripts/package.sh   # from a tree without .git: the commit to name
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
# _FORTIFY_SOURCE marks read()/write() warn_unused_result, which a (void) cast does not silence in
# GCC; the code ignores those results on purpose (a wake-up byte), so that one stays a warning.
cflags="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS) -Wno-error=unused-result"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=Release -DEP_BUILD_TESTS=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr "-DCMAKE_CXX_FLAGS=$cflags" \
  "-DCMAKE_C_FLAGS=$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  "-DCMAKE_EXE_LINKER_FLAGS=$(dpkg-buildflags --get LDFLAGS)" \
  "-DEP_GIT_COMMIT=${EP_GIT_COMMIT:-}" "${launcher[@]}" >/dev/null
cmake --build build-package -j"$(nproc)"
rm -rf dist
cpack --config build-package/CPackConfig.cmake -B dist
rm -rf dist/_CPack_Packages
lintian_args=(--tag-display-limit 0 -I)
lintian "${lintian_args[@]}" dist/*.deb
ls -l dist/
