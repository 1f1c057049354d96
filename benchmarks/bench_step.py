"""One chunk's LSTM step, split: the whole step against its packed GEMM alone, one thread.

    python benchmarks/bench_step.py                   # H, D = (64, 4), (128, 32), (256, 8); a few seconds

For a chunk of 8 rows (one job, one register tile high) and T = 100 steps, float32, it times
``lstm._forward_rows`` (the training forward's recurrence: the step GEMM, the gates, the cell
update, the copies into the next step's [x, h] buffer) on borrowed arrays, as the job driver
runs it (``_common.BORROWED``), and a loop of the same T step products
alone (``_packed.gemm_packed`` on the same packed weights), each the fastest of 300 calls, per
step. The GEMM's GFLOP/s is this core's pace on the product; the difference between the two is
everything else a step does. Three rounds per shape.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
from numba import njit

from rnncore.cpu import _common, _packed, lstm
from rnncore.cpu._math import JIT

SHAPES = [(64, 4), (128, 32), (256, 8)]
B, T = 8, 100


@njit(nogil=True, cache=True)
def _gemm_steps(xh, W_pk, gates, T):
    for t in range(T):
        _packed.gemm_packed(xh, W_pk, 0, gates[:, t, :], False)


@njit(**JIT)   # the kernels' options: inlined, _forward_rows compiles with its caller's error model
def _rows(x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq):
    x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq = _common.borrowed(
        (x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq))
    lstm._forward_rows(x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, None)


def _best_per_step(fn, *args, calls=300):
    fn(*args)
    best = float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best / T * 1e6


def one_shape(H, D, rounds):
    rng = np.random.default_rng(0)
    f = np.float32
    x = rng.standard_normal((B, T, D)).astype(f)
    W = (rng.standard_normal((4 * H, D + H)) * 0.1).astype(f)
    W_pk = _packed.pack(np.ascontiguousarray(W.T))
    bias = np.zeros(4 * H, f)
    scale, shift = lstm._gate_affine(H, f)
    h0, c0 = np.zeros((B, H), f), np.zeros((B, H), f)
    gates, c_seq, h_seq = np.empty((B, T, 4 * H), f), np.empty((B, T, H), f), np.empty((B, T, H), f)
    xh = rng.standard_normal((B, D + H)).astype(f)
    flops = 2.0 * B * 4 * H * (D + H)
    out = []
    for _ in range(rounds):
        whole = _best_per_step(_rows, x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq)
        gemm = _best_per_step(_gemm_steps, xh, W_pk, gates, T)
        out.append({"whole_us": whole, "gemm_us": gemm, "gemm_gflops": flops / gemm / 1e3,
                    "rest_share": (whole - gemm) / whole})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    res = {}
    for H, D in SHAPES:
        res[f"H={H}, D={D}"] = rows = one_shape(H, D, args.rounds)
        for r in rows:
            print(f"LSTM step, 8 rows, H={H}, D={D}: whole {r['whole_us']:.2f} us, GEMM alone {r['gemm_us']:.2f} us "
                  f"({r['gemm_gflops']:.0f} GFLOP/s), the rest {100 * r['rest_share']:.0f}% of the step")
    if args.out:
        Path(args.out).write_text(json.dumps({"B": B, "T": T, "dtype": "float32", "threads": 1, "shapes": res},
                                             indent=1) + "\n")


if __name__ == "__main__":
    main()
