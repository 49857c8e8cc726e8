# Sourced by the tests in this folder: writes a tiny random-weight model,
# starts `edgellm serve` (or $SERVE_BINARY) on loopback with the HTTP API,
# a bearer token and the chatml template, and sets
#   tmp model token http_port server_pid
# and a cleanup trap that kills the server. Extra serve flags: SERVE_ARGS.
bin=runtime/cli/edgellm
serve_binary="${SERVE_BINARY:-$bin}"
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

model="$tmp/tiny.gguf"
"$bin" make-model --shape tiny --output "$model" >/dev/null 2>&1 ||
  { echo "FAIL: make-model"; exit 1; }
token="test-token-$$"
echo "$token" >"$tmp/token"

# shellcheck disable=SC2086
"$serve_binary" serve --model "$model" --model-name tiny --listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --threads 1 --ctx 512 --chat-template chatml \
  --auth-token-file "$tmp/token" ${SERVE_ARGS:-} 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "edgellm serve: serving " "$tmp/server.log" && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: the server exited:"; cat "$tmp/server.log"; exit 1
  fi
  sleep 0.1
done
http_port="$(grep -o 'http listening on 127.0.0.1:[0-9]*' "$tmp/server.log" | head -1 | cut -d: -f2)"
if [ -z "$http_port" ]; then echo "FAIL: no HTTP port in the log:"; cat "$tmp/server.log"; exit 1; fi
