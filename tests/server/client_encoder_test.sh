#!/usr/bin/env bash
# Runs one example client (cpp, python or node) against `edgellm serve` on
# encoder models the test writes with make-model (no reference data needed):
#   - --embed on an embedding model (tiny-bert) prints the vectors
#     `edgellm embed --normalize --json` prints for the same texts (within
#     1e-4), and their count and dimensions on stderr;
#   - --rerank on a reranker (tiny-bert-rerank) prints the scores
#     `edgellm rerank --json` prints, in input order, each beside its
#     document;
#   - --rerank on the embedding model exits non-zero naming UNIMPLEMENTED.
#
#   client_encoder_test.sh cpp|python|node
#
# Skips (tests/testing/skip.sh; a failure under CI=true) when /usr/bin/python3
# with grpc, or node with examples/node/node_modules (tools/setup.sh runs
# `npm ci`), is missing for the client that needs it.
set -euo pipefail
source tests/testing/skip.sh

lang="$1"
bin=runtime/cli/edgellm
py=/usr/bin/python3
[ -x "$py" ] || skip_test "no /usr/bin/python3 (it compares the numbers)"

case "$lang" in
  cpp) client=(examples/cpp/client) ;;
  python)
    "$py" -c 'import grpc' 2>/dev/null ||
      skip_test "/usr/bin/python3 has no grpc module (install python3-grpcio)"
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
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }

# serve MODEL LOG: starts a server on MODEL and waits until it serves; sets
# port (and records the pid for the cleanup).
serve() {
  "$bin" serve --model "$1" --listen 127.0.0.1:0 --threads 1 --parallel 1 \
    2>"$2" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    grep -q "edgellm serve: serving " "$2" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: the server on $1 exited:"; cat "$2"; exit 1
    fi
    sleep 0.1
  done
  port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$2" | head -1 | cut -d: -f2)"
  if [ -z "$port" ]; then echo "FAIL: no port in the log:"; cat "$2"; exit 1; fi
}

# compare NAME KEY COMMAND_JSON CLIENT_OUT: the client's lines (floats
# separated by spaces, or "score<TAB>document") against the command's JSON
# (its last line; KEY "embeddings" or "scores"), within 1e-4.
compare() {
  if "$py" - "$2" "$3" "$4" <<'PY'; then pass "$1"; else fail "$1"; fi
import json, sys
key, want_file, got_file = sys.argv[1:]
want = json.loads(open(want_file).read().strip().splitlines()[-1])[key]
got = [[float(v) for v in line.split("\t")[0].split()]
       for line in open(got_file).read().splitlines() if line]
if key == "scores":
    want = [[s] for s in want]
ok = len(got) == len(want) > 0 and all(
    len(g) == len(w) > 0 and all(abs(a - b) <= 1e-4 for a, b in zip(g, w))
    for g, w in zip(got, want))
if not ok:
    print("  expected:", want, "\n  actual:  ", got)
sys.exit(0 if ok else 1)
PY
}

embedder="$tmp/tiny-bert.gguf"
reranker="$tmp/tiny-bert-rerank.gguf"
"$bin" make-model --shape tiny-bert --type f32 --output "$embedder" >/dev/null 2>&1 ||
  { echo "FAIL: make-model tiny-bert"; exit 1; }
"$bin" make-model --shape tiny-bert-rerank --type f32 --output "$reranker" >/dev/null 2>&1 ||
  { echo "FAIL: make-model tiny-bert-rerank"; exit 1; }
serve "$embedder" "$tmp/embed.log"
embed_port="$port"
serve "$reranker" "$tmp/rerank.log"
rerank_port="$port"

texts=("a red ball" "the capital city of a country" "music")
query="what is red"
text_flags=() document_flags=()
for t in "${texts[@]}"; do
  text_flags+=(--text "$t")
  document_flags+=(--document "$t")
done

"$bin" embed --model "$embedder" --normalize --json "${text_flags[@]}" \
  >"$tmp/embed.json" 2>/dev/null
if "${client[@]}" --server "127.0.0.1:$embed_port" --embed --normalize \
    "${text_flags[@]}" >"$tmp/embed.out" 2>"$tmp/client.err"; then
  compare "$lang embed: the vectors of edgellm embed --normalize" embeddings \
    "$tmp/embed.json" "$tmp/embed.out"
  dims="$("$py" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["dimensions"])' "$tmp/embed.json")"
  # (Python adds ", tokens [...]".)
  if grep -Eq "^# embeddings: ${#texts[@]} x $dims(,|\$)" "$tmp/client.err"; then
    pass "$lang embed: ${#texts[@]} x $dims on stderr"
  else
    fail "$lang embed: no '# embeddings: ${#texts[@]} x $dims' in: $(cat "$tmp/client.err")"
  fi
else
  fail "$lang --embed exited non-zero: $(cat "$tmp/client.err")"
fi

"$bin" rerank --model "$reranker" --query "$query" --json "${document_flags[@]}" \
  >"$tmp/rerank.json" 2>/dev/null
if "${client[@]}" --server "127.0.0.1:$rerank_port" --rerank --query "$query" \
    "${document_flags[@]}" >"$tmp/rerank.out" 2>"$tmp/client.err"; then
  compare "$lang rerank: the scores of edgellm rerank, in input order" \
    scores "$tmp/rerank.json" "$tmp/rerank.out"
  if [ "$(cut -f2 "$tmp/rerank.out")" == "$(printf '%s\n' "${texts[@]}")" ]; then
    pass "$lang rerank: each score beside its document"
  else
    fail "$lang rerank: documents out of order: $(cat "$tmp/rerank.out")"
  fi
else
  fail "$lang --rerank exited non-zero: $(cat "$tmp/client.err")"
fi

if "${client[@]}" --server "127.0.0.1:$embed_port" --rerank --query "$query" \
    --document "${texts[0]}" >/dev/null 2>"$tmp/client.err"; then
  fail "$lang --rerank on an embedding model exited 0"
elif grep -q "UNIMPLEMENTED\|error: 12: " "$tmp/client.err"; then
  pass "$lang reports UNIMPLEMENTED for a model that cannot rerank"
else
  fail "$lang: no UNIMPLEMENTED in: $(cat "$tmp/client.err")"
fi

if [ "$failures" -ne 0 ]; then
  echo "--- server logs"; cat "$tmp"/*.log
  exit 1
fi
echo "all $lang encoder client checks passed"
