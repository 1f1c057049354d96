"""Before and after: the CPU kernels of two versions of rnncore, timed in alternating runs.

    python benchmarks/bench_ab.py --old HEAD~1                       # HEAD~1 against this working tree
    python benchmarks/bench_ab.py --old 4b4a077 --runs 3 --out benchmarks/results_ab.json
    python benchmarks/bench_ab.py --old HEAD~1 --fit --runs 3           # whole fit epochs instead

A speed-up claimed for a kernel change is a comparison of two programs, and on a shared
machine the machine itself changes speed by tens of percent within the hour (benchmarks/
README.md). So the two versions run in turns, old, new, old, new, ..., each run a fresh
interpreter with its own Numba cache, and every row is reported as the ratio new / old
within each pair of neighbouring runs (median and min-max over the pairs), beside the
milliseconds.

``--old REV`` is checked out with ``git worktree`` into a temporary folder (removed at the
end); the new version is this working tree (``--new PATH`` for another tree). Each run
imports rnncore from its tree (``PYTHONPATH``), warms every kernel up once (compilation),
then times, per cell and shape (float32, default threads, the functional API): the
inference forward (``keep_cache=False``), the training forward that keeps what backward
needs, and backward (median of repeated calls). It also hashes (SHA-256) the outputs and
gradients of every row: ``same_bits`` says whether every run of both versions gave the
same bits (a change meant to be bit-for-bit neutral, as a change of loop structure, shows
it here).

``--fit`` times whole training epochs instead (issue 13's target 3): ``Sequential.fit`` of
``LSTM(H)`` + ``Dense(1)``, MSE, Adam, batches of 32, at the two configurations of
``bench_fit.py`` (its ``CONFIGS``, its data), a few untimed epochs, then the median and the
fastest of ``FIT_EPOCHS`` timed ones; ``same_bits`` compares the loss after the last epoch.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CELLS = ("lstm", "gru", "peephole", "rnn")
# (B, T, D, H): the four LSTM rows of bench_rnn.py (issue 13's target 4), and the two
# shapes of bench_fit.py's training runs (LSTM(64) x T=50 and LSTM(256) x T=100)
SHAPES = [(1, 100, 4, 32), (32, 100, 4, 64), (64, 200, 32, 128), (128, 500, 4, 256), (32, 50, 8, 64),
          (32, 100, 8, 256)]

CHILD = textwrap.dedent("""
    import hashlib, json, sys, time
    import numpy as np
    import rnncore as rc
    cells, shapes = {cells!r}, {shapes!r}
    G = {{"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}}

    def calls(cell, B, T, D, H):
        rng = np.random.default_rng(0)
        f = np.float32
        x = rng.standard_normal((B, T, D)).astype(f)
        # weights of PyTorch's scale (sd about 1/sqrt(H)): with a fixed 0.3 the GRU and RNN at H = 256
        # saturated, their gradients came out zero and "same bits" said nothing there
        W = [(rng.standard_normal(s) * 0.6 / np.sqrt(H)).astype(f) for s in ((G[cell] * H, D), (G[cell] * H, H))]
        b = [(rng.standard_normal(G[cell] * H) * 0.1).astype(f) for _ in range(2)]
        dh = rng.standard_normal((B, T, H)).astype(f)
        fwd, bwd = {{"rnn": (rc.rnn_forward, rc.rnn_backward), "lstm": (rc.lstm_forward, rc.lstm_backward),
                     "gru": (rc.gru_forward, rc.gru_backward),
                     "peephole": (rc.peephole_lstm_forward, rc.peephole_lstm_backward)}}[cell]
        extra = [(rng.standard_normal((3, H)) * 0.3).astype(f)] if cell == "peephole" else []
        cache = fwd(x, *W, *b, *extra)[-1]
        return (lambda: fwd(x, *W, *b, *extra, keep_cache=False), lambda: fwd(x, *W, *b, *extra),
                lambda: bwd(dh, cache))

    def median_ms(fn, budget_s=0.6, most=40):
        fn()
        ts = []
        t_end = time.perf_counter() + budget_s
        while len(ts) < 3 or (len(ts) < most and time.perf_counter() < t_end):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts)) * 1e3

    def digest(obj, h):
        # the arrays of a result, in a fixed order (the cache object passed to backward is skipped)
        if isinstance(obj, np.ndarray):
            h.update(np.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, (tuple, list)):
            for o in obj:
                digest(o, h)
        elif isinstance(obj, dict):
            for k in sorted(obj):
                digest(obj[k], h)
        return h

    out = {{}}
    for cell in cells:
        for B, T, D, H in shapes:
            f, fk, b = calls(cell, B, T, D, H)
            h = hashlib.sha256()
            for res in (f()[:-1], fk()[:-1], b()):
                digest(res, h)
            out[f"{{cell}} ({{B}},{{T}},{{D}},{{H}})"] = {{"fwd": median_ms(f), "fwd_keep": median_ms(fk),
                                                          "bwd": median_ms(b), "sha256": h.hexdigest()}}
    print(json.dumps(out))
