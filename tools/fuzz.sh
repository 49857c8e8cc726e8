#!/bin/bash
# Builds one libFuzzer target of tests/fuzz with clang (libFuzzer + ASan +
# UBSan) and runs it for a bounded time.
#
#   tools/fuzz.sh NAME [SECONDS]     NAME: chat_output, gguf_reader,
#                                    jinja_template, safetensors,
#                                    tokenizer (default 60 s)
#   tools/fuzz.sh --list             the fuzzers there are
#
# The convention (tests/fuzz/BUILD.bazel): tests/fuzz/NAME_fuzzer.cc in
# //tests/fuzz:NAME_fuzzer_lib, seeds in tests/fuzz/corpus/NAME/, an
# optional dictionary tests/fuzz/NAME.dict and libFuzzer flags in
# tests/fuzz/NAME.options (max_len; they win over the defaults here). The
# sources to compile are the workspace .cc files Bazel lists for //tests/fuzz:NAME_fuzzer_lib, and the
# libraries to link are the -l flags and defines of the //third_party
# targets it depends on, so a new fuzzer needs no change here.
#
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer runtime), from
# tools/setup.sh. New inputs go to $FUZZ_OUT/corpus (default
# /tmp/edgellm-fuzz-NAME), never into the repo; crashes are written to
# $FUZZ_OUT/crash-*. To keep a crash as a regression test, copy it into
# tests/fuzz/corpus/NAME/ (replayed by //tests/fuzz:NAME_fuzzer_replay_test).
# FUZZ_JOBS=N runs N fuzzing processes (libFuzzer -fork) instead of one.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ "${1:-}" = "--list" ]; then
  ls tests/fuzz/*_fuzzer.cc | sed 's|tests/fuzz/||; s|_fuzzer.cc||'
  exit 0
fi
NAME="${1:?usage: tools/fuzz.sh NAME [SECONDS]  (tools/fuzz.sh --list)}"
SECONDS_TO_RUN="${2:-60}"
if [ ! -f "tests/fuzz/${NAME}_fuzzer.cc" ]; then
  echo "fuzz: no tests/fuzz/${NAME}_fuzzer.cc (try --list)" >&2
  exit 2
fi
OUT="${FUZZ_OUT:-/tmp/edgellm-fuzz-$NAME}"
CXX="${CXX_FUZZ:-clang++}"
LIB="//tests/fuzz:${NAME}_fuzzer_lib"
mkdir -p "$OUT/corpus"

# Workspace sources: labels //pkg:file.cc -> pkg/file.cc.
mapfile -t SRCS < <(bazel query --noshow_progress \
  "kind('source file', deps($LIB))" 2>/dev/null |
  grep -E '^//.*\.cc$' | sed -E 's|^//||; s|:|/|; s|^/||')
# System libraries and defines of the //third_party targets it uses.
third_party="$(bazel query --noshow_progress --output=build \
  "deps($LIB) intersect //third_party:*" 2>/dev/null)"
mapfile -t LIBS < <(grep -oE '"-l[^"]+"' <<<"$third_party" | tr -d '"' | awk '!seen[$0]++')
mapfile -t DEFINES < <(tr '\n' ' ' <<<"$third_party" |
  grep -oE 'defines = \[[^]]*\]' | grep -oE '"[^"]+"' | tr -d '"' | sed 's/^/-D/')
if [ ${#SRCS[@]} -eq 0 ]; then
  echo "fuzz: bazel query found no sources for $LIB" >&2
  exit 1
fi

echo "building $OUT/${NAME}_fuzzer with $CXX from ${#SRCS[@]} sources" >&2
"$CXX" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$ROOT" "${DEFINES[@]}" "${SRCS[@]}" \
  -o "$OUT/${NAME}_fuzzer" "${LIBS[@]}"

dict=()
if [ -f "tests/fuzz/$NAME.dict" ]; then dict=(-dict="$ROOT/tests/fuzz/$NAME.dict"); fi
# tests/fuzz/NAME.options (OSS-Fuzz's format, "[libfuzzer]" then
# "key = value" lines) sets libFuzzer flags such as max_len per target.
options=()
if [ -f "tests/fuzz/$NAME.options" ]; then
  mapfile -t options < <(grep -E '^[a-z_]+ *= *[^ ]+' "tests/fuzz/$NAME.options" |
    sed -E 's/^([a-z_]+) *= *(.*)$/-\1=\2/')
fi
jobs=()
if [ -n "${FUZZ_JOBS:-}" ]; then jobs=(-fork="$FUZZ_JOBS"); fi
# The first corpus directory receives new inputs; the committed seeds are
# read only.
exec "$OUT/${NAME}_fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" \
  -max_len=16384 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  "${options[@]}" "${dict[@]}" "${jobs[@]}" \
  -artifact_prefix="$OUT/" \
  "$OUT/corpus" "$ROOT/tests/fuzz/corpus/$NAME"
