#!/usr/bin/env bash
# Proves that tests/check_layers.sh catches what it must: on a scratch tree, each
# forbidden include fails the check and is named, and a tree of allowed includes passes.
#   check_layers_test.sh PATH/TO/check_layers.sh
set -euo pipefail
check="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The folders check_layers.sh reads, empty.
skeleton() {
  local d
  for d in common storage client server/domain server/model server/core server/api \
    server/d06d; do
    mkdir -p "$1/${d}"
  done
}

# An allowed tree: the server and the client include common/ and proto, common nothing.
skeleton "${tmp}/good"
mkdir -p "${tmp}/good/client/ctl"
echo '#include "absl/strings/string_view.h"' >"${tmp}/good/common/text.h"
echo '#include "common/flags_usage.h"' >"${tmp}/good/server/d06d/main.cc"
echo '#include "common/text.h"' >"${tmp}/good/client/ctl/csv_import.cc"
bash "${check}" "${tmp}/good" || fail "a tree of allowed includes was refused"

# Each forbidden include on its own: the check exits 1 and names the file.
expect_refused() {
  local file="$1" include="$2" root="${tmp}/bad$((++n))"
  skeleton "${root}"
  mkdir -p "${root}/$(dirname "${file}")"
  echo "#include \"${include}\"" >"${root}/${file}"
  local out
  if out="$(bash "${check}" "${root}" 2>&1)"; then
    fail "${file} including ${include} passed the check"
  fi
  [[ "${out}" == *"${file}"* ]] || fail "the refusal does not name ${file}: ${out}"
}
n=0
expect_refused server/d06d/main.cc client/flags_usage.h
expect_refused server/core/tasks.cc client/client.h
expect_refused common/text.cc server/domain/errors.h
expect_refused common/dates.h client/client.h
expect_refused common/limits.h storage/keys.h
expect_refused common/text.h grpcpp/grpcpp.h
expect_refused common/text.h rocksdb/db.h
expect_refused client/ctl/csv_import.cc server/domain/text.h
expect_refused storage/store.cc client/client.h
expect_refused server/domain/text.cc server/core/core.h
echo "PASS: check_layers.sh refuses every forbidden include tried (${n})"
