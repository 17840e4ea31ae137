#!/usr/bin/env bash
# d06d's configuration and logs end to end (server/d06d/config.h, common/log.h), the real
# binary: a --config file, D06_ variables and flags together in --print_config with each
# value's source; a bad file line refused naming FILE:LINE, a bad variable naming it, a
# value refused by the server naming where it came from; then a d06d on 127.0.0.1:0 with
# --port_file and --log_format=json: the file names the bound ports, every log line is a
# JSON object, and the file is gone after a clean stop.
#   config_smoke.sh D06D
set -euo pipefail
d06d="$1"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "config_smoke: FAIL: $*" >&2
  exit 1
}
# d06d with nothing of this environment but PATH (no D06_ variable of the caller's).
run() { env -i PATH="$PATH" HOME="$WORK" "$@"; }
# want TEXT WHAT: TEXT has the line WHAT.
want_line() { grep -qxF -- "$2" <<<"$1" || fail "no line '$2' in:"$'\n'"$1"; }

cat >"$WORK/d06d.conf" <<'EOF'
# d06d's settings for this test
--listen=127.0.0.1:7001

--http_listen=127.0.0.1:7002
--block_cache_mb=64
--due_soon_days=5
--nonetwork_encrypted
EOF

# Precedence: flag > environment > file > default, each value with its source.
out="$(run D06_HTTP_LISTEN=127.0.0.1:7003 D06_DUE_SOON_DAYS=4 D06_DUE_SON_DAYS=9 \
  "$d06d" --config="$WORK/d06d.conf" --due_soon_days=6 --print_config 2>"$WORK/err")" ||
  fail "--print_config: exit $?: $(cat "$WORK/err")"
want_line "$out" "--listen=127.0.0.1:7001  # $WORK/d06d.conf:2"
want_line "$out" "--http_listen=127.0.0.1:7003  # env D06_HTTP_LISTEN"
want_line "$out" "--block_cache_mb=64  # $WORK/d06d.conf:5"
want_line "$out" "--due_soon_days=6  # flag"
want_line "$out" "--network_encrypted=false  # $WORK/d06d.conf:7"
want_line "$out" "--max_watchers=1000  # default"
want_line "$out" "--config=$WORK/d06d.conf  # flag"
want_line "$out" "--tls_key=  # default"
# Every d06d flag and no other (Abseil's --flagfile, --help...).
flags="$(grep -c '^--' <<<"$out")"
help_flags="$("$d06d" --help 2>&1 | grep -c '^    --' || true)"
((flags == help_flags)) || fail "--print_config lists $flags flags, --help $help_flags"
grep -q '^--flagfile=\|^--help=' <<<"$out" && fail "--print_config lists Abseil's own flags"
grep -qF "D06_DUE_SON_DAYS names no flag" "$WORK/err" ||
  fail "no warning for the unknown variable D06_DUE_SON_DAYS: $(cat "$WORK/err")"

# The file named in the environment.
out="$(run D06_CONFIG="$WORK/d06d.conf" "$d06d" --print_config)"
want_line "$out" "--config=$WORK/d06d.conf  # env D06_CONFIG"
want_line "$out" "--due_soon_days=5  # $WORK/d06d.conf:6"

# refused WANT CMD...: exits non-zero, saying WANT on stderr.
refused() {
  local want="$1" rc=0
  shift
  run "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  ((rc != 0)) || fail "$* started (exit 0), want a refusal saying '$want'"
  grep -qF -- "$want" "$WORK/err" || fail "$*: '$(cat "$WORK/err")' does not say '$want'"
}
printf -- '--listen=127.0.0.1:7001\n# a comment\n--block_cache_mb=lots\n' >"$WORK/bad.conf"
refused "$WORK/bad.conf:3: --block_cache_mb=lots: " "$d06d" --config="$WORK/bad.conf" --print_config
printf -- '--listen=127.0.0.1:7001\n--lisen=127.0.0.1:7002\n' >"$WORK/typo.conf"
refused "$WORK/typo.conf:2: --lisen is not a flag of this program" "$d06d" --config="$WORK/typo.conf"
refused "cannot read the configuration file --config=$WORK/none.conf" \
  "$d06d" --config="$WORK/none.conf"
