#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, make the
# default model, and stream a generation.
#
# The default model is one edgellm makes itself (no download): the "tiny"
# shape with RANDOM weights, so the text it streams is meaningless; every
# code path is the real one. To run a real model, see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
bazel build //:edgellm
bin=bazel-bin/runtime/cli/edgellm
mkdir -p out
model=out/tiny-random-q8_0.gguf
if [ ! -f "$model" ]; then
  "$bin" make-model --shape tiny --output "$model"
fi
prompt="${1:-once upon a time there was a little girl}"
echo "== edgellm generate (random-weight demo model: the text is meaningless)"
"$bin" generate --model "$model" --prompt "$prompt" --max-tokens 48 --seed 42
