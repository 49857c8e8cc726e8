#!/usr/bin/env bash
# The Python client's --rag demo end to end, on models the test writes with
# make-model (no reference data needed), three servers:
#   - an embedding server (tiny-bert): the passages and the question are
#     embedded and ranked by cosine;
#   - a reranker server (tiny-bert-rerank): the --top 3 are reranked;
#   - a generation server (tests/server/edgellm_with_scripted_replies on the
#     tiny decoder, chatml): its model replies "From passage I." when the
#     rendered Chat prompt contains passage I, so the reply shows which
#     passage reached the prompt.
# The expected passage is computed apart, with `edgellm embed --normalize
# --json` (cosine top 3) and `edgellm rerank --json` (the best of those), for
# a question where the reranker changes the cosine's pick (so a demo that
# skipped the reranker would fail); without --rerank-server the cosine's
# best must win.
#
# Skips (tests/testing/skip.sh; a failure under CI=true) when
# /usr/bin/python3 has no grpc.
set -euo pipefail
source tests/testing/skip.sh

bin=runtime/cli/edgellm
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import grpc' 2>/dev/null ||
  skip_test "/usr/bin/python3 has no grpc module (install python3-grpcio)"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # name expected actual
  if [ "$2" == "$3" ]; then pass "$1"; else
    fail "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}

# serve LOG BINARY ARGS...: starts BINARY serve ARGS and waits until it
# serves; sets port.
serve() {
  local log="$1" binary="$2"; shift 2
  "$binary" serve --listen 127.0.0.1:0 --threads 1 "$@" 2>"$log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    grep -q "edgellm serve: serving " "$log" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: a server exited:"; cat "$log"; exit 1
    fi
    sleep 0.1
  done
  port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)"
  if [ -z "$port" ]; then echo "FAIL: no port in the log:"; cat "$log"; exit 1; fi
}

for shape in tiny-bert tiny-bert-rerank tiny; do
  "$bin" make-model --shape "$shape" --output "$tmp/$shape.gguf" >/dev/null 2>&1 ||
    { echo "FAIL: make-model $shape"; exit 1; }
done

passages=(
  "the river of paris is the seine"
  "a red ball and a blue car"
  "the capital city of france is paris"
  "music of the mountain"
  "a vector search model for retrieval"
  "a book on language and data"
)
questions=(
  "what is the capital of france"
  "which river is in paris"
  "how does retrieval with a vector work"
  "what is red"
  "which book is on language"
  "what music is on the mountain"
  "what is a query"
  "which car is blue"
)
top=3

# The expected pick, computed with the commands: for the first question
# whose rerank of the cosine's top 3 picks another passage than the
# cosine's best (clear margins, so float rounding cannot flip them), prints
# "QUESTION_INDEX COSINE_BEST RERANK_BEST TOP..." ; "" when none does.
embed_args=()
for t in "${questions[@]}" "${passages[@]}"; do embed_args+=(--text "$t"); done
"$bin" embed --model "$tmp/tiny-bert.gguf" --normalize --json "${embed_args[@]}" \
  >"$tmp/embed.json" 2>/dev/null || { echo "FAIL: edgellm embed"; exit 1; }
pick="$("$py" - "$tmp" "$bin" "$top" "${#questions[@]}" "${questions[@]}" "${passages[@]}" <<'PY'
import json, subprocess, sys
tmp, binary, top, nq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
texts = sys.argv[5:]
questions, passages = texts[:nq], texts[nq:]
vectors = json.loads(open(tmp + "/embed.json").read().strip().splitlines()[-1])["embeddings"]
for qi, q in enumerate(questions):
    cos = [sum(a * b for a, b in zip(vectors[qi], v)) for v in vectors[nq:]]
    order = sorted(range(len(passages)), key=lambda i: -cos[i])
    if any(cos[order[k]] - cos[order[k + 1]] < 1e-3 for k in range(top)):
        continue
    best3 = order[:top]
    out = subprocess.run([binary, "rerank", "--model", tmp + "/tiny-bert-rerank.gguf",
                          "--query", q, "--json"] +
                         sum([["--document", passages[i]] for i in best3], []),
                         capture_output=True, text=True, check=True).stdout
    scores = json.loads(out.strip().splitlines()[-1])["scores"]
    ranked = sorted(range(top), key=lambda k: -scores[k])
    if scores[ranked[0]] - scores[ranked[1]] < 1e-3 or ranked[0] == 0:
        continue
    print(qi, best3[0], best3[ranked[0]], *best3)
    break
PY
)"
if [ -z "$pick" ]; then
  echo "FAIL: no question where the reranker changes the cosine's pick," \
    "so this test could not tell the reranker was used"
  exit 1
