#!/usr/bin/python3
"""Counts passed, failed and skipped test targets of one `bazel test` run.

    tools/test_counts.py LOG TESTLOGS

LOG is the run's output (with --test_summary=short or terse), TESTLOGS the
`bazel info bazel-testlogs` directory of the same configuration. Bazel says
PASSED for a test that skipped; the test's own result file says otherwise:
gtest writes result="skipped" (with a <skipped> element) for a case that
called GTEST_SKIP, and script tests write the same through
tests/testing/skip.sh. A target whose every case skipped counts as skipped; a
target that ran some cases and skipped others counts as passed and is listed
with the number it skipped.

Prints one line per skipped or partly skipped target, then
"counts: PASSED FAILED SKIPPED" for tools/test.sh.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

PASSED = re.compile(r"^(//\S+)\s+(?:\(cached\) )?PASSED")
FAILED = re.compile(
    r"^(//\S+)\s+(?:\(cached\) )?"
    r"(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE|REMOTE FAILURE)")


def result_files(testlogs, label):
    """The test.xml files of a target (one, or one per shard or run)."""
    package, _, name = label[2:].partition(":")
    top = os.path.join(testlogs, package, name)
    found = []
    for root, _, files in os.walk(top):
        if "test.xml" in files:
            found.append(os.path.join(root, "test.xml"))
    return found


def case_counts(paths):
    """(cases, skipped cases, first skip message) over the result files."""
    cases = skipped = 0
    message = ""
    for path in paths:
        try:
            tree = ET.parse(path)
        except (ET.ParseError, OSError):
            continue
        for case in tree.iter("testcase"):
            cases += 1
            skip = case.find("skipped")
            if case.get("result") == "skipped" or skip is not None:
                skipped += 1
                if not message and skip is not None:
                    message = skip.get("message", "") or (skip.text or "")
    # gtest's message is "file:line" then the text given to GTEST_SKIP.
    return cases, skipped, " ".join(message.split())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tools/test_counts.py LOG TESTLOGS")
    log, testlogs = sys.argv[1], sys.argv[2]
    passed = failed = skipped = 0
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        if FAILED.match(line):
            failed += 1
            continue
        m = PASSED.match(line)
        if not m:
            continue
        label = m.group(1)
        cases, skips, message = case_counts(result_files(testlogs, label))
        if cases > 0 and skips == cases:
            skipped += 1
            print(f"skipped: {label}: {message}")
        else:
            passed += 1
            if skips:
                print(f"partly skipped: {label}: {skips} of {cases} cases: "
                      f"{message}")
    print(f"counts: {passed} {failed} {skipped}")


if __name__ == "__main__":
    main()
