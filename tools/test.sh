#!/usr/bin/env bash
# Sets up the machine (tools/setup.sh) and runs the whole test suite.
#
#   tools/test.sh            bazel test //... (optimized build)
#   tools/test.sh --asan     the same under AddressSanitizer + LeakSanitizer
#   tools/test.sh --ubsan    the same under UndefinedBehaviorSanitizer
#
# Without --asan, the storm tests (//tests/storm: the cancel/deadline storm
# against the real server, the shared-prefix storm through the paged KV
# cache) run a second time under AddressSanitizer, where a leak or a memory
# error fails them.
#
# Tests that need ../shared (reference models, goldens, tokenizer suites)
# find it through EDGELLM_SHARED, set here when ../shared exists, and skip
# with a message where it is absent; tests that need only some model run on
# one the suite makes. Ends with one line "N passed, N failed, N skipped":
# a test that skipped (GTEST_SKIP, or tests/testing/skip.sh in a script
# test) is counted as skipped, not passed, and listed above that line
# (tools/test_counts.py). With CI=true, a missing ../shared ends the run
# at once with exit status 1, and a missing qemu or other test dependency
# fails the tests that need it instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

config=()
case "${1:-}" in
  --asan) config=(--config=asan) ;;
  --ubsan) config=(--config=ubsan) ;;
  "") ;;
  *) echo "usage: tools/test.sh [--asan|--ubsan]" >&2; exit 2 ;;
esac

# The reference data: $EDGELLM_SHARED, else ../shared. A name that is not a
# folder counts as none (the tests look only where EDGELLM_SHARED points when
# it is set, so they skip). Under CI=true none is a broken setup: say so now
# rather than after building everything to fail the tests that need it.
if [ -z "${EDGELLM_SHARED:-}" ] && [ -d ../shared ]; then
  EDGELLM_SHARED="$(cd ../shared && pwd)"
fi
export EDGELLM_SHARED="${EDGELLM_SHARED:-}"
if [ -n "$EDGELLM_SHARED" ] && [ -d "$EDGELLM_SHARED" ]; then
  echo "test: reference data from $EDGELLM_SHARED"
else
  if [ -n "$EDGELLM_SHARED" ]; then
    missing="EDGELLM_SHARED=$EDGELLM_SHARED is not a folder"
  else
    missing="no ../shared beside the repository and EDGELLM_SHARED is not set"
  fi
  if [ "${CI:-}" == true ]; then
    echo "test: CI=true needs the reference data (../shared or \$EDGELLM_SHARED): $missing" >&2
    exit 1
  fi
  echo "test: $missing; tests that need reference data will skip"
fi

tools/setup.sh

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
passed=0
failed=0
skipped=0
# run_tests CONFIG_FLAGS... -- TARGETS...: runs them and adds them to the
# counts, reading the result files from that configuration's bazel-testlogs.
run_tests() {
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  bazel test "${flags[@]}" --test_summary=short "$@" 2>&1 | tee "$tmp/log" || status=$?
  local testlogs p f s
  testlogs="$(bazel info "${flags[@]}" bazel-testlogs 2>/dev/null)"
  /usr/bin/python3 tools/test_counts.py "$tmp/log" "$testlogs" >"$tmp/counts"
  grep -v '^counts: ' "$tmp/counts" >>"$tmp/skips" || true
  read -r _ p f s < <(grep '^counts: ' "$tmp/counts")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
: >"$tmp/skips"
run_tests "${config[@]}" -- //...
if [ "${1:-}" != --asan ]; then
  echo "test: the storm tests again, under AddressSanitizer"
  run_tests --config=asan -- //tests/storm/...
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build itself failed
fi
echo
sort -u "$tmp/skips"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
