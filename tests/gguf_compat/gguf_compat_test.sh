#!/usr/bin/env bash
# Writes small random-weight models with `edgellm make-model` (llama and qwen2,
# tied and untied head, Q8_0, F32 and the 4- to 6-bit file types, whose rows
# of 128 take llama.cpp's fallbacks; qwen3, gemma3, phi3 (Phi-4-mini),
# Llama 3.2 and smollm3 small and at their published widths with one layer;
# the encoders bert, nomic-bert and a bert reranker) plus the smollm2-135m
# and bge-small shapes, and checks
# each with check_gguf_compat.py, which parses GGUF independently of our C++
# code and applies llama.cpp's loader rules for the file's architecture.
#
# With ../shared present it also (1) runs the checker on llama.cpp's own files
# (stories260K written by llama.cpp, the llama-spm vocab) and on the rebuilt
# qwen2 vocab, so the checker is shown to accept what llama.cpp accepts, and
# (2) requires our models to carry every metadata key, with the same GGUF type,
# that the reference of the same architecture carries (exceptions and reasons
# are in check_gguf_compat.py REFERENCE_EXCEPTIONS). Without ../shared those
# parts are skipped with a message.
set -euo pipefail
source tests/testing/skip.sh

py=/usr/bin/python3
bin=runtime/cli/edgellm
check=tests/gguf_compat/check_gguf_compat.py
selftest=tests/gguf_compat/check_gguf_compat_test.py
tmp="${TEST_TMPDIR:-$(mktemp -d)}"

find_shared
llama_ref="$shared/models/stories260K/stories260K-q8_0.gguf"
qwen2_ref="$shared/vocab/ggml-vocab-qwen2.gguf"
# llama.cpp-converted encoders (reference_embed's random-weight models).
embed_refs="$shared/reference_embed/models"
have_shared=0
if [ -n "$shared" ] && [ -f "$llama_ref" ] && [ -f "$qwen2_ref" ]; then
  have_shared=1
else
  echo "SKIP (reference part): $NO_SHARED_MESSAGE"
fi

failed=0
run() {
  if ! "$@"; then failed=1; fi
}

