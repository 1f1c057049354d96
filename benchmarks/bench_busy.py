"""Training on a busy machine: rnncore's default threads against one thread, with
0, 1 and 2 competing CPU-bound processes that this script starts and stops itself.

    python benchmarks/bench_busy.py                       # about 2 minutes on 2 idle cores
    python benchmarks/bench_busy.py --rounds 3 --steps 5 --out busy.json

A "training run" is ``--steps`` forward+backward passes and an SGD update of the
weights (float32, default backend). Per round, the same run is timed with
Numba's default thread count and with ``numba.set_num_threads(1)``, one right
after the other, so both see the same load; the ratio default / one thread of
each round is reported (median, and min-max over rounds). Above 1 means the
threads cost time. The competitors are ``python -c`` busy loops that stop by
themselves after ``--max-seconds`` even if this script is killed, and are killed
when it ends.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

import rnncore as rc

WORKLOADS = {            # cell, (B, T, D, H): the notebook-sized and a larger training batch
    "lstm (32,100,4,64)": ("lstm", (32, 100, 4, 64)),
    "gru (32,100,4,64)": ("gru", (32, 100, 4, 64)),
    "lstm (64,200,32,128)": ("lstm", (64, 200, 32, 128)),
}
SPIN = "import time\nend = time.time() + {limit}\nn = 0\nwhile time.time() < end:\n    n += 1\n"


def training_run(cell, shape, steps, seed=0):
    """steps x (forward, backward, SGD update); returns the final loss (so nothing is skipped)."""
    B, T, D, H = shape
    G = {"lstm": 4, "gru": 3}[cell]
    rng = np.random.default_rng(seed)
    f32 = np.float32
    x = rng.standard_normal((B, T, D)).astype(f32)
    y = rng.standard_normal((B, H)).astype(f32) * 0.1
    W = [(rng.standard_normal(s) * 0.1).astype(f32) for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    fwd, bwd = {"lstm": (rc.lstm_forward, rc.lstm_backward), "gru": (rc.gru_forward, rc.gru_backward)}[cell]
    loss = 0.0
    for _ in range(steps):
        h_seq, state, cache = fwd(x, *W)
        h_T = state[0] if cell == "lstm" else state
        diff = h_T - y
        loss = float((diff * diff).mean())
        g = bwd(None, cache, dh_T=(2 / diff.size) * diff)
        for w, k in zip(W, ("dW_ih", "dW_hh", "db_ih", "db_hh")):
            w -= f32(0.1) * g[k]
    return loss


def time_run(cell, shape, steps, threads):
    numba.set_num_threads(threads)
    t0 = time.perf_counter()
    training_run(cell, shape, steps)
    return time.perf_counter() - t0


def start_competitors(n, limit):
    return [subprocess.Popen([sys.executable, "-c", SPIN.format(limit=limit)]) for _ in range(n)]


def stop(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5, help="training steps per timed run")
    ap.add_argument("--competitors", default="0,1,2")
    ap.add_argument("--workloads", default=",".join(str(i) for i in range(len(WORKLOADS))),
                    help="comma-separated indices into " + "; ".join(WORKLOADS))
    ap.add_argument("--max-seconds", type=float, default=300, help="competitors stop by themselves after this")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    default = numba.get_num_threads()
    names = [list(WORKLOADS)[int(i)] for i in args.workloads.split(",")]
    info = {"threads_default": default, "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "steps": args.steps, "rounds": args.rounds}
    for name in names:                      # compile (or load) outside the timed runs
        training_run(*WORKLOADS[name], steps=1)
    results = []
    print(f"default threads: {default}; load average at start {info['loadavg_start'][0]:.1f}")
    print("| workload | competitors | default threads s (median) | 1 thread s (median) | "
          "ratio default/1 median (min-max) |")
    print("|---|---|---|---|---|")
    for n_comp in (int(c) for c in args.competitors.split(",")):
        procs = start_competitors(n_comp, args.max_seconds)
        try:
            time.sleep(0.5 if n_comp else 0)
            for name in names:
                cell, shape = WORKLOADS[name]
                t_def, t_one = [], []
                for _ in range(args.rounds):
                    t_def.append(time_run(cell, shape, args.steps, default))
                    t_one.append(time_run(cell, shape, args.steps, 1))
                ratios = np.array(t_def) / np.array(t_one)
                r = {"workload": name, "competitors": n_comp, "default_s": t_def, "one_thread_s": t_one,
                     "ratio_median": float(np.median(ratios)), "ratio_min": float(ratios.min()),
                     "ratio_max": float(ratios.max())}
                results.append(r)
                print(f"| {name} | {n_comp} | {np.median(t_def):.3f} | {np.median(t_one):.3f} | "
                      f"{r['ratio_median']:.2f} ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |", flush=True)
        finally:
            stop(procs)
            numba.set_num_threads(default)
    info["loadavg_end"] = os.getloadavg()
    if args.out:
        Path(args.out).write_text(json.dumps({"info": info, "results": results}, indent=1))
    return results


if __name__ == "__main__":
    main()
