"""Numba's inliner with one memo per copy (rnncore/cpu/_inline_copy.py) against its own copy,
one block at a time: the compile of each cell's job drivers, where every inlining happens.

    python benchmarks/bench_inline_copy.py [--rounds 5] [--out results_inline_copy.json]

One process. Each cell's kernels are first called once (compiled, or loaded from the cache),
then, for each round, each driver (``_forward_jobs``, ``_backward_jobs``, float32, the
signature of that call) is compiled afresh twice, with one inliner and then the other (the
order swapped every round): a new dispatcher of the same Python function, without the disk
cache. The functions the drivers call but do not inline are compiled already, so the time is
the driver's own compile: its recurrence and step inlined, typed, lowered and optimised.
Reported: median seconds per driver with each inliner, the paired difference, and whether every
round's two compiles of the driver gave the same optimised LLVM IR (its names made canonical:
``_inline_copy.canonical_llvm_ir``). Numba's first-use costs are paid in the first call, by both.
"""
import argparse
import hashlib
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from numba import njit
from numba.core import inline_closurecall
from rnncore.cpu import _inline_copy, gru, lstm, peephole, rnn
from rnncore.cpu._math import JIT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from inline_costs import forward_backward  # noqa: E402   (one small forward and backward of a cell)

CELLS = {"rnn": rnn, "lstm": lstm, "gru": gru, "peephole": peephole}


installed = inline_closurecall.InlineWorker.inline_ir     # as rnncore.cpu left it


def compile_seconds(driver, inline_ir):
    """(CPU seconds, SHA-256 of the optimised LLVM IR, its names made canonical) of one fresh compile."""
    sig = driver.signatures[0]
    inline_closurecall.InlineWorker.inline_ir = inline_ir
    try:
        fresh = njit(**{k: v for k, v in JIT.items() if k != "cache"})(driver.py_func)
        start = time.process_time()
        fresh.compile(sig)
        seconds = time.process_time() - start
        llvm = _inline_copy.canonical_llvm_ir(fresh.overloads[sig].library.get_llvm_str())
        return seconds, hashlib.sha256(llvm.encode()).hexdigest()
    finally:
        inline_closurecall.InlineWorker.inline_ir = installed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default="")
    ap.add_argument("--cells", default=",".join(CELLS), help="comma-separated subset of " + ",".join(CELLS))
    args = ap.parse_args(argv)
    one_memo = _inline_copy.one_memo_inline_ir()
    if one_memo is None:
        sys.exit("this Numba's InlineWorker.inline_ir is not the source rnncore/cpu/_inline_copy.py was written for")
    inliners = {"numba": _inline_copy.ORIGINAL, "one_memo": one_memo}
    results = {}
    print("| driver | Numba's copy, CPU s (median) | one memo per copy | paired difference, median (range) | ratio | "
          "the same LLVM IR |")
    print("|---|---|---|---|---|---|")
    for cell in args.cells.split(","):
        module = CELLS[cell]
        forward_backward(cell)    # each driver's signature compiled (or loaded)
        for name in ("_forward_jobs", "_backward_jobs"):
            driver = getattr(module, name)
            runs = {"numba": [], "one_memo": []}
            ir = {"numba": [], "one_memo": []}
            for k in range(args.rounds):
                for which in (("numba", "one_memo") if k % 2 == 0 else ("one_memo", "numba")):
                    seconds, digest = compile_seconds(driver, inliners[which])
                    runs[which].append(seconds)
                    ir[which].append(digest[:16])
            old, new = np.array(runs["numba"]), np.array(runs["one_memo"])
            diff = old - new
            same_ir = ir["numba"] == ir["one_memo"]          # round by round
            results[f"{cell}.{name}"] = {"numba_s": runs["numba"], "one_memo_s": runs["one_memo"], "same_llvm_ir": same_ir,
                                         "llvm_ir_sha256": ir}
            print(f"| {cell}.{name} | {np.median(old):.2f} | {np.median(new):.2f} | {np.median(diff):.2f} "
                  f"({diff.min():.2f} to {diff.max():.2f}) | {np.median(new / old):.2f} | {same_ir} |", flush=True)
    total = {w: sum(np.median(r[f"{w}_s"]) for r in results.values()) for w in ("numba", "one_memo")}
    print(f"all {len(results)} drivers: {total['numba']:.2f} -> {total['one_memo']:.2f} CPU s (sums of medians)")
    if args.out:
        Path(args.out).write_text(json.dumps({
            "command": "python benchmarks/bench_inline_copy.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.machine()}, {platform.processor() or platform.platform()}",
            "rounds": args.rounds, "drivers": results}, indent=1))
    return results


if __name__ == "__main__":
    main()
