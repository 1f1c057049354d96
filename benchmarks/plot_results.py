"""The figures of ``benchmarks/README.md`` for issue 13's benchmarks, drawn from the committed
result files (no benchmark is re-run here):

    python benchmarks/plot_results.py            # writes benchmarks/{busy,coldstart,fit,floors}.png

* ``busy.png``: rnncore's default threads over one thread, training on a busy machine
  (``bench_busy.py``): the ``prange`` kernels of 2026-12-02 against the batch-chunk jobs on
  2026-12-03 and on 2026-12-04 (after the polling hand-off and its GIL-aware form).
* ``coldstart.png``: import to the first float32 gradients with an empty Numba cache
  (``bench_coldstart.py``): 2026-12-01, then the background compile off and on, and warm;
  and the default (background compile on) and warm on 2026-12-04.
* ``fit.png``: one epoch of ``Sequential.fit`` against a PyTorch loop and Keras 3 (torch
  backend) (``bench_fit.py``), with the target line at half the better peer's time.
* ``floors.png``: targets 3 and 4 against the floors of ``floors.py`` (``results_floors.json``),
  every time as a fraction of PyTorch's: rnncore's ``fit`` in each committed run on the Zen 5 VM (the
  median of the run's per-round ratios), and the training forward of each LSTM row.

Each panel names the run (date, key of the JSON file) its numbers come from.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from bench_rnn import gemm_flops

HERE = Path(__file__).resolve().parent
TARGET_BUSY = 1.2          # issue 13, target 1: default threads at most 1.2x one thread
TARGET_COLD_S = 10.0       # target 2: import + first forward/backward, empty cache
TARGET_WARM_S = 1.0        # target 2: the same with a warm cache
TARGET_FIT = 0.5           # target 3: fit at most 0.5x the better peer's epoch


def _load(name):
    return json.loads((HERE / name).read_text())


def busy_summary():
    """{panel title: {workload: [(competitors, median, min, max) ...]}} of the ratio default
    threads / one thread, every round of every run of that panel pooled."""
    data = _load("results_busy.json")
    panels = {"prange kernels, 2026-12-02\n(busy shared Intel VM; key prange_before)": [data["prange_before"]],
              "batch-chunk jobs, 2026-12-03\n(idle AMD VM, 3 runs; key idle_2026_12_03)":
                  data["idle_2026_12_03"]["runs"],
              "batch-chunk jobs, 2026-12-04\n(idle AMD VM, 3 runs; key afternoon_2026_12_04)":
                  data["afternoon_2026_12_04"]["runs"]}
    out = {}
    for title, runs in panels.items():
        pooled = {}
        for run in runs:
            for r in run["results"]:
                ratios = np.array(r["default_s"]) / np.array(r["one_thread_s"])
                pooled.setdefault(r["workload"], {}).setdefault(r["competitors"], []).extend(ratios)
        out[title] = {w: [(c, float(np.median(v)), float(np.min(v)), float(np.max(v)))
                          for c, v in sorted(by_c.items())] for w, by_c in pooled.items()}
    return out


def coldstart_summary():
    """{cell: {series: seconds}}: wall clock from import to the first gradients."""
    data = _load("results_coldstart.json")
    ab = data["background_ab"]["runs"]
    warm = data["background_default_run"]["cells"]
    latest = data["afternoon_2026_12_04"]["runs"]
    out = {}
    for cell in ("rnn", "lstm", "gru", "peephole"):
        out[cell] = {
            "2026-12-01, prange kernels": data["before_idle_wall_s"].get(cell, np.nan),
            "2026-12-03, one process (median of 3)": float(np.median([r["total_s"] for r in ab[cell]["off"]])),
            "2026-12-03, background compile (median of 3)": float(np.median([r["total_s"] for r in ab[cell]["on"]])),
            "2026-12-03, warm cache": warm[cell]["warm"]["total_s"],
            "2026-12-04, default (median of 2)": float(np.median([run[cell]["cold"]["total_s"] for run in latest])),
            "2026-12-04, warm cache (median of 2)": float(np.median([run[cell]["warm"]["total_s"] for run in latest])),
        }
    return out


def sgemm_peak():
    """GFLOP/s of a 2048^3 float32 product on this machine, the morning of the fit runs
    (``bench_rnn.py``, results_vectorised.json, 05:38 UTC; the fit runs: 06:12)."""
    return _load("results_vectorised.json")["sgemm"]["peak"]


def lstm_epoch_gflop(c):
    """The LSTM's matrix products in one epoch of fit, forward and backward (``bench_rnn.py``'s
    count: forward 2*B*T*4H*(D+H) flops per batch, the backward twice that)."""
    _, forward_backward = gemm_flops("lstm", c["B"], c["T"], c["D"], c["H"])
    return forward_backward * c["batches_per_epoch"] / 1e9


def fit_summary():
    """[(config name, {library: median epoch s}, floor s)] from the settled runs of 2026-12-03;
    the floor: the LSTM's matrix products alone at the machine's SGEMM peak."""
    t1, t2 = _load("results_fit_settled_t1.json"), _load("results_fit_settled_t2.json")
    peak = sgemm_peak()
    out = []
    for c1, c2 in zip(t1["configs"], t2["configs"]):
        assert c1["name"] == c2["name"]
        out.append((c1["name"], {"rnncore": c2["epoch_s_median"]["rnncore"],
                                 "PyTorch, 1 thread": c1["epoch_s_median"]["torch"],
                                 "PyTorch, 2 threads": c2["epoch_s_median"]["torch"],
                                 "Keras 3 (torch), 2 threads": c2["epoch_s_median"]["keras_torch"]},
                    lstm_epoch_gflop(c2) / peak))
    return out


def plot_busy(path, plt):
    summary = busy_summary()
    fig, axes = plt.subplots(1, len(summary), figsize=(13, 3.8), sharey=True)
    for ax, (title, by_workload) in zip(axes, summary.items()):
        n = len(by_workload)
        for i, (workload, rows) in enumerate(by_workload.items()):
            c = np.array([r[0] for r in rows], float) + (i - (n - 1) / 2) * 0.12
            med, lo, hi = (np.array([r[k] for r in rows]) for k in (1, 2, 3))
            ax.errorbar(c, med, yerr=[med - lo, hi - med], fmt="o", capsize=3, label=workload)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(TARGET_BUSY, color="tab:red", ls="--", lw=1, label="target: 1.2x")
        ax.set_yscale("log")
        ax.set_xticks([0, 1, 2])
        ax.set_xlabel("competing CPU-bound processes (2 cores)")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("default threads / one thread\n(median, min-max over rounds)")
    axes[-1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_coldstart(path, plt):
    summary = coldstart_summary()
    cells = list(summary)
    series = list(summary[cells[0]])
    fig, ax = plt.subplots(figsize=(10, 3.8))
    w = 0.8 / len(series)
    xs = np.arange(len(cells))
    for i, name in enumerate(series):
        ax.bar(xs + (i - (len(series) - 1) / 2) * w, [summary[c][name] for c in cells], w, label=name)
    ax.axhline(TARGET_COLD_S, color="tab:red", ls="--", lw=1, label="target, cold: 10 s")
    ax.axhline(TARGET_WARM_S, color="tab:purple", ls=":", lw=1, label="target, warm: 1 s")
    ax.set_xticks(xs, cells)
    ax.set_ylabel("import to first gradients, s\n(float32, wall clock)")
    ax.set_title("First call, empty Numba cache (2-core VMs; no 2026-12-01 run of the peephole LSTM)",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_fit(path, plt):
    summary = fit_summary()
    floor_label = f"the LSTM's products alone at the SGEMM peak ({sgemm_peak():.0f} GFLOP/s)"
    fig, axes = plt.subplots(1, len(summary), figsize=(10, 3.8))
    for ax, (name, times, floor) in zip(axes, summary):
        labels = list(times)
        vals = [times[k] for k in labels]
        bars = ax.bar(range(len(vals)), vals, color=["tab:blue", "tab:orange", "tab:orange", "tab:green"])
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
        best_peer = min(v for k, v in times.items() if k != "rnncore")
        ax.axhline(TARGET_FIT * best_peer, color="tab:red", ls="--", lw=1,
                   label="target: 0.5x the better peer")
        ax.axhline(floor, color="k", ls=":", lw=1, label=floor_label)
        ax.set_xticks(range(len(vals)), [k.replace(", ", "\n", 1) for k in labels], fontsize=7)
        ax.set_title(f"{name}: rnncore / better peer {times['rnncore'] / best_peer:.2f}", fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("epoch, s (median of 5)")
    fig.suptitle("One epoch of fit, idle 2-core AMD VM, 2026-12-03 (results_fit_settled_t1/_t2.json)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def floors_summary():
    """From results_floors.json, target 3: {config: [(rnncore / the better peer, the median of a run's
    rounds; the products' floor / the better peer's median epoch) for each run]}; target 4: [(shape,
    target factor, products, activations and rnncore's training forward, each over PyTorch's
    inference)]."""
    fl = _load("results_floors.json")
    fit = {}
    for f in fl["target_3"]:
        fit.setdefault(f["config"], []).append((f["ratio_median"], f["products_floor_s"] / f["best_peer_s"]))
    fwd = [(tuple(r["shape"]), r["factor"], r["products_floor_ms"] / r["torch_inference_ms"],
            r["activations_floor_ms"] / r["torch_inference_ms"],
            r["rnncore_training_forward_ms"] / r["torch_inference_ms"]) for r in fl["target_4"]]
    return fit, fwd


def plot_floors(path, plt):
    fit, fwd = floors_summary()
    fig, (ax3, ax4) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 3]})
    for i, (name, runs) in enumerate(fit.items()):
        x = i + np.linspace(-0.25, 0.25, len(runs))
        ax3.scatter(x, [r for r, _ in runs], s=14, color="tab:blue",
                    label="rnncore (median of a run's rounds)" if i == 0 else None)
        ax3.scatter(x, [f for _, f in runs], s=14, marker="_", color="k",
                    label="the LSTM's products alone at the peak" if i == 0 else None)
    ax3.axhline(TARGET_FIT, color="tab:red", ls="--", lw=1, label="target 3: 0.5x")
    ax3.set_xticks(range(len(fit)), list(fit), fontsize=8)
    ax3.set_xlim(-0.6, len(fit) - 0.4)
    ax3.set_ylim(0, 1.15)
    ax3.set_ylabel("time / the better peer's epoch")
    ax3.set_title(f"fit: {sum(len(r) for r in fit.values()) // len(fit)} runs each", fontsize=9)
    ax3.legend(fontsize=7, loc="upper center", ncol=2)
    x = np.arange(len(fwd))
    products = [p for _, _, p, _, _ in fwd]
    ax4.bar(x, products, color="0.6", label="the products at the peak")
    ax4.bar(x, [a for _, _, _, a, _ in fwd], bottom=products, color="0.85",
            label="+ 5 activations per unit at a bare tanh loop's speed")
    ax4.scatter(x, [r for *_, r in fwd], color="tab:blue", zorder=3, label="rnncore's training forward")
    ax4.scatter(x, [f for _, f, *_ in fwd], marker="_", s=600, color="tab:red", zorder=3, label="target 4")
    ax4.set_xticks(x, [str(s) for s, *_ in fwd], fontsize=8)
    ax4.set_ylabel("time / PyTorch's inference")
    ax4.set_ylim(0, 1.3)
    ax4.set_title("training forward, LSTM rows of bench_rnn.py", fontsize=9)
    ax4.legend(fontsize=7, loc="upper center", ncol=2)
    fig.suptitle("Issue 13's targets 3 and 4 against what the arithmetic takes, 2-core Zen 5 VM, 2026-12-04 "
                 "(results_floors.json)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=str(HERE), help="where the PNG files go")
    args = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"busy": out / "busy.png", "coldstart": out / "coldstart.png", "fit": out / "fit.png",
             "floors": out / "floors.png"}
    plot_busy(paths["busy"], plt)
    plot_coldstart(paths["coldstart"], plt)
    plot_fit(paths["fit"], plt)
    plot_floors(paths["floors"], plt)
    return paths


if __name__ == "__main__":
    main()
