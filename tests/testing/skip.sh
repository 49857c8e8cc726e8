# Sourced by script tests (sh_test): `skip_test MESSAGE` reports the whole
# test as skipped and exits. It writes the test's result file
# ($XML_OUTPUT_FILE, the test.xml Bazel keeps in bazel-testlogs) with one
# skipped test case, the way a gtest that calls GTEST_SKIP writes its own;
# tools/test.sh counts targets whose every case skipped as skipped, not
# passed. Under CI=true a skip is a failure: CI has every dependency
# installed (tools/setup.sh), so something missing there is a broken setup.
#
#   source tests/testing/skip.sh
#   command -v node >/dev/null || skip_test "node not found (run tools/setup.sh)"
skip_test() {
  local message="$*"
  if [ "${CI:-}" == true ]; then
    echo "FAIL: CI=true, and this test would skip: $message"
    exit 1
  fi
  echo "SKIP: $message"
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    local name escaped
    name="${TEST_TARGET:-$0}"
    escaped="$(printf '%s' "$message" |
      sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')"
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" errors="0" skipped="1">
  <testsuite name="$name" tests="1" failures="0" errors="0" skipped="1">
    <testcase name="$name" status="run" result="skipped">
      <skipped message="$escaped"/>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit 0
}

# The reason a test without reference data gives: a set EDGELLM_SHARED that
# names no folder is final (find_shared then does not look beside the
# repository), so the message covers both cases, as tests/testing/shared_dir.h.
NO_SHARED_MESSAGE="reference data not found (EDGELLM_SHARED, when set, names no folder; when unset, there is no ../shared beside the repository)"

# `find_shared`: sets `shared` to the reference data folder ($EDGELLM_SHARED,
# else `shared` beside the workspace, found through the WORKSPACE runfile's
# real path), or to "" when there is none. Under CI=true a missing folder
# fails the test, as it does for gtests (tests/testing/shared_dir.h).
find_shared() {
  shared="${EDGELLM_SHARED:-}"
  if [ -n "$shared" ] && [ ! -d "$shared" ]; then shared=""; fi
  if [ -z "${EDGELLM_SHARED:-}" ]; then
    local root
    root="$(dirname "$(readlink -f WORKSPACE)")"
    if [ -d "$root/../shared" ]; then shared="$(cd "$root/../shared" && pwd)"; fi
  fi
  if [ -z "$shared" ] && [ "${CI:-}" == true ]; then
    echo "FAIL: CI=true, and ../shared (reference data) is not beside the repository" \
      "and EDGELLM_SHARED does not name a folder"
    exit 1
  fi
}
