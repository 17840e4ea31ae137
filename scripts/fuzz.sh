#!/usr/bin/env bash
# Runs one fuzz target for a bounded time, on its seed corpus and a working corpus of its
# own (README, "Sanitizers, warnings and fuzzing"). Builds the sanitizer build first if needed.
#
#   scripts/fuzz.sh TARGET [SECONDS]     e.g. scripts/fuzz.sh grpc 600
#
# TARGET is one of: filter page_token csv config ctl_flags grpc http. A crash, leak or
# timeout leaves its input as crash-*/leak-*/timeout-* in the current directory: copy it
# to the target's directory under tests/fuzz/corpus/ as regress-WHAT, and add a unit
# test of the fix.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${D06_SAN_BUILD_DIR:-${REPO_ROOT}/build-san}"
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}"
seconds="${2:-600}"

if [[ ! -x "${BUILD_DIR}/bin/fuzz_${target}" ]]; then
  "${REPO_ROOT}/scripts/setup.sh"
  CC=clang CXX=clang++ cmake -S "${REPO_ROOT}" -B "${BUILD_DIR}" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DD06_WITH_ASAN=ON -DD06_FUZZ=ON
  cmake --build "${BUILD_DIR}" -j"$(nproc)" --target "fuzz_${target}"
fi
work="${BUILD_DIR}/tests/fuzz/corpus/${target}"
mkdir -p "${work}"
dict=()
[[ -f "${REPO_ROOT}/tests/fuzz/${target}.dict" ]] && dict=("-dict=${REPO_ROOT}/tests/fuzz/${target}.dict")
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" exec "${BUILD_DIR}/bin/fuzz_${target}" \
  -max_total_time="${seconds}" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
  "${dict[@]}" "${work}" "${REPO_ROOT}/tests/fuzz/corpus/${target}"
