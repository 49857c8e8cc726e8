#!/bin/bash
# Builds the chat output parser fuzzer with clang (libFuzzer + ASan + UBSan)
# straight from the sources and the system abseil, then runs it for a
# bounded time.
#
#   tools/fuzz_chat_output.sh [SECONDS]     (default 60)
#
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer runtime). New
# inputs go to $FUZZ_OUT/corpus (default /tmp/edgellm-fuzz-chat-output),
# never into the repo; crashes are written to $FUZZ_OUT/crash-*. To keep a
# crash as a regression test, copy it into tests/fuzz/corpus/chat_output/
# (replayed by //tests/fuzz:chat_output_fuzzer_replay_test).
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${FUZZ_OUT:-/tmp/edgellm-fuzz-chat-output}"
CXX="${CXX_FUZZ:-clang++}"
mkdir -p "$OUT/corpus"

ABSL_LIBS="$(pkg-config --libs absl_status absl_statusor absl_strings \
  absl_str_format)"

SRCS=("$ROOT/tests/fuzz/chat_output_fuzzer.cc")
for f in call_body format format_spec output_parser pythonic tool_schema \
         utf8 value_scanner; do
  SRCS+=("$ROOT/runtime/chat/output/$f.cc")
done

echo "building $OUT/chat_output_fuzzer with $CXX" >&2
# shellcheck disable=SC2086
"$CXX" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$ROOT" "${SRCS[@]}" \
  -o "$OUT/chat_output_fuzzer" $ABSL_LIBS

# The first corpus directory receives new inputs; the committed seeds are
# read only.
exec "$OUT/chat_output_fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" \
  -max_len=4096 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -dict="$ROOT/tests/fuzz/chat_output.dict" \
  -artifact_prefix="$OUT/" \
  "$OUT/corpus" "$ROOT/tests/fuzz/corpus/chat_output"
