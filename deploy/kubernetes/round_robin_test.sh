#!/usr/bin/env bash
# Two `edgellm serve` processes on loopback behind one gRPC client channel,
# as a headless Service's pods are behind `dns:///...` (deploy/kubernetes):
# with the round_robin policy the calls spread evenly over both servers
# (counted from each server's one-line-per-request log); with pick_first,
# gRPC's default, they all go to one server over its single connection.
# The model is made here (`edgellm make-model --shape tiny`), so the test
# needs no ../shared. Skips (tests/testing/skip.sh) when /usr/bin/python3
# lacks grpc.
set -euo pipefail
source tests/testing/skip.sh

bin=runtime/cli/edgellm
if ! /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
  skip_test "/usr/bin/python3 has no grpc module (install python3-grpcio)"
fi

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" make-model --shape tiny --output "$tmp/tiny.gguf" >/dev/null 2>&1
ports=()
for i in 1 2; do
  "$bin" serve --model "$tmp/tiny.gguf" --listen 127.0.0.1:0 --threads 1 \
    --ctx 256 --parallel 2 2>"$tmp/server$i.log" &
  pids+=($!)
done
for i in 1 2; do
  for _ in $(seq 1 300); do
    grep -q "edgellm serve: serving " "$tmp/server$i.log" && break
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || break
    sleep 0.1
  done
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server$i.log" | head -n 1)"
  if [ -z "$port" ] || ! grep -q "edgellm serve: serving " "$tmp/server$i.log"; then
    echo "FAIL: server $i did not start:"; cat "$tmp/server$i.log"; exit 1
  fi
  ports+=("$port")
done
target="ipv4:127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}"
echo "servers on ${ports[*]}; client target $target"

failures=0
calls=20
run_client() {  # policy
  /usr/bin/python3 deploy/kubernetes/round_robin_client.py --target "$target" \
    --policy "$1" --calls "$calls" --log "$tmp/server1.log" --log "$tmp/server2.log" \
    --proto-root proto
}

out="$(run_client round_robin)"
echo "round_robin: $out"
read -r a b <<<"$(sed -n 's/^calls per server: //p' <<<"$out")"
if [ "$((a + b))" -eq "$calls" ] && [ "$a" -eq "$((calls / 2))" ] && [ "$b" -eq "$((calls / 2))" ]; then
  echo "PASS: round_robin spread $calls calls $a / $b"
else
  echo "FAIL: round_robin should send $((calls / 2)) calls to each server, sent ${a:-?} / ${b:-?}"
  failures=$((failures + 1))
fi

out="$(run_client pick_first)"
echo "pick_first: $out"
read -r a b <<<"$(sed -n 's/^calls per server: //p' <<<"$out")"
if [ "$((a + b))" -eq "$calls" ] && { [ "$a" -eq 0 ] || [ "$b" -eq 0 ]; }; then
  echo "PASS: pick_first sent all $calls calls to one server ($a / $b): balancing per connection"
else
  echo "FAIL: pick_first should send every call to one server, sent ${a:-?} / ${b:-?}"
  failures=$((failures + 1))
fi

for i in 1 2; do
  kill -TERM "${pids[$((i - 1))]}"
  wait "${pids[$((i - 1))]}" && code=0 || code=$?
  [ "$code" -eq 0 ] || { echo "FAIL: server $i exited $code on SIGTERM"; failures=$((failures + 1)); }
done
pids=()

if [ "$failures" -ne 0 ]; then
  for i in 1 2; do echo "--- server $i log"; cat "$tmp/server$i.log"; done
  exit 1
fi
echo "all round-robin checks passed"
