#!/usr/bin/env bash
# The library example runs on a tiny model and prints what it promises.
set -euo pipefail
out="$("$1" "$2" "Once upon a time")"
echo "$out"
grep -q '^\[length, 32 tokens' <<<"$out"
grep -q '^background: ' <<<"$out"
grep -q '^embedding: [0-9]* floats' <<<"$out"
