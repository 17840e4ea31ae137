#!/usr/bin/env bash
# Installs everything d06 needs to build, test and lint on Debian 12 (developer machines, CI,
# and the Docker build stage). Idempotent: when everything is already present it makes no
# network request at all.
#
#   scripts/setup.sh
#
# Environment:
#   D06_SETUP_SKIP_BUF=1   skip what only the tests need: Node.js/npm, buf, curl, Chromium,
#                          the web tests' npm packages and python3-grpcio/-protobuf (e.g. a
#                          Docker image that only builds, or scripts/run.sh).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Pinned buf (npm package @bufbuild/buf); bump deliberately and re-run `buf lint`.
BUF_VERSION="1.75.0"
TOOLS_DIR="${REPO_ROOT}/.cache/tools"
BUF_BIN="${TOOLS_DIR}/node_modules/.bin/buf"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev libicu-dev libcsv-dev libxlsxwriter-dev
  libmicrohttpd-dev libssl-dev libgnutls28-dev zlib1g-dev prometheus-cpp-dev
)
if [[ "${D06_SETUP_SKIP_BUF:-0}" != 1 ]]; then
  # The web tests (tests/web): curl against the HTTP face, Node.js with the Connect client,
  # Chromium for the dashboard. The Python client test (tests/python): Debian's gRPC and
  # protobuf for python3 (code generated with protoc and grpc_python_plugin, above).
  # The operations tests: promtool (Debian's prometheus) checks /metrics and the alert
  # rules shipped for Prometheus, yamllint (and python3-yaml) the Kubernetes manifests,
  # systemd's systemd-analyze the unit (tests/deploy). python3-openpyxl, a reader that is
  # not d06's, opens the .xlsx files of the export tests and of the dashboard's downloads.
  PACKAGES+=(nodejs npm curl chromium python3 python3-grpcio python3-protobuf python3-openpyxl
    prometheus yamllint python3-yaml systemd)
  # The sanitizer build and the fuzz targets (scripts/sanitize.sh): clang with libFuzzer;
  # clang-format for the format test.
  PACKAGES+=(clang clang-format libfuzzer-14-dev)
fi

log() { printf 'setup.sh: %s\n' "$*" >&2; }

SUDO=()
if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
fi

is_installed() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)"
  [[ "${status}" == installed ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  case "${pkg}" in
    # A nodejs from elsewhere (e.g. NodeSource) bundles npm and conflicts with Debian's npm
    # package, so the commands count as well as the Debian packages.
    nodejs) is_installed nodejs || command -v node >/dev/null 2>&1 || missing+=("${pkg}") ;;
    npm) is_installed npm || command -v npm >/dev/null 2>&1 || missing+=("${pkg}") ;;
    *) is_installed "${pkg}" || missing+=("${pkg}") ;;
  esac
done

if ((${#missing[@]} > 0)); then
  log "installing: ${missing[*]}"
  if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    log "not root and sudo is not available: install these packages as root, then re-run"
    exit 1
  fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

if [[ "${D06_SETUP_SKIP_BUF:-0}" == 1 ]]; then
  log "buf: skipped (D06_SETUP_SKIP_BUF=1)"
  exit 0
fi

installed_buf=""
if [[ -x "${BUF_BIN}" ]]; then
  installed_buf="$("${BUF_BIN}" --version 2>/dev/null || true)"
fi
if [[ "${installed_buf}" == "${BUF_VERSION}" ]]; then
  log "buf ${BUF_VERSION}: present"
else
  log "installing buf ${BUF_VERSION} into ${TOOLS_DIR}"
  mkdir -p "${TOOLS_DIR}"
  npm install --no-audit --no-fund --save-exact --prefix "${TOOLS_DIR}" \
    "@bufbuild/buf@${BUF_VERSION}"
  installed_buf="$("${BUF_BIN}" --version)"
  if [[ "${installed_buf}" != "${BUF_VERSION}" ]]; then
    log "expected buf ${BUF_VERSION}, got '${installed_buf}'"
    exit 1
  fi
fi

# The web tests' npm packages (tests/web/package-lock.json), when missing or changed.
WEB_DIR="${REPO_ROOT}/tests/web"
if [[ ! -f "${WEB_DIR}/node_modules/.package-lock.json" ||
      "${WEB_DIR}/package-lock.json" -nt "${WEB_DIR}/node_modules/.package-lock.json" ]]; then
  log "installing the web tests' npm packages into tests/web/node_modules"
  npm ci --no-audit --no-fund --prefix "${WEB_DIR}"
else
  log "web tests' npm packages: present"
fi
