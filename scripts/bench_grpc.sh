#!/usr/bin/env bash
# The side-by-side benchmark of issue 8: every scenario of d06_loadgen (tests/bench/loadgen.cc)
# against a fresh d06d (its own temp data directory, WAL synced as in production) and etcd's
# Put against a fresh single-member etcd (fsync on), each at 1 and at 64 requests in flight,
# all on loopback; the list page at two database sizes; d06d's peak RSS, start-up time to
# SERVING and bytes on disk per task; fairness (issue 17): one client's GetUnit while another
# floods the server with summaries or large list pages. Writes BENCHMARKS.md at the top level.
#
#   scripts/bench_grpc.sh                   # full run (builds; installs etcd-server,
#                                           # nghttp2-client and python3 when missing)
#   scripts/bench_grpc.sh --sizes "1000 100000"   # a smaller large size
#   scripts/bench_grpc.sh --quick --bin build/bin --out /tmp/B.md   # the CTest quick mode
#   scripts/bench_grpc.sh --only fairness --bin build/bin   # the fairness part, ~1 minute
#
# Options:
#   --quick         0.3 s per scenario at 4 in flight, tiny preloads, no etcd, no build, no
#                   installs (checks the benchmark works, not its numbers)
#   --bin DIR       use the programs in DIR (skips the build)
#   --out FILE      where to write the report (default: BENCHMARKS.md at the top level)
#   --sizes "A B"   the list-page database sizes in assignments (default "1000 1000000")
#   --rounds N      measure every cell N times on fresh servers, keep the best throughput
#                   (default 2; 1 in quick mode)
#   --duration D, --warmup D   per run (default 5s and 1s)
#   --results FILE  also keep the raw results (one JSON object a line) in FILE
#   --only LIST     run only these parts, comma-separated: scenarios (every scenario and
#                   etcd), sizes (the list page at each size, memory, disk, start-up),
#                   h2load, fairness; the report then goes to build/BENCHMARKS.only-LIST.md
#                   unless --out is given (a partial report never replaces BENCHMARKS.md)
#   --fairness_size N   assignments preloaded for the fairness part (default 100000; 300
#                   in quick mode)
#
# Loopback only. Every wait is bounded; every loadgen run is under `timeout`; every process
# this script starts is killed (by its pid) and the temp directory removed on exit.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
BIN=""
OUT="${REPO_ROOT}/BENCHMARKS.md"
SIZES="1000 1000000"
ROUNDS=""
KEEP_RESULTS=""
DURATION=5s
WARMUP=1s
ONLY=""
OUT_GIVEN=0
FAIR_SIZE=""
COMMAND_LINE="scripts/bench_grpc.sh${*:+ $*}"
while (($# > 0)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --bin) BIN="$2"; shift ;;
    --out) OUT="$2"; OUT_GIVEN=1; shift ;;
    --sizes) SIZES="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --results) KEEP_RESULTS="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --fairness_size) FAIR_SIZE="$2"; shift ;;
    -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_grpc.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'bench_grpc.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# The parts to run (--only); every part by default.
ALL_PARTS="scenarios,sizes,h2load,fairness"
if [[ -n $ONLY ]]; then
  IFS=, read -r -a parts <<<"$ONLY"
  for p in "${parts[@]}"; do
    [[ ",${ALL_PARTS}," == *",${p},"* ]] || die "--only: unknown part '${p}' (${ALL_PARTS})"
  done
  ((OUT_GIVEN)) || OUT="${REPO_ROOT}/build/BENCHMARKS.only-${ONLY//,/-}.md"
else
  ONLY=$ALL_PARTS
fi
part() { [[ ",${ONLY}," == *",$1,"* ]]; }

if ((QUICK)); then
  DURATION=0.3s
  WARMUP=0.05s
  [[ $SIZES == "1000 1000000" ]] && SIZES="300 900"
  ROUNDS=${ROUNDS:-1}
  INFLIGHTS=(4)
  EXTRA_FLAGS=(--transition_pool=64 --read_pool=8 --preload_inflight=16)
  PRELOAD_FLAGS=()
  # Fairness: the same runs, small enough for seconds.
  FAIR_SIZE=${FAIR_SIZE:-300}
  FAIR_LOAD_FLAGS=(--warmup=0.05s --duration=0.3s)
  FAIR_SUMMARY_FLAGS=(--inflight=8 --channels=2)
  FAIR_LIST_FLAGS=(--inflight=4 --channels=2)
