#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh), configures with CMake + Ninja into build/
# (RelWithDebInfo) and builds everything, or only the targets named in D06_BUILD_TARGETS
# (with what they need). Extra arguments go to the CMake configure step:
#
#   scripts/build.sh
#   scripts/build.sh -DD06_WITH_ASAN=ON
#   scripts/build.sh -DD06_BUILD_TESTS=OFF
#   D06_BUILD_TARGETS="d06d d06ctl" scripts/build.sh
#
# Environment:
#   D06_BUILD_TARGETS   space-separated CMake targets to build (default: all)
#   D06_CMAKE_ARGS      more configure arguments, space-separated (CI:
#                       -DD06_FAIL_ON_WARNINGS=ON)
#   D06_BUILD_DIR       the build directory (default: build/ in the source tree)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${D06_BUILD_DIR:-${REPO_ROOT}/build}"

"${REPO_ROOT}/scripts/setup.sh"

# A build/ configured earlier with another generator cannot be reused by Ninja.
if [[ -f "${BUILD_DIR}/CMakeCache.txt" ]] &&
  ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${BUILD_DIR}/CMakeCache.txt"; then
  echo "build.sh: ${BUILD_DIR} was configured with another generator; reconfiguring" >&2
  rm -rf "${BUILD_DIR}/CMakeCache.txt" "${BUILD_DIR}/CMakeFiles"
fi

read -r -a cmake_args <<<"${D06_CMAKE_ARGS:-}"
cmake -S "${REPO_ROOT}" -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${cmake_args[@]}" "$@"
targets=()
if [[ -n "${D06_BUILD_TARGETS:-}" ]]; then
  read -r -a names <<<"${D06_BUILD_TARGETS}"
  targets=(--target "${names[@]}")
fi
cmake --build "${BUILD_DIR}" -j"$(nproc)" "${targets[@]}"
