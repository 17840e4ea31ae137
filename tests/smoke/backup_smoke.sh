#!/usr/bin/env bash
# Smoke test of d06d's backup schedule and of `d06d restore` and `d06d verify` with their
# exit statuses: d06d with --backup_interval backs up at start-up; the example's data is
# in the second start's backup; restore refuses the source's non-empty directory (1),
# restores into a new one (0), which `d06d verify` finds consistent (0); a missing
# directory is 3, a missing --from 2.
#
#   tests/smoke/backup_smoke.sh path/to/d06d path/to/d06_example
#
# Loopback only; d06d is always killed and the temporary directory removed on exit.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 D06D D06_EXAMPLE" >&2
  exit 2
fi
D06D=$1
EXAMPLE=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/d06-backup-smoke-XXXXXX")
DATA=$WORK/data
BACKUPS=$WORK/backups
PID=""

# shellcheck source=tests/smoke/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Starts d06d backing up at start-up; waits for its port and its backup's log line.
start_d06d() {
  local log=$WORK/$1.log
  : >"$log"
  "$D06D" --auth=off --listen=127.0.0.1:0 --http_listen= --metrics_listen= --data_dir="$DATA" \
    --backup_dir="$BACKUPS" --backup_interval=1h --backup_keep=5 >"$log" 2>&1 &
  PID=$!
  PORT=""
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    PORT=$(sed -n 's/^d06d: serving gRPC on port \([0-9][0-9]*\) .*/\1/p' "$log")
    [[ -n $PORT ]] && grep -q '^d06d: backup taken backup=[0-9]* revision=' "$log" && break
    kill -0 "$PID" 2>/dev/null || fail "d06d ($1) exited before serving"
    sleep 0.05
  done
  grep -q '^d06d: backup taken backup=[0-9]* revision=' "$log" || fail "d06d ($1) took no backup at start-up"
}

stop_d06d() {
  kill -TERM "$PID"
  local status=0
  wait "$PID" || status=$?
  PID=""
  ((status == 0)) || fail "d06d exited with status $status after SIGTERM"
}

# Runs a command and expects the exit status $1.
expect_status() {
  local want=$1 log=$WORK/$2.log
  shift 2
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  ((status == want)) || fail "$* exited $status, not $want"
}

start_d06d first
timeout 30 "$EXAMPLE" --target="127.0.0.1:$PORT" --actor=smoke >"$WORK/example.log" 2>&1 ||
  fail "d06_example failed"
stop_d06d
start_d06d second  # its start-up backup holds the example's task
grep -q '^d06d: backup taken backup=2 revision=[1-9]' "$WORK/second.log" ||
  fail "the second start's backup does not hold the example's writes"
stop_d06d

expect_status 1 restore_refused "$D06D" restore --from="$BACKUPS" --data_dir="$DATA"
grep -qF "is not empty" "$WORK/restore_refused.log" || fail "restore did not say the directory is not empty"
expect_status 2 restore_usage "$D06D" restore --data_dir="$WORK/restored"
expect_status 0 restore "$D06D" restore --from="$BACKUPS" --data_dir="$WORK/restored"
grep -qF "REVISION_COMPACTED" "$WORK/restore.log" || fail "restore did not explain the revision bump"
expect_status 0 verify "$D06D" verify --data_dir="$WORK/restored"
grep -qF " 0 problem(s)" "$WORK/verify.log" || fail "verify did not report 0 problems"
expect_status 3 verify_missing "$D06D" verify --data_dir="$WORK/missing"
echo "PASS"
