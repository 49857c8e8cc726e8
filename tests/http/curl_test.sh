#!/usr/bin/env bash
# The HTTP facade through curl, on a tiny model the test writes, served by
# `edgellm serve` whose every forward pass takes 2 ms (so a long generation
# can be caught running) with one slot and no wait queue:
#   - a streamed chat completion is server-sent events ending in [DONE],
#     its text equal to the non-streamed answer, usage last;
#   - a streamed and a plain completion equal `edgellm generate
#     --temperature 0` on the same model;
#   - errors are OpenAI's {"error": {...}} with 400 (naming the param), 401,
#     404 (route, model), 429 (queue full), 503 (draining);
#   - a client that disconnects frees the slot at once;
#   - /health and /metrics answer without the token;
#   - a tool round trip (tools -> a streamed and a plain call -> the tool's
#     result -> the answer) on a second server whose model's replies are
#     scripted (tests/server/edgellm_with_scripted_replies).
set -euo pipefail

py=/usr/bin/python3
SERVE_BINARY=tests/server/edgellm_with_step_delay
SERVE_ARGS="--step-delay-ms 2 --parallel 1 --queue 0 --grace-seconds 20"
# shellcheck source=tests/http/start_server.sh
. tests/http/start_server.sh
url="http://127.0.0.1:$http_port"

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # name expected actual
  if [ "$2" == "$3" ]; then pass "$1"; else
    fail "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
