#!/usr/bin/env bash
# scripts/run.sh builds what running needs, not the test suite: run.sh is run for real
# with `--help`, with a stand-in `cmake` first on PATH that records its arguments (so
# nothing is configured or built here); then the targets it asked for are checked
# against the real build graph: their commands (ninja -t commands) compile no test
# source and link no GoogleTest, while the whole build does.
#   run_targets_test.sh REPO_ROOT BUILD_DIR
set -euo pipefail
repo="$1"
build="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v ninja >/dev/null || fail "ninja not found: run scripts/setup.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
mkdir "${tmp}/bin"
cat >"${tmp}/bin/cmake" <<STUB
#!/bin/sh
echo "\$*" >>"${tmp}/cmake.log"
STUB
chmod +x "${tmp}/bin/cmake"

out="$(PATH="${tmp}/bin:${PATH}" D06_BUILD_DIR="${build}" bash "${repo}/scripts/run.sh" --help 2>&1 || true)"
grep -q "Usage: d06d" <<<"${out}" || fail "run.sh --help did not end in d06d --help:"$'\n'"${out}"
build_line="$(grep -- '--build' "${tmp}/cmake.log")" || fail "run.sh did not build: $(cat "${tmp}/cmake.log")"
[[ "${build_line}" == *"--target "* ]] ||
  fail "run.sh builds every target (cmake ${build_line}); it should name what running needs"
read -r -a targets <<<"${build_line#*--target }"
for want in d06d d06ctl d06_example; do
  [[ " ${targets[*]} " == *" ${want} "* ]] || fail "run.sh does not build ${want} (the quick start uses it)"
done

commands="$(ninja -C "${build}" -t commands "${targets[@]}")"
grep -q "bin/d06d" <<<"${commands}" || fail "ninja -t commands ${targets[*]} does not link d06d"
if grep -E '/tests/|gtest|gmock' <<<"${commands}" >"${tmp}/hits"; then
  fail "building ${targets[*]} compiles or links test code:"$'\n'"$(head -5 "${tmp}/hits")"
fi
# The check can fail: the whole build does compile the tests.
all="$(ninja -C "${build}" -t commands)"
grep -q '/tests/' <<<"${all}" || fail "the full build lists no test sources"
echo "PASS: run.sh builds ${targets[*]} ($(wc -l <<<"${commands}") commands, no test code)"
