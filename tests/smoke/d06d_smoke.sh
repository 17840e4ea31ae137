#!/usr/bin/env bash
# Smoke test of the real binaries: d06d on 127.0.0.1:0 with a fresh data directory,
# a second d06d on its port refused ("address in use"), d06_example walking a task to
# completed, its metrics listener's /metrics passing `promtool check metrics` and /readyz,
# a clean SIGTERM shutdown, and a second start on the same data directory that
# still has the first run's data.
#
#   tests/smoke/d06d_smoke.sh path/to/d06d path/to/d06_example
#
# Loopback only. Every wait polls with an overall timeout; d06d is always killed and the
# temporary directory removed on exit.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 D06D D06_EXAMPLE" >&2
  exit 2
fi
D06D=$1
EXAMPLE=$2
for bin in "$D06D" "$EXAMPLE"; do
  [[ -x $bin ]] || { echo "FAIL: not an executable: $bin" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/d06-smoke-XXXXXX")
DATA=$WORK/data
PID=""

# shellcheck source=tests/smoke/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Starts d06d in the background with its output in $WORK/$1.log; sets PID and PORT once
# it reports the port it bound ("d06d: serving gRPC on port N (...)").
start_d06d() {
  local log=$WORK/$1.log
  : >"$log"  # exists before the first read below (the background redirection may lag)
  # Development mode, as the README's quick start runs it (scripts/run.sh).
  "$D06D" --auth=off --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    --data_dir="$DATA" >"$log" 2>&1 &
  PID=$!
  PORT=""
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    PORT=$(sed -n 's/^d06d: serving gRPC on port \([0-9][0-9]*\) .*/\1/p' "$log")
    [[ -n $PORT ]] && break
    kill -0 "$PID" 2>/dev/null || fail "d06d ($1) exited before serving"
    sleep 0.05
  done
  [[ -n $PORT && $PORT -gt 0 ]] || fail "d06d ($1) did not report a port within 20s"
  grep -qF "d06d: data directory $DATA" "$log" || fail "d06d ($1) did not report its data directory"
  # Running as root is worth a warning; as anyone else, none.
  if [[ $(id -u) -eq 0 ]]; then
    grep -qF "d06d: WARNING: running as root" "$log" || fail "d06d ($1) did not warn it runs as root"
  elif grep -qF "running as root" "$log"; then
    fail "d06d ($1) warned about root without running as root"
  fi
  METRICS_PORT=$(sed -n 's/^d06d: serving metrics on port \([0-9][0-9]*\) .*/\1/p' "$log")
  [[ -n $METRICS_PORT ]] || fail "d06d ($1) did not report its metrics port"
  echo "d06d ($1) pid $PID serving on 127.0.0.1:$PORT, metrics on $METRICS_PORT"
}

# /metrics of the running d06d passes Prometheus' linter and counted the example's calls;
# /readyz says ready.
check_metrics() {
  local out=$WORK/$1.metrics
  curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$out" || fail "GET /metrics failed"
  promtool check metrics <"$out" >"$WORK/$1.promtool.log" 2>&1 ||
    fail "promtool check metrics: $(cat "$WORK/$1.promtool.log")"
  grep -q '^d06_calls_total{code="OK",method="CreateTask",service="d06.v1.TaskService",transport="grpc"} 1$' \
    "$out" || fail "/metrics did not count the example's CreateTask"
  [[ $(curl -sf "http://127.0.0.1:$METRICS_PORT/readyz") == ok ]] || fail "/readyz is not ok"
  echo "metrics ($1) pass promtool check metrics; /readyz ok"
}

# Sends SIGTERM and expects exit status 0 and the clean-stop message, within 20s.
stop_d06d() {
  local log=$WORK/$1.log
  kill -TERM "$PID"
  local deadline=$((SECONDS + 20))
  while kill -0 "$PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -0 "$PID" 2>/dev/null && fail "d06d ($1) still running 20s after SIGTERM"
  local status=0
  wait "$PID" || status=$?
  PID=""
  ((status == 0)) || fail "d06d ($1) exited with status $status after SIGTERM"
  grep -qF "d06d: stopped cleanly" "$log" || fail "d06d ($1) did not say it stopped cleanly"
  echo "d06d ($1) stopped cleanly"
}

# Runs d06_example; expects exit 0, the assignment completed, and the given task name.
run_example() {
  local out=$WORK/$1.log want_task=$2
  local status=0
  timeout 30 "$EXAMPLE" --target="127.0.0.1:$PORT" --actor=smoke >"$out" 2>&1 || status=$?
  ((status == 0)) || fail "d06_example ($1) exited with status $status"
  grep -q '^health: SERVING' "$out" || fail "d06_example ($1) did not report health SERVING"
  grep -q '^approve -> ASSIGNMENT_STATE_COMPLETED$' "$out" ||
    fail "d06_example ($1) did not approve the assignment"
  grep -q '^final: .* state ASSIGNMENT_STATE_COMPLETED, timeliness TIMELINESS_COMPLETED_ON_TIME$' \
    "$out" || fail "d06_example ($1) did not report the assignment completed on time"
  grep -q "^created task $want_task " "$out" ||
    fail "d06_example ($1) did not create $want_task"
  grep -q ' smoke EVENT_ACTION_APPROVE ' "$out" ||
    fail "d06_example ($1) history lacks the approval by actor smoke"
  echo "d06_example ($1) completed its assignment ($want_task)"
}

# A second d06d on the port the first serves (another data directory) must not start:
# with port reuse on, both would serve and a client would reach either.
second_on_same_port() {
  local log=$WORK/same_port.log status=0
  timeout 20 "$D06D" --auth=off --listen="127.0.0.1:$PORT" --http_listen=127.0.0.1:0 --metrics_listen= --data_dir="$WORK/data2" >"$log" 2>&1 ||
    status=$?
  ((status != 0)) || fail "a second d06d on port $PORT started (exit 0)"
  ((status != 124)) || fail "a second d06d on port $PORT kept running (it serves the port too)"
  grep -qF "cannot listen on 127.0.0.1:$PORT: address in use" "$log" ||
    fail "a second d06d on port $PORT exited $status without saying the address is in use"
  echo "a second d06d on port $PORT exited $status: address in use"
}

umask 000  # the most permissive a user may have
start_d06d first
second_on_same_port
run_example example1 tasks/1
check_metrics first
stop_d06d first

# d06d created the data directory under a permissive umask: still owner-only.
[[ $(stat -c %a "$DATA") == 700 ]] || fail "data directory mode $(stat -c %a "$DATA"), not 700"
open_files=$(find "$DATA" -type f ! -perm 600)
[[ -z $open_files ]] || fail "files not 0600 in the data directory: $open_files"

# Reopen the same data directory: it starts, and the first run's data is there (the
# task counter continues, so the example's task is tasks/2, not tasks/1 again).
start_d06d second
run_example example2 tasks/2
stop_d06d second

echo "PASS"
