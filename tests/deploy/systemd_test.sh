#!/usr/bin/env bash
# deploy/d06d.service is a valid unit with the hardening the deployment relies on:
# `systemd-analyze verify` on a copy whose ExecStart is the built d06d (verify needs the
# binary to exist), with no warning at all, and `systemd-analyze security --offline=yes`
# printing the exposure score, which must stay at or below MAX_EXPOSURE (the unit scores 1.2,
# which systemd rates "OK"; 0 is fully sandboxed, 10 not at all). Also the settings
# deploy/README.md promises.
#   systemd_test.sh REPO_ROOT D06D
set -euo pipefail
root="$1"
d06d="$2"
unit="${root}/deploy/d06d.service"
MAX_EXPOSURE=2.0
fail() { echo "systemd_test: $*" >&2; exit 1; }

# systemd is a Debian package (scripts/setup.sh installs it): never skipped.
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found: run scripts/setup.sh"

for want in '^User=d06$' '^StateDirectory=d06$' '^ProtectSystem=strict$' \
  '^NoNewPrivileges=yes$' '^UMask=0077$' '^LimitNOFILE=[0-9]+$' \
  '^EnvironmentFile=-/etc/d06/d06d.env$' '^ExecStart=/usr/local/bin/d06d$' \
  '^CapabilityBoundingSet=$' '^KillSignal=SIGTERM$' '^WantedBy=multi-user.target$'; do
  grep -Eq "${want}" "${unit}" || fail "deploy/d06d.service lacks ${want}"
done
# Flags come from the environment (D06_*), so no option is repeated on the command line.
! grep -Eq '^ExecStart=.*--' "${unit}" || fail "ExecStart repeats flags: use D06_ variables"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# The unit's own file name: verify checks the name against the unit type.
sed "s#^ExecStart=/usr/local/bin/d06d\$#ExecStart=${d06d}#" "${unit}" >"${work}/d06d.service"
out="$(systemd-analyze verify "${work}/d06d.service" 2>&1)" || fail "verify failed:"$'\n'"${out}"
# Unknown or misspelt settings are only warnings; any line is a failure here.
[[ -z "${out}" ]] || fail "verify warns:"$'\n'"${out}"
echo "systemd_test: systemd-analyze verify: ok"

out="$(systemd-analyze security --offline=yes --no-pager "${unit}" 2>&1)" ||
  true # exits non-zero only with --threshold; the score is checked below
score="$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"${out}")"
[[ -n "${score}" ]] || fail "no exposure score in:"$'\n'"${out}"
echo "systemd_test: systemd-analyze security: exposure ${score} (at most ${MAX_EXPOSURE})"
awk -v s="${score}" -v m="${MAX_EXPOSURE}" 'BEGIN { exit !(s <= m) }' ||
  fail "exposure ${score} above ${MAX_EXPOSURE}:"$'\n'"$(grep '✗' <<<"${out}")"
echo "systemd_test: ok"
