# Shared by the smoke tests that run d06d as a process (tests/smoke/d06d_smoke.sh,
# tests/smoke/backup_smoke.sh). Source it after setting WORK (a temporary directory) and
# PID (the running d06d, "" when none): on any exit d06d is killed and WORK removed.
#
# fail MESSAGE...: prints FAIL and every log of WORK, then exits 1.

cleanup() {
  local status=$?
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.log; do
    [[ -f $log ]] || continue
    echo "---- $(basename "$log")" >&2
    cat "$log" >&2
  done
  exit 1
}