# post PATH JSON [curl args...]: the body to $tmp/body, the status printed.
post() {
  local path="$1" body="$2"; shift 2
  curl -sS -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$body" "$@" "$url$path"
}
# json EXPR: evaluates EXPR on the JSON in $tmp/body (as `j`).
json() { "$py" -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$tmp/body"; }
# sse FILE: checks the event framing, prints the joined text, the finish
# reason and the usage's completion tokens (or -), space-separated by |.
sse() {
  "$py" - "$1" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
events = raw.split("\n\n")
assert events[-1] == "", "stream does not end with a blank line"
events = events[:-1]
assert events[-1] == "data: [DONE]", "last event is not [DONE]: %r" % events[-1]
text, finish, usage = "", None, "-"
for e in events[:-1]:
    assert e.startswith("data: ") and "\n" not in e, "bad event %r" % e
    chunk = json.loads(e[6:])
    assert "error" not in chunk, chunk
    if chunk.get("usage"):
        usage = chunk["usage"]["completion_tokens"]
        assert chunk["choices"] == [], "usage chunk carries choices"
    for c in chunk["choices"]:
        text += c.get("text", "") or (c.get("delta") or {}).get("content", "") or ""
        finish = c["finish_reason"] or finish
print("%s|%s|%s" % (json.dumps(text), finish, usage))
PY
}

chat='"messages": [{"role": "user", "content": "Say hello."}], "temperature": 0, "max_tokens": 12'

# --- Streamed chat: SSE framing, text = the non-streamed answer, usage.
curl -sSN -H "Authorization: Bearer $token" -D "$tmp/headers" \
  -d "{$chat, \"stream\": true, \"stream_options\": {\"include_usage\": true}}" \
  "$url/v1/chat/completions" >"$tmp/chat.sse"
grep -qi '^content-type: text/event-stream' "$tmp/headers" &&
  pass "chat stream is text/event-stream" || fail "chat stream content type"
streamed="$(sse "$tmp/chat.sse")" || { fail "chat stream framing"; cat "$tmp/chat.sse"; }
check "chat stream starts with the assistant role" "assistant" \
  "$("$py" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split("\n\n")[0][6:])["choices"][0]["delta"]["role"])' "$tmp/chat.sse")"
post /v1/chat/completions "{$chat}" >/dev/null
plain="$(json 'json.dumps(j["choices"][0]["message"]["content"]) + "|" + j["choices"][0]["finish_reason"] + "|" + str(j["usage"]["completion_tokens"])')"
check "streamed chat = non-streamed chat (text|finish|tokens)" "$plain" "$streamed"

# --- Completions equal the engine's greedy generation.
"$bin" generate --model "$model" --prompt "Once upon a time" --temperature 0 \
  -n 20 --threads 1 --ctx 512 --json >"$tmp/generate.json" 2>/dev/null
expected="$("$py" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["text"]))' "$tmp/generate.json")"
completion='"prompt": "Once upon a time", "temperature": 0, "max_tokens": 20'
curl -sSN -H "Authorization: Bearer $token" \
  -d "{$completion, \"stream\": true}" "$url/v1/completions" >"$tmp/completion.sse"
check "streamed completion = edgellm generate" "$expected" \
  "$(sse "$tmp/completion.sse" | cut -d'|' -f1)"
check "plain completion status" 200 "$(post /v1/completions "{$completion}")"
check "plain completion = edgellm generate" "$expected" "$(json 'json.dumps(j["choices"][0]["text"])')"
check "completion object" "text_completion" "$(json 'j["object"]')"

# --- Errors: status, OpenAI's body, the param.
check "no token: 401" 401 "$(curl -sS -o "$tmp/body" -w '%{http_code}' -d "{$chat}" "$url/v1/chat/completions")"
check "401 body" "authentication_error" "$(json 'j["error"]["type"]')"
check "wrong token: 401" 401 "$(curl -sS -o "$tmp/body" -w '%{http_code}' -H 'Authorization: Bearer nope' "$url/v1/models")"
check "temperature -1: 400" 400 "$(post /v1/completions '{"prompt": "x", "temperature": -1}')"
check "400 names the param" "temperature|invalid_request_error" "$(json 'j["error"]["param"] + "|" + j["error"]["type"]')"
check "n = 2: 400" 400 "$(post /v1/chat/completions "{$chat, \"n\": 2}")"
check "n = 2 names n" "n" "$(json 'j["error"]["param"]')"
check "broken JSON: 400" 400 "$(post /v1/completions '{"prompt": ')"
check "stop list too long: 400 naming stop" "400 stop" \
  "$(post /v1/completions '{"prompt": "x", "stop": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}') $(json 'j["error"]["param"]')"
check "prompt over the context: 400 naming prompt" "400 prompt" \
  "$(post /v1/completions "{\"prompt\": [$(seq -s, 1 600)]}") $(json 'j["error"]["param"]')"
check "unknown model: 404" "404 model" \
  "$(post /v1/completions '{"model": "gpt-4o", "prompt": "x"}') $(json 'j["error"]["param"]')"
check "unknown route: 404 JSON" "404 not_found" \
  "$(curl -sS -o "$tmp/body" -w '%{http_code}' "$url/v1/nothing") $(json 'j["error"]["code"]')"
check "GET on a POST route: 404" 404 "$(curl -sS -o /dev/null -w '%{http_code}' "$url/v1/completions")"

# --- 429 while the one slot is busy; a disconnect frees it at once.
long='"prompt": "Once", "max_tokens": 400, "ignore_eos": true'
curl -sSN --max-time 0.5 -H "Authorization: Bearer $token" \
  -d "{$long, \"stream\": true}" "$url/v1/completions" >"$tmp/cut.sse" 2>/dev/null &
cut_pid=$!
sleep 0.25
check "queue full: 429" 429 "$(post /v1/completions '{"prompt": "x", "max_tokens": 2}')"
check "429 body" "rate_limit_error" "$(json 'j["error"]["type"]')"
wait "$cut_pid" || true  # curl timed out: it left mid-stream
grep -q '^data: {' "$tmp/cut.sse" && pass "the cut stream had started" || fail "the cut stream had started"
sleep 0.1
check "after the disconnect the slot is free" 200 "$(post /v1/completions '{"prompt": "x", "max_tokens": 2}')"
grep -q 'POST /v1/completions .*finish=cancelled' "$tmp/server.log" &&
  pass "the server log shows the cancelled stream" || fail "no cancelled stream in the log"
generated="$(grep 'finish=cancelled' "$tmp/server.log" | head -1 | grep -o 'generated_tokens=[0-9]*' | cut -d= -f2)"
[ -n "$generated" ] && [ "$generated" -lt 400 ] &&
  pass "the cancelled stream stopped early ($generated of 400 tokens)" || fail "cancelled stream ran on: $generated"
# Non-streamed too: the client leaves, the generation stops.
curl -sS --max-time 0.3 -o /dev/null -H "Authorization: Bearer $token" \
  -d "{$long}" "$url/v1/completions" 2>/dev/null || true
sleep 0.1
check "a plain request's disconnect frees the slot" 200 "$(post /v1/completions '{"prompt": "x", "max_tokens": 2}')"

# --- Embeddings, models.
check "embeddings" "200 2 list" "$(post /v1/embeddings '{"input": ["a", "b"]}') $(json 'len(j["data"])') $(json 'j["object"]')"
check "models" "200 tiny" "$(curl -sS -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/v1/models") $(json 'j["data"][0]["id"]')"

