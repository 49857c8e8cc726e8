#!/usr/bin/env bash
# Sets up the machine (tools/setup.sh) and runs the whole test suite.
#
#   tools/test.sh            bazel test //... (optimized build)
#   tools/test.sh --asan     the same under AddressSanitizer + LeakSanitizer
#   tools/test.sh --ubsan    the same under UndefinedBehaviorSanitizer
#
# Without --asan, the cancel/deadline storm against the real server
# (//tests/storm) runs a second time under AddressSanitizer, where a leak or
# a memory error in the server fails it.
#
# Tests that need ../shared (reference models, goldens, tokenizer suites)
# find it through EDGELLM_SHARED, set here when ../shared exists, and skip
# with a message where it is absent. Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

config=()
case "${1:-}" in
  --asan) config=(--config=asan) ;;
  --ubsan) config=(--config=ubsan) ;;
  "") ;;
  *) echo "usage: tools/test.sh [--asan|--ubsan]" >&2; exit 2 ;;
esac

tools/setup.sh

if [ -z "${EDGELLM_SHARED:-}" ] && [ -d ../shared ]; then
  EDGELLM_SHARED="$(cd ../shared && pwd)"
fi
export EDGELLM_SHARED="${EDGELLM_SHARED:-}"
if [ -n "$EDGELLM_SHARED" ]; then
  echo "test: reference data from $EDGELLM_SHARED"
else
  echo "test: no ../shared here; tests that need reference data will skip"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
bazel test "${config[@]}" --test_summary=short //... 2>&1 | tee "$log" || status=$?
if [ "${1:-}" != --asan ]; then
  echo "test: the cancel storm again, under AddressSanitizer"
  bazel test --config=asan --test_summary=short //tests/storm:cancel_storm_test \
    2>&1 | tee -a "$log" || status=$?
fi

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)' "$log" || true)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build itself failed
fi
echo
echo "$passed passed, $failed failed"
exit "$status"
