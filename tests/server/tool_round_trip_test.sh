#!/usr/bin/env bash
# Runs one example client (cpp, python or node) with --weather-tool against
# the real server whose model calls a weather function
# (edgellm_with_scripted_replies, the Hermes-style template and replies of
# tests/server/tools) on a tiny random model the test writes: the client
# sends the tool, gets the call, runs its get_weather() and sends the result
# back; its stdout must be the model's answer and its stderr must show the
# call. The expected call and answer are read from the replies file.
#
#   tool_round_trip_test.sh cpp|python|node
#
# Skips (tests/testing/skip.sh; a failure under CI=true) when
# /usr/bin/python3 with grpc, or node with examples/node/node_modules
# (tools/setup.sh runs `npm ci`), is missing for the client that needs it.
# Needs no ../shared.
set -euo pipefail
source tests/testing/skip.sh

lang="$1"
bin=runtime/cli/edgellm
py=/usr/bin/python3
replies=tests/server/tools/weather_replies.json

case "$lang" in
  cpp) client=(examples/cpp/client) ;;
  python)
    if ! "$py" -c 'import grpc' 2>/dev/null; then
      skip_test "/usr/bin/python3 has no grpc module (install python3-grpcio)"
    fi
    client=("$py" examples/python/client.py)
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

"$bin" make-model --shape tiny --output "$tmp/tiny.gguf" >/dev/null 2>&1 ||
  { echo "FAIL: make-model"; exit 1; }
tests/server/edgellm_with_scripted_replies serve --model "$tmp/tiny.gguf" \
  --listen 127.0.0.1:0 --threads 1 --ctx 1024 \
  --chat-template tests/server/tools/hermes_tools.jinja \
  --scripted-replies "$replies" 2>"$tmp/server.log" &
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

# The scripted model's call ("name compact-arguments") and its answer.
"$py" - "$replies" "$tmp" <<'PY'
import json, re, sys
for r in json.load(open(sys.argv[1])):
    call = re.search(r"<tool_call>(.*?)</tool_call>", r["reply"], re.S)
    if call is None:
        open(sys.argv[2] + "/answer", "w").write(r["reply"] + "\n")
        continue
    c = json.loads(call.group(1))
    open(sys.argv[2] + "/call", "w").write("%s %s\n" % (
        c["name"], json.dumps(c["arguments"], separators=(",", ":"))))
PY

failures=0
check() {  # name expected actual
  if [ "$2" == "$3" ]; then
    echo "PASS: $1"
  else
    echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"
    failures=$((failures + 1))
  fi
}

if "${client[@]}" --server "127.0.0.1:$port" --weather-tool --temperature 0 \
    --max-tokens 200 --prompt "What is the weather in Paris?" \
    >"$tmp/client.out" 2>"$tmp/client.err"; then
  check "$lang client prints the model's answer" "$(cat "$tmp/answer")" "$(cat "$tmp/client.out")"
  check "$lang client got the tool call" "# tool call: $(cat "$tmp/call")" \
    "$(grep '^# tool call: ' "$tmp/client.err")"
  check "$lang client: a call, then an answer" \
    "# finish=FINISH_REASON_TOOL_CALLS # finish=FINISH_REASON_END_OF_GENERATION" \
    "$(grep '^# finish=' "$tmp/client.err" | tr '\n' ' ' | sed 's/ $//')"
  grep -q '^# reasoning: .' "$tmp/client.err" &&
    echo "PASS: $lang client got the reasoning apart" ||
    { echo "FAIL: no reasoning from the $lang client"; failures=$((failures + 1)); }
  grep -q '^# tool result: {.*"location": *"Paris"' "$tmp/client.err" &&
    echo "PASS: $lang client ran its tool on the call's arguments" ||
    { echo "FAIL: no tool result for Paris"; failures=$((failures + 1)); }
else
  echo "FAIL: $lang client exited non-zero"; failures=$((failures + 1))
fi

kill -TERM "$server_pid"
wait "$server_pid" && code=0 || code=$?
server_pid=""
check "server exits 0 on SIGTERM" 0 "$code"
check "the server served two Chat calls" 2 "$(grep -c 'request [0-9]* Chat' "$tmp/server.log" || true)"

if [ "$failures" -ne 0 ]; then
  echo "--- client stderr"; cat "$tmp/client.err"
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
echo "all $lang tool round-trip checks passed"
