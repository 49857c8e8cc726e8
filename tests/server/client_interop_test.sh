#!/usr/bin/env bash
# Runs one example client (cpp, python or node) against a real `edgellm serve`
# on a loopback port and checks that its streamed greedy text equals
# `edgellm generate --temperature 0` on the same model. Also checks that the
# client reports a server error (bad temperature) with a non-zero exit, and
# (Python) that --embed prints unit vectors of the model's width.
#
#   client_interop_test.sh cpp|python|node TINY_MODEL
#
# The model is stories260K from ../shared when it is there, else the tiny
# random-weight model the suite makes (//tests/testing:tiny_model), so a
# fresh clone runs the clients too. Skips (tests/testing/skip.sh) when
# /usr/bin/python3 with grpc or examples/node/node_modules (tools/setup.sh
# runs `npm ci`) is missing.
set -euo pipefail
source tests/testing/skip.sh

lang="$1"
tiny_model="$2"
bin=runtime/cli/edgellm

find_shared
model="$shared/models/stories260K/stories260K-f32.gguf"
width=64
if [ -z "$shared" ] || [ ! -f "$model" ]; then
  echo "no ../shared here: running on the tiny model the suite makes"
  model="$tiny_model"
  width=128
fi

case "$lang" in
  cpp) client=(examples/cpp/client) ;;
  python)
    if ! /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
      skip_test "/usr/bin/python3 has no grpc module (install python3-grpcio)"
    fi
    client=(/usr/bin/python3 examples/python/client.py)
    ;;
  node)
    script="$(readlink -f examples/node/client.js)"
    if ! command -v node >/dev/null || [ ! -d "$(dirname "$script")/node_modules/@grpc/grpc-js" ]; then
      skip_test "node or examples/node/node_modules missing (run tools/setup.sh, which runs npm ci)"
    fi
    client=(node "$script")
    ;;
  *) echo "usage: $0 cpp|python|node" >&2; exit 2 ;;
esac

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" serve --model "$model" --listen 127.0.0.1:0 --threads 1 --ctx 512 \
  2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "edgellm serve: serving " "$tmp/server.log" && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: the server exited:"; cat "$tmp/server.log"; exit 1
  fi
  sleep 0.1
done
port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/server.log" | head -1 | cut -d: -f2)"
if [ -z "$port" ]; then echo "FAIL: no port in the log:"; cat "$tmp/server.log"; exit 1; fi

failures=0
check() {  # name expected actual
  if [ "$2" == "$3" ]; then
    echo "PASS: $1"
  else
    echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"
    failures=$((failures + 1))
  fi
}

for prompt in "Once upon a time" "The little dog"; do
  expected="$("$bin" generate --model "$model" --prompt "$prompt" \
    --temperature 0 -n 40 --threads 1 --ctx 512 2>/dev/null)"
  actual="$("${client[@]}" --server "127.0.0.1:$port" --prompt "$prompt" \
    --temperature 0 --max-tokens 40 2>"$tmp/client.err")" || {
    echo "FAIL: $lang client exited non-zero:"; cat "$tmp/client.err"; failures=$((failures + 1)); }
  check "$lang greedy stream for \"$prompt\"" "$expected" "$actual"
  grep -q "finish=FINISH_REASON_LENGTH" "$tmp/client.err" ||
    { echo "FAIL: no finish line from the client:"; cat "$tmp/client.err"; failures=$((failures + 1)); }
done

if "${client[@]}" --server "127.0.0.1:$port" --temperature -1 \
    >/dev/null 2>"$tmp/client.err"; then
  echo "FAIL: $lang client exited 0 on INVALID_ARGUMENT"; failures=$((failures + 1))
elif grep -q "temperature" "$tmp/client.err"; then
  echo "PASS: $lang client reports the server's error"
else
  echo "FAIL: error not reported:"; cat "$tmp/client.err"; failures=$((failures + 1))
fi

if [ "$lang" == python ]; then
  # Embed: two unit vectors of the model's width (stories260K: 64, tiny: 128).
  if "${client[@]}" --server "127.0.0.1:$port" --embed --normalize \
      --pooling mean --text "Once upon a time" --text "The little dog" \
      >"$tmp/embed.out" 2>"$tmp/client.err"; then
    shape="$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i * $i;
                    printf "%d:%.4f\n", NF, sqrt(s) }' "$tmp/embed.out" | tr '\n' ' ')"
    check "python embed: 2 unit vectors of $width" "$width:1.0000 $width:1.0000 " "$shape"
  else
    echo "FAIL: python --embed exited non-zero:"; cat "$tmp/client.err"; failures=$((failures + 1))
  fi
fi

kill -TERM "$server_pid"
wait "$server_pid" && code=0 || code=$?
server_pid=""
check "server exits 0 on SIGTERM" 0 "$code"
grep -q "request 1 Generate" "$tmp/server.log" || { echo "FAIL: no request log line"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
echo "all $lang client checks passed"
