#!/bin/bash
# Runs jinja2_live_test.py with Debian's Python (the first python3 on PATH
# may be another interpreter without python3-jinja2).
set -euo pipefail
dir="runtime/chat/jinja"
exec /usr/bin/python3 "$dir/jinja2_live_test.py" "$dir/render_cases" \
  "$dir/testdata/live_cases.txt" "$@"
