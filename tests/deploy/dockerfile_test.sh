#!/usr/bin/env bash
# deploy/Dockerfile, checked as text (there is no Docker daemon in the test environment, so
# the image is never built here): two stages on Debian bookworm; the runtime stage runs as a
# user that is not root, keeps the data directory on a VOLUME that D06_DATA_DIR names,
# EXPOSEs the gRPC, HTTP and metrics ports that D06_*LISTEN name, and its HEALTHCHECK asks
# /readyz on the metrics port with curl, which that stage installs; ENTRYPOINT is d06d in
# exec form (PID 1, gets SIGTERM). deploy/README.md's `docker run` publishes the gRPC port and
# the HTTP port the dashboard is served on.
#   dockerfile_test.sh REPO_ROOT
set -euo pipefail
root="$1"
fail() { echo "dockerfile_test: $*" >&2; exit 1; }

# One instruction per line (continuations joined), comments dropped.
instructions="$(sed -e '/^[[:space:]]*#/d' "${root}/deploy/Dockerfile" |
  sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta')"
froms="$(grep -c '^FROM ' <<<"${instructions}")"
[[ "${froms}" -ge 2 ]] || fail "not multi-stage (${froms} FROM)"
! grep '^FROM ' <<<"${instructions}" | grep -qv '^FROM debian:bookworm\( \|$\)' ||
  fail "a stage is not on debian:bookworm: $(grep '^FROM ' <<<"${instructions}")"
# The runtime stage: everything after the last FROM.
runtime="$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' <<<"${instructions}")"
has() { grep -Eq "$1" <<<"${runtime}" || fail "runtime stage lacks $1"; }

user="$(grep '^USER ' <<<"${runtime}" | tail -1 | awk '{print $2}')"
[[ -n "${user}" ]] || fail "runtime stage has no USER"
case "${user%%:*}" in root | 0) fail "runs as root (USER ${user})" ;; esac
has '^VOLUME (\[")?/var/lib/d06("\])?$'
has 'D06_DATA_DIR=/var/lib/d06( |$)'
for port in 50051 8080 9464; do
  grep -Eq "^EXPOSE .*\b${port}(/tcp)?\b" <<<"${runtime}" || fail "does not EXPOSE ${port}"
done
has 'D06_LISTEN=0\.0\.0\.0:50051( |$)'
has 'D06_HTTP_LISTEN=0\.0\.0\.0:8080( |$)'
has 'D06_METRICS_LISTEN=0\.0\.0\.0:9464( |$)'
has '^HEALTHCHECK .*CMD .*curl .*://127\.0\.0\.1:9464/readyz'
has '^RUN .*echo curl'
has '^ENTRYPOINT \["/usr/local/bin/d06d"\]$'

readme="${root}/deploy/README.md"
run="$(grep -E '^ *docker run .*-p 50051:50051' "${readme}" | head -1 || true)"
[[ -n "${run}" ]] || fail "deploy/README.md has no docker run publishing 50051"
[[ "${run}" == *"-p 8080:8080"* ]] || fail "deploy/README.md's docker run does not publish 8080:"$'\n'"${run}"
echo "dockerfile_test: ok (image build not exercised: no Docker daemon)"