refused "the environment variable D06_MAX_WATCHERS=many (--max_watchers): " \
  env D06_MAX_WATCHERS=many "$d06d" --print_config
refused "--log_format: a log format is text or json, not \"xml\" (--log_format from env D06_LOG_FORMAT)" \
  env D06_LOG_FORMAT=xml "$d06d" --print_config
# A value the flag takes but the server refuses: where it came from is said.
printf -- '--block_cache_mb=0\n' >"$WORK/zero.conf"
refused "--block_cache_mb must be within 1..65536, not 0 (--block_cache_mb from $WORK/zero.conf:1)" \
  "$d06d" --config="$WORK/zero.conf" --data_dir="$WORK/data" --listen=127.0.0.1:0 --metrics_listen= --http_listen=
refused "--http_cors_origins: an origin is a scheme" \
  "$d06d" --data_dir="$WORK/data" --listen=127.0.0.1:0 --metrics_listen= --http_listen= \
  --http_cors_origins=http://portal.example.gov.vn:9000/

"$d06d" --version | grep -qx "d06d [0-9][0-9.]*" || fail "--version: $("$d06d" --version 2>&1)"

# A d06d on port 0: the port file, JSON lines, a clean stop.
env -i PATH="$PATH" HOME="$WORK" D06_LOG_FORMAT=json "$d06d" --auth=off --data_dir="$WORK/data" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --http_listen=127.0.0.1:0 --port_file="$WORK/ports" 2>"$WORK/json.log" &
PID=$!
for _ in $(seq 200); do
  [[ -s $WORK/ports ]] && break
  kill -0 "$PID" 2>/dev/null || fail "d06d exited: $(cat "$WORK/json.log")"
  sleep 0.05
done
[[ -s $WORK/ports ]] || fail "no port file after 10 s: $(cat "$WORK/json.log")"
grpc="$(sed -n 's/^grpc=127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/ports")"
http="$(sed -n 's/^http=127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/ports")"
metrics="$(sed -n 's/^metrics=127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$WORK/ports")"
[[ -n $grpc && -n $http && -n $metrics && $(wc -l <"$WORK/ports") -eq 3 ]] ||
  fail "port file: $(cat "$WORK/ports")"
(exec 3<>"/dev/tcp/127.0.0.1/$grpc") || fail "nothing listens on the port file's gRPC port $grpc"
(exec 3<>"/dev/tcp/127.0.0.1/$http") || fail "nothing listens on the port file's HTTP port $http"
(exec 3<>"/dev/tcp/127.0.0.1/$metrics") || fail "nothing listens on the port file's metrics port $metrics"
kill -TERM "$PID"
wait "$PID" || fail "d06d exited $? after SIGTERM: $(cat "$WORK/json.log")"
PID=""
[[ ! -e $WORK/ports ]] || fail "the port file is still there after a clean stop"
/usr/bin/python3 - "$WORK/json.log" "$grpc" <<'EOF' || fail "JSON log: $(cat "$WORK/json.log")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
records = [json.loads(line) for line in lines]  # every line one JSON object
assert lines and all(set(r) >= {"ts", "level", "msg"} for r in records), records
msgs = [r["msg"] for r in records]
assert any(m.startswith("d06d ") and " starting; " in m for m in msgs), msgs
assert f"serving gRPC on port {sys.argv[2]} (127.0.0.1:0)" in msgs, msgs
assert "stopped cleanly" in msgs, msgs
config = {r["flag"]: r for r in records if r["msg"] == "config"}
assert config["log_format"]["value"] == "json", config
assert config["log_format"]["source"] == "env D06_LOG_FORMAT", config
assert config["listen"]["source"] == "flag", config
assert "max_watchers" not in config, config  # defaults are not repeated
assert any(r["level"] == "warning" and r["msg"].startswith("--auth=off") for r in records), msgs
EOF
echo "config_smoke: ok"
