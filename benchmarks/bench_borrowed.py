"""The CPU job drivers with and without borrowing their arrays, in one process.

    python benchmarks/bench_borrowed.py                       # LSTM, GRU, RNN; a few minutes
    python benchmarks/bench_borrowed.py --cells lstm --out benchmarks/results_borrowed.json

``_common.BORROWED``: each driver (``lstm._forward_jobs`` and the others) takes its arrays
through ``borrowed`` so that the views it makes of them do no atomic reference counting.
The "old" driver here is the same function's source without its ``borrowed`` lines,
compiled beside it (the rows' own scratch arrays stay borrowed in both). The two run in
turns, old, new, new, old, ..., in one process, through the functional forward and backward
(float32, default threads), so both see the same machine at the same moment; each call is
paired with its neighbour, and a row reports the median ratio new / old and its quartiles.
Outputs and gradients must be bit-identical (``same_bits``).
"""
import argparse
import inspect
import json
import os
import platform
import time

import numpy as np
from numba import njit

from rnncore.cpu import gru, lstm, rnn
from rnncore.cpu._math import JIT

MODULES = {"lstm": lstm, "gru": gru, "rnn": rnn}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
SHAPES = [(32, 100, 4, 64), (64, 200, 32, 128), (32, 100, 8, 256)]


def counting_driver(mod, name):
    """``mod.name`` compiled from its source without the ``borrowed`` lines (not cached)."""
    src = inspect.getsource(getattr(mod, name).py_func)
    src = "\n".join(line for line in src.split("\n") if "borrowed((" not in line and not line.startswith("@"))
    namespace = dict(vars(mod))
    exec(src, namespace)
    return njit(**{k: v for k, v in JIT.items() if k != "cache"})(namespace[name])


def calls(cell, B, T, D, H):
    rng = np.random.default_rng(0)
    f, G, mod = np.float32, GATES[cell], MODULES[cell]
    x = rng.standard_normal((B, T, D)).astype(f)
    W_ih, W_hh, b_ih, b_hh = ((rng.standard_normal(s) * 0.1).astype(f)
                              for s in ((G * H, D), (G * H, H), (G * H,), (G * H,)))
    h0 = np.zeros((B, H), f)
    if cell == "lstm":
        return (lambda: mod.forward(x, W_ih, W_hh, b_ih, b_hh, h0, h0),
                lambda o: mod.backward(np.ones_like(o[0]), o[3], h0, h0))
    return (lambda: mod.forward(x, W_ih, W_hh, b_ih, b_hh, h0),
            lambda o: mod.backward(np.ones_like(o[0]), o[2], h0))


def one_row(cell, shape, pairs):
    mod = MODULES[cell]
    new = (mod._forward_jobs, mod._backward_jobs)
    old = (counting_driver(mod, "_forward_jobs"), counting_driver(mod, "_backward_jobs"))
    fwd, bwd = calls(cell, *shape)
    times = {("old", "fwd"): [], ("new", "fwd"): [], ("old", "bwd"): [], ("new", "bwd"): []}
    first = {}
    try:
        for r in range(pairs + 1):
            for version in (("old", "new") if r % 2 else ("new", "old")):
                mod._forward_jobs, mod._backward_jobs = old if version == "old" else new
                t0 = time.perf_counter()
                out = fwd()
                t1 = time.perf_counter()
                grads = bwd(out)
                t2 = time.perf_counter()
                if r == 0:                  # the first call compiles: its outputs, not its time
                    first[version] = [out[0]] + [grads[k] for k in sorted(grads)]
                else:
                    times[version, "fwd"].append(t1 - t0)
                    times[version, "bwd"].append(t2 - t1)
    finally:
        mod._forward_jobs, mod._backward_jobs = new
    row = {"same_bits": all(np.array_equal(a, b) for a, b in zip(first["old"], first["new"])), "pairs": pairs}
    for what in ("fwd", "bwd"):
        ratio = np.array(times["new", what]) / np.array(times["old", what])
        row[what] = {"old_ms": 1e3 * float(np.median(times["old", what])),
                     "new_ms": 1e3 * float(np.median(times["new", what])),
                     "ratio_median": float(np.median(ratio)),
                     "ratio_q25": float(np.percentile(ratio, 25)), "ratio_q75": float(np.percentile(ratio, 75))}
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", default="lstm,gru,rnn")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    result = {"what": "new = drivers borrowing their arrays, old = the same without (benchmarks/bench_borrowed.py)",
              "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
              "cpu": platform.processor() or platform.machine(),
              "rows": {}}
    print("| cell (B,T,D,H) | forward old ms, new/old (quartiles) | backward | same bits |\n|---|---|---|---|")
    for cell in args.cells.split(","):
        for shape in SHAPES:
            row = one_row(cell, shape, pairs=60 if shape[3] <= 64 else 20)
            result["rows"][f"{cell} ({','.join(map(str, shape))})"] = row
            cols = " | ".join(f"{row[w]['old_ms']:.3g}, {row[w]['ratio_median']:.2f} ({row[w]['ratio_q25']:.2f}-"
                              f"{row[w]['ratio_q75']:.2f})" for w in ("fwd", "bwd"))
            print(f"| {cell} {shape} | {cols} | {'yes' if row['same_bits'] else 'NO'} |", flush=True)
    result["load_average_end"] = list(os.getloadavg())
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
