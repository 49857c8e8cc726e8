#!/usr/bin/env bash
# The HTTP facade on encoder models through curl, on make-model files the
# test writes (tiny-bert embeds, tiny-bert-rerank reranks), each served by
# `edgellm serve --http-listen` with a bearer token:
#   - POST /v1/embeddings: OpenAI's list of unit vectors, equal (1e-4) to
#     `edgellm embed --normalize --json` for texts and for the same texts'
#     token ids, usage.prompt_tokens their tokens;
#   - POST /v1/rerank: every document once, most relevant first, each
#     relevance_score equal (1e-4) to `edgellm rerank --json`'s score of its
#     index; top_n cuts to the best; return_documents adds the texts;
#   - errors are OpenAI's {"error": {...}}: 400 naming the field (query,
#     documents, documents[i] empty or over-long, too many documents, top_n,
#     a bad body), 404 for another model, 401 without the token, 501 for
#     /v1/rerank on a model that cannot rerank.
set -euo pipefail

bin=runtime/cli/edgellm
py=/usr/bin/python3
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

token="test-token-$$"
echo "$token" >"$tmp/token"
failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # name expected actual
  if [ "$2" == "$3" ]; then pass "$1"; else
    fail "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}

# serve NAME: serves $tmp/NAME.gguf as model NAME over HTTP; sets port.
serve() {
  local log="$tmp/$1.log"
  "$bin" serve --model "$tmp/$1.gguf" --model-name "$1" --listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --threads 1 --auth-token-file "$tmp/token" \
    2>"$log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    grep -q "edgellm serve: serving " "$log" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: the server exited:"; cat "$log"; exit 1
    fi
    sleep 0.1
  done
  port="$(grep -o 'http listening on 127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)"
  if [ -z "$port" ]; then echo "FAIL: no HTTP port in the log:"; cat "$log"; exit 1; fi
}

# post PORT PATH JSON [curl args...]: the body to $tmp/body, the status
# printed.
post() {
  local port="$1" path="$2" body="$3"; shift 3
  curl -sS -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
    "http://127.0.0.1:$port$path"
}
# json EXPR: EXPR on the JSON in $tmp/body (as `j`).
json() { "$py" -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$tmp/body"; }
# error STATUS PARAM NAME PORT PATH JSON: the request fails with STATUS and
# an OpenAI error body whose param is PARAM ("None": no param).
error() {
  local status="$1" param="$2" name="$3"; shift 3
  local got
  got="$(post "$@")"
  check "$name: $status, param $param" "$status $param" \
    "$got $(json 'j["error"]["param"]')"
}

for shape in tiny-bert tiny-bert-rerank; do
  "$bin" make-model --shape "$shape" --type f32 --output "$tmp/$shape.gguf" >/dev/null 2>&1 ||
    { echo "FAIL: make-model $shape"; exit 1; }
done
serve tiny-bert
embed_port="$port"
serve tiny-bert-rerank
rerank_port="$port"

texts=("a red ball" "the capital city of a country" "music" "red apples")
query="what is red"
texts_json="$("$py" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${texts[@]}")"
flags=()
for t in "${texts[@]}"; do flags+=(--text "$t"); done

# --- /v1/embeddings on an embedding model.
"$bin" embed --model "$tmp/tiny-bert.gguf" --normalize --json "${flags[@]}" \
  2>/dev/null | tail -n 1 >"$tmp/embed.json"
check "embeddings of texts: 200" 200 \
  "$(post "$embed_port" /v1/embeddings "{\"model\": \"tiny-bert\", \"input\": $texts_json}")"
cp "$tmp/body" "$tmp/embeddings_texts.json"
ids_json="$("$py" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["token_ids"]))' "$tmp/embed.json")"
check "embeddings of token ids: 200" 200 \
  "$(post "$embed_port" /v1/embeddings "{\"input\": $ids_json}")"
cp "$tmp/body" "$tmp/embeddings_ids.json"
for kind in texts ids; do
  if "$py" - "$tmp/embed.json" "$tmp/embeddings_$kind.json" <<'PY'; then
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
assert got["object"] == "list" and got["model"] == "tiny-bert", got
data = got["data"]
assert [d["index"] for d in data] == list(range(len(want["embeddings"]))), data
for d, w in zip(data, want["embeddings"]):
    assert d["object"] == "embedding"
    assert len(d["embedding"]) == want["dimensions"] == len(w)
    assert max(abs(a - b) for a, b in zip(d["embedding"], w)) <= 1e-4
tokens = sum(len(t) for t in want["token_ids"])
assert got["usage"]["prompt_tokens"] == tokens, (got["usage"], tokens)
PY
    pass "embeddings of $kind = edgellm embed --normalize (vectors, usage)"
  else
    fail "embeddings of $kind differ from edgellm embed --normalize"
  fi
done
error 501 None "/v1/rerank on an embedding model" "$embed_port" /v1/rerank \
  "{\"query\": \"q\", \"documents\": [\"a\"]}"

