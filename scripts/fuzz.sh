#!/usr/bin/env bash
# Runs one fuzz target for a bounded time, on its seed corpus and a working corpus of its
# own (README, "Sanitizers, warnings and fuzzing"). Builds the target first, in the
# sanitizer build (scripts/sanitize.sh --build).
#
#   scripts/fuzz.sh TARGET [SECONDS]     e.g. scripts/fuzz.sh grpc 600
#
# TARGET is one of: filter page_token csv config ctl_flags grpc http connect search
# (the sources are under tests/fuzz/). A crash, leak or timeout leaves its input as
# crash-*/leak-*/timeout-* in the current directory: copy it to the target's directory
# under tests/fuzz/corpus/ as regress-WHAT, and add a unit test of the fix.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${D06_SAN_BUILD_DIR:-${REPO_ROOT}/build-san}"
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}"
seconds="${2:-600}"

"${REPO_ROOT}/scripts/sanitize.sh" --build "fuzz_${target}"
work="${BUILD_DIR}/tests/fuzz/corpus/${target}"
mkdir -p "${work}"
dict=()
[[ -f "${REPO_ROOT}/tests/fuzz/${target}.dict" ]] && dict=("-dict=${REPO_ROOT}/tests/fuzz/${target}.dict")
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=${REPO_ROOT}/tests/fuzz/lsan.supp}"
exec "${BUILD_DIR}/bin/fuzz_${target}" \
  -max_total_time="${seconds}" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
  "${dict[@]}" "${work}" "${REPO_ROOT}/tests/fuzz/corpus/${target}"
