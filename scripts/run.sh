#!/usr/bin/env bash
# Quick start: installs dependencies, builds, and runs the d06d server in the foreground.
# Arguments go to d06d, e.g.:
#
#   scripts/run.sh
#   scripts/run.sh --listen=127.0.0.1:50051 --data_dir=/tmp/d06 --due_soon_days=3
#
# The quick start is development mode (--auth=off: no authentication, loopback only; the
# caller names itself in x-d06-actor). A flag given here wins, e.g. scripts/run.sh
# --auth=required (README, "Production").
#
# Stop it with Ctrl-C (SIGINT) or SIGTERM; it shuts down cleanly.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build output goes to stderr so that d06d's own stdout stays clean. Running needs no
# linter, so setup skips Node.js and buf (scripts/test.sh installs them); and it builds
# only the server and the two clients the README's quick start uses next, not the tests
# (the run_builds_programs_only test checks).
D06_SETUP_SKIP_BUF=1 D06_BUILD_TARGETS="d06d d06ctl d06_example" \
  "${REPO_ROOT}/scripts/build.sh" >&2
exec "${D06_BUILD_DIR:-${REPO_ROOT}/build}/bin/d06d" --auth=off "$@"