# --- /v1/rerank on a reranker.
rflags=()
for t in "${texts[@]}"; do rflags+=(--document "$t"); done
"$bin" rerank --model "$tmp/tiny-bert-rerank.gguf" --query "$query" --json \
  "${rflags[@]}" 2>/dev/null | tail -n 1 >"$tmp/rerank.json"
# ranked TOP_N RETURN_DOCUMENTS: the body against the command's scores.
ranked() {
  "$py" - "$tmp/rerank.json" "$tmp/body" "$1" "$2" "$texts_json" <<'PY'
import json, sys
scores = json.load(open(sys.argv[1]))["scores"]
got = json.load(open(sys.argv[2]))
top_n, with_docs, texts = int(sys.argv[3]), sys.argv[4] == "true", json.loads(sys.argv[5])
assert got["model"] == "tiny-bert-rerank" and got["object"] == "list", got
results = got["results"]
want = sorted(range(len(scores)), key=lambda i: -scores[i])[:top_n]
assert [r["index"] for r in results] == want, (results, scores)
for r in results:
    assert abs(r["relevance_score"] - scores[r["index"]]) <= 1e-4, (r, scores)
    assert ("document" in r) == with_docs, r
    if with_docs:
        assert r["document"]["text"] == texts[r["index"]], r
assert got["usage"]["prompt_tokens"] > 0 and got["usage"]["total_tokens"] == got["usage"]["prompt_tokens"]
PY
}
check "rerank: 200" 200 "$(post "$rerank_port" /v1/rerank \
  "{\"model\": \"tiny-bert-rerank\", \"query\": \"$query\", \"documents\": $texts_json}")"
ranked "${#texts[@]}" false && pass "rerank: every document, by score = edgellm rerank" ||
  { fail "rerank results differ from edgellm rerank"; cat "$tmp/body"; }
check "rerank top_n 2 with documents: 200" 200 "$(post "$rerank_port" /v1/rerank \
  "{\"query\": \"$query\", \"documents\": $texts_json, \"top_n\": 2, \"return_documents\": true}")"
ranked 2 true && pass "rerank: top_n 2 are the best two, with their texts" ||
  { fail "rerank top_n / return_documents"; cat "$tmp/body"; }
check "rerank of {\"text\"} documents: 200" 200 "$(post "$rerank_port" /v1/rerank \
  "{\"query\": \"$query\", \"documents\": $("$py" -c 'import json,sys; print(json.dumps([{"text": t} for t in sys.argv[1:]]))' "${texts[@]}")}")"
ranked "${#texts[@]}" false && pass "rerank: {\"text\"} documents score like strings" ||
  { fail "rerank of text objects"; cat "$tmp/body"; }

long="$("$py" -c 'print(" ".join(["red"] * 600))')"
many="$("$py" -c 'import json; print(json.dumps(["x"] * 513))')"
error 400 query "rerank without a query" "$rerank_port" /v1/rerank '{"documents": ["a"]}'
error 400 query "rerank with an empty query" "$rerank_port" /v1/rerank '{"query": "", "documents": ["a"]}'
error 400 documents "rerank without documents" "$rerank_port" /v1/rerank '{"query": "q"}'
error 400 documents "rerank with no documents" "$rerank_port" /v1/rerank '{"query": "q", "documents": []}'
error 400 documents "rerank with an empty document" "$rerank_port" /v1/rerank '{"query": "q", "documents": ["a", ""]}'
check "the empty document is named documents[1]" 1 \
  "$(json 'int(j["error"]["message"].startswith("documents[1]: "))')"
error 400 documents "rerank with an over-long document" "$rerank_port" /v1/rerank \
  "{\"query\": \"q\", \"documents\": [\"$long\"]}"
error 400 documents "rerank with 513 documents" "$rerank_port" /v1/rerank \
  "{\"query\": \"q\", \"documents\": $many}"
error 400 top_n "rerank with top_n 0" "$rerank_port" /v1/rerank '{"query": "q", "documents": ["a"], "top_n": 0}'
error 400 body "rerank of a body that is not JSON" "$rerank_port" /v1/rerank '{"query": '
error 404 model "rerank naming another model" "$rerank_port" /v1/rerank \
  '{"model": "other", "query": "q", "documents": ["a"]}'
check "rerank without the token: 401" 401 "$(curl -sS -o "$tmp/body" -w '%{http_code}' \
  -d '{"query": "q", "documents": ["a"]}' "http://127.0.0.1:$rerank_port/v1/rerank")"

# The server still serves, and logged its requests.
check "rerank after the errors: 200" 200 "$(post "$rerank_port" /v1/rerank \
  "{\"query\": \"$query\", \"documents\": $texts_json}")"
check "the reranker's log has the rerank requests" 1 \
  "$(grep -q 'POST /v1/rerank' "$tmp/tiny-bert-rerank.log" && echo 1 || echo 0)"

if [ "$failures" -ne 0 ]; then
  echo "--- server logs"; cat "$tmp"/*.log
  exit 1
fi
echo "all encoder HTTP checks passed"
