#!/usr/bin/python3
"""Decode speed with 1 and 2 threads while other processes keep every core busy.

    /usr/bin/python3 bench/cpu_contention.py [--busy N] [--reps 5] \
        [--tokens 200] [--edgellm bazel-bin/runtime/cli/edgellm] [MODEL.gguf ...]

The background load: N processes (default: one per core) that each spin in
a tight loop (`while :; do :; done`), started before the runs and killed
after them; in edgellm's session (the kernel's autogroup scheduler then
shares the CPU among them and edgellm's threads) or, with
--separate-session, in their own. Then, for each
model, `edgellm generate` runs greedy with --ignore-eos for --tokens tokens,
alternating --threads 1 and --threads 2 (t1, t2, t1, t2, ...) so both see the
same machine, --reps times each. Models: those given, else stories260K
(Q8_0 and F32) from ../shared (or $EDGELLM_SHARED) when present, and a
`make-model --shape tiny` written to a temporary folder.

Prints one JSON object: per model and thread count the decode seconds of
every run (generated tokens / the reported tokens per second) and their
median, t2_over_t1 = median(t2) / median(t1) (above 1: two threads are
slower than one), and the median CPU seconds each whole run used (user +
system, load included), which shows threads that spin instead of waiting.
--busy 0 measures the quiet machine the same way. Runs this short are at
the scheduler's mercy on a busy machine (a preemption costs milliseconds):
use several reps and read the medians.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))


def start_busy(n, separate_session):
    # A shell loop with no system calls: a pure CPU hog per process.
    return [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"],
                             start_new_session=separate_session)
            for _ in range(n)]


def stop_busy(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def child_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_generate(edgellm, model, threads, tokens):
    """(decode seconds, CPU seconds of the whole process) of one run."""
    cpu0 = child_cpu_seconds()
    out = subprocess.run(
        [edgellm, "generate", "--model", model, "--prompt", "Once upon a time",
         "--max-tokens", str(tokens), "--temperature", "0", "--ignore-eos",
         "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    cpu = child_cpu_seconds() - cpu0
    timings = json.loads(out)["timings"]
    return timings["generated_tokens"] / timings["generated_tokens_per_second"], cpu


def default_models(edgellm, tmp):
    models = []
    shared = os.environ.get("EDGELLM_SHARED") or os.path.join(ROOT, "..", "shared")
    for name in ("stories260K-q8_0.gguf", "stories260K-f32.gguf"):
        stories = os.path.join(shared, "models", "stories260K", name)
        if os.path.isfile(stories):
            models.append(os.path.realpath(stories))
    tiny = os.path.join(tmp, "tiny.gguf")
    subprocess.run([edgellm, "make-model", "--shape", "tiny", "--output", tiny],
                   check=True, capture_output=True)
    models.append(tiny)
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="GGUF models (default: see above)")
    parser.add_argument("--busy", type=int, default=os.cpu_count(),
                        help="busy-loop processes in the background (default: one per core)")
    parser.add_argument("--separate-session", action="store_true",
                        help="start the busy loops in their own session: with the kernel's "
                             "autogroup scheduling they then share the CPU as another "
                             "user's program would, not as edgellm's neighbours")
    parser.add_argument("--reps", type=int, default=5, help="runs per thread count")
    parser.add_argument("--tokens", type=int, default=200, help="tokens per run")
    parser.add_argument("--edgellm", default=os.path.join(ROOT, "bazel-bin/runtime/cli/edgellm"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        models = args.models or default_models(args.edgellm, tmp)
        busy = start_busy(args.busy, args.separate_session)
        try:
            time.sleep(0.5)  # let the load settle on the cores
            results = []
            for model in models:
                runs = {1: [], 2: []}
                cpu = {1: [], 2: []}
                for _ in range(args.reps):
                    for threads in (1, 2):
                        decode, used = run_generate(args.edgellm, model, threads, args.tokens)
                        runs[threads].append(decode)
                        cpu[threads].append(used)
                median = {t: statistics.median(v) for t, v in runs.items()}
                results.append({
                    "model": os.path.basename(model),
                    "decode_s": {f"t{t}": [round(x, 4) for x in v] for t, v in runs.items()},
                    "median_decode_s": {f"t{t}": round(m, 4) for t, m in median.items()},
                    "t2_over_t1": round(median[2] / median[1], 3),
                    "median_process_cpu_s": {f"t{t}": round(statistics.median(v), 4)
                                             for t, v in cpu.items()},
                })
        finally:
            stop_busy(busy)
    json.dump({
        "background_busy_processes": args.busy,
        "background_separate_session": args.separate_session,
        "cores": os.cpu_count(),
        "tokens": args.tokens,
        "reps": args.reps,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "models": results,
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