""")


# --fit: rnncore's fit epochs, timed in the child (bench_fit.py's model, data and configurations)
FIT_EPOCHS = {"LSTM(64) x T=50": 40, "LSTM(256) x T=100": 15}
CHILD_FIT = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {bench!r})
    import numpy as np
    import bench_fit
    out = {{}}
    for cfg in bench_fit.CONFIGS:
        x, y = bench_fit.make_data(cfg)
        epoch = bench_fit.rnncore_trainer(cfg, x, y)
        for _ in range(3):
            epoch()
        ts = []
        for _ in range({epochs!r}[cfg["name"]]):
            t0 = time.perf_counter()
            loss = epoch()
            ts.append(time.perf_counter() - t0)
        # the loss after a fixed number of epochs from the same start: equal bits, equal training
        out[cfg["name"]] = {{"fit_epoch_median": float(np.median(ts)) * 1e3, "fit_epoch_min": min(ts) * 1e3,
                             "sha256": repr(float(loss))}}
    print(json.dumps(out))
""")
FIT_WHAT = ("fit_epoch_median", "fit_epoch_min")
KERNEL_WHAT = ("fwd", "fwd_keep", "bwd")      # what the kernel child times per row


def run_child(tree, cells, shapes, cache_dir, fit=False):
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache_dir), RNNCORE_COMPILE_NOTICE="0")
    if fit:      # bench_fit.py of this tree, so that both versions run the same benchmark
        code = CHILD_FIT.format(bench=str(HERE), epochs=FIT_EPOCHS)
    else:
        code = CHILD.format(cells=list(cells), shapes=[list(s) for s in shapes])
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if res.returncode != 0:
        raise RuntimeError(f"run in {tree} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def summarise(old_runs, new_runs, whats=KERNEL_WHAT):
    rows = {}
    for key in old_runs[0]:
        # the outputs and gradients of the row, bit for bit: one SHA-256 over every run of both versions
        rows[key] = {"same_bits": len({r[key]["sha256"] for r in old_runs + new_runs}) == 1}
        for what in whats:
            o = np.array([r[key][what] for r in old_runs])
            n = np.array([r[key][what] for r in new_runs])
            ratio = n / o
            rows[key][what] = {"old_ms": o.tolist(), "new_ms": n.tolist(), "ratio_median": float(np.median(ratio)),
                               "ratio_min": float(ratio.min()), "ratio_max": float(ratio.max())}
    return rows


def report(rows, whats=KERNEL_WHAT):
    if whats == FIT_WHAT:
        lines = ["| configuration | fit epoch, median, old -> new ms (new/old) | fastest epoch | same loss |",
                 "|---|---|---|---|"]
    else:
        lines = ["| cell (B,T,D,H) | forward, old -> new ms (new/old) | training forward | backward | same bits |",
                 "|---|---|---|---|---|"]
    for key, r in rows.items():
        cells = []
        for what in whats:
            v = r[what]
            cells.append(f"{np.median(v['old_ms']):.3g} -> {np.median(v['new_ms']):.3g} "
                         f"({v['ratio_median']:.2f}, {v['ratio_min']:.2f}-{v['ratio_max']:.2f})")
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {'yes' if r['same_bits'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="git revision of the old version (checked out in a temporary worktree)")
    ap.add_argument("--new", default=str(ROOT), help="tree of the new version (default: this working tree)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each version, alternating (default 2)")
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--shapes", default=None, help="indices into SHAPES, comma-separated (default all)")
    ap.add_argument("--fit", action="store_true", help="time whole fit epochs (bench_fit.py's configurations)")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    whats = FIT_WHAT if args.fit else KERNEL_WHAT
    cells = [c for c in args.cells.split(",") if c]
    shapes = SHAPES if args.shapes is None else [SHAPES[int(i)] for i in args.shapes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="rnncore_ab_"))
    old_tree = tmp / "old"
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", args.old], capture_output=True, text=True,
                         check=True).stdout.strip()
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old_tree), rev], check=True)
    try:
        old_runs, new_runs = [], []
        for r in range(args.runs):
            # each child compiles (or loads from its version's cache) before it times anything
            for label, tree, runs in (("old", old_tree, old_runs), ("new", Path(args.new), new_runs)):
                print(f"run {r + 1}/{args.runs}: {label}", file=sys.stderr, flush=True)
                runs.append(run_child(tree, cells, shapes, tmp / f"cache_{label}", fit=args.fit))
        rows = summarise(old_runs, new_runs, whats)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(rows, whats))
    if args.out:
        info = {"what": "fit epochs" if args.fit else "kernels", "old": rev,
                "new": args.new if args.new != str(ROOT) else "working tree",
                "new_head": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                                           text=True).stdout.strip(),
                "runs": args.runs, "cpu": platform.processor() or platform.machine(),
                "logical_cpus": os.cpu_count(), "load_average_end": list(os.getloadavg())}
        Path(args.out).write_text(json.dumps({"info": info, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
