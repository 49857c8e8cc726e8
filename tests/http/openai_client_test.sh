#!/usr/bin/env bash
# The official `openai` Node.js client (tests/http/node, pinned in its
# package-lock.json and installed by tools/setup.sh) against the real
# server on a tiny model: models, a streamed chat completion, a completion
# equal to `edgellm generate --temperature 0`, embeddings, typed errors;
# then a tool round trip (node/openai_tools.mjs) against a server whose
# model calls a weather function (its replies scripted).
# Skips (tests/testing/skip.sh) when node or the installed client is
# missing.
set -euo pipefail
source tests/testing/skip.sh

script="$(readlink -f tests/http/node/openai_client.mjs)"
if ! command -v node >/dev/null || [ ! -d "$(dirname "$script")/node_modules/openai" ]; then
  skip_test "node or tests/http/node/node_modules missing (run tools/setup.sh, which runs npm ci)"
fi

# shellcheck source=tests/http/start_server.sh
. tests/http/start_server.sh

"$bin" generate --model "$model" --prompt "Once upon a time" --temperature 0 \
  -n 16 --threads 1 --ctx 512 --json >"$tmp/generate.json" 2>/dev/null
if ! node "$script" "http://127.0.0.1:$http_port/v1" "$token" "$tmp/generate.json"; then
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""

# A tool round trip, against a server whose model calls a weather tool.
start_tool_server
if ! node "$(dirname "$script")/openai_tools.mjs" "http://127.0.0.1:$tool_http_port/v1" \
    "$token" tests/server/tools/weather_replies.json; then
  echo "--- server log"; cat "$tmp/tool_server.log"
  exit 1
fi
kill -TERM "$tool_server_pid"
wait "$tool_server_pid"
tool_server_pid=""
