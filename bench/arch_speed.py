#!/usr/bin/python3
"""Decoder speed of the new architectures against tinyllama, as JSON.

Runs `edgellm bench --shape S --type T -t 2 -p P -n N -r 1 --json` for
each shape (default tinyllama-1.1b, qwen3-0.6b, gemma3-1b, llama3.2-1b:
random weights of the published shapes) and each file type (default q8_0,
q4_k_m), alternating the (shape, type) runs one by one (the order reversed
every round, so a drifting machine affects every run alike), and reports per
shape and type the medians of

  tg  roofline_fraction: weight bytes read per second during generation over
      the machine's memory-read bandwidth that bench measures in the same run;
  pp  MAC/s: prompt tokens per second x the multiply-adds of the layers'
      matrices per token (blk.* 2-D tensors from `edgellm inspect --json`;
      the output head runs once per prompt, attention's context-dependent
      work is not counted),

and each shape's ratio to the first shape's figure at the same type. The goal: generation within 5%
of tinyllama's roofline fraction, prompt processing within 10% of its MAC/s.
The figures mean something only on a quiet machine: the output carries the
load average before and after.

Usage: bench/arch_speed.py [--edgellm bazel-bin/runtime/cli/edgellm]
           [--model-dir DIR] [--rounds 3] [--threads 2] [-p 128] [-n 64]
           [--types q8_0,q4_k_m]
           [--shapes tinyllama-1.1b,qwen3-0.6b,gemma3-1b,llama3.2-1b]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys


def run_json(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    return json.loads(out.stdout)


def layer_macs_per_token(edgellm, path):
    """Multiply-adds of the blk.* matrices for one token."""
    info = run_json([edgellm, "inspect", path, "--json"])
    macs = 0
    for t in info["tensors"]:
        shape = t["shape"]
        if t["name"].startswith("blk.") and len(shape) == 2:
            macs += shape[0] * shape[1]
    return macs


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--edgellm", default="bazel-bin/runtime/cli/edgellm")
    p.add_argument("--model-dir", default="/tmp/edgellm-models")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-p", "--n-prompt", type=int, default=128)
    p.add_argument("-n", "--n-gen", type=int, default=64)
    p.add_argument("--types", default="q8_0,q4_k_m")
    p.add_argument("--shapes",
                   default="tinyllama-1.1b,qwen3-0.6b,gemma3-1b,llama3.2-1b")
    args = p.parse_args(argv)
    shapes = args.shapes.split(",")
    types = args.types.split(",")
    runs = [(s, t) for t in types for s in shapes]
    os.makedirs(args.model_dir, exist_ok=True)

    load_before = os.getloadavg()[0]
    samples = {run: {"pp": [], "tg_fraction": [], "tg": [], "cpu": []}
               for run in runs}
    paths = {}
    for r in range(args.rounds):
        order = runs if r % 2 == 0 else list(reversed(runs))
        for run in order:
            shape, ftype = run
            results = run_json([
                args.edgellm, "bench", "--shape", shape, "--type", ftype,
                "--model-dir", args.model_dir, "-t", str(args.threads),
                "-p", str(args.n_prompt), "-n", str(args.n_gen), "-r", "1",
                "--json"])
            for t in results:
                paths[run] = t["model"]["path"]
                tps = t["tokens_per_second"]["mean"]
                samples[run]["cpu"].append(t["cpu_share"])
                if t["n_gen"] > 0:
                    samples[run]["tg"].append(tps)
                    if "roofline_fraction" in t:
                        samples[run]["tg_fraction"].append(
                            t["roofline_fraction"])
                else:
                    samples[run]["pp"].append(tps)
            print("round %d %s %s done" % (r + 1, shape, ftype),
                  file=sys.stderr)

    report = {"settings": {"types": types, "threads": args.threads,
                           "n_prompt": args.n_prompt, "n_gen": args.n_gen,
                           "rounds": args.rounds},
              "load_average_1m": {"before": load_before,
                                  "after": os.getloadavg()[0]},
              "shapes": {}}
    for run in runs:
        s = samples[run]
        macs = layer_macs_per_token(args.edgellm, paths[run])
        pp = statistics.median(s["pp"])
        entry = {
            "pp_tokens_per_second": pp,
            "pp_tokens_per_second_samples": s["pp"],
            "layer_macs_per_token": macs,
            "pp_gmac_per_second": pp * macs / 1e9,
            "tg_tokens_per_second": statistics.median(s["tg"]),
            "tg_roofline_fraction": (statistics.median(s["tg_fraction"])
                                     if s["tg_fraction"] else None),
            "tg_roofline_fraction_samples": s["tg_fraction"],
            "cpu_share_min": min(s["cpu"]),
        }
        report["shapes"]["%s %s" % run] = entry
    for shape, ftype in runs:
        if shape == shapes[0]:
            continue
        base = report["shapes"]["%s %s" % (shapes[0], ftype)]
        e = report["shapes"]["%s %s" % (shape, ftype)]
        e["vs_" + shapes[0]] = {
            "pp_mac_rate_ratio": e["pp_gmac_per_second"] /
                                 base["pp_gmac_per_second"],
            "tg_roofline_fraction_ratio":
                (e["tg_roofline_fraction"] / base["tg_roofline_fraction"]
                 if e["tg_roofline_fraction"] and base["tg_roofline_fraction"]
                 else None),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
