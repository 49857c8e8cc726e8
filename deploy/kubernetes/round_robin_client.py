#!/usr/bin/python3
"""Sends Generate calls through one gRPC channel and counts where they land.

    round_robin_client.py --target ipv4:127.0.0.1:P1,127.0.0.1:P2 \
        --policy round_robin --calls 20 --log server1.log --log server2.log

The target lists the servers as a headless Service's DNS name resolves to
its pods (`dns:///edgellm.default.svc.cluster.local:50051` in a cluster).
With round_robin the channel keeps a connection to every address and picks
one per call; with pick_first (gRPC's default) every call of the channel
goes to one server. Each server logs one "request N Generate" line per
call: the counts of new lines in each --log are printed as
"calls per server: A B ...". With round_robin the client first warms up
(calls until every server has logged one, at most 50) so that every
connection is ready before the measured calls.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples", "python"))
import client  # noqa: E402  (examples/python/client.py: the stubs)

REQUEST_LINE = re.compile(r"request \d+ Generate ")


def counts(logs):
    result = []
    for path in logs:
        with open(path, errors="replace") as f:
            result.append(sum(1 for line in f if REQUEST_LINE.search(line)))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--policy", default="round_robin")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--log", action="append", required=True)
    parser.add_argument("--proto-root", default=client.PROTO_ROOT)
    args = parser.parse_args()

    import grpc
    pb2, pb2_grpc = client.load_stubs(args.proto_root)
    channel = grpc.insecure_channel(
        args.target, options=[("grpc.lb_policy_name", args.policy)])
    stub = pb2_grpc.EdgeLlmStub(channel)
    request = pb2.GenerateRequest(prompt="hello", max_tokens=2, temperature=0)

    def call():
        for _ in stub.Generate(request, timeout=30):
            pass

    if args.policy == "round_robin":
        start = counts(args.log)
        for warmup in range(1, 51):
            call()
            if all(n > s for n, s in zip(counts(args.log), start)):
                break
        print("warm-up: %d call(s) until every server answered" % warmup)
    before = counts(args.log)
    for _ in range(args.calls):
        call()
    # A server logs a call as it finishes it; allow the last lines a moment.
    deadline = time.monotonic() + 5
    while True:
        landed = [a - b for a, b in zip(counts(args.log), before)]
        if sum(landed) >= args.calls or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    channel.close()
    print("calls per server: " + " ".join(map(str, landed)))


if __name__ == "__main__":
    main()
