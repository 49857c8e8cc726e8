#!/usr/bin/env bash
# Checks clang-format (Google style, .clang-format) on changed C++ files.
#
#   tools/check_format.sh            files changed against origin/main (or HEAD~1)
#   tools/check_format.sh --all      every C++ file in the repository
#   tools/check_format.sh --fix ...  rewrite instead of reporting
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
all=0
for arg in "$@"; do
  case "$arg" in
    --fix) fix=1 ;;
    --all) all=1 ;;
    *) echo "usage: tools/check_format.sh [--all] [--fix]" >&2; exit 2 ;;
  esac
done

if [ "$all" -eq 1 ]; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  base=$(git rev-parse --verify -q origin/main || git rev-parse --verify -q HEAD~1 || echo "")
  mapfile -t files < <( { [ -n "$base" ] && git diff --name-only --diff-filter=ACMR "$base" -- '*.cc' '*.h'; \
                          git diff --name-only --diff-filter=ACMR -- '*.cc' '*.h'; \
                          git ls-files --others --exclude-standard -- '*.cc' '*.h'; } | sort -u)
fi

bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if [ "$fix" -eq 1 ]; then
    clang-format -i "$f"
  elif ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "needs formatting: $f"
    bad=1
  fi
done
if [ "$bad" -eq 1 ]; then
  echo "run: tools/check_format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} file(s) checked, all clean"
