#!/usr/bin/python3
"""Generation speed at a KV depth, edgellm against llama.cpp, side by side.

Both run on the same GGUF file, alternating run by run (so load changes on a
shared machine hit both alike), at every --depths value:

  edgellm bench --model F -t T -p 0 -n N -d D --kv-type K -r 1 --json
  llama-batched-bench -m F -c D+N -b 2048 -ub 512 -npp D -ntg N -npl 1 -t T
      -ctk K -ctv K --output-format jsonl          (its speed_tg)
  or, with --llama-bench (a llama.cpp new enough to have -d):
  llama-bench -m F -p 0 -n N -d D -t T -ctk K -ctv K -r 1 -o json

Each figure is generation tokens/s after an untimed prompt of D tokens (the
KV cache holds D..D+N-1 positions during the N timed steps), which is what
llama-bench's -d measures; llama.cpp trees without -d (before spring 2025)
measure it with llama-batched-bench's S_TG. Prints one JSON object: every
sample, the median per tool and depth, edgellm/llama.cpp per depth and each
tool's speed at the largest depth over its speed at the smallest.

  /usr/bin/python3 bench/long_context_vs_llama.py \\
      --edgellm bazel-bin/runtime/cli/edgellm \\
      --llama-batched-bench /path/to/llama.cpp/build/bin/llama-batched-bench \\
      --model /tmp/models/edgellm-random-tinyllama-1.1b-q8_0.gguf \\
      --depths 16,4096 --n-gen 32 --threads 2 --kv-type f16 --rounds 3
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" %
                 (p.returncode, " ".join(cmd), p.stdout[-2000:],
                  p.stderr[-2000:]))
    return p.stdout + "\n" + p.stderr


def edgellm(args, depth):
    out = run([args.edgellm, "bench", "--model", args.model,
               "-t", str(args.threads), "-p", "0", "-n", str(args.n_gen),
               "-d", str(depth), "--kv-type", args.kv_type, "-r", "1",
               "--bandwidth-mb", "0", "--json"])
    start = out.index("[")
    tests = json.loads(out[start:out.rindex("]") + 1])
    return tests[0]["tokens_per_second"]["mean"]


def llama(args, depth):
    if args.llama_bench:
        out = run([args.llama_bench, "-m", args.model, "-p", "0",
                   "-n", str(args.n_gen), "-d", str(depth),
                   "-t", str(args.threads), "-ctk", args.kv_type,
                   "-ctv", args.kv_type, "-r", "1", "-o", "json"])
        tests = json.loads(out[out.index("["):out.rindex("]") + 1])
        return tests[0]["avg_ts"]
    out = run([args.llama_batched_bench, "-m", args.model,
               "-c", str(depth + args.n_gen), "-b", "2048", "-ub", "512",
               "-npp", str(depth), "-ntg", str(args.n_gen), "-npl", "1",
               "-t", str(args.threads), "-ctk", args.kv_type,
               "-ctv", args.kv_type, "--output-format", "jsonl"])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and "speed_tg" in line:
            return json.loads(line)["speed_tg"]
    sys.exit("no speed_tg line from llama-batched-bench:\n" + out[-2000:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edgellm", required=True)
    ap.add_argument("--llama-batched-bench", default="")
    ap.add_argument("--llama-bench", default="",
                    help="a llama-bench with -d (instead of batched-bench)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--depths", default="16,4096")
    ap.add_argument("--n-gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kv-type", default="f16", choices=["f32", "f16", "q8_0"])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not args.llama_bench and not args.llama_batched_bench:
        sys.exit("give --llama-batched-bench or --llama-bench")
    depths = [int(d) for d in args.depths.split(",")]
    samples = {"edgellm": {d: [] for d in depths},
               "llama.cpp": {d: [] for d in depths}}
    for r in range(args.rounds):
        for d in depths:
            # Alternate which tool goes first, round by round.
            order = [("edgellm", edgellm), ("llama.cpp", llama)]
            if r % 2:
                order.reverse()
            for name, fn in order:
                tps = fn(args, d)
                samples[name][d].append(tps)
                print("round %d depth %d %s: %.2f tokens/s" % (r, d, name, tps),
                      file=sys.stderr)
    median = {n: {d: statistics.median(v) for d, v in s.items()}
              for n, s in samples.items()}
    lo, hi = min(depths), max(depths)
    result = {
        "model": args.model, "threads": args.threads,
        "kv_type": args.kv_type, "n_gen": args.n_gen,
        "llama_tool": "llama-bench -d" if args.llama_bench
        else "llama-batched-bench S_TG",
        "samples": {n: {str(d): v for d, v in s.items()}
                    for n, s in samples.items()},
        "median_tokens_per_second": {n: {str(d): v for d, v in m.items()}
                                     for n, m in median.items()},
        "edgellm_over_llama": {str(d): median["edgellm"][d] /
                               median["llama.cpp"][d] for d in depths},
        "depth_ratio": {n: m[hi] / m[lo] for n, m in median.items()},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