else
  ROUNDS=${ROUNDS:-2}
  INFLIGHTS=(1 64)
  EXTRA_FLAGS=()
  PRELOAD_FLAGS=(--preload_inflight=256)
  # Fairness: 100,000 assignments preload in ~15 s; 10 s windows give the victim thousands
  # of calls when it is served at once, and still dozens when it waits behind the flood.
  FAIR_SIZE=${FAIR_SIZE:-100000}
  FAIR_LOAD_FLAGS=(--warmup=2s --duration=10s)
  FAIR_SUMMARY_FLAGS=(--inflight=64 --channels=8)
  FAIR_LIST_FLAGS=(--inflight=16 --channels=8)
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ $FAIR_SIZE =~ ^[1-9][0-9]*$ ]] || die "--fairness_size must be a positive integer"

# ---- what it needs ----------------------------------------------------------------
install_missing() {
  local missing=() pkg cmd
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

if ((QUICK)); then
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (apt-get install python3)"
elif part scenarios || part h2load; then
  install_missing python3:python3 etcd:etcd-server h2load:nghttp2-client
else
  install_missing python3:python3
fi
if [[ -z $BIN ]]; then
  ((QUICK)) && die "--quick needs --bin DIR (it never builds)"
  "${REPO_ROOT}/scripts/build.sh"
  BIN="${REPO_ROOT}/build/bin"
fi
D06D="${BIN}/d06d"
LOADGEN="${BIN}/d06_loadgen"
for program in "$D06D" "$LOADGEN"; do
  [[ -x $program ]] || die "not an executable: $program"
done
HAVE_ETCD=0
HAVE_H2LOAD=0
if ((!QUICK)); then
  part scenarios && HAVE_ETCD=1
  part h2load && HAVE_H2LOAD=1
fi

# ---- processes ----------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/d06-bench-grpc-XXXXXX")
RESULTS="${WORK}/results.jsonl"
: >"$RESULTS"
PIDS=()
TOKEN_FLAGS=()  # d06_loadgen's --token_file for the d06d running now (start_d06d)

cleanup() {
  local status=$?
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ns() { date +%s%N; }

# JSON string of $1.
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# Stops $1 (pid) with SIGTERM, then SIGKILL after 30 s.
stop_pid() {
  local pid=$1 deadline=$((SECONDS + 30))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# VmHWM and VmRSS of $1 in kB, as "hwm rss".
memory_kb() {
  awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h + 0, r + 0 }' "/proc/$1/status"
}

# Starts d06d on a new free port over data directory $1, with the flags that follow; sets
# D06_PID, PORT and STARTUP_S (from exec to the first SERVING answer of the health service).
# Authentication is on unless the flags say --auth=off: the benchmark's principal and its
# token come from `d06d bootstrap-admin`, and TOKEN_FLAGS gives d06_loadgen the token.
start_d06d() {
  local data=$1 attempt out t0 auth_flags=()
  shift
  TOKEN_FLAGS=()
  if [[ " $* " != *" --auth=off "* ]]; then
    # A restart over the same directory keeps the token made the first time.
    [[ -s ${data}.token ]] ||
      "$D06D" bootstrap-admin --data_dir="$data" --name=bench >"${data}.token" 2>>"${data}.log" ||
      die "d06d bootstrap-admin failed; its log: $(tail -3 "${data}.log")"
    auth_flags=(--rate_limits=off --max_watchers_per_principal=1000)
    TOKEN_FLAGS=(--token_file="${data}.token")
  fi
  for attempt in 1 2 3; do
    PORT=$(free_port)
    t0=$(now_ns)
    "$D06D" "${auth_flags[@]}" --listen="127.0.0.1:${PORT}" --http_listen= --metrics_listen= --data_dir="$data" "$@" >>"${data}.log" 2>&1 &
    D06_PID=$!
    PIDS+=("$D06_PID")
    if out=$(timeout 60 "$LOADGEN" --target="127.0.0.1:${PORT}" --scenario=wait_serving \
               --timeout=30s 2>>"${data}.log"); then
      local serving=${out#*\"serving_unix_ns\":}
      serving=${serving%%,*}
      STARTUP_S=$(awk -v a="$t0" -v b="$serving" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
      kill -0 "$D06_PID" 2>/dev/null && return 0
    fi
    stop_pid "$D06_PID"
    log "d06d did not serve on port ${PORT} (attempt ${attempt}); its log:"
    tail -5 "${data}.log" >&2 || true
  done
  die "d06d would not start"
}

# Starts etcd over data directory $1 (fsync on, the default); sets ETCD_PID and PORT.
start_etcd() {
  local data=$1 attempt peer
  TOKEN_FLAGS=()
  for attempt in 1 2 3; do
    PORT=$(free_port)
    peer=$(free_port)
    etcd --name bench --data-dir "$data" \
      --listen-client-urls "http://127.0.0.1:${PORT}" \
      --advertise-client-urls "http://127.0.0.1:${PORT}" \
      --listen-peer-urls "http://127.0.0.1:${peer}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${peer}" \
      --initial-cluster "bench=http://127.0.0.1:${peer}" \
      --logger zap --log-level warn >>"${data}.log" 2>&1 &
    ETCD_PID=$!
    PIDS+=("$ETCD_PID")
    if timeout 60 "$LOADGEN" --target="127.0.0.1:${PORT}" --scenario=wait_serving \
         --timeout=30s >/dev/null 2>>"${data}.log" && kill -0 "$ETCD_PID" 2>/dev/null; then
      return 0
    fi
    stop_pid "$ETCD_PID"
    log "etcd did not serve on port ${PORT} (attempt ${attempt})"
  done
  die "etcd would not start"
}

# Bytes allocated on disk under $1.
disk_bytes() { du -sk "$1" | awk '{ print $1 * 1024 }'; }

# Runs d06_loadgen against 127.0.0.1:$PORT with the given flags, with server $1 (pid);
# appends {"label", "cmd", "server": {...}, "run": <loadgen JSON>} to the results, and
# fails on any unexpected status. $2 is the label; the rest are loadgen flags.
LAST_RUN=""
run_loadgen() {
  local pid=$1 label=$2
  shift 2
  local out status=0 limit=600
  [[ " $* " == *" --setup_only"* ]] && limit=7200
  out=$(timeout "$limit" "$LOADGEN" --target="127.0.0.1:${PORT}" --server_pid="$pid" \
          "${TOKEN_FLAGS[@]}" "$@" \
          2>"${WORK}/loadgen.err") || status=$?
  if ((status != 0)) || [[ $out != \{* ]]; then
    cat "${WORK}/loadgen.err" >&2
    die "$label: d06_loadgen $* exited with status $status: $out"
  fi
  local mem
  mem=$(memory_kb "$pid")
  LAST_RUN=$out
  printf '{"label":%s,"cmd":%s,"server":{"vm_hwm_kb":%s,"vm_rss_kb":%s,"startup_s":%s},"run":%s}\n' \
    "$(json_string "$label")" \
    "$(json_string "d06_loadgen --target=127.0.0.1:\$PORT $*")" \
    "${mem% *}" "${mem#* }" "${STARTUP_S:-null}" "$out" >>"$RESULTS"
  if [[ " $* " != *" --setup_only"* ]]; then
    # The run's own figures, then its victim's (--victim: a nested object at the end).
    log "$label: $(run_summary "${out%%,\"victim\":*}")"
    [[ $out != *'"victim":'* ]] || log "$label: victim $(run_summary "${out#*\"victim\":}")"
  fi
}

# "N calls/s, p50 X ms, p99 Y ms" of one loadgen JSON object $1 (without a nested victim).
run_summary() {
  sed -E 's/.*"throughput":([0-9.]+).*"p50":([0-9.]+).*"p99":([0-9.]+).*/\1 calls\/s, p50 \2 ms, p99 \3 ms/' <<<"$1"
}

# Appends a free-form record ({"label", ...fields}) to the results.
record() { printf '{"label":%s,%s}\n' "$(json_string "$1")" "$2" >>"$RESULTS"; }

LOAD_FLAGS=(--warmup="$WARMUP" --duration="$DURATION")
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# The disk's sync latency, for context: synchronous 4 KiB writes.
DSYNC_WRITES=$((QUICK ? 20 : 200))
dsync_us=$(
  cd "$WORK" &&
    { dd if=/dev/zero of=dsync.test bs=4k count="$DSYNC_WRITES" oflag=dsync 2>&1 || true; } |
    awk -v n="$DSYNC_WRITES" '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) t = $(i - 1); printf "%.0f", t / n * 1e6 }'
)
rm -f "${WORK}/dsync.test"
record machine "$(printf '"nproc":%s,"mem_kb":%s,"kernel":%s,"cpu":%s,"dsync_write_us":%s,"loadavg_before":%s,"started":%s,"quick":%s,"rounds":%s,"duration":%s,"warmup":%s,"commit":%s,"command":%s,"parts":%s' \
  "$(nproc)" "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
  "$(json_string "$(uname -sr)")" \
  "$(json_string "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)")" \
  "${dsync_us:-null}" "$(json_string "$load_before")" "$(json_string "$started")" \
  "$QUICK" "$ROUNDS" "$(json_string "$DURATION")" "$(json_string "$WARMUP")" \
  "$(json_string "$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)")" \
  "$(json_string "$COMMAND_LINE")" "$(json_string "$ONLY")")"

# Waits (bounded) for a moment when the rest of the machine is quiet: another job's CPU
# lowers a cell's figures. At most QUIET_MAX_S per cell and QUIET_BUDGET_S in all; the
# others' CPU during each run is reported either way.
QUIET_WAITED=0
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
wait_quiet() {
  ((QUICK)) && return 0
  local start=$SECONDS a b busy
  while ((SECONDS - start < QUIET_MAX_S && QUIET_WAITED < QUIET_BUDGET_S)); do
    a=$(busy_jiffies)
    sleep 0.5
    b=$(busy_jiffies)
    # Busy CPUs over the half second, in hundredths.
    busy=$(((b - a) * 200 / $(getconf CLK_TCK)))
    ((busy < 30)) && return 0
    QUIET_WAITED=$((QUIET_WAITED + 1))
  done
  return 0
}
QUIET_MAX_S=20
QUIET_BUDGET_S=600

# ---- d06 and etcd: one fresh server per scenario, in-flight count and round -----------
# Interleaved (each round runs every scenario, etcd included, at each in-flight count) so
# that a busy spell of the machine falls on all of them alike.
# create_task_assigned_watched: create_task_assigned with 100 idle and 10 slow watchers of
# the change feed open (issue 10: writes within 10 % of none).
# ceiling: one small key through d06d's writer, group commit and WAL sync (d06d
# --benchmark_pipeline), the most any write could do.
# create_task_assigned_noauth: create_task_assigned on a d06d with --auth=off.
SCENARIOS=(empty ceiling create_task create_task_assigned create_task_assigned_noauth
  create_task_assigned_watched transitions get_task get_assignment)
((HAVE_ETCD)) && SCENARIOS+=(etcd_put)
part scenarios || SCENARIOS=()
for round in $(seq 1 "$ROUNDS"); do
  for inflight in "${INFLIGHTS[@]}"; do
    for scenario in "${SCENARIOS[@]}"; do
      wait_quiet
      if [[ $scenario == etcd_put ]]; then
        data="${WORK}/etcd-${inflight}-${round}"
        start_etcd "$data"
        STARTUP_S=""
        run_loadgen "$ETCD_PID" "etcd etcd_put ${inflight}" --scenario=etcd_put \
          --inflight="$inflight" "${LOAD_FLAGS[@]}"
        stop_pid "$ETCD_PID"
        rm -rf "$data"
        continue
      fi
      data="${WORK}/d06-${scenario}-${inflight}-${round}"
      case $scenario in
        ceiling) start_d06d "$data" --benchmark_pipeline ;;
        create_task_assigned_noauth) start_d06d "$data" --auth=off ;;
        *) start_d06d "$data" ;;
      esac
      scenario_flags=(--scenario="$scenario")
      [[ $scenario != create_task_assigned_noauth ]] || scenario_flags=(--scenario=create_task_assigned)
      if [[ $scenario == create_task_assigned_watched ]]; then
        scenario_flags=(--scenario=create_task_assigned --idle_watchers=100 --slow_watchers=10)
      fi
      run_loadgen "$D06_PID" "d06 ${scenario} ${inflight}" "${scenario_flags[@]}" \
        --inflight="$inflight" "${LOAD_FLAGS[@]}" "${EXTRA_FLAGS[@]}"
      stop_pid "$D06_PID"
      tasks=$(sed -n 's/.*"tasks_created":\([0-9]*\).*/\1/p' <<<"$LAST_RUN")
      record "disk ${scenario} ${inflight}" "\"bytes\":$(disk_bytes "$data"),\"tasks\":${tasks:-0},\"round\":${round}"
      rm -rf "$data"
    done
  done