# 1. The checker on the references: it must accept what llama.cpp wrote.
if [ "$have_shared" = 1 ]; then
  for ref in "$shared"/models/stories260K/stories260K-q8_0.gguf \
             "$shared"/models/stories260K/stories260K-f32.gguf \
             "$shared"/vocab/ggml-vocab-llama-spm.gguf \
             "$shared"/vocab/ggml-vocab-llama-bpe.gguf \
             "$shared"/vocab/ggml-vocab-qwen2.gguf \
             "$shared"/reference/models/*.gguf; do
    [ -f "$ref" ] || continue
    run "$py" "$check" "$ref"
  done
  for ref in "$embed_refs"/*.gguf; do
    [ -f "$ref" ] && run "$py" "$check" "$ref"
  done
fi

# 2. Our models. name|arch|make-model flags
models=(
  "tiny-llama-q8_0|llama|--shape tiny"
  "tiny-llama-untied-f32|llama|--shape tiny --untied --type f32"
  "tiny-qwen2-q8_0|qwen2|--shape tiny --architecture qwen2"
  "tiny-qwen2-untied-q8_0|qwen2|--shape tiny --architecture qwen2 --untied"
  "smollm2-135m-q8_0|llama|--shape smollm2-135m"
  "tiny-llama-q4_0|llama|--shape tiny --type q4_0"
  "tiny-llama-untied-q4_k_m|llama|--shape tiny --untied --type q4_k_m"
  "tiny-qwen2-q6_k|qwen2|--shape tiny --architecture qwen2 --type q6_k"
  "tiny-llama-q5_k_m|llama|--shape tiny --type q5_k_m"
  "tiny-llama-iq4_xs|llama|--shape tiny --type iq4_xs"
  "tiny-bert-q8_0|bert|--shape tiny-bert"
  "tiny-bert-f32|bert|--shape tiny-bert --type f32"
  "tiny-nomic-bert-f32|nomic-bert|--shape tiny-nomic-bert --type f32"
  "tiny-bert-rerank-q8_0|bert|--shape tiny-bert-rerank"
  "bge-small-q8_0|bert|--shape bge-small"
  "tiny-qwen3-f32|qwen3|--shape tiny-qwen3 --type f32"
  "tiny-qwen3-q4_k_m|qwen3|--shape tiny-qwen3 --type q4_k_m"
  "tiny-gemma3-q8_0|gemma3|--shape tiny-gemma3"
  "tiny-gemma3-q6_k|gemma3|--shape tiny-gemma3 --type q6_k"
  "tiny-phi4-mini-f32|phi3|--shape tiny-phi4-mini --type f32"
  "tiny-phi4-mini-q4_0|phi3|--shape tiny-phi4-mini --type q4_0"
  "tiny-llama3.2-q8_0|llama|--shape tiny-llama3.2"
  "tiny-smollm3-q5_k_m|smollm3|--shape tiny-smollm3 --type q5_k_m"
  "tiny-qwen3-arch-q8_0|qwen3|--shape tiny --architecture qwen3"
  # The published shapes' own widths, heads and keys, one layer and a small
  # vocabulary each (the full files are 0.4-4 GB).
  "qwen3-0.6b-l1-q4_0|qwen3|--shape qwen3-0.6b --layers 1 --vocab 1024 --type q4_0"
  "gemma3-1b-l1-q4_0|gemma3|--shape gemma3-1b --layers 1 --vocab 1024 --type q4_0"
  "phi4-mini-l1-q4_0|phi3|--shape phi4-mini --layers 1 --vocab 1024 --type q4_0"
  "llama3.2-1b-l1-q4_0|llama|--shape llama3.2-1b --layers 1 --vocab 1024 --type q4_0"
  "smollm3-3b-l1-q4_0|smollm3|--shape smollm3-3b --layers 1 --vocab 1024 --type q4_0"
)
for entry in "${models[@]}"; do
  IFS='|' read -r name arch flags <<<"$entry"
  out="$tmp/$name.gguf"
  # shellcheck disable=SC2086  # flags are words
  "$bin" make-model $flags --output "$out" 2>"$tmp/$name.log" || {
    cat "$tmp/$name.log"; echo "FAIL: make-model $flags"; failed=1; continue; }
  if [ "$have_shared" = 1 ]; then
    ref="$llama_ref"
    [ "$arch" = qwen2 ] && ref="$qwen2_ref"
    # llama.cpp's converter output of each new architecture (../shared/
    # reference): Llama 3.2's keys for the llama3.2 shapes.
    case "$name" in llama3.2-*|tiny-llama3.2-*)
      ref="$shared/reference/models/llama32-tiny-f32.gguf" ;; esac
    [ "$arch" = qwen3 ] && ref="$shared/reference/models/qwen3-tiny-f32.gguf"
    [ "$arch" = gemma3 ] && ref="$shared/reference/models/gemma3-tiny-f32.gguf"
    [ "$arch" = phi3 ] && ref="$shared/reference/models/phi4mini-tiny-f32.gguf"
    [ "$arch" = smollm3 ] && ref="$shared/reference/models/smollm3-tiny-f32.gguf"
    [ "$arch" = bert ] && ref="$embed_refs/bert-cls-f32.gguf"
    [ "$name" = tiny-bert-rerank-q8_0 ] && ref="$embed_refs/bert-rerank-q8_0.gguf"
    [ "$arch" = nomic-bert ] && ref="$embed_refs/nomic-bert-f32.gguf"
    if [ -f "$ref" ]; then
      run "$py" "$check" "$out" --reference "$ref"
    else
      run "$py" "$check" "$out"
    fi
  else
    run "$py" "$check" "$out"
  fi
  # The file must say what it is.
  "$py" "$check" "$out" --dump >"$tmp/$name.dump" || true
  if ! grep -q "general.architecture *STRING *$arch\$" "$tmp/$name.dump"; then
    echo "FAIL: $out is not architecture $arch"; failed=1
  fi
done

# 3. The checker rejects broken copies (so its OK above means something).
run "$py" "$selftest" "$tmp/tiny-llama-q8_0.gguf" "$tmp"
run "$py" "$selftest" "$tmp/tiny-qwen2-q8_0.gguf" "$tmp"
run "$py" "$selftest" "$tmp/tiny-bert-q8_0.gguf" "$tmp"
run "$py" "$selftest" "$tmp/tiny-nomic-bert-f32.gguf" "$tmp"
for m in tiny-qwen3-f32 tiny-gemma3-q8_0 tiny-phi4-mini-f32 tiny-smollm3-q5_k_m \
         tiny-llama3.2-q8_0; do
  run "$py" "$selftest" "$tmp/$m.gguf" "$tmp"
done

rm -f "$tmp"/*.gguf
if [ "$failed" != 0 ]; then
  echo "gguf_compat_test: FAILED"
  exit 1
fi
echo "gguf_compat_test: all checks passed"
