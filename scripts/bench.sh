#!/usr/bin/env bash
# Builds (scripts/build.sh) and runs the benchmarks, writing tests/bench/RESULTS.md.
# Takes a few minutes (the list benchmark loads 1,000,000 assignments). Extra arguments go to
# d06_bench, e.g. scripts/bench.sh --max_assignments=100000 for a shorter run.
#
# scripts/bench.sh --grpc [ARGS] runs the side-by-side gRPC benchmark instead
# (scripts/bench_grpc.sh: d06d against the empty call and etcd, writing BENCHMARKS.md);
# ARGS go to it, e.g. scripts/bench.sh --grpc --sizes "1000 100000".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ ${1:-} == --grpc ]]; then
  shift
  exec "${REPO_ROOT}/scripts/bench_grpc.sh" "$@"
fi

"${REPO_ROOT}/scripts/build.sh"
"${REPO_ROOT}/build/bin/d06_bench" --out "${REPO_ROOT}/tests/bench/RESULTS.md" "$@"
echo "bench.sh: wrote tests/bench/RESULTS.md"
