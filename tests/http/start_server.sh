# Sourced by the tests in this folder: writes a tiny random-weight model,
# starts `edgellm serve` (or $SERVE_BINARY) on loopback with the HTTP API,
# a bearer token and the chatml template, and sets
#   tmp model token http_port server_pid
# and a cleanup trap that kills every server started here. Extra serve
# flags: SERVE_ARGS.
#
# start_tool_server: a second server, whose model calls a weather tool
# (tests/server/edgellm_with_scripted_replies with the Hermes-style template
# and replies of tests/server/tools), on the same model and token; sets
#   tool_http_port tool_server_pid
bin=runtime/cli/edgellm
serve_binary="${SERVE_BINARY:-$bin}"
tmp="$(mktemp -d)"
server_pid=""
tool_server_pid=""
cleanup() {
  for pid in "$server_pid" "$tool_server_pid"; do
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

model="$tmp/tiny.gguf"
"$bin" make-model --shape tiny --output "$model" >/dev/null 2>&1 ||
  { echo "FAIL: make-model"; exit 1; }
token="test-token-$$"
echo "$token" >"$tmp/token"

# launch_server LOG BINARY ARGS...: starts BINARY serve on the model with
# ARGS, waits until it serves; sets launched_pid and launched_http_port.
launch_server() {
  local log="$1" binary="$2"; shift 2
  "$binary" serve --model "$model" --model-name tiny --listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --threads 1 \
    --auth-token-file "$tmp/token" "$@" 2>"$log" &
  launched_pid=$!
  for _ in $(seq 1 300); do
    grep -q "edgellm serve: serving " "$log" && break
    if ! kill -0 "$launched_pid" 2>/dev/null; then
      echo "FAIL: the server exited:"; cat "$log"; exit 1
    fi
    sleep 0.1
  done
  launched_http_port="$(grep -o 'http listening on 127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)"
  if [ -z "$launched_http_port" ]; then echo "FAIL: no HTTP port in the log:"; cat "$log"; exit 1; fi
}

start_tool_server() {
  launch_server "$tmp/tool_server.log" tests/server/edgellm_with_scripted_replies \
    --ctx 1024 --chat-template tests/server/tools/hermes_tools.jinja \
    --scripted-replies tests/server/tools/weather_replies.json
  tool_server_pid="$launched_pid"
  tool_http_port="$launched_http_port"
}

# shellcheck disable=SC2086
launch_server "$tmp/server.log" "$serve_binary" --ctx 512 --chat-template chatml \
  ${SERVE_ARGS:-}
server_pid="$launched_pid"
http_port="$launched_http_port"
