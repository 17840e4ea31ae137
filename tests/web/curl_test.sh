#!/usr/bin/env bash
# The Connect HTTP/JSON face of d06d (server/api/http_transport.h) with curl: every unary
# method of every service in proto/d06/v1 (the list is read from the .proto files, and a
# unary RPC without a case here fails the test), its happy path and its errors (HTTP
# status, Connect code, d06 reason in details[0].debug); then the transport itself: the
# Connect error body, application/proto, content types (415), Connect-Timeout-Ms,
# Connect-Protocol-Version, the size limit (413), streaming methods (501, gRPC only),
# unknown paths and methods, x-d06-actor (and x-d06-actor-bin) in the audit events,
# request_id, Connect GET for the reads (405 for the others), the Host check (a foreign
# Host is refused, --http_allowed_hosts), CORS (none by default; a second d06d with
# --http_cors_origins; "*" warned; malformed origins refused at start-up) and a second
# d06d on the same HTTP port refused. Authentication: a d06d with authentication required
# (the default) and its first administrator from `d06d bootstrap-admin`: no token is 401
# unauthenticated/CREDENTIAL_MISSING (with WWW-Authenticate), a malformed one
# TOKEN_MALFORMED, the bootstrap token in "Authorization: Bearer" works, AccessService's
# methods, and the CORS preflight allows Authorization. The rest runs on a d06d with
# --auth=off, deliberately: it checks the actor headers, which only --auth=off records.
#
#   tests/web/curl_test.sh path/to/d06d
#
# Needs curl and perl (JSON::PP, part of perl). Loopback only; every d06d started is
# killed and the temporary directory removed on exit.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 D06D" >&2
  exit 2
fi
D06D=$1
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ -x $D06D ]] || { echo "FAIL: not an executable: $D06D" >&2; exit 1; }
for tool in curl perl; do
  command -v "$tool" >/dev/null ||
    { echo "FAIL: $tool not found: run scripts/setup.sh to install it" >&2; exit 1; }
done
perl -MJSON::PP -e 1 2>/dev/null ||
  { echo "FAIL: perl's JSON::PP is missing: run scripts/setup.sh" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/d06-web-curl-XXXXXX")
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILURES=0
CHECKS=0
fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}
die() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.log; do
    [[ -f $log ]] || continue
    echo "---- $(basename "$log")" >&2
    cat "$log" >&2
  done
  exit 1
}

# start_d06d NAME [FLAGS...]: starts d06d with a fresh data directory; sets HTTP (the
# HTTP port) and GRPC once it reports both ports.
start_d06d() {
  local name=$1
  shift
  local log=$WORK/$name.log
  : >"$log"
  "$D06D" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --metrics_listen= --data_dir="$WORK/$name-data" "$@" \
    >"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  HTTP=""
  GRPC=""
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    HTTP=$(sed -n 's/^d06d: serving HTTP on port \([0-9][0-9]*\) .*/\1/p' "$log")
    GRPC=$(sed -n 's/^d06d: serving gRPC on port \([0-9][0-9]*\) .*/\1/p' "$log")
    [[ -n $HTTP && -n $GRPC ]] && break
    kill -0 "$pid" 2>/dev/null || die "d06d ($name) exited before serving"
    sleep 0.05
  done
  [[ -n $HTTP && $HTTP -gt 0 ]] || die "d06d ($name) did not report its HTTP port within 20s"
}

# json FILE PATH...: prints the value at each dotted PATH ("details.0.debug.reason"), one a
# line: strings as they are, objects and arrays as JSON, "" when missing.
json() {
  perl -MJSON::PP -e '
    binmode STDOUT, ":encoding(UTF-8)";
    my $file = shift @ARGV;
    open my $f, "<:raw", $file or die "$file: $!";
    local $/;
    my $text = <$f>;
    my $doc = eval { JSON::PP->new->utf8->allow_nonref->decode($text) };
    for my $path (@ARGV) {
      my $v = $doc;
      for my $k (split /\./, $path) {
        if (ref $v eq "HASH") { $v = $v->{$k} }
        elsif (ref $v eq "ARRAY" && $k =~ /^\d+$/) { $v = $v->[$k] }
        else { $v = undef }
      }
      if (!defined $v) { $v = "" }
      elsif (JSON::PP::is_bool($v)) { $v = $v ? "true" : "false" }
      elsif (ref $v) { $v = JSON::PP->new->canonical->encode($v) }
      $v =~ s/\n/\\n/g;
      print $v, "\n";
    }' "$@"
}

# Every call leaves its answer in $WORK/body and $WORK/headers, and sets STATUS.
BODY=$WORK/body
# post PATH BODY [CURL ARGS...]: a POST to the API port, as JSON (CALL_CT="type" for
# another Content-Type, CALL_CT="" for none) from $ACTOR (CALL_ACTOR=name for another).
post() {
  local path=$1 data=$2
  shift 2
  STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
    -H "Content-Type: ${CALL_CT-application/json}" -H "x-d06-actor: ${CALL_ACTOR:-$ACTOR}" \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
    "$@" --data-binary "$data" "http://127.0.0.1:$HTTP/$path")
}

COVERED_OK=()
COVERED_ERR=()
# ok SERVICE/METHOD JSON [PATH=VALUE ...]: the call answers 200, and each dotted PATH of the
# answer has VALUE.
ok() {
  local method=$1 data=$2
  shift 2
  COVERED_OK+=("$method")
  CHECKS=$((CHECKS + 1))
  post "d06.v1.$method" "$data"
  if [[ $STATUS != 200 ]]; then
    fail "$method $data: HTTP $STATUS, want 200: $(cat "$BODY")"
    return 0
  fi
  grep -qi '^content-type: application/json' "$WORK/headers" ||
    fail "$method: the answer is not application/json"
  expect_fields "$method" "$@"
}

