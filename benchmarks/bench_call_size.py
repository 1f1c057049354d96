"""How small a call can be and still gain from a second thread: one thread against the default
threads, per cell and shape, at T = 1 to 32 steps (``_common.PARALLEL_MIN_CALL_WORK``).

    python benchmarks/bench_call_size.py --out benchmarks/results_call_size.json   # about 2 minutes

For each (cell, B, D, H, T): a training step (forward keeping the cache, then backward) and an
inference forward, timed with ``numba.set_num_threads(1)`` and with the default threads in
turn, three times each, 100 calls per turn; reported the ratio of the best 25th percentiles
(default / one thread: below 1, the threads help). The per-call threshold is switched off here
(every call with enough work per step is cut into chunks), so that both sides are measured at
every size. float32, the functional API, random weights.
"""
import argparse
import json
import time
from pathlib import Path

import numba
import numpy as np

import rnncore as rc
from rnncore.cpu import _common

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
SHAPES = [(16, 4, 64), (32, 8, 64), (40, 21, 128), (64, 32, 128), (32, 8, 256)]   # (B, D, H)
STEPS = (1, 2, 4, 8, 16, 32)


def time_call(fn, calls=100):
    fn()
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.percentile(ts, 25))


def one(cell, B, D, H, T, threads, rng):
    G = GATES[cell]
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    W_ih = (rng.standard_normal((G * H, D)) * 0.1).astype(np.float32)
    W_hh = (rng.standard_normal((G * H, H)) * 0.1).astype(np.float32)
    b = np.zeros(G * H, np.float32)
    fwd, bwd = getattr(rc, f"{cell}_forward"), getattr(rc, f"{cell}_backward")

    def step():
        out = fwd(x, W_ih, W_hh, b, b)
        bwd(np.ones_like(out[0]), out[-1])

    def infer():
        fwd(x, W_ih, W_hh, b, b, keep_cache=False)
    best = {}
    for _ in range(3):
        for th in (1, threads):
            numba.set_num_threads(th)
            for name, fn in (("step", step), ("infer", infer)):
                t = time_call(fn)
                best[(th, name)] = min(best.get((th, name), t), t)
    numba.set_num_threads(threads)
    return {"cell": cell, "B": B, "D": D, "H": H, "T": T, "macs_per_call": B * G * H * (D + H) * T,
            "chunks": len(_common.batch_chunks(B, T, D, H, G)),
            "step_1t_us": best[(1, "step")] * 1e6, "step_ratio": best[(threads, "step")] / best[(1, "step")],
            "infer_1t_us": best[(1, "infer")] * 1e6, "infer_ratio": best[(threads, "infer")] / best[(1, "infer")]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    threads = numba.config.NUMBA_NUM_THREADS
    threshold = _common.PARALLEL_MIN_CALL_WORK      # the bands below meet at it
    _common.PARALLEL_MIN_CALL_WORK = 0
    rng = np.random.default_rng(0)
    rows = []
    for cell in GATES:
        for B, D, H in SHAPES:
            if len(_common.batch_chunks(B, 1, D, H, GATES[cell])) < 2:
                continue                                   # too little work per step: never cut
            for T in STEPS:
                r = one(cell, B, D, H, T, threads, rng)
                rows.append(r)
                print(f"{cell} (B={B}, D={D}, H={H}) T={T:2d}: {r['macs_per_call'] / 1e6:7.2f}M MACs per call, "
                      f"{threads} threads / 1: step {r['step_ratio']:.2f} (1 thread {r['step_1t_us']:.0f} us), "
                      f"inference {r['infer_ratio']:.2f}", flush=True)
    bands = [(0, threshold / 2), (threshold / 2, threshold), (threshold, float("inf"))]
    summary = []
    for lo, hi in bands:
        ratios = [v for r in rows if lo <= r["macs_per_call"] < hi for v in (r["step_ratio"], r["infer_ratio"])]
        if ratios:
            summary.append({"macs_from": lo, "macs_below": hi, "min_ratio": min(ratios), "max_ratio": max(ratios)})
            print(f"{lo / 1e6:.1f}M to {hi / 1e6:.1f}M MACs per call: {threads} threads / 1 from "
                  f"{min(ratios):.2f} to {max(ratios):.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"threads": threads, "rows": rows, "bands": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