# --- Health and metrics, no token needed.
check "health" '200 ok' "$(curl -sS -o "$tmp/body" -w '%{http_code}' "$url/health") $(json 'j["status"]')"
curl -sS "$url/metrics" >"$tmp/metrics"
for line in 'edgellm_requests_total{protocol="http",method="POST /v1/completions",code="429"} 1' \
            'edgellm_requests_total{protocol="http",method="POST /v1/chat/completions",code="401"} 1' \
            'vllm:num_requests_waiting{model_name="tiny"} 0' \
            'vllm:num_requests_running{model_name="tiny"} 0' \
            'vllm:kv_cache_usage_perc{model_name="tiny"} 0' \
            'vllm:gpu_cache_usage_perc{model_name="tiny"} 0' \
            'edgellm_ready 1'; do
  grep -qxF "$line" "$tmp/metrics" && pass "metrics: $line" || fail "metrics lack: $line"
done

# --- A tool round trip on the second server, whose model calls a weather
# function (its replies scripted; template, parser and facade real). The
# expected call and answer are read from the replies file.
start_tool_server
tool_url="http://127.0.0.1:$tool_http_port"
replies=tests/server/tools/weather_replies.json
# script: "name|arguments|reasoning|answer" of the scripted model.
script="$("$py" - "$replies" <<'PY'
import json, re, sys
name = arguments = reasoning = answer = ""
for r in json.load(open(sys.argv[1])):
    call = re.search(r"<tool_call>(.*?)</tool_call>", r["reply"], re.S)
    if call is None:
        answer = r["reply"]
        continue
    c = json.loads(call.group(1))
    name = c["name"]
    arguments = json.dumps(c["arguments"], separators=(",", ":"))
    reasoning = re.search(r"<think>(.*?)</think>", r["reply"], re.S).group(1).strip()
print("|".join([name, arguments, json.dumps(reasoning), json.dumps(answer)]))
PY
)"
# (with max_tokens: the call is longer than the default 128 tokens)
tools='"max_tokens": 300, "tools": [{"type": "function", "function": {"name": "get_weather", "description": "The weather now at a place.", "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}]'
question='{"role": "user", "content": "What is the weather in Paris?"}'
# tool_sse FILE: the streamed calls merged by index as OpenAI's clients
# merge them, then "name|arguments|reasoning|content|finish|id prefix".
tool_sse() {
  "$py" - "$1" <<'PY'
import json, sys
events = open(sys.argv[1]).read().split("\n\n")
assert events[-2] == "data: [DONE]", events[-2:]
calls, reasoning, content, finish = {}, "", "", None
for e in events[:-2]:
    chunk = json.loads(e[6:])
    assert "error" not in chunk, chunk
    for c in chunk["choices"]:
        d = c["delta"]
        reasoning += d.get("reasoning_content") or ""
        content += d.get("content") or ""
        for t in d.get("tool_calls") or []:
            assert t["type"] == "function", t
            call = calls.setdefault(t["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] += t.get("id") or ""
            call["name"] += t["function"].get("name") or ""
            call["arguments"] += t["function"].get("arguments") or ""
        finish = c["finish_reason"] or finish
assert list(calls) == [0], calls
c = calls[0]
print("|".join([c["name"], c["arguments"], json.dumps(reasoning.strip()),
                json.dumps(content.strip()), finish, c["id"][:5]]))
PY
}
tpost() {  # like post, on the tool server
  local body="$1"; shift
  curl -sS -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$body" "$@" "$tool_url/v1/chat/completions"
}
expected_call="$(echo "$script" | cut -d'|' -f1-3)"
curl -sSN -H "Authorization: Bearer $token" \
  -d "{\"messages\": [$question], $tools, \"stream\": true}" \
  "$tool_url/v1/chat/completions" >"$tmp/tool.sse"
check "tool call streamed: delta.tool_calls, reasoning_content, no content, finish tool_calls" \
  "$expected_call|\"\"|tool_calls|call_" "$(tool_sse "$tmp/tool.sse")"
check "tool call, not streamed: 200" 200 "$(tpost "{\"messages\": [$question], $tools}")"
check "message.tool_calls, content null, finish tool_calls" \
  "$(echo "$expected_call" | cut -d'|' -f1-2)|None|tool_calls|function" \
  "$(json '"|".join([j["choices"][0]["message"]["tool_calls"][0]["function"]["name"], j["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], str(j["choices"][0]["message"]["content"]), j["choices"][0]["finish_reason"], j["choices"][0]["message"]["tool_calls"][0]["type"]])')"
