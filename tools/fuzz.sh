#!/bin/bash
# Builds the GGUF reader fuzzer with clang (libFuzzer + ASan + UBSan) straight
# from the sources and the system abseil, then runs it for a bounded time.
#
#   tools/fuzz_gguf.sh [SECONDS]     (default 60)
#
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer runtime). New
# inputs go to $FUZZ_OUT/corpus (default /tmp/edgellm-fuzz-gguf), never into
# the repo; crashes are written to $FUZZ_OUT/crash-*. To keep a crash as a
# regression test, copy it into tests/fuzz/corpus/gguf/ (replayed by
# //tests/fuzz:gguf_reader_fuzzer_replay_test).
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${FUZZ_OUT:-/tmp/edgellm-fuzz-gguf}"
CXX="${CXX_FUZZ:-clang++}"
mkdir -p "$OUT/corpus"

ABSL_LIBS="$(pkg-config --libs absl_status absl_statusor absl_strings \
  absl_str_format absl_flat_hash_map absl_flat_hash_set absl_int128)"

SRCS=(
  "$ROOT/tests/fuzz/gguf_reader_fuzzer.cc"
  "$ROOT/runtime/gguf/gguf.cc"
  "$ROOT/runtime/gguf/value.cc"
  "$ROOT/runtime/gguf/types.cc"
  "$ROOT/runtime/gguf/writer.cc"
)

echo "building $OUT/gguf_reader_fuzzer with $CXX" >&2
# shellcheck disable=SC2086
"$CXX" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$ROOT" "${SRCS[@]}" \
  -o "$OUT/gguf_reader_fuzzer" $ABSL_LIBS

# The first corpus directory receives new inputs; the committed seeds are
# read only.
exec "$OUT/gguf_reader_fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" \
  -max_len=8192 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -dict="$ROOT/tests/fuzz/gguf.dict" \
  -artifact_prefix="$OUT/" \
  "$OUT/corpus" "$ROOT/tests/fuzz/corpus/gguf"
