#!/usr/bin/env bash
# deploy/kubernetes/: yamllint passes on the source files; `kubectl kustomize` renders the
# TLS deployment (deploy/kubernetes/, with a stand-in certificate and key in tls/, which
# are never committed) and the mesh variant (deploy/kubernetes/mesh/); yamllint passes on
# what it renders, and check_manifests.py finds each object and probe intended.
# Without a cluster nothing here shows that the API server accepts the objects (schema
# validation, admission), that the probes pass against a running pod, or that the
# NetworkPolicy is enforced (that takes a CNI plugin that enforces it).
# kubectl is not a Debian package: without it the rendering is skipped (exit 77, CTest's
# SKIP_RETURN_CODE), after yamllint on the sources.
#   kubernetes_test.sh REPO_ROOT PYTHON3
set -euo pipefail
root="$1"
python3="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${root}/deploy/kubernetes"
config="${src}/.yamllint"
fail() { echo "kubernetes_test: $*" >&2; exit 1; }

command -v yamllint >/dev/null || fail "yamllint not found: run scripts/setup.sh"
yamllint --strict -c "${config}" "${src}" || fail "yamllint: deploy/kubernetes/"
echo "kubernetes_test: yamllint deploy/kubernetes/: ok"

if ! command -v kubectl >/dev/null; then
  echo "kubernetes_test: SKIPPED rendering: kubectl not found (not a Debian package;" \
    "https://kubernetes.io/docs/tasks/tools/)"
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cp -r "${src}" "${work}/kubernetes"
printf -- '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n' \
  >"${work}/kubernetes/tls/tls.crt"
printf -- '-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----\n' \
  >"${work}/kubernetes/tls/tls.key"
for variant in tls mesh; do
  dir="${work}/kubernetes"
  [[ "${variant}" == mesh ]] && dir="${dir}/mesh"
  kubectl kustomize "${dir}" >"${work}/${variant}.yaml" || fail "kubectl kustomize (${variant})"
  yamllint --strict -c "${config}" "${work}/${variant}.yaml" || fail "yamllint: rendered ${variant}"
  "${python3}" "${here}/check_manifests.py" "${variant}" "${work}/${variant}.yaml" ||
    fail "rendered ${variant}: see above"
done
# Without the certificate the TLS deployment does not render (rather than start without it).
rm "${work}/kubernetes/tls/tls.crt"
! kubectl kustomize "${work}/kubernetes" >/dev/null 2>&1 ||
  fail "rendered without tls/tls.crt"
echo "kubernetes_test: ok"
