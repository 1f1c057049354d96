"""How fast could it be? The floors under issue 13's targets 3 and 4 on this machine.

    python benchmarks/floors.py --out benchmarks/results_floors.json    # about 10 s

A target is a matter of engineering when something can meet it, and of arithmetic when nothing
can. This script computes, from committed result files, what the LSTM's arithmetic alone takes on
the machine that produced them, and sets it against each target:

* **The matrix products** have a fixed count (``bench_rnn.gemm_flops``: the forward
  2*B*T*4H*(D+H) flops, forward and backward three times that). At the machine's peak (the
  fastest large float32 product measured in the same run as the PyTorch times, rnncore's
  register tile on both cores) they take a time no implementation goes below.
* **The activations**: every unit of every step needs sigmoid(i), sigmoid(f), tanh(g),
  sigmoid(o) and tanh(c_t), five activations. Their floor here is rnncore's float32 tanh (a
  rational function, error below 4e-7, ``rnncore/cpu/_math.py``) in a compiled loop over an array
  that stays in L1 cache, measured by this script (best of 21 runs of 2,000 passes): the cheapest
  activation rnncore has, with no gates, biases, cell update, stores or threads around it.

Target 3 (``fit`` at most 0.5x the better peer's epoch) uses the products alone; target 4 (the
training forward at most 0.8x PyTorch's inference, 0.4x at (32, 100, 4, 64)) the products plus
the forward's activations, spread over the cores. Each row says what share of the target the floor
fills. The products' share is a hard floor: over 100%, no implementation meets the target on this
machine. The activations' part holds for float32-accurate activations as cheap as rnncore's; a
cruder ``tanh`` could lower it, never below zero, so the products' share is printed on its own too.
Near 100%, only an implementation that runs at the peak with nothing else to do would meet it.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_rnn import gemm_flops  # noqa: E402

# The committed runs the floors are computed from: the newest run of every LSTM row (with its own
# SGEMM peak) and the newest runs of bench_fit.py with PyTorch on two threads.
ALL_CELLS = "results_zen5_all_cells_dec04_evening.json"
FIT_RUNS = ("results_zen5_fit_dec04_late_t2.json", "results_zen5_fit_dec04_night_t2.json")
# issue 13, target 4: the training forward over PyTorch's inference, at most
TARGET_4 = {(32, 100, 4, 64): 0.4}
TARGET_4_DEFAULT = 0.8
TARGET_3 = 0.5
ACTIVATIONS_PER_UNIT = 5          # sigmoid i, f, o; tanh g and tanh(c_t)


def _load(name):
    return json.loads((HERE / name).read_text())


def tanh_ns_per_element(n=4096, passes=2000, rounds=21):
    """Best time of rnncore's float32 tanh per element, one thread, in a compiled loop over n
    numbers (they stay in L1 cache), each pass taking the tanh of the last (the rational form has
    no branch: its time does not depend on the numbers). Best of ``rounds``: this VM's pace changes
    from minute to minute, and a floor wants its fastest."""
    from numba import njit

    from rnncore.cpu._math import JIT, tanh

    @njit(**JIT)
    def loop(a, passes):
        for _ in range(passes):
            for q in range(a.shape[0]):
                a[q] = tanh(a[q])

    start = np.linspace(-4, 4, n, dtype=np.float32)
    loop(start.copy(), 1)
    best = np.inf
    for _ in range(rounds):
        a = start.copy()
        t0 = time.perf_counter()
        loop(a, passes)
        best = min(best, time.perf_counter() - t0)
    return best / (passes * n) * 1e9


def fit_runs():
    """[(file, run)] of every committed bench_fit.py run with PyTorch on two threads."""
    out = []
    for name in FIT_RUNS:
        d = _load(name)
        for key in ("runs", "runs_later"):
            out += [(name, run) for run in d.get(key, [])]
    return out


def floors(tanh_ns):
    cells = _load(ALL_CELLS)["run"]
    peak = cells["sgemm"]["peak"] * 1e9          # flop/s, both cores
    cores = cells["machine"]["logical_cpus"]
    rows = []
    for r in cells["rows"]:
        if r["cell"] != "lstm":
            continue
        shape = (r["B"], r["T"], r["D"], r["H"])
        fwd, _ = gemm_flops("lstm", *shape)
        products_ms = fwd / peak * 1e3
        activations_ms = ACTIVATIONS_PER_UNIT * r["B"] * r["T"] * r["H"] * tanh_ns * 1e-6 / cores
        factor = TARGET_4.get(shape, TARGET_4_DEFAULT)
        target_ms = factor * r["ms"]["torch_fwd"]
        rows.append({"shape": list(shape), "factor": factor, "torch_inference_ms": r["ms"]["torch_fwd"],
                     "target_ms": target_ms, "rnncore_training_forward_ms": r["ms"]["cpu_fwdk"],
                     "products_floor_ms": products_ms, "activations_floor_ms": activations_ms,
                     "floor_share_of_target": (products_ms + activations_ms) / target_ms,
                     "products_share_of_target": products_ms / target_ms,
                     "met": r["ms"]["cpu_fwdk"] <= target_ms})
    fits = []
    for name, run in fit_runs():
        for c in run["configs"]:
            fwd, fwd_bwd = gemm_flops("lstm", c["B"], c["T"], c["D"], c["H"])
            floor_s = fwd_bwd * c["batches_per_epoch"] / peak
            med = c["epoch_s_median"]
            best = min(v for k, v in med.items() if k != "rnncore")
            fits.append({"file": name, "date_utc": run["date_utc"], "config": c["name"],
                         "products_floor_s": floor_s, "target_s": TARGET_3 * best, "rnncore_s": med["rnncore"],
                         "best_peer_s": best, "ratio_median": c["ratio_vs_best_median"],
                         "products_share_of_target": floor_s / (TARGET_3 * best)})
    return {"peak_gflops": peak / 1e9, "peak_from": f"{ALL_CELLS} ({cells['date_utc']} UTC)", "cores": cores,
            "tanh_ns_per_element": tanh_ns, "target_4": rows, "target_3": fits}


def report(res):
    print(f"peak {res['peak_gflops']:.0f} GFLOP/s on {res['cores']} cores ({res['peak_from']}); "
          f"rnncore's float32 tanh {res['tanh_ns_per_element']:.3f} ns per element on one core")
    print("target 4, the training forward (ms): "
          "target | products at the peak | + activations | floor / target (the products alone) | rnncore")
    for r in res["target_4"]:
        print(f"  {tuple(r['shape'])!s:18s} {r['factor']}x {r['torch_inference_ms']:.3f} = {r['target_ms']:.3f} | "
              f"{r['products_floor_ms']:.3f} | {r['activations_floor_ms']:.3f} | {r['floor_share_of_target']:.0%} "
              f"({r['products_share_of_target']:.0%}) | {r['rnncore_training_forward_ms']:.3f}"
              f"{' (met)' if r['met'] else ''}")
    print("target 3, an epoch of fit (s): target | products at the peak | floor / target | rnncore | ratio (median)")
    for f in res["target_3"]:
        print(f"  {f['config']:18s} {f['date_utc']}: {f['target_s']:.4f} | {f['products_floor_s']:.4f} | "
              f"{f['products_share_of_target']:.0%} | {f['rnncore_s']:.4f} | {f['ratio_median']:.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="", help="write the results here as JSON")
    args = ap.parse_args(argv)
    res = floors(tanh_ns_per_element())
    res["date_utc"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    report(res)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