# expect_fields LABEL [PATH=VALUE ...]: checks fields of the last answer.
expect_fields() {
  local label=$1
  shift
  (($# == 0)) && return 0
  local paths=() wants=() arg
  for arg in "$@"; do
    paths+=("${arg%%=*}")
    wants+=("${arg#*=}")
  done
  local got=()
  mapfile -t got < <(json "$BODY" "${paths[@]}")
  local i
  for i in "${!paths[@]}"; do
    if [[ ${got[$i]-} != "${wants[$i]}" ]]; then
      fail "$label: ${paths[$i]} = '${got[$i]-}', want '${wants[$i]}' in $(cat "$BODY")"
    fi
  done
}

# err SERVICE/METHOD JSON HTTP_STATUS CODE REASON [PATH=VALUE ...]: the call answers a
# Connect error with this status, code and d06 reason (details[0].debug.reason); more
# checks of the error body may follow (e.g. details.0.debug.metadata.field=unit.code).
err() {
  local method=$1 data=$2 want_status=$3 want_code=$4 want_reason=$5
  shift 5
  COVERED_ERR+=("$method")
  CHECKS=$((CHECKS + 1))
  post "d06.v1.$method" "$data"
  check_error "$method $data" "$want_status" "$want_code" "$want_reason" "$@"
}

# check_error LABEL HTTP_STATUS CODE REASON [PATH=VALUE ...]: the last answer is that error.
check_error() {
  local label=$1 want_status=$2 want_code=$3 want_reason=$4
  shift 4
  if [[ $STATUS != "$want_status" ]]; then
    fail "$label: HTTP $STATUS, want $want_status: $(cat "$BODY")"
    return 0
  fi
  grep -qi '^content-type: application/json' "$WORK/headers" ||
    fail "$label: the error is not application/json"
  local got=()
  mapfile -t got < <(json "$BODY" code details.0.type details.0.debug.reason \
    details.0.debug.domain message)
  [[ ${got[0]} == "$want_code" ]] || fail "$label: code '${got[0]}', want '$want_code': $(cat "$BODY")"
  [[ ${got[1]} == d06.v1.ErrorInfo ]] || fail "$label: details[0].type '${got[1]}'"
  [[ ${got[2]} == "$want_reason" ]] ||
    fail "$label: reason '${got[2]}', want '$want_reason': $(cat "$BODY")"
  [[ ${got[3]} == d06.gov.vn ]] || fail "$label: details[0].debug.domain '${got[3]}'"
  [[ -n ${got[4]} ]] || fail "$label: no message"
  expect_fields "$label" "$@"
}

# field FILE PATH: one value of the last answer.
field() { json "$BODY" "$1"; }

ACTOR="nguyen.van.an@nghean.gov.vn"
TOKEN=""
start_d06d main --auth=off --backup_dir="$WORK/backups"
MAIN_HTTP=$HTTP
echo "d06d serving HTTP on 127.0.0.1:$HTTP, gRPC on $GRPC"

# Today and this year in Asia/Ho_Chi_Minh, the server's calendar.
read -r YEAR MONTH DAY < <(TZ=Asia/Ho_Chi_Minh date '+%Y %-m %-d')
NEXT_YEAR=$((YEAR + 1))
TODAY="{\"year\":$YEAR,\"month\":$MONTH,\"day\":$DAY}"

# ---------------------------------------------------------------------------------------
# UnitService
ok UnitService/CreateUnit '{"unit":{"code":"H40","adminCode":"40","displayName":"Ủy ban nhân dân tỉnh Nghệ An","kind":"UNIT_KIND_PROVINCE"}}' \
  unit.name=units/H40 unit.state=UNIT_STATE_ACTIVE "unit.displayName=Ủy ban nhân dân tỉnh Nghệ An"
ok UnitService/CreateUnit '{"unit":{"code":"H40.12","displayName":"Sở Thông tin và Truyền thông tỉnh Nghệ An","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H40"},"requestId":"tao-don-vi-h40-12"}' \
  unit.name=units/H40.12 unit.parent=units/H40
UNIT_ETAG=$(field unit.etag)
# The same request_id again: the first answer, applied once.
ok UnitService/CreateUnit '{"unit":{"code":"H40.12","displayName":"Sở Thông tin và Truyền thông tỉnh Nghệ An","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H40"},"requestId":"tao-don-vi-h40-12"}' \
  unit.name=units/H40.12 "unit.etag=$UNIT_ETAG"
ok UnitService/CreateUnit '{"unit":{"code":"H40.05","displayName":"Công an tỉnh Nghệ An","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H40"}}'
ok UnitService/CreateUnit '{"unit":{"code":"H40.20","displayName":"Sở Tư pháp tỉnh Nghệ An","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H40"}}'
err UnitService/CreateUnit '{"unit":{"code":"H40.12","displayName":"Sở Thông tin và Truyền thông tỉnh Nghệ An (bản khác)","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H40"},"requestId":"tao-don-vi-h40-12"}' \
  400 invalid_argument REQUEST_ID_REUSED
err UnitService/CreateUnit '{"unit":{"code":"h40.xã","displayName":"Xã Nghi Phong","kind":"UNIT_KIND_COMMUNE","parent":"units/H40"}}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=unit.code
err UnitService/CreateUnit '{"unit":{"code":"H40.30","displayName":"Sở Y tế tỉnh Nghệ An","kind":"UNIT_KIND_DEPARTMENT","parent":"tinh/H40"}}' \
  400 invalid_argument INVALID_NAME
err UnitService/CreateUnit '{"unit":{"code":"H40","displayName":"Tỉnh Nghệ An","kind":"UNIT_KIND_PROVINCE"}}' \
  409 already_exists ALREADY_EXISTS
err UnitService/CreateUnit '{"unit":{"code":"H99.01","displayName":"Sở Tài chính","kind":"UNIT_KIND_DEPARTMENT","parent":"units/H99"}}' \
  404 not_found NOT_FOUND
err UnitService/CreateUnit '{"unit":{"code":"H40.31","displayName":"Sở Xây dựng tỉnh Nghệ An","kind":99,"parent":"units/H40"}}' \
  400 invalid_argument INVALID_FIELD
err UnitService/CreateUnit '{"unit":{"code":"H40.31","displayName":"Sở Xây dựng tỉnh Nghệ An","kind":"UNIT_KIND_PHUONG","parent":"units/H40"}}' \
  400 invalid_argument MALFORMED_REQUEST
# A field the server does not know is ignored (Connect's behaviour: clients of a newer
# schema keep working); here the display name it was meant to be is then missing.
err UnitService/CreateUnit '{"unit":{"code":"H40.31","tenDonVi":"Sở Xây dựng"}}' \
  400 invalid_argument INVALID_FIELD
err UnitService/CreateUnit '{"unit":' 400 invalid_argument MALFORMED_REQUEST

ok UnitService/GetUnit '{"name":"units/H40"}' unit.code=H40 unit.adminCode=40 unit.kind=UNIT_KIND_PROVINCE
ok UnitService/GetUnit '{"name":"units/H40.12"}' "unit.etag=$UNIT_ETAG"
ok UnitService/GetUnit '{"name":"units/H40","truongMoi":{"a":[1,2]},"khac":1}' unit.code=H40
err UnitService/GetUnit '{"name":"H40"}' 400 invalid_argument INVALID_NAME
err UnitService/GetUnit '{"name":"units/H01"}' 404 not_found NOT_FOUND details.0.debug.metadata.resource=units/H01

ok UnitService/ListUnits '{"filter":"parent = \"units/H40\""}' units.0.name=units/H40.05 \
  units.1.name=units/H40.12 units.2.name=units/H40.20 units.3.name= nextPageToken=
ok UnitService/ListUnits '{"pageSize":2}' units.0.name=units/H40 units.2.name=
[[ -n $(field nextPageToken) ]] || fail "ListUnits pageSize 2: no nextPageToken"
err UnitService/ListUnits '{"filter":"kind == TINH"}' 400 invalid_argument INVALID_FILTER
err UnitService/ListUnits '{"pageSize":-1}' 400 invalid_argument INVALID_FIELD
err UnitService/ListUnits '{"pageToken":"khong-phai-token"}' 400 invalid_argument INVALID_PAGE_TOKEN

ok UnitService/UpdateUnit "{\"unit\":{\"name\":\"units/H40.12\",\"displayName\":\"Sở Khoa học và Công nghệ tỉnh Nghệ An\",\"etag\":\"$UNIT_ETAG\"},\"updateMask\":\"displayName\"}" \
  "unit.displayName=Sở Khoa học và Công nghệ tỉnh Nghệ An"
err UnitService/UpdateUnit "{\"unit\":{\"name\":\"units/H40.12\",\"displayName\":\"Sở Thông tin và Truyền thông\",\"etag\":\"$UNIT_ETAG\"},\"updateMask\":\"displayName\"}" \
  409 aborted STALE_ETAG
err UnitService/UpdateUnit '{"unit":{"name":"units/H40.12","displayName":"Sở KH&CN"}}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=update_mask
err UnitService/UpdateUnit '{"unit":{"name":"units/H40.12","code":"H41"},"updateMask":"code"}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=update_mask
err UnitService/UpdateUnit '{"unit":{"name":"units/H77","displayName":"Tỉnh X"},"updateMask":"displayName"}' \
  404 not_found NOT_FOUND
err UnitService/UpdateUnit '{"unit":{"name":"don-vi/H40","displayName":"Tỉnh X"},"updateMask":"displayName"}' \
  400 invalid_argument INVALID_NAME
ok UnitService/RenameUnit "{\"name\":\"units/H40.12\",\"displayName\":\"Sở Khoa học và Công nghệ\",\"effectiveDate\":{\"year\":$YEAR,\"month\":1,\"day\":1},\"reason\":\"Quyết định 1/QĐ-UBND\"}" \
  "unit.displayName=Sở Khoa học và Công nghệ" "unit.history.1.reason=Quyết định 1/QĐ-UBND"
err UnitService/RenameUnit '{"name":"units/H40.12","displayName":"Sở X","effectiveDate":{"year":2999,"month":1,"day":1}}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=effective_date
ok UnitService/CreateUnit '{"unit":{"code":"H40.05.01","displayName":"Phòng Cảnh sát quản lý hành chính","kind":"UNIT_KIND_OTHER","parent":"units/H40.05"}}'
ok UnitService/MoveUnit "{\"name\":\"units/H40.05.01\",\"newParent\":\"units/H40.12\",\"effectiveDate\":{\"year\":$YEAR,\"month\":1,\"day\":1},\"reason\":\"Quyết định 2/QĐ-UBND\"}" \
  unit.parent=units/H40.12 movedUnits=1 unit.history.0.parent=units/H40.05
err UnitService/MoveUnit '{"name":"units/H40.12","newParent":"units/H40.12","effectiveDate":{"year":2020,"month":1,"day":1}}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=new_parent
err UnitService/MoveUnit '{"name":"units/H40","newParent":"units/H40.12","effectiveDate":{"year":2020,"month":1,"day":1}}' \
  400 failed_precondition UNIT_TREE_CYCLE
for code in H40.30 H40.31 H40.32; do
  ok UnitService/CreateUnit "{\"unit\":{\"code\":\"$code\",\"displayName\":\"Xã $code\",\"kind\":\"UNIT_KIND_COMMUNE\",\"parent\":\"units/H40\"}}"
done
ok UnitService/MergeUnits "{\"names\":[\"units/H40.30\"],\"successor\":\"units/H40.31\",\"effectiveDate\":{\"year\":$YEAR,\"month\":1,\"day\":1},\"reason\":\"Nghị quyết 3/NQ-HĐND\"}" \
  merged.0.state=UNIT_STATE_MERGED merged.0.successor=units/H40.31 successor.name=units/H40.31
err UnitService/MergeUnits '{"names":["units/H40.31"],"successor":"units/H40.31","effectiveDate":{"year":2020,"month":1,"day":1}}' \
  400 invalid_argument INVALID_FIELD
ok UnitService/DissolveUnit "{\"name\":\"units/H40.32\",\"successor\":\"units/H40.31\",\"effectiveDate\":{\"year\":$YEAR,\"month\":1,\"day\":1},\"reason\":\"Nghị quyết 4/NQ-HĐND\"}" \
  unit.state=UNIT_STATE_DISSOLVED unit.successor=units/H40.31
err UnitService/DissolveUnit '{"name":"units/H40.30","successor":"units/H40.31","effectiveDate":{"year":2020,"month":1,"day":1}}' \
  400 failed_precondition UNIT_NOT_ACTIVE

# ---------------------------------------------------------------------------------------
# TaskService: tasks.
ok TaskService/CreateTask "{\"task\":{\"title\":\"Triển khai cấp căn cước và định danh điện tử mức 2 cho người dân\",\"content\":\"Phối hợp Công an tỉnh tổ chức cấp căn cước tại các xã, phường.\",\"category\":\"Dịch vụ công\",\"urgency\":\"URGENCY_FOCUS\",\"kind\":\"TASK_KIND_ONE_OFF\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":6,\"day\":30},\"assigningUnit\":\"units/H40\",\"labels\":[\"$YEAR\",\"kế hoạch 15\"],\"directive\":{\"number\":\"452/TTg-KSTT\",\"issuer\":\"Thủ tướng Chính phủ\"}},\"assignments\":[{\"unit\":\"units/H40.12\",\"role\":\"ASSIGNMENT_ROLE_LEAD\"},{\"unit\":\"units/H40.05\",\"role\":\"ASSIGNMENT_ROLE_SUPPORT\"}]}" \
  task.state=TASK_STATE_ACTIVE assignments.0.state=ASSIGNMENT_STATE_NOT_STARTED \
  assignments.1.role=ASSIGNMENT_ROLE_SUPPORT task.deadline.year=$NEXT_YEAR
TASK1=$(field task.name)
TASK1_ETAG=$(field task.etag)
[[ $TASK1 == tasks/* ]] || die "CreateTask: name '$TASK1'"
LEAD1=$TASK1/assignments/H40.12
SUPPORT1=$TASK1/assignments/H40.05
ok TaskService/CreateTask '{"task":{"title":"Báo cáo định kỳ tình hình thực hiện Đề án 06","kind":"TASK_KIND_RECURRING","cadence":"CADENCE_MONTHLY","assigningUnit":"units/H40"},"assignments":[{"unit":"units/H40.20","role":"ASSIGNMENT_ROLE_LEAD"}]}' \
  task.cadence=CADENCE_MONTHLY assignments.1.name=
RECURRING=$(field task.name)
RECURRING_LEAD=$RECURRING/assignments/H40.20
ok TaskService/CreateTask "{\"task\":{\"title\":\"Số hóa hồ sơ hộ tịch giai đoạn 2\",\"kind\":\"TASK_KIND_ONE_OFF\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":3,\"day\":31},\"assigningUnit\":\"units/H40\"},\"assignments\":[{\"unit\":\"units/H40.20\",\"role\":\"ASSIGNMENT_ROLE_LEAD\"}]}"
TASK3=$(field task.name)
TASK3_ETAG=$(field task.etag)
err TaskService/CreateTask '{"task":{"kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H40"}}' \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=task.title
err TaskService/CreateTask '{"task":{"title":"Nhiệm vụ thử","kind":"TASK_KIND_ONE_OFF","assigningUnit":"H40"}}' \
  400 invalid_argument INVALID_NAME
err TaskService/CreateTask '{"task":{"title":"Nhiệm vụ thử","kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H88"}}' \
  404 not_found NOT_FOUND
err TaskService/CreateTask '{"task":{"title":"Nhiệm vụ thử","kind":7,"assigningUnit":"units/H40"}}' \
  400 invalid_argument INVALID_FIELD
err TaskService/CreateTask "{\"task\":{\"title\":\"Báo cáo tuần\",\"kind\":\"TASK_KIND_RECURRING\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":1,\"day\":15},\"assigningUnit\":\"units/H40\"}}" \
  400 invalid_argument INVALID_FIELD
err TaskService/CreateTask '{"task":{"title":"Hai đơn vị chủ trì","kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H40"},"assignments":[{"unit":"units/H40.12","role":"ASSIGNMENT_ROLE_LEAD"},{"unit":"units/H40.05","role":"ASSIGNMENT_ROLE_LEAD"}]}' \
  400 failed_precondition LEAD_EXISTS

ok TaskService/GetTask "{\"name\":\"$TASK1\"}" "task.name=$TASK1" task.category="Dịch vụ công" \
  task.labels.1="kế hoạch 15" task.directive.number=452/TTg-KSTT
err TaskService/GetTask '{"name":"nhiem-vu/1"}' 400 invalid_argument INVALID_NAME
err TaskService/GetTask '{"name":"tasks/987654"}' 404 not_found NOT_FOUND

ok TaskService/ListTasks '{"filter":"assigning_unit = \"units/H40\" AND kind = RECURRING"}' \
  "tasks.0.name=$RECURRING" tasks.1.name=
ok TaskService/ListTasks '{"query":"can cuoc dinh danh"}' "tasks.0.name=$TASK1" tasks.1.name=
err TaskService/ListTasks '{"filter":"trang_thai = ACTIVE"}' 400 invalid_argument INVALID_FILTER
err TaskService/ListTasks '{"query":"   "}' 400 invalid_argument INVALID_FIELD \
  details.0.debug.metadata.field=query

ok TaskService/UpdateTask "{\"task\":{\"name\":\"$TASK1\",\"title\":\"Triển khai cấp căn cước và tài khoản định danh điện tử mức 2\",\"etag\":\"$TASK1_ETAG\"},\"updateMask\":\"title\"}" \
  "task.title=Triển khai cấp căn cước và tài khoản định danh điện tử mức 2"
err TaskService/UpdateTask "{\"task\":{\"name\":\"$TASK1\",\"title\":\"Tiêu đề cũ\",\"etag\":\"$TASK1_ETAG\"},\"updateMask\":\"title\"}" \
  409 aborted STALE_ETAG
err TaskService/UpdateTask "{\"task\":{\"name\":\"$TASK1\",\"assigningUnit\":\"units/H40.05\"},\"updateMask\":\"assigningUnit\"}" \
  400 invalid_argument INVALID_FIELD details.0.debug.metadata.field=update_mask
err TaskService/UpdateTask '{"task":{"name":"tasks/987654","title":"Không có"},"updateMask":"title"}' \
  404 not_found NOT_FOUND
err TaskService/UpdateTask '{"task":{"name":"987654","title":"Không có"},"updateMask":"title"}' \
  400 invalid_argument INVALID_NAME

# CreateAssignment before the cancellation of TASK3 (coordinating unit on TASK1).
ok TaskService/CreateAssignment "{\"parent\":\"$TASK1\",\"assignment\":{\"unit\":\"units/H40.20\",\"role\":\"ASSIGNMENT_ROLE_SUPPORT\"}}" \
  "assignment.name=$TASK1/assignments/H40.20" assignment.state=ASSIGNMENT_STATE_NOT_STARTED \
  assignment.deadline.month=6
err TaskService/CreateAssignment "{\"parent\":\"$TASK1\",\"assignment\":{\"unit\":\"units/H40.20\",\"role\":\"ASSIGNMENT_ROLE_SUPPORT\"}}" \
  409 already_exists ALREADY_EXISTS
err TaskService/CreateAssignment "{\"parent\":\"$TASK1\",\"assignment\":{\"unit\":\"units/H40\",\"role\":\"ASSIGNMENT_ROLE_LEAD\"}}" \
  400 failed_precondition LEAD_EXISTS details.0.debug.metadata.lead=units/H40.12
err TaskService/CreateAssignment "{\"parent\":\"$TASK1\",\"assignment\":{\"unit\":\"units/H40.99\",\"role\":\"ASSIGNMENT_ROLE_SUPPORT\"}}" \
  404 not_found NOT_FOUND
err TaskService/CreateAssignment "{\"parent\":\"$TASK1\",\"assignment\":{\"unit\":\"units/H40\"}}" \
  400 invalid_argument INVALID_FIELD
err TaskService/CreateAssignment '{"parent":"tasks","assignment":{"unit":"units/H40","role":"ASSIGNMENT_ROLE_SUPPORT"}}' \
  400 invalid_argument INVALID_NAME

ok TaskService/CancelTask "{\"name\":\"$TASK3\",\"reason\":\"Nhiệm vụ đã được giao trong kế hoạch khác\",\"etag\":\"$TASK3_ETAG\"}" \
  task.state=TASK_STATE_CANCELLED "task.cancelReason=Nhiệm vụ đã được giao trong kế hoạch khác"
err TaskService/CancelTask "{\"name\":\"$TASK3\",\"reason\":\"Hủy lần hai\"}" \
  400 failed_precondition TASK_CANCELLED
err TaskService/CancelTask "{\"name\":\"$TASK1\"}" 400 invalid_argument INVALID_FIELD
err TaskService/CancelTask "{\"name\":\"$TASK1\",\"reason\":\"Hủy\",\"etag\":\"$TASK1_ETAG\"}" \
  409 aborted STALE_ETAG
err TaskService/CancelTask '{"name":"tasks/987654","reason":"Hủy"}' 404 not_found NOT_FOUND
err TaskService/CancelTask '{"name":"tasks/abc/def","reason":"Hủy"}' 400 invalid_argument INVALID_NAME
err TaskService/UpdateTask "{\"task\":{\"name\":\"$TASK3\",\"title\":\"Sửa nhiệm vụ đã hủy\"},\"updateMask\":\"title\"}" \
  400 failed_precondition TASK_CANCELLED
err TaskService/CreateAssignment "{\"parent\":\"$TASK3\",\"assignment\":{\"unit\":\"units/H40.12\",\"role\":\"ASSIGNMENT_ROLE_SUPPORT\"}}" \
  400 failed_precondition TASK_CANCELLED

ok TaskService/GetAssignment "{\"name\":\"$LEAD1\"}" assignment.unit=units/H40.12 \
  assignment.role=ASSIGNMENT_ROLE_LEAD assignment.timeliness=TIMELINESS_ON_TIME
err TaskService/GetAssignment "{\"name\":\"$TASK1/assignments\"}" 400 invalid_argument INVALID_NAME
err TaskService/GetAssignment "{\"name\":\"$TASK1/assignments/H40.77\"}" 404 not_found NOT_FOUND

ok TaskService/ListAssignments '{"parent":"tasks/-","filter":"unit_tree = \"units/H40\" AND role = LEAD AND state = NOT_STARTED"}' \
  "assignments.0.name=$LEAD1" "assignments.1.name=$RECURRING_LEAD" assignments.2.name=
ok TaskService/ListAssignments "{\"parent\":\"$TASK1\"}" "assignments.0.name=$SUPPORT1" \
  "assignments.1.name=$LEAD1" "assignments.2.name=$TASK1/assignments/H40.20"
err TaskService/ListAssignments '{"parent":"tasks"}' 400 invalid_argument INVALID_NAME
err TaskService/ListAssignments '{"parent":"tasks/-","filter":"unit = \"units/H40\" AND unit_tree = \"units/H40\""}' \
  400 invalid_argument INVALID_FILTER
err TaskService/ListAssignments '{"parent":"tasks/987654"}' 404 not_found NOT_FOUND

# ---------------------------------------------------------------------------------------
# TaskService: the lead's workflow, with an extension refused then approved.
ok TaskService/RequestExtension "{\"name\":\"$LEAD1\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":9,\"day\":30},\"reason\":\"Chờ thiết bị đầu đọc căn cước cho các xã\"}" \
  assignment.pendingExtension.deadline.month=9 "assignment.pendingExtension.requestedBy=$ACTOR"
err TaskService/RequestExtension "{\"name\":\"$LEAD1\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":10,\"day\":31},\"reason\":\"Xin thêm\"}" \
  400 failed_precondition EXTENSION_PENDING
err TaskService/RequestExtension "{\"name\":\"$LEAD1\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":2,\"day\":30},\"reason\":\"Ngày không hợp lệ\"}" \
  400 invalid_argument INVALID_FIELD
err TaskService/RequestExtension "{\"name\":\"$RECURRING_LEAD\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":10,\"day\":31},\"reason\":\"Không có hạn\"}" \
  400 failed_precondition INVALID_TRANSITION
err TaskService/RequestExtension '{"name":"tasks/987654/assignments/H40.12","deadline":{"year":2031,"month":1,"day":1},"reason":"x"}' \
  404 not_found NOT_FOUND
err TaskService/RefuseExtension "{\"name\":\"$LEAD1\"}" 400 invalid_argument INVALID_FIELD
ok TaskService/RefuseExtension "{\"name\":\"$LEAD1\",\"note\":\"Đề nghị bố trí thiết bị từ nguồn của tỉnh\"}" \
  assignment.pendingExtension= assignment.deadline.month=6
err TaskService/RefuseExtension "{\"name\":\"$LEAD1\",\"note\":\"Không có\"}" \
  400 failed_precondition NO_PENDING_EXTENSION
err TaskService/ApproveExtension "{\"name\":\"$LEAD1\"}" 400 failed_precondition NO_PENDING_EXTENSION
err TaskService/ApproveExtension '{"name":"tasks/x/assignments/H40.12"}' 400 invalid_argument INVALID_NAME
ok TaskService/RequestExtension "{\"name\":\"$LEAD1\",\"deadline\":{\"year\":$NEXT_YEAR,\"month\":8,\"day\":31},\"reason\":\"Chờ kinh phí bổ sung\"}"
ok TaskService/ApproveExtension "{\"name\":\"$LEAD1\",\"note\":\"Đồng ý gia hạn\"}" \
  assignment.deadline.month=8 assignment.extensionCount=1

ok TaskService/StartAssignment "{\"name\":\"$LEAD1\"}" assignment.state=ASSIGNMENT_STATE_IN_PROGRESS
LEAD1_ETAG=$(field assignment.etag)
err TaskService/StartAssignment "{\"name\":\"$LEAD1\"}" 400 failed_precondition INVALID_TRANSITION \
  details.0.debug.metadata.state=IN_PROGRESS details.0.debug.metadata.action=start
err TaskService/StartAssignment "{\"name\":\"$LEAD1\",\"etag\":\"khong-con-hieu-luc\"}" 409 aborted STALE_ETAG
err TaskService/StartAssignment '{"name":"tasks/987654/assignments/H40.12"}' 404 not_found NOT_FOUND
err TaskService/StartAssignment '{"name":"assignments/H40.12"}' 400 invalid_argument INVALID_NAME
err TaskService/StartAssignment "{\"name\":\"$TASK3/assignments/H40.20\"}" 400 failed_precondition TASK_CANCELLED

ok TaskService/ReportAssignmentProgress "{\"name\":\"$LEAD1\",\"etag\":\"$LEAD1_ETAG\",\"percent\":60,\"note\":\"Đã cấp 60% tài khoản định danh mức 2\"}" \
  assignment.progressPercent=60 "assignment.progressNote=Đã cấp 60% tài khoản định danh mức 2"
err TaskService/ReportAssignmentProgress "{\"name\":\"$LEAD1\",\"percent\":150}" \
  400 invalid_argument INVALID_FIELD
err TaskService/ReportAssignmentProgress "{\"name\":\"$LEAD1\",\"etag\":\"$LEAD1_ETAG\",\"percent\":70}" \
  409 aborted STALE_ETAG

ok TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đề nghị đẩy nhanh tiến độ, báo cáo trước ngày 15\"}" \
  assignment.urgeCount=1 event.action=EVENT_ACTION_URGE "event.actor=$ACTOR"
err TaskService/UrgeAssignment "{\"name\":\"$LEAD1\"}" 400 invalid_argument INVALID_FIELD
err TaskService/UrgeAssignment '{"name":"tasks/987654/assignments/H40.12","message":"Đôn đốc"}' 404 not_found NOT_FOUND

ok TaskService/SubmitAssignment "{\"name\":\"$LEAD1\",\"note\":\"Hoàn thành cấp tài khoản cho 100% công dân đủ điều kiện\"}" \
  assignment.state=ASSIGNMENT_STATE_PENDING_ACCEPTANCE assignment.submitDate.year=$YEAR
err TaskService/SubmitAssignment "{\"name\":\"$LEAD1\"}" 400 failed_precondition INVALID_TRANSITION \
  details.0.debug.metadata.action=submit
err TaskService/SubmitAssignment '{"name":"tasks/987654/assignments/H40.12"}' 404 not_found NOT_FOUND

err TaskService/ReturnAssignment "{\"name\":\"$LEAD1\"}" 400 invalid_argument INVALID_FIELD
ok TaskService/ReturnAssignment "{\"name\":\"$LEAD1\",\"reason\":\"Thiếu số liệu của huyện Quỳnh Lưu\"}" \
  assignment.state=ASSIGNMENT_STATE_IN_PROGRESS "assignment.lastReason=Thiếu số liệu của huyện Quỳnh Lưu"
err TaskService/ReturnAssignment "{\"name\":\"$LEAD1\",\"reason\":\"Trả lại lần hai\"}" \
  400 failed_precondition INVALID_TRANSITION details.0.debug.metadata.action=return
ok TaskService/SubmitAssignment "{\"name\":\"$LEAD1\",\"note\":\"Đã bổ sung số liệu\"}"

ok TaskService/ApproveAssignment "{\"name\":\"$LEAD1\"}" assignment.state=ASSIGNMENT_STATE_COMPLETED \
  assignment.progressPercent=100 assignment.timeliness=TIMELINESS_COMPLETED_ON_TIME
err TaskService/ApproveAssignment "{\"name\":\"$LEAD1\"}" 400 failed_precondition INVALID_TRANSITION \
  details.0.debug.metadata.state=COMPLETED details.0.debug.metadata.action=approve
err TaskService/ApproveAssignment '{"name":"tasks/987654/assignments/H40.12"}' 404 not_found NOT_FOUND
err TaskService/RevokeAssignment "{\"name\":\"$LEAD1\",\"reason\":\"Thu hồi\"}" \
  400 failed_precondition INVALID_TRANSITION details.0.debug.metadata.action=revoke
err TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc việc đã xong\"}" \
  400 failed_precondition INVALID_TRANSITION

# The coordinating unit declines, is reopened, declines again and is revoked.
err TaskService/DeclineAssignment "{\"name\":\"$SUPPORT1\"}" 400 invalid_argument INVALID_FIELD
ok TaskService/DeclineAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Không thuộc chức năng, nhiệm vụ của đơn vị\"}" \
  assignment.state=ASSIGNMENT_STATE_DECLINED assignment.timeliness=TIMELINESS_NOT_APPLICABLE
err TaskService/DeclineAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Lần hai\"}" \
  400 failed_precondition INVALID_TRANSITION
err TaskService/DeclineAssignment '{"name":"tasks/987654/assignments/H40.05"}' 400 invalid_argument INVALID_FIELD
err TaskService/DeclineAssignment '{"name":"tasks/987654/assignments/H40.05","reason":"x"}' 404 not_found NOT_FOUND
err TaskService/ReopenAssignment "{\"name\":\"$SUPPORT1\"}" 400 invalid_argument INVALID_FIELD
ok TaskService/ReopenAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Công an tỉnh là đơn vị phối hợp theo Kế hoạch 15\"}" \
  assignment.state=ASSIGNMENT_STATE_NOT_STARTED
err TaskService/ReopenAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Mở lại lần hai\"}" \
  400 failed_precondition INVALID_TRANSITION details.0.debug.metadata.action=reopen
ok TaskService/ReopenAssignment "{\"name\":\"$LEAD1\",\"reason\":\"Kiểm tra phát hiện còn thiếu\"}" \
  assignment.state=ASSIGNMENT_STATE_IN_PROGRESS
err TaskService/RevokeAssignment "{\"name\":\"$SUPPORT1\"}" 400 invalid_argument INVALID_FIELD
ok TaskService/RevokeAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Điều chỉnh đơn vị phối hợp\"}" \
  assignment.state=ASSIGNMENT_STATE_REVOKED
err TaskService/RevokeAssignment "{\"name\":\"$SUPPORT1\",\"reason\":\"Lần hai\"}" \
  400 failed_precondition INVALID_TRANSITION details.0.debug.metadata.state=REVOKED
err TaskService/RevokeAssignment '{"name":"tasks/987654/assignments/H40.05","reason":"x"}' 404 not_found NOT_FOUND
err TaskService/ReopenAssignment '{"name":"tasks/987654/assignments/H40.05","reason":"x"}' 404 not_found NOT_FOUND
err TaskService/ReturnAssignment '{"name":"tasks/987654/assignments/H40.05","reason":"x"}' 404 not_found NOT_FOUND
err TaskService/RefuseExtension '{"name":"tasks/987654/assignments/H40.05","note":"x"}' 404 not_found NOT_FOUND
err TaskService/ApproveExtension '{"name":"tasks/987654/assignments/H40.05"}' 404 not_found NOT_FOUND

# Period reports of the recurring task.
ok TaskService/FilePeriodReport "{\"name\":\"$RECURRING_LEAD\",\"period\":$TODAY,\"note\":\"Tháng này đã tiếp nhận 1.250 hồ sơ trực tuyến\"}" \
  assignment.state=ASSIGNMENT_STATE_IN_PROGRESS "periodReport.name=$RECURRING_LEAD/periodReports/$(printf '%04d-%02d-01' "$YEAR" "$MONTH")" \
  "periodReport.reportedBy=$ACTOR"
err TaskService/FilePeriodReport "{\"name\":\"$RECURRING_LEAD\",\"period\":$TODAY,\"note\":\"Lần hai\"}" \
  400 failed_precondition PERIOD_NOT_NEXT
err TaskService/FilePeriodReport "{\"name\":\"$RECURRING_LEAD\",\"period\":{\"year\":$NEXT_YEAR,\"month\":12,\"day\":1}}" \
  400 invalid_argument INVALID_FIELD
err TaskService/FilePeriodReport "{\"name\":\"$RECURRING_LEAD\"}" 400 invalid_argument INVALID_FIELD
err TaskService/FilePeriodReport "{\"name\":\"$LEAD1\",\"period\":$TODAY}" \
  400 failed_precondition INVALID_TRANSITION
err TaskService/FilePeriodReport "{\"name\":\"tasks/987654/assignments/H40.20\",\"period\":$TODAY}" \
  404 not_found NOT_FOUND

ok TaskService/ListPeriodReports "{\"parent\":\"$RECURRING_LEAD\"}" \
  "periodReports.0.note=Tháng này đã tiếp nhận 1.250 hồ sơ trực tuyến" periodReports.1.name=
err TaskService/ListPeriodReports "{\"parent\":\"$RECURRING\"}" 400 invalid_argument INVALID_NAME
err TaskService/ListPeriodReports '{"parent":"tasks/987654/assignments/H40.20"}' 404 not_found NOT_FOUND

ok TaskService/ListUrges "{\"parent\":\"$LEAD1\"}" \
  "events.0.reason=Đề nghị đẩy nhanh tiến độ, báo cáo trước ngày 15" events.1.reason=
err TaskService/ListUrges "{\"parent\":\"$TASK1\"}" 400 invalid_argument INVALID_NAME
err TaskService/ListUrges '{"parent":"tasks/987654/assignments/H40.12"}' 404 not_found NOT_FOUND

ok TaskService/ListTaskEvents "{\"parent\":\"$TASK1\"}" events.0.action=EVENT_ACTION_CREATE_TASK \
  "events.0.actor=$ACTOR" events.1.action=EVENT_ACTION_CREATE_ASSIGNMENT
err TaskService/ListTaskEvents '{"parent":"tasks"}' 400 invalid_argument INVALID_NAME
err TaskService/ListTaskEvents '{"parent":"tasks/987654"}' 404 not_found NOT_FOUND
err TaskService/ListTaskEvents "{\"parent\":\"$TASK1\",\"pageSize\":-5}" 400 invalid_argument INVALID_FIELD

# ---------------------------------------------------------------------------------------
# ReportService: TASK1's lead is in progress again (reopened), the recurring task's lead
# reported; TASK3 was cancelled (its lead revoked).
ok ReportService/GetSummary '{"unit":"units/H40"}' total.total=2 total.recurring=1 \
  total.inProgressOnTime=1 total.completed= total.revoked=1 total.urges=1 \
  total.completedRatio=0/2 unit=units/H40
ok ReportService/GetSummary '{"unit":"units/H40","groupBy":"SUMMARY_GROUP_BY_CHILD_UNIT"}' \
  rows.0.unit=units/H40 rows.0.own=true rows.1.unit=units/H40.05 rows.2.unit=units/H40.12 \
  rows.2.counts.total=1
err ReportService/GetSummary '{}' 400 invalid_argument INVALID_FIELD
err ReportService/GetSummary '{"unit":"H40"}' 400 invalid_argument INVALID_NAME
err ReportService/GetSummary '{"unit":"units/H12"}' 404 not_found NOT_FOUND
err ReportService/GetSummary '{"unit":"units/H40","groupBy":42}' 400 invalid_argument INVALID_FIELD
err ReportService/GetSummary "{\"unit\":\"units/H40\",\"asOf\":{\"year\":$NEXT_YEAR,\"month\":1,\"day\":1}}" \
  400 invalid_argument INVALID_FIELD

# Backups and the consistency check (an admin of every unit; with --auth=off, anyone).
ok AdminService/CreateBackup '{}' backup.name=backups/1
ok AdminService/ListBackups '{}' backups.0.name=backups/1 backups.1.name=
ok AdminService/VerifyBackup '{"name":"backups/1"}'
err AdminService/VerifyBackup '{"name":"backups/9"}' 404 not_found NOT_FOUND
ok AdminService/CheckConsistency '{}' problemCount=
err AdminService/CheckConsistency '{"pastDate":{"year":2026,"month":13,"day":1}}' \
  400 invalid_argument INVALID_FIELD
err AdminService/CreateBackup '{"x":' 400 invalid_argument MALFORMED_REQUEST
err AdminService/ListBackups '{"x":' 400 invalid_argument MALFORMED_REQUEST
ok AdminService/DeleteBackup '{"name":"backups/1"}'
err AdminService/DeleteBackup '{"name":"backup/1"}' 400 invalid_argument INVALID_NAME

# ---------------------------------------------------------------------------------------
# Authentication required (d06d's default): a d06d of its own, its first administrator
# made by bootstrap-admin, whose token (its one line on stdout) goes in Authorization.
"$D06D" bootstrap-admin --data_dir="$WORK/auth-data" --name="Quản trị viên" \
  >"$WORK/admin.token" 2>"$WORK/bootstrap.log" || die "d06d bootstrap-admin failed"
ADMIN_TOKEN=$(cat "$WORK/admin.token")
[[ $ADMIN_TOKEN =~ ^d06_[A-Za-z0-9]+$ ]] || die "bootstrap-admin printed '$ADMIN_TOKEN', not a token"
OFF_HTTP=$HTTP
start_d06d auth
TOKEN=""
post d06.v1.UnitService/ListUnits '{}'
check_error "ListUnits without a token" 401 unauthenticated CREDENTIAL_MISSING
grep -qi '^www-authenticate: Bearer' "$WORK/headers" || fail "401 without WWW-Authenticate: Bearer"
TOKEN=d06_notatoken
post d06.v1.UnitService/ListUnits '{}'
check_error "ListUnits with a malformed token" 401 unauthenticated TOKEN_MALFORMED
TOKEN=$ADMIN_TOKEN
ok AccessService/WhoAmI '{}' method=token principal.name=principals/admin \
  "principal.displayName=Quản trị viên"
err AccessService/WhoAmI '{"unknown":1,"x":' 400 invalid_argument MALFORMED_REQUEST
ok AccessService/GetServerInfo '{}'
err AccessService/GetServerInfo '{"unknown":1,"x":' 400 invalid_argument MALFORMED_REQUEST
ok UnitService/CreateUnit '{"unit":{"code":"A40","displayName":"Tỉnh A40","kind":"UNIT_KIND_PROVINCE"}}'
ok AccessService/CreatePrincipal \
  '{"principalId":"tran-thi-binh","principal":{"displayName":"Trần Thị Bình","kind":"PRINCIPAL_KIND_PERSON","unit":"units/A40","bindings":[{"role":"ROLE_VIEWER","unit":"units/A40"}]}}' \
  principal.name=principals/tran-thi-binh principal.state=PRINCIPAL_STATE_ACTIVE
err AccessService/CreatePrincipal \
  '{"principalId":"tran-thi-binh","principal":{"displayName":"Trần Thị Bình","kind":"PRINCIPAL_KIND_PERSON","unit":"units/A40"}}' \
  409 already_exists ALREADY_EXISTS
ok AccessService/GetPrincipal '{"name":"principals/tran-thi-binh"}' "principal.displayName=Trần Thị Bình"
err AccessService/GetPrincipal '{"name":"principals/nobody"}' 404 not_found NOT_FOUND
ok AccessService/ListPrincipals '{}'
err AccessService/ListPrincipals '{"filter":"colour = RED"}' 400 invalid_argument INVALID_FILTER
ok AccessService/UpdatePrincipal \
  '{"principal":{"name":"principals/tran-thi-binh","displayName":"Bà Trần Thị Bình"},"updateMask":"displayName"}' \
  "principal.displayName=Bà Trần Thị Bình"
err AccessService/UpdatePrincipal '{"principal":{"name":"principals/tran-thi-binh"}}' \
  400 invalid_argument INVALID_FIELD
EXPIRE=$(date -u -d '+1 day' '+%Y-%m-%dT%H:%M:%SZ')
ok AccessService/CreateToken \
  "{\"parent\":\"principals/tran-thi-binh\",\"token\":{\"displayName\":\"curl\",\"expireTime\":\"$EXPIRE\"}}"
BINH_TOKEN=$(field secret)
BINH_TOKEN_NAME=$(field token.name)
[[ $BINH_TOKEN =~ ^d06_ ]] || fail "CreateToken: secret '$BINH_TOKEN'"
err AccessService/CreateToken '{"parent":"principals/tran-thi-binh","token":{"displayName":"curl"}}' \
  400 invalid_argument INVALID_FIELD
ok AccessService/ListTokens '{"parent":"principals/tran-thi-binh"}' "tokens.0.name=$BINH_TOKEN_NAME"
err AccessService/ListTokens '{"parent":"principals/nobody"}' 404 not_found NOT_FOUND
TOKEN=$BINH_TOKEN
ok AccessService/WhoAmI '{}' "principal.displayName=Bà Trần Thị Bình" method=token
TOKEN=$ADMIN_TOKEN
ok AccessService/RevokeToken "{\"name\":\"$BINH_TOKEN_NAME\"}"
err AccessService/RevokeToken '{"name":"tokens/1"}' 400 invalid_argument INVALID_NAME
TOKEN=$BINH_TOKEN
post d06.v1.AccessService/WhoAmI '{}'
check_error "WhoAmI with a revoked token" 401 unauthenticated TOKEN_REVOKED
grep -q '"Authorization' "$REPO/server/api/http_transport.cc" 2>/dev/null || true
TOKEN=""
HTTP=$OFF_HTTP

# ---------------------------------------------------------------------------------------
# Every unary RPC of proto/d06/v1 has a case above; server-streaming ones are listed.
UNARY=()
STREAMING=()
while read -r kind method; do
  if [[ $kind == unary ]]; then UNARY+=("$method"); else STREAMING+=("$method"); fi
done < <(perl -ne '
  $service = $1 if /^\s*service\s+(\w+)/;
  if (/^\s*rpc\s+(\w+)\s*\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?/) {
    print(($2 || $3 ? "streaming" : "unary"), " $service/$1\n");
  }' "$REPO"/proto/d06/v1/*.proto)
((${#UNARY[@]} >= 29)) || fail "only ${#UNARY[@]} unary RPCs read from proto/d06/v1"
for method in "${UNARY[@]}"; do
  [[ " ${COVERED_OK[*]} " == *" $method "* ]] ||
    fail "unary RPC $method has no happy-path case (ok) in $0: add one"
  [[ " ${COVERED_ERR[*]} " == *" $method "* ]] ||
    fail "unary RPC $method has no error case (err) in $0: add its errors"
done
echo "covered ${#UNARY[@]} unary RPCs; ${#STREAMING[@]} streaming: ${STREAMING[*]}"

# ---------------------------------------------------------------------------------------
# The transport.

# Streaming methods: 501 unimplemented, gRPC only.
for method in "${STREAMING[@]}"; do
  post "d06.v1.$method" '{}'
  check_error "$method (streaming)" 501 unimplemented UNIMPLEMENTED
  grep -q 'gRPC only' "$BODY" || fail "$method: the 501 does not say it is gRPC only: $(cat "$BODY")"
done
((${#STREAMING[@]} == 3)) || fail "want 3 streaming RPCs (ExportAssignments, ExportSummary, Watch), got ${STREAMING[*]}"

# The Connect error body: details[0].value is the unpadded base64 of the ErrorInfo.
post d06.v1.TaskService/GetTask '{"name":"tasks/987654"}'
VALUE=$(field details.0.value)
[[ $VALUE != *=* ]] || fail "details[0].value is padded: $VALUE"
DECODED=$(printf '%s' "$VALUE==" | base64 -d 2>/dev/null | tr -c '[:print:]' ' ' || true)
[[ $DECODED == *NOT_FOUND*d06.gov.vn*tasks/987654* ]] ||
  fail "details[0].value does not decode to the ErrorInfo: '$DECODED'"

# Content types: parameters allowed; missing or other types are 415 with Accept-Post.
CALL_CT='application/json; charset=utf-8' post d06.v1.UnitService/GetUnit '{"name":"units/H40"}'
[[ $STATUS == 200 ]] || fail "application/json; charset=utf-8: HTTP $STATUS"
CALL_CT=text/plain post d06.v1.UnitService/GetUnit '{"name":"units/H40"}'
check_error "Content-Type text/plain" 415 invalid_argument MALFORMED_REQUEST
grep -qi '^accept-post: application/json, application/proto' "$WORK/headers" ||
  fail "415 without Accept-Post"
CALL_CT='' post d06.v1.UnitService/GetUnit '{"name":"units/H40"}'
check_error "no Content-Type" 415 invalid_argument MALFORMED_REQUEST
CALL_CT=application/grpc-web+proto post d06.v1.UnitService/GetUnit '{"name":"units/H40"}'
check_error "Content-Type grpc-web" 415 invalid_argument MALFORMED_REQUEST

# application/proto: binary in, binary out.
proto_post() {  # proto_post PATH FILE
  STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
    -H 'Content-Type: application/proto' --data-binary "@$2" "http://127.0.0.1:$HTTP/$1")
}
printf '\x0a\x09units/H40' >"$WORK/get_unit.bin"  # GetUnitRequest{name: "units/H40"}
proto_post d06.v1.UnitService/GetUnit "$WORK/get_unit.bin"
[[ $STATUS == 200 ]] || fail "application/proto GetUnit: HTTP $STATUS"
grep -qi '^content-type: application/proto' "$WORK/headers" || fail "application/proto answered in another type"
grep -aqF 'Ủy ban nhân dân tỉnh Nghệ An' "$BODY" || fail "application/proto GetUnit: no display name in the answer"
: >"$WORK/empty.bin"  # an empty GetTaskRequest: no name
proto_post d06.v1.TaskService/GetTask "$WORK/empty.bin"
check_error "application/proto empty GetTask" 400 invalid_argument INVALID_NAME
printf '\x0a\xff\xff\xff' >"$WORK/garbage.bin"
proto_post d06.v1.TaskService/GetTask "$WORK/garbage.bin"
check_error "application/proto garbage" 400 invalid_argument MALFORMED_REQUEST

# Connect-Timeout-Ms: accepted when 1..10 digits; anything else is invalid_argument.
post d06.v1.UnitService/GetUnit '{"name":"units/H40"}' -H 'Connect-Timeout-Ms: 5000'
[[ $STATUS == 200 ]] || fail "Connect-Timeout-Ms 5000: HTTP $STATUS $(cat "$BODY")"
post d06.v1.UnitService/GetUnit '{"name":"units/H40"}' -H 'Connect-Timeout-Ms: 9999999999'
[[ $STATUS == 200 ]] || fail "Connect-Timeout-Ms 9999999999: HTTP $STATUS $(cat "$BODY")"
for bad in 5s -1 1.5 12345678901; do
  post d06.v1.UnitService/GetUnit '{"name":"units/H40"}' -H "Connect-Timeout-Ms: $bad"
  check_error "Connect-Timeout-Ms '$bad'" 400 invalid_argument MALFORMED_REQUEST
done
post d06.v1.UnitService/GetUnit '{"name":"units/H40"}' -H 'Connect-Protocol-Version: 1'
[[ $STATUS == 200 ]] || fail "Connect-Protocol-Version 1: HTTP $STATUS"
post d06.v1.UnitService/GetUnit '{"name":"units/H40"}' -H 'Connect-Protocol-Version: 2'
check_error "Connect-Protocol-Version 2" 400 invalid_argument MALFORMED_REQUEST

# The size limit: a body over 4 MiB is 413 with a Connect error.
head -c $((5 << 20)) /dev/zero | tr '\0' 'a' >"$WORK/big.txt"
{ printf '{"name":"'; cat "$WORK/big.txt"; printf '"}'; } >"$WORK/big.json"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' --data-binary "@$WORK/big.json" \
  "http://127.0.0.1:$HTTP/d06.v1.TaskService/GetTask" || true)
[[ $STATUS == 413 ]] || fail "a 5 MiB body: HTTP $STATUS, want 413"
[[ $(field code) == resource_exhausted ]] || fail "413 body: $(head -c 300 "$BODY")"

# Unknown paths and methods.
post d06.v1.TaskService/DeleteTask '{"name":"tasks/1"}'
check_error "unknown method" 501 unimplemented UNIMPLEMENTED
post d06.v1.NhiemVuService/GetTask '{"name":"tasks/1"}'
check_error "unknown service" 501 unimplemented UNIMPLEMENTED
post khong/co/duong/dan/nay '{}'
[[ $STATUS == 404 ]] || fail "POST to an unknown path: HTTP $STATUS, want 404"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  "http://127.0.0.1:$HTTP/khong-co-trang-nay.html")
check_error "GET an unknown page" 404 not_found NOT_FOUND
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  "http://127.0.0.1:$HTTP/d06.v1.TaskService/GetTask")
check_error "GET of a method without encoding and message" 415 invalid_argument MALFORMED_REQUEST
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X PUT \
  -H 'Content-Type: application/json' --data-binary '{}' \
  "http://127.0.0.1:$HTTP/d06.v1.TaskService/GetTask")
[[ $STATUS == 404 || $STATUS == 405 ]] || fail "PUT of a method: HTTP $STATUS, want 404 or 405"

# x-d06-actor is the actor of the audit events; "anonymous" without it; too long refused.
CALL_ACTOR=tran.thi.binh@nghean.gov.vn \
  post d06.v1.TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc lần 2\"}"
[[ $STATUS == 200 ]] || fail "UrgeAssignment with another actor: HTTP $STATUS"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' --data-binary "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc lần 3\"}" \
  "http://127.0.0.1:$HTTP/d06.v1.TaskService/UrgeAssignment")
[[ $STATUS == 200 ]] || fail "UrgeAssignment without an actor: HTTP $STATUS"
LONG_ACTOR=$(printf 'a%.0s' {1..201})
CALL_ACTOR=$LONG_ACTOR post d06.v1.TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc\"}"
check_error "a 201-byte actor" 400 invalid_argument INVALID_FIELD
post d06.v1.TaskService/ListUrges "{\"parent\":\"$LEAD1\"}"
expect_fields "ListUrges after three urges" "events.0.actor=$ACTOR" \
  events.1.actor=tran.thi.binh@nghean.gov.vn events.2.actor=anonymous events.3.actor=
post d06.v1.TaskService/ListTaskEvents "{\"parent\":\"$TASK1\",\"pageSize\":1000}"
[[ $(json "$BODY" events | grep -o '"actor":"[^"]*"' | sort -u | tr '\n' ' ') == \
  '"actor":"anonymous" "actor":"nguyen.van.an@nghean.gov.vn" "actor":"tran.thi.binh@nghean.gov.vn" ' ]] ||
  fail "ListTaskEvents actors: $(json "$BODY" events | grep -o '"actor":"[^"]*"' | sort -u | tr '\n' ' ')"

# Connect GET: the reads (NO_SIDE_EFFECTS in the .proto) answer GET; the others 405.
get() {  # get PATH [CURL ARGS...]
  local path=$1
  shift
  STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -G "$@" \
    "http://127.0.0.1:$HTTP/$path")
}
get d06.v1.UnitService/GetUnit -d encoding=json --data-urlencode 'message={"name":"units/H40"}'
[[ $STATUS == 200 ]] || fail "GET GetUnit: HTTP $STATUS $(cat "$BODY")"
expect_fields "GET GetUnit" unit.code=H40 "unit.displayName=Ủy ban nhân dân tỉnh Nghệ An"
grep -qi '^cache-control: .*no-cache' "$WORK/headers" || fail "GET GetUnit: no Cache-Control no-cache"
get d06.v1.UnitService/ListUnits -d encoding=json -d connect=v1 \
  --data-urlencode 'message={"filter":"parent = \"units/H40\"","pageSize":1}'
expect_fields "GET ListUnits" units.0.name=units/H40.05 units.1.name=
get d06.v1.ReportService/GetSummary -d encoding=json --data-urlencode 'message={"unit":"units/H40"}'
expect_fields "GET GetSummary" unit=units/H40 total.total=2
# application/proto, base64url without padding: GetUnitRequest{name: "units/H40"}.
MESSAGE=$(printf '\x0a\x09units/H40' | base64 | tr '+/' '-_' | tr -d '=')
get d06.v1.UnitService/GetUnit -d encoding=proto -d base64=1 -d "message=$MESSAGE"
[[ $STATUS == 200 ]] || fail "GET GetUnit (proto): HTTP $STATUS"
grep -qi '^content-type: application/proto' "$WORK/headers" || fail "GET proto answered in another type"
grep -aqF 'Ủy ban nhân dân tỉnh Nghệ An' "$BODY" || fail "GET GetUnit (proto): no display name"
get d06.v1.UnitService/GetUnit -d encoding=json --data-urlencode 'message={"name":"units/H01"}'
check_error "GET GetUnit of a missing unit" 404 not_found NOT_FOUND
get d06.v1.UnitService/CreateUnit -d encoding=json \
  --data-urlencode 'message={"unit":{"code":"H41","displayName":"Tỉnh Hà Tĩnh","kind":"UNIT_KIND_PROVINCE"}}'
[[ $STATUS == 405 ]] || fail "GET CreateUnit: HTTP $STATUS, want 405"
grep -qi '^allow: POST' "$WORK/headers" || fail "GET CreateUnit: no Allow: POST"
[[ $(field code) == unimplemented ]] || fail "GET CreateUnit: $(cat "$BODY")"
post d06.v1.UnitService/GetUnit '{"name":"units/H41"}'
[[ $STATUS == 404 ]] || fail "GET CreateUnit created units/H41"
get d06.v1.UnitService/GetUnit -d encoding=json -d compression=gzip --data-urlencode 'message={"name":"units/H40"}'
[[ $(field code) == unimplemented ]] || fail "GET with compression=gzip: HTTP $STATUS $(cat "$BODY")"

# The Host check: a Host the server is not known by is refused, whatever the route.
for request in "POST d06.v1.UnitService/GetUnit" "GET /" "GET d06.v1.UnitService/GetUnit?encoding=json&message=%7B%7D" \
  "OPTIONS d06.v1.UnitService/GetUnit"; do
  read -r verb path <<<"$request"
  data=()
  [[ $verb == POST ]] && data=(--data-binary '{"name":"units/H40"}')
  STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X "$verb" \
    -H 'Host: evil.example' -H 'Content-Type: application/json' -H 'Origin: https://portal.nghean.gov.vn' \
    "${data[@]}" "http://127.0.0.1:$HTTP/${path#/}")
  check_error "$verb $path with Host evil.example" 403 permission_denied HOST_NOT_ALLOWED
  grep -q 'http_allowed_hosts=evil.example' "$BODY" || fail "$verb $path: the 403 does not say how to allow the host: $(cat "$BODY")"
done
for host in localhost "localhost:$HTTP" "127.0.0.1:$HTTP" "[::1]:$HTTP"; do
  STATUS=$(curl -sS -o "$BODY" -w '%{http_code}' --max-time 20 -H "Host: $host" "http://127.0.0.1:$HTTP/")
  [[ $STATUS == 200 ]] || fail "GET / with Host $host: HTTP $STATUS"
done

# The actor over HTTP: UTF-8 in x-d06-actor as it is, or base64 in x-d06-actor-bin.
CALL_ACTOR='Nguyễn Văn An' post d06.v1.TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc lần 4\"}"
[[ $STATUS == 200 ]] || fail "UrgeAssignment by a Vietnamese actor: HTTP $STATUS $(cat "$BODY")"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' -H "x-d06-actor-bin: $(printf '%s' 'Trần Thị Bình' | base64)" \
  --data-binary "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc lần 5\"}" \
  "http://127.0.0.1:$HTTP/d06.v1.TaskService/UrgeAssignment")
[[ $STATUS == 200 ]] || fail "UrgeAssignment with x-d06-actor-bin: HTTP $STATUS $(cat "$BODY")"
post d06.v1.TaskService/ListUrges "{\"parent\":\"$LEAD1\"}"
expect_fields "ListUrges with Vietnamese actors" "events.3.actor=Nguyễn Văn An" "events.4.actor=Trần Thị Bình"
CALL_ACTOR=an post d06.v1.TaskService/UrgeAssignment "{\"name\":\"$LEAD1\",\"message\":\"Đôn đốc\"}" \
  -H "x-d06-actor-bin: $(printf '%s' 'Nguyễn Văn An' | base64)"
check_error "x-d06-actor and x-d06-actor-bin naming different actors" 400 invalid_argument INVALID_FIELD

# CORS: none by default.
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' -H 'Origin: https://portal.nghean.gov.vn' \
  --data-binary '{"name":"units/H40"}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/GetUnit")
[[ $STATUS == 200 ]] || fail "GetUnit with an Origin: HTTP $STATUS"
grep -qi '^access-control-' "$WORK/headers" && fail "CORS headers without --http_cors_origins"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X OPTIONS \
  -H 'Origin: https://portal.nghean.gov.vn' -H 'Access-Control-Request-Method: POST' \
  "http://127.0.0.1:$HTTP/d06.v1.UnitService/GetUnit")
[[ $STATUS != 2* ]] || fail "a preflight without --http_cors_origins: HTTP $STATUS"
grep -qi '^access-control-allow-origin' "$WORK/headers" && fail "a preflight allowed without --http_cors_origins"

# CORS: a second d06d with two origins (and a name it is reached by).
start_d06d cors --auth=off "--http_cors_origins=https://portal.nghean.gov.vn,https://dichvucong.hanoi.gov.vn" \
  --http_allowed_hosts=d06.nghean.gov.vn
STATUS=$(curl -sS -o "$BODY" -w '%{http_code}' --max-time 20 -H 'Host: d06.nghean.gov.vn' \
  -H 'Content-Type: application/json' --data-binary '{}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS == 200 ]] || fail "Host d06.nghean.gov.vn with --http_allowed_hosts: HTTP $STATUS $(cat "$BODY")"
STATUS=$(curl -sS -o "$BODY" -w '%{http_code}' --max-time 20 -H 'Host: d06.hanoi.gov.vn' \
  -H 'Content-Type: application/json' --data-binary '{}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS == 403 ]] || fail "Host d06.hanoi.gov.vn, not allowed: HTTP $STATUS"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X OPTIONS \
  -H 'Origin: https://dichvucong.hanoi.gov.vn' -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: content-type,connect-protocol-version,x-d06-actor' \
  "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS == 204 || $STATUS == 200 ]] || fail "preflight from an allowed origin: HTTP $STATUS"
grep -qi '^access-control-allow-origin: https://dichvucong.hanoi.gov.vn' "$WORK/headers" ||
  fail "preflight: no Access-Control-Allow-Origin: $(cat "$WORK/headers")"
grep -i '^access-control-allow-methods:' "$WORK/headers" | grep -qi post ||
  fail "preflight: POST not allowed"
for h in authorization content-type connect-protocol-version connect-timeout-ms x-d06-actor \
  x-d06-actor-bin; do
  grep -i '^access-control-allow-headers:' "$WORK/headers" | grep -qi "$h" ||
    fail "preflight: header $h not allowed"
done
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' -H 'Origin: https://portal.nghean.gov.vn' \
  --data-binary '{}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS == 200 ]] || fail "ListUnits from an allowed origin: HTTP $STATUS"
grep -qi '^access-control-allow-origin: https://portal.nghean.gov.vn' "$WORK/headers" ||
  fail "POST from an allowed origin: no Access-Control-Allow-Origin"
grep -qi '^vary: .*origin' "$WORK/headers" || fail "POST from an allowed origin: no Vary: Origin"
# Errors carry the CORS headers too (a browser page must be able to read them).
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' -H 'Origin: https://portal.nghean.gov.vn' \
  --data-binary '{"name":"units/H40"}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/GetUnit")
[[ $STATUS == 404 ]] || fail "GetUnit of a missing unit from an allowed origin: HTTP $STATUS"
grep -qi '^access-control-allow-origin: https://portal.nghean.gov.vn' "$WORK/headers" ||
  fail "an error to an allowed origin: no Access-Control-Allow-Origin"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X OPTIONS \
  -H 'Origin: https://evil.example.com' -H 'Access-Control-Request-Method: POST' \
  "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS != 2* ]] || fail "preflight from another origin: HTTP $STATUS"
grep -qi '^access-control-allow-origin' "$WORK/headers" && fail "preflight from another origin allowed"
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 \
  -H 'Content-Type: application/json' -H 'Origin: https://evil.example.com' \
  --data-binary '{}' "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
grep -qi '^access-control-allow-origin' "$WORK/headers" && fail "POST from another origin got CORS headers"

# CORS "*": any origin.
start_d06d cors_any --auth=off '--http_cors_origins=*'
STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X OPTIONS \
  -H 'Origin: https://cong-thong-tin.example.vn' -H 'Access-Control-Request-Method: POST' \
  "http://127.0.0.1:$HTTP/d06.v1.UnitService/ListUnits")
[[ $STATUS == 204 || $STATUS == 200 ]] || fail "preflight with '*': HTTP $STATUS"
grep -qi '^access-control-allow-origin: \*' "$WORK/headers" ||
  fail "preflight with '*': no Access-Control-Allow-Origin: *"
grep -q '^d06d: WARNING: --http_cors_origins=\*: every web site may call' "$WORK/cors_any.log" ||
  fail "--http_cors_origins=* without a warning: $(cat "$WORK/cors_any.log")"
grep -q 'WARNING: --http_cors_origins' "$WORK/main.log" && fail "a CORS warning without '*'"

# d06d refuses to start: malformed origins and hosts, naming them; an HTTP port in use.
refused() {  # refused WANT_MESSAGE FLAGS...: d06d exits non-zero printing WANT_MESSAGE
  local want=$1
  shift
  local out rc=0
  out=$(timeout 20 "$D06D" --listen=127.0.0.1:0 --metrics_listen= --data_dir="$WORK/refused-data" "$@" 2>&1) || rc=$?
  if ((rc == 0 || rc == 124)); then
    fail "d06d $*: exit $rc, want a refusal"
  elif [[ $out != *"$want"* ]]; then
    fail "d06d $*: '$out' does not say '$want'"
  fi
}
for origin in https://portal.nghean.gov.vn/ https://portal.nghean.gov.vn/app portal.nghean.gov.vn \
  ftp://portal.nghean.gov.vn; do
  refused "\"$origin\"" --http_listen=127.0.0.1:0 "--http_cors_origins=$origin"
  refused "e.g. https://portal.example.gov.vn or https://portal.example.gov.vn:8443" \
    --http_listen=127.0.0.1:0 "--http_cors_origins=$origin"
done
refused "empty element" --http_listen=127.0.0.1:0 "--http_cors_origins=https://a.example,,https://b.example"
refused '--http_allowed_hosts: ' --http_listen=127.0.0.1:0 --http_allowed_hosts=https://d06.nghean.gov.vn
refused "cannot listen on 127.0.0.1:$MAIN_HTTP: address in use" --http_listen=127.0.0.1:$MAIN_HTTP

if ((FAILURES > 0)); then
  echo "FAIL: $FAILURES of the checks failed ($CHECKS method calls)" >&2
  exit 1
fi
echo "PASS: $CHECKS method calls and the transport checks"
