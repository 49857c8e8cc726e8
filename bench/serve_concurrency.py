#!/usr/bin/python3
"""Total generation tokens/s of an edgellm server at several concurrencies.

    /usr/bin/python3 bench/serve_concurrency.py --server 127.0.0.1:50051 \
        --concurrency 1,2,4,8 --max-tokens 64

For each concurrency N it starts N Generate streams at once (greedy, fixed
prompts, ignore nothing), waits for all, and reports total generated tokens
over wall time, plus the per-stream mean time to first token. Prints one JSON
object. Continuous batching should make the total grow with N while the
model is memory-bound. Uses Debian's python3-grpcio (run with /usr/bin/python3).
"""

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "examples", "python"))
import client  # noqa: E402  (examples/python/client.py: stub generation)


def run_once(stub, pb2, n, max_tokens):
    results = [None] * n

    def worker(i):
        request = pb2.GenerateRequest(prompt="once upon a time number %d" % i)
        request.limits.max_tokens = max_tokens
        request.sampling.temperature = 0.0
        start = time.monotonic()
        first = None
        tokens = 0
        for response in stub.Generate(request, timeout=600):
            if response.token_ids and first is None:
                first = time.monotonic() - start
            tokens += len(response.token_ids)
        results[i] = (tokens, first or 0.0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    total = sum(r[0] for r in results)
    return {
        "concurrency": n,
        "generated_tokens": total,
        "wall_s": round(wall, 3),
        "total_tokens_per_second": round(total / wall, 2),
        "mean_ttft_ms": round(1000 * sum(r[1] for r in results) / n, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    import grpc
    pb2, pb2_grpc = client.load_stubs()
    stub = pb2_grpc.EdgeLlmStub(grpc.insecure_channel(args.server))
    run_once(stub, pb2, 1, 4)  # warm-up
    runs = [run_once(stub, pb2, int(n), args.max_tokens)
            for n in args.concurrency.split(",")]
    print(json.dumps({"server": args.server, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
