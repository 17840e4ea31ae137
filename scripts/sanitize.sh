#!/usr/bin/env bash
# The sanitizer build in build-san: clang with AddressSanitizer + UndefinedBehaviorSanitizer
# and the libFuzzer targets (-DD06_WITH_ASAN=ON -DD06_FUZZ=ON), warnings as errors as in
# the g++ build (clang's -Wdangling sees a view of a destroyed temporary, g++ 12 does
# not); then the unit and integration tests under the sanitizers and each fuzz target for
# D06_FUZZ_SECONDS (8) on its corpus. CI runs it after scripts/test.sh (.ci/run).
# Arguments go to ctest, but `scripts/sanitize.sh --build TARGET...` only configures and
# builds those targets (scripts/fuzz.sh builds its fuzz target so).
#
# What it leaves unchecked: Debian's gRPC, protobuf, Abseil, RocksDB, ICU and OpenSSL are
# not instrumented, so a bad access inside them (or through a pointer they hand back) is
# seen only where it touches d06's own code or a malloc'd block ASan guards; UBSan checks
# d06's code only.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${D06_SAN_BUILD_DIR:-${REPO_ROOT}/build-san}"

"${REPO_ROOT}/scripts/setup.sh"
CC=clang CXX=clang++ cmake -S "${REPO_ROOT}" -B "${BUILD_DIR}" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DD06_WITH_ASAN=ON -DD06_FUZZ=ON -DD06_FAIL_ON_WARNINGS=ON \
  -DD06_FUZZ_SECONDS="${D06_FUZZ_SECONDS:-8}"
if [[ "${1:-}" == --build ]]; then
  shift
  exec cmake --build "${BUILD_DIR}" -j"$(nproc)" --target "$@"
fi
# Only what runs here: the test binaries of the two labels and the fuzz targets.
cmake --build "${BUILD_DIR}" -j"$(nproc)" --target d06_unit_tests d06_integration_tests \
  d06_fuzz_targets

# Any report fails the test it happens in.
export ASAN_OPTIONS="abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=${REPO_ROOT}/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Not here: the test that takes every file descriptor of the process on purpose, which the
# sanitizers' runtime needs too (its checks and symbolizer fail with EMFILE); the normal
# build runs it. A test that fails is run once more: this build is several times slower,
# and a few tests bound how long the server may take (a stall timeout, a drain); what a
# sanitizer reports fails the same way again, a bound missed once under load does not.
ctest --test-dir "${BUILD_DIR}" -L 'unit|integration|fuzz' --output-on-failure -j2 \
  --timeout 600 --no-tests=error -E 'CappedAcceptTest.OutOfDescriptors' \
  --repeat until-pass:2 "$@"