done

# Waits until server $1 is idle (under 5% of a CPU over a second: its flushes and
# compactions after a preload are done), at most 300 s; sets IDLE_WAIT_S.
wait_idle() {
  local pid=$1 start=$SECONDS a b tck
  tck=$(getconf CLK_TCK)
  IDLE_WAIT_S=0
  ((QUICK)) && return 0
  while ((SECONDS - start < 300)); do
    a=$(awk '{ print $14 + $15 }' "/proc/${pid}/stat")
    sleep 1
    b=$(awk '{ print $14 + $15 }' "/proc/${pid}/stat")
    (((b - a) * 20 < tck)) && break
  done
  IDLE_WAIT_S=$((SECONDS - start))
}

# Adds the tasks_created and assignments_created of the last run to TASKS and ASSIGNMENTS.
count_created() {
  local more
  more=$(sed -n 's/.*"tasks_created":\([0-9]*\).*/\1/p' <<<"$LAST_RUN")
  TASKS=$((TASKS + ${more:-0}))
  more=$(sed -n 's/.*"assignments_created":\([0-9]*\).*/\1/p' <<<"$LAST_RUN")
  ASSIGNMENTS=$((ASSIGNMENTS + ${more:-0}))
}

# ---- the list page at each size; RSS under load, bytes on disk, start-up -------------
# preload -> idle (background flushes and compactions done) -> list pages -> reads (RSS) -> clean stop (bytes on disk, WAL left) ->
# restart (start-up to SERVING) -> writes (RSS) -> stop.
part sizes || SIZES=""
for size in $SIZES; do
  data="${WORK}/d06-list-${size}"
  start_d06d "$data"
  log "preloading ${size} assignments (tasks of three; the large size may take minutes)"
  TASKS=0
  ASSIGNMENTS=0
  run_loadgen "$D06_PID" "preload ${size}" --scenario=list_page --setup_only \
    --preload_assignments="$size" "${EXTRA_FLAGS[@]}" "${PRELOAD_FLAGS[@]}"
  count_created
  wait_idle "$D06_PID"
  record "idle ${size}" "\"wait_s\":${IDLE_WAIT_S}"
  for round in $(seq 1 "$ROUNDS"); do
    for inflight in "${INFLIGHTS[@]}"; do
      wait_quiet
      run_loadgen "$D06_PID" "list ${size} ${inflight}" --scenario=list_page \
        --inflight="$inflight" "${LOAD_FLAGS[@]}" "${EXTRA_FLAGS[@]}"
      wait_quiet
      run_loadgen "$D06_PID" "summary ${size} ${inflight}" --scenario=summary \
        --inflight="$inflight" "${LOAD_FLAGS[@]}" "${EXTRA_FLAGS[@]}"
    done
  done
  inflight=${INFLIGHTS[${#INFLIGHTS[@]} - 1]}
  wait_quiet
  run_loadgen "$D06_PID" "loaded ${size} get_assignment ${inflight}" --scenario=get_assignment \
    --inflight="$inflight" "${LOAD_FLAGS[@]}" "${EXTRA_FLAGS[@]}"
  count_created
  mem_reads=$(memory_kb "$D06_PID")
  stop_pid "$D06_PID"
  bytes=$(disk_bytes "$data")
  wal_bytes=$(find "$data" -maxdepth 1 -name '*.log' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  STARTUP_S=""
  start_d06d "$data"
  restart_s=$STARTUP_S
  wait_quiet
  run_loadgen "$D06_PID" "loaded ${size} create_task_assigned ${inflight}" \
    --scenario=create_task_assigned --inflight="$inflight" "${LOAD_FLAGS[@]}" "${EXTRA_FLAGS[@]}"
  mem_writes=$(memory_kb "$D06_PID")
  stop_pid "$D06_PID"
  record "size ${size}" "\"assignments\":${size},\"tasks\":${TASKS},\"assignments_total\":${ASSIGNMENTS},\"bytes\":${bytes},\"wal_bytes\":${wal_bytes},\"vm_hwm_kb\":${mem_reads% *},\"vm_rss_kb\":${mem_reads#* },\"vm_hwm_writes_kb\":${mem_writes% *},\"vm_rss_writes_kb\":${mem_writes#* },\"restart_startup_s\":${restart_s}"
  rm -rf "$data" "${data}.log"
done

# ---- fairness (issue 17): a cheap read under one client's flood of expensive reads ------
# One d06d over FAIR_SIZE preloaded assignments (idle again before measuring), then three
# runs: the victim alone (GetUnit at 1 in flight on its own connection); the victim while
# an attacker floods the server with GetSummary (64 in flight over 8 connections); the
# victim while 16 readers over 8 connections ask for ListAssignments pages of 1,000. Victim
# and attacker share one warm-up and window (d06_loadgen --victim). The attacker may be
# refused (RESOURCE_EXHAUSTED: admission control of expensive reads), counted in its
# statuses; the victim may not be. Measured once (not --rounds): its figures are latencies
# of one client, not a best throughput.
if part fairness; then
  data="${WORK}/d06-fairness"
  start_d06d "$data"
  log "fairness: preloading ${FAIR_SIZE} assignments"
  run_loadgen "$D06_PID" "fairness preload" --scenario=list_page --setup_only \
    --preload_assignments="$FAIR_SIZE" "${EXTRA_FLAGS[@]}" "${PRELOAD_FLAGS[@]}"
  wait_idle "$D06_PID"
  record "fairness idle" "\"wait_s\":${IDLE_WAIT_S},\"assignments\":${FAIR_SIZE}"
  wait_quiet
  run_loadgen "$D06_PID" "fairness alone" --scenario=get_unit --inflight=1 "${FAIR_LOAD_FLAGS[@]}"
  wait_quiet
  run_loadgen "$D06_PID" "fairness summary" --scenario=summary "${FAIR_SUMMARY_FLAGS[@]}" \
    --expect=OK,RESOURCE_EXHAUSTED --victim=get_unit "${FAIR_LOAD_FLAGS[@]}"
  wait_quiet
  run_loadgen "$D06_PID" "fairness list" --scenario=list_page --page_size=1000 \
    "${FAIR_LIST_FLAGS[@]}" --expect=OK,RESOURCE_EXHAUSTED --victim=get_unit \
    "${FAIR_LOAD_FLAGS[@]}"
  stop_pid "$D06_PID"
  rm -rf "$data" "${data}.log"
fi

# ---- cross-check of the two denominators with h2load (pre-encoded body, -c 1 -m 64) ----
# Milliseconds of an Abseil-style duration ("5s", "500ms", "0.3s"): h2load takes integers.
to_ms() {
  awk -v d="$1" 'BEGIN { if (d ~ /ms$/) v = d + 0; else if (d ~ /s$/) v = d * 1000;
                         else v = d * 1000; printf "%d", (v < 1 ? 1 : v) }'
}
h2load_run() {  # label url body
  local label=$1 url=$2 body=$3 out duration warmup
  duration="$(to_ms "$DURATION")ms"
  warmup="$(to_ms "$WARMUP")ms"
  out=$(timeout 120 h2load -D "$duration" --warm-up-time="$warmup" -c 1 -m 64 \
          -H 'content-type: application/grpc' -H 'te: trailers' -d "$body" "$url" 2>&1) ||
    die "h2load failed: $out"
  local rps mean ok
  rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  mean=$(awk '/^time for request:/ { print $5 }' <<<"$out")
  ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' <<<"$out")
  record "$label" "\"throughput\":${rps:-0},\"mean\":$(json_string "$mean"),\"http_2xx\":${ok:-0},\"cmd\":$(json_string "h2load -D ${duration} --warm-up-time=${warmup} -c 1 -m 64 -H 'content-type: application/grpc' -H 'te: trailers' -d BODY ${url/127.0.0.1:${PORT}/127.0.0.1:\$PORT}")"
  log "$label: ${rps} req/s"
}
if ((HAVE_H2LOAD)); then
  "$LOADGEN" --scenario=empty --dump_request="${WORK}/empty.bin" >/dev/null
  "$LOADGEN" --scenario=etcd_put --dump_request="${WORK}/put.bin" >/dev/null
  data="${WORK}/d06-h2load"
  start_d06d "$data"
  h2load_run "h2load empty" "http://127.0.0.1:${PORT}/grpc.health.v1.Health/Check" "${WORK}/empty.bin"
  stop_pid "$D06_PID"
  if ((HAVE_ETCD)); then
    data="${WORK}/etcd-h2load"
    start_etcd "$data"
    h2load_run "h2load etcd_put" "http://127.0.0.1:${PORT}/etcdserverpb.KV/Put" "${WORK}/put.bin"
    stop_pid "$ETCD_PID"
  fi
fi

record "end" "\"quiet_wait_s\":$((QUIET_WAITED / 2)),\"loadavg_after\":$(json_string "$(cut -d' ' -f1-3 /proc/loadavg)"),\"finished\":$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
[[ -n $KEEP_RESULTS ]] && cp "$RESULTS" "$KEEP_RESULTS"
python3 "${REPO_ROOT}/scripts/bench_grpc_report.py" "$RESULTS" "$OUT"
log "wrote $OUT"
