#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, make the
# default model, start the gRPC server on it, stream a generation through a
# real gRPC client in another language (Python), and stop the server.
#
#   tools/demo.sh [PROMPT]           the default model (see below)
#   MODEL=path/to.gguf tools/demo.sh  any GGUF model you have
#
# The default model is one edgellm makes itself (no download): the "tiny"
# shape with RANDOM weights, so the text it streams is meaningless; every
# code path is the real one. README.md shows how to run a real model.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
echo "== building"
bazel build //:edgellm
bin=bazel-bin/runtime/cli/edgellm
model="${MODEL:-}"
if [ -z "$model" ]; then
  mkdir -p out
  model=out/tiny-random-q8_0.gguf
  if [ ! -f "$model" ]; then
    "$bin" make-model --shape tiny --output "$model"
  fi
  echo "== default model $model: RANDOM weights, the text will be meaningless"
fi
prompt="${1:-once upon a time there was a little girl}"

log="$(mktemp)"
"$bin" serve --model "$model" --listen 127.0.0.1:0 --threads 2 2>"$log" &
server=$!
cleanup() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

address=""
for _ in $(seq 1 300); do
  address="$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -n 1)"
  [ -n "$address" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "demo: the server exited:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "demo: the server did not start listening within 30 s" >&2
  cat "$log" >&2
  exit 1
fi
echo "== server listening on $address; streaming from the Python gRPC client"
/usr/bin/python3 examples/python/client.py --server "$address" --info \
    --prompt "$prompt" --max-tokens 48 --seed 42
echo "== server log"
cat "$log"
