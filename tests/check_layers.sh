#!/usr/bin/env bash
# Checks the layering of the source tree (README, "Layout"): each folder may include only
# itself and the layers below it. Prints every include that climbs a layer; exits 1 if any.
#   check_layers.sh REPO_ROOT
set -euo pipefail
cd "$1"
bad=0

# forbid FOLDER PATTERN WHY: no file under FOLDER may include a path matching PATTERN.
forbid() {
  local folder="$1" pattern="$2" why="$3"
  local hits
  hits="$(grep -rnE --include='*.h' --include='*.cc' "^#include [\"<](${pattern})" "${folder}" || true)"
  if [[ -n "${hits}" ]]; then
    printf 'layers: %s must not include %s (%s):\n%s\n' "${folder}" "${pattern}" "${why}" "${hits}" >&2
    bad=1
  fi
}

# common/ is below everything but proto: pure functions and constants both sides share.
forbid common 'server/|client/|storage/|grpcpp/|rocksdb/' \
  "common is shared by the server and the client, below both"
forbid storage 'server/|client/|grpcpp/' "storage is below the server and the client"
forbid client 'server/|storage/|rocksdb/' "the client sees only the API (proto) and common"
forbid server 'client/' "the server does not depend on the client (shared code goes in common/)"
# The domain is pure: no storage (its status macros excepted), no transport, no I/O.
forbid server/domain 'server/(model|core|api|d06d)/|storage/[a-rt-z]|storage/store|grpcpp/|rocksdb/' \
  "the domain is pure rules"
forbid server/model 'server/(core|api|d06d)/|grpcpp/' \
  "the model knows keys, not operations or transports"
# (The core still uses storage/keys.h for its integer encodings in page tokens and
# idempotency records.)
forbid server/core 'server/(api|d06d)/|grpcpp/|rocksdb/' \
  "the core is transport-free"
forbid server/api 'server/d06d/' "the transports do not know the process"
exit "${bad}"
