#!/usr/bin/env python
"""What Numba's inliner costs in a cold compile of one cell, per inlined call site.

    python tools/inline_costs.py lstm            # rnn, lstm, gru or peephole; float32
    RNNCORE_NUMBA_INLINE_COPY=0 python tools/inline_costs.py lstm   # Numba's own copy

A fresh Numba cache (a temporary folder), one process (no background compile), one forward
and backward of the cell. Every call of ``InlineWorker.inline_ir`` (one function compiled
with ``inline="always"`` copied into its caller) is timed, with the callee's size: its IR's
blocks and the variables of its scope. Numba's own copy costs about blocks x variables per
site; ``rnncore/cpu/_inline_copy.py`` makes it one copy per site.
"""
import collections
import os
import sys
import tempfile
import time

import numpy as np


def forward_backward(cell):
    """One small float32 forward and backward of ``cell`` (rnn, lstm, gru or peephole): every
    kernel a first training step of that cell needs, compiled or loaded from the cache (also
    ``benchmarks/bench_inline_copy.py``'s warm-up)."""
    import rnncore as rc
    rng = np.random.default_rng(0)
    G = {"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}[cell]
    B, T, D, H = 4, 10, 3, 8
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    W = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    if cell == "peephole":
        h, _, cache = rc.peephole_lstm_forward(x, *W, rng.standard_normal((3, H)).astype(np.float32) * 0.3)
        rc.peephole_lstm_backward(np.ones_like(h), cache)
    else:
        h, _, cache = getattr(rc, f"{cell}_forward")(x, *W)
        getattr(rc, f"{cell}_backward")(np.ones_like(h), cache)


def main(cell="lstm"):
    import rnncore.cpu  # noqa: F401   (installs the one-memo copy, unless RNNCORE_NUMBA_INLINE_COPY=0)
    from numba.core import inline_closurecall
    sites = collections.defaultdict(lambda: {"calls": 0, "seconds": 0.0, "blocks": 0, "variables": 0})
    inline_ir = inline_closurecall.InlineWorker.inline_ir

    def timed(self, caller_ir, block, i, callee_ir, *args, **kwargs):
        first = next(iter(callee_ir.blocks.values()))
        size = len(callee_ir.blocks), len(first.scope.localvars._con)
        start = time.perf_counter()
        try:
            return inline_ir(self, caller_ir, block, i, callee_ir, *args, **kwargs)
        finally:
            site = sites[callee_ir.func_id.func_qualname, caller_ir.func_id.func_qualname]
            site["calls"] += 1
            site["seconds"] += time.perf_counter() - start
            site["blocks"], site["variables"] = size

    inline_closurecall.InlineWorker.inline_ir = timed
    start, cpu = time.perf_counter(), time.process_time()
    forward_backward(cell)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    copy = "one memo per copy" if getattr(inline_ir, "_rnncore_one_memo", False) else "Numba's own, one memo per block"
    print(f"{cell} float32, cold forward + backward: {wall:.2f} s wall, {cpu:.2f} CPU s; "
          f"in the inliner {sum(s['seconds'] for s in sites.values()):.2f} s ({copy})")
    print(f"{'inlined':24s} {'into':24s} {'calls':>5s} {'seconds':>8s} {'blocks':>6s} {'variables':>9s}")
    for (callee, caller), s in sorted(sites.items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"{callee:24s} {caller:24s} {s['calls']:5d} {s['seconds']:8.3f} {s['blocks']:6d} {s['variables']:9d}")


if __name__ == "__main__":
    # before Numba is first imported (in main): a cold cache, one process, no notice
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="rnncore-inline-")
    os.environ["RNNCORE_BACKGROUND_COMPILE"] = "0"
    os.environ["RNNCORE_COMPILE_NOTICE"] = "0"
    main(*sys.argv[1:2])