fi
read -r qi cosine_best rerank_best top_passages <<<"$pick"
question="${questions[$qi]}"
echo "question \"$question\": cosine picks passage $cosine_best, the reranker $rerank_best (top: $top_passages)"

# The generation model's scripted replies: "From passage I." when the
# prompt holds passage I.
"$py" - "$tmp/replies.json" "${passages[@]}" <<'PY'
import json, sys
json.dump([{"when_prompt_contains": p, "reply": "From passage %d." % i}
           for i, p in enumerate(sys.argv[2:])], open(sys.argv[1], "w"))
PY

serve "$tmp/embed.log" "$bin" --model "$tmp/tiny-bert.gguf"
embed_port="$port"
serve "$tmp/rerank.log" "$bin" --model "$tmp/tiny-bert-rerank.gguf"
rerank_port="$port"
serve "$tmp/chat.log" tests/server/edgellm_with_scripted_replies \
  --model "$tmp/tiny.gguf" --ctx 1024 --chat-template chatml \
  --scripted-replies "$tmp/replies.json"
chat_port="$port"

passage_flags=()
for p in "${passages[@]}"; do passage_flags+=(--passage "$p"); done
rag() {
  "$py" examples/python/client.py --rag --server "127.0.0.1:$chat_port" \
    --embed-server "127.0.0.1:$embed_port" --top "$top" --temperature 0 \
    --max-tokens 32 --prompt "$question" "${passage_flags[@]}" "$@"
}

if rag --rerank-server "127.0.0.1:$rerank_port" >"$tmp/rag.out" 2>"$tmp/rag.err"; then
  check "the reranker's pick reaches the Chat prompt (the scripted reply)" \
    "From passage $rerank_best." "$(cat "$tmp/rag.out")"
  check "the chosen passage is logged" \
    "# passage: $rerank_best: ${passages[$rerank_best]}" "$(grep '^# passage: ' "$tmp/rag.err")"
  check "the reranker saw the cosine's top $top, in cosine order" "$top_passages" \
    "$(sed -n 's/^# rerank: [^ ]* \[\([0-9]*\)\].*/\1/p' "$tmp/rag.err" | tr '\n' ' ' | sed 's/ $//')"
else
  fail "--rag exited non-zero: $(cat "$tmp/rag.err")"
fi

if rag >"$tmp/rag.out" 2>"$tmp/rag.err"; then
  check "without a reranker the cosine's best reaches the prompt" \
    "From passage $cosine_best." "$(cat "$tmp/rag.out")"
  grep -q '^# rerank: ' "$tmp/rag.err" && fail "reranked without --rerank-server" ||
    pass "no rerank without --rerank-server"
else
  fail "--rag without a reranker exited non-zero: $(cat "$tmp/rag.err")"
fi

check "the generation server served two Chat calls" 2 \
  "$(grep -c 'request [0-9]* Chat' "$tmp/chat.log" || true)"
check "the embedding server served two Embed calls" 2 \
  "$(grep -c 'request [0-9]* Embed' "$tmp/embed.log" || true)"
check "the reranker served one Rerank call" 1 \
  "$(grep -c 'request [0-9]* Rerank' "$tmp/rerank.log" || true)"

if [ "$failures" -ne 0 ]; then
  echo "--- client stderr"; cat "$tmp/rag.err"
  echo "--- server logs"; cat "$tmp"/*.log
  exit 1
fi
echo "all RAG demo checks passed"
