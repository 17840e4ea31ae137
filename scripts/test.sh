#!/usr/bin/env bash
# Quick start: installs dependencies, builds, and runs every test with CTest (unit,
# integration, and buf lint of proto/). Exits non-zero if anything fails or no test ran.
# Arguments go to ctest, e.g. `scripts/test.sh -L unit` or `scripts/test.sh -R buf_lint`.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"${REPO_ROOT}/scripts/build.sh"
ctest --test-dir "${D06_BUILD_DIR:-${REPO_ROOT}/build}" --output-on-failure -j2 --timeout 300 --no-tests=error "$@"