# The client sends the assistant's message back with the tool's result.
assistant="$(json 'json.dumps(j["choices"][0]["message"])')"
call_id="$(json 'j["choices"][0]["message"]["tool_calls"][0]["id"]')"
result="{\"role\": \"tool\", \"tool_call_id\": \"$call_id\", \"content\": \"{\\\"temperature\\\": 18, \\\"sky\\\": \\\"rain\\\"}\"}"
check "the answer after the tool result: 200" 200 \
  "$(tpost "{\"messages\": [$question, $assistant, $result], $tools}")"
check "the answer is the model's text, finish stop" \
  "$(echo "$script" | cut -d'|' -f4)|stop|False" \
  "$(json 'json.dumps(j["choices"][0]["message"]["content"]) + "|" + j["choices"][0]["finish_reason"] + "|" + str("tool_calls" in j["choices"][0]["message"])')"
check "tool_choice none: text, no call" "stop|False" \
  "$(tpost "{\"messages\": [$question], $tools, \"tool_choice\": \"none\"}" >/dev/null; json 'j["choices"][0]["finish_reason"] + "|" + str("tool_calls" in j["choices"][0]["message"])')"
check "bad tool parameters: 400 naming tools" "400 tools" \
  "$(tpost "{\"messages\": [$question], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": 3}}]}") $(json 'j["error"]["param"]')"
check "a forced call: 400 naming tool_choice" "400 tool_choice" \
  "$(tpost "{\"messages\": [$question], $tools, \"tool_choice\": \"required\"}") $(json 'j["error"]["param"]')"
kill -TERM "$tool_server_pid"
wait "$tool_server_pid" && code=0 || code=$?
tool_server_pid=""
check "tool server exits 0" 0 "$code"

# --- Draining: a running stream finishes, new requests and /health get 503.
curl -sSN -H "Authorization: Bearer $token" -d "{$long, \"stream\": true}" \
  "$url/v1/completions" >"$tmp/drain.sse" &
drain_pid=$!
sleep 0.2
kill -TERM "$server_pid"
for _ in $(seq 1 50); do grep -q "draining" "$tmp/server.log" && break; sleep 0.02; done
check "draining: health 503" "503 draining" "$(curl -sS -o "$tmp/body" -w '%{http_code}' "$url/health") $(json 'j["status"]')"
check "draining: requests 503" 503 "$(post /v1/completions '{"prompt": "x"}')"
wait "$drain_pid"
check "the stream running at SIGTERM finished" "length" "$(sse "$tmp/drain.sse" | cut -d'|' -f2)"
wait "$server_pid" && code=0 || code=$?
server_pid=""
check "server exits 0" 0 "$code"

if [ "$failures" -ne 0 ]; then
  echo "--- server log"; cat "$tmp/server.log"
  exit 1
fi
echo "all curl checks passed"
