#!/usr/bin/env bash
# A new user's first command: each program's --help lists its own flags with their
# defaults, under one usage line, without Abseil's warnings or build paths.
#   help_smoke.sh D06D D06_EXAMPLE
set -euo pipefail
d06d="$1"
example="$2"
fail() { echo "help_smoke: $*" >&2; exit 1; }

check() {
  local program="$1"; shift
  local out
  out="$("${program}" --help 2>&1 || true)"
  local name
  name="$(basename "${program}")"
  for want in "$@"; do
    grep -qF -- "${want}" <<<"${out}" || fail "${name} --help lacks '${want}':"$'\n'"${out}"
  done
  ! grep -q "No flags matched" <<<"${out}" || fail "${name} --help lists no flags"
  ! grep -q "Warning" <<<"${out}" || fail "${name} --help warns:"$'\n'"${out}"
  ! grep -q "${name}: ${name}:" <<<"${out}" || fail "${name} --help repeats its name"
  ! grep -q "/work\|/build/\|/home/" <<<"${out}" || fail "${name} --help shows a build path"
}

check "${d06d}" "--listen" "--http_listen" "--event_retention_days" 'default: "127.0.0.1:50051"' "--data_dir" "--due_soon_days" \
  "default: 3" "Usage: d06d"
check "${example}" "--target" "--actor" "Usage: d06_example"
echo "help_smoke: ok"
