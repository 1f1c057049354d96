"""rnncore CPU kernels vs the NumPy reference vs PyTorch CPU, measured in one run.

    python benchmarks/bench_rnn.py --out benchmarks/results.json
    python -m benchmarks.bench_rnn --quick --cells lstm

For RNN (tanh), LSTM and GRU, float32 (float64 with --dtype float64), forward and forward+backward, at the
(B, T, D, H) rows of issue 7, it reports:

* times and ratios: every implementation of a row is timed in the same loop,
  a burst of 3 calls each per round, interleaved, and the minimum is kept
  (the minimum is the least disturbed by other work on a shared machine);
* GFLOP/s of the matrix products (forward 2*B*T*G*H*(D+H) flops, backward twice
  that; the gate arithmetic is not counted) against the SGEMM throughput
  measured at the start of the same run;
* the first-call time in a fresh interpreter, with an empty Numba cache
  (compilation) and with a warm one (what a user sees on the second day);
* a plot, benchmarks/bench_rnn.png.

The NumPy reference is slow at the large rows: there it runs a shorter
sequence and its time is scaled by T / T_run (it is linear in T); the table
marks such numbers with '*'. It runs on one BLAS thread (``one_blas_thread``: its
threads' spinning after each call slowed the next implementation timed). "fwd" is
inference on both sides: PyTorch under ``no_grad`` (oneDNN's fused inference LSTM),
rnncore with ``keep_cache=False``; rnncore's training forward (keeping what backward
needs) is reported beside it. "fwd+bwd" is a training step on both sides.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
ROWS = [(1, 100, 4, 32), (32, 100, 4, 64), (64, 200, 32, 128), (128, 500, 4, 256)]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
NUMPY_MAX_STEPS = 40_000     # B*T above which the reference runs a shorter sequence


# ----------------------------------------------------------------------------- machine
def machine_info():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import scipy
    info = {"cpu": cpu, "logical_cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
            "numba_threads": numba.get_num_threads()}
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def min_time(fn, rounds):
    """Minimum wall time of fn() over `rounds` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# ----------------------------------------------------------------------------- SGEMM peak
def sgemm_peak(n=2048, rounds=5):
    """GFLOP/s of one large float32 matrix product through each BLAS in the process."""
    from numba import njit

    @njit
    def numba_dot(a, b, c):
        np.dot(a, b, c)

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    c = np.empty_like(a)
    flops = 2.0 * n ** 3
    out = {"n": n,
           "numba_np_dot (SciPy OpenBLAS, used by rnncore)": flops / min_time(lambda: numba_dot(a, b, c), rounds) / 1e9,
           "numpy_dot (NumPy OpenBLAS)": flops / min_time(lambda: np.dot(a, b, out=c), rounds) / 1e9}
    try:
        import torch
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        out["torch_mm"] = flops / min_time(lambda: torch.mm(ta, tb), rounds) / 1e9
    except ImportError:
        pass
    # rnncore's own register tile (the step products' kernel), on row blocks shared by its
    # threads: on AVX-512 CPUs it outruns SciPy's OpenBLAS, whose Haswell kernels run there,
    # and a "peak" from the BLAS alone put rnncore's kernels above 100% of it
    from rnncore.cpu import _common, _packed
    b_packed, drive = _packed.pack(b), _tile_rows_driver()
    chunks = [_common.chunk(k, 16, n) for k in range(16)]
    out["rnncore_tile (packed, its threads)"] = flops / min_time(
        lambda: _common.run_chunk_jobs(drive, chunks, a, b_packed, c), rounds) / 1e9
    out["peak"] = max(v for k, v in out.items() if k != "n")
    return out


def _tile_rows_driver():
    """A driver for ``_common.run_chunk_jobs``: rows bounds[k]:bounds[k+1] of c = a @ b on the
    packed tile, job after job (compiled here, so that ``--help`` does not import rnncore)."""
    from numba import njit

    from rnncore.cpu._common import next_chunk
    from rnncore.cpu._packed import gemm_packed

    @njit(nogil=True)
    def drive(next_job, n, bounds, a, b_packed, c):
        while True:
            k, r0, r1 = next_chunk(next_job, n, bounds)
            if k < 0:
                return
            gemm_packed(a[r0:r1], b_packed, 0, c[r0:r1], False)
    return drive


# ----------------------------------------------------------------------------- one row
def gemm_flops(cell, B, T, D, H):
    fwd = 2.0 * B * T * GATES[cell] * H * (D + H)
    return fwd, 3.0 * fwd


def make_inputs(cell, B, T, D, H, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    s = 1.0 / np.sqrt(H)
    dt = np.dtype(dtype)
    return {"x": rng.standard_normal((B, T, D)).astype(dt),
            "W_ih": rng.uniform(-s, s, (G * H, D)).astype(dt),
            "W_hh": rng.uniform(-s, s, (G * H, H)).astype(dt),
            "b_ih": rng.uniform(-s, s, G * H).astype(dt),
            "b_hh": rng.uniform(-s, s, G * H).astype(dt),
            "dh_seq": rng.standard_normal((B, T, H)).astype(dt)}


def rnncore_fns(cell, p, backend, T=None):
    """(inference forward, training forward, forward+backward) closures; T < p's T runs
    a prefix of the sequence. Inference (keep_cache=False) is what PyTorch's no_grad
    forward does; the training forward also keeps what backward needs."""
    import rnncore as rc
    x = p["x"] if T is None else np.ascontiguousarray(p["x"][:, :T])
    dh = p["dh_seq"] if T is None else np.ascontiguousarray(p["dh_seq"][:, :T])
    w = (p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    fwd = getattr(rc, f"{cell}_forward")
    bwd = getattr(rc, f"{cell}_backward")

    def f():
        return fwd(x, *w, backend=backend, keep_cache=False)

    def fk():
        return fwd(x, *w, backend=backend)

    def fb():
        out = fwd(x, *w, backend=backend)
        return bwd(dh, out[-1])
    return f, fk, fb


def torch_fns(cell, p):
    import torch
    B, T, D = p["x"].shape
    H = p["W_hh"].shape[1]
    mod = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, H, batch_first=True)
    mod = mod.to(torch.float64 if p["x"].dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for name, key in [("weight_ih_l0", "W_ih"), ("weight_hh_l0", "W_hh"), ("bias_ih_l0", "b_ih"),
                          ("bias_hh_l0", "b_hh")]:
            getattr(mod, name).copy_(torch.from_numpy(p[key]))
    x = torch.from_numpy(p["x"])
    xg = x.clone().requires_grad_(True)
    dh = torch.from_numpy(p["dh_seq"])

    def f():
        with torch.no_grad():
            return mod(x)

    def fb():
        mod.zero_grad(set_to_none=True)
        xg.grad = None
        y, _ = mod(xg)
        y.backward(dh)           # all of dx, dW_ih, dW_hh, db_ih, db_hh, like rnncore
    return f, fb


def one_blas_thread(fn):
    """fn with NumPy's (and SciPy's) OpenBLAS on one thread. Why: the NumPy reference's
    per-step products are large enough for OpenBLAS to use its threads, which then spin
    for a while after each call, and the next implementation timed (rnncore's, first in
    each round) ran with a core taken: measured, LSTM (32, 100, 4, 64), rnncore's forward
    2.2-2.3 ms right after the reference against 1.18-1.25 ms with the reference on one
    BLAS thread or PyTorch timed in between (every round alike, so the minimum kept it)."""
    def wrapped():
        with threadpool_limits(limits=1, user_api="blas"):
            return fn()
    return wrapped


def bench_row(cell, row, rounds, numpy_max_steps, with_torch, dtype=np.float32):
    B, T, D, H = row
    p = make_inputs(cell, B, T, D, H, dtype=dtype)
    fns = {}
    fns["cpu_fwd"], fns["cpu_fwdk"], fns["cpu_fb"] = rnncore_fns(cell, p, "cpu")
    if with_torch:
        fns["torch_fwd"], fns["torch_fb"] = torch_fns(cell, p)
    # the reference: a shorter sequence where the full one would take long
    T_np = T if B * T <= numpy_max_steps else max(10, numpy_max_steps // B)
    T_np = min(T, T_np)
    fns["numpy_fwd"], _, fns["numpy_fb"] = (one_blas_thread(f) for f in rnncore_fns(cell, p, "numpy", T=T_np))
    np_rounds = rounds if T_np == T and B * T * H <= 1_000_000 else max(2, rounds // 3)

    for fn in fns.values():           # warm-up (and JIT compilation) outside the timing
        fn()
    best = dict.fromkeys(fns, float("inf"))
    # Interleaved: each round times every implementation, in a burst of `reps` calls.
    # The first call of a burst can run while the previous library's worker threads
    # still spin (OpenBLAS, OpenMP), taking a core from it; the minimum skips it.
    reps = 3
    for r in range(rounds):
        for name, fn in fns.items():
            if name.startswith("numpy") and r >= np_rounds:
                continue
            for _ in range(1 if name.startswith("numpy") else reps):
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
    for name in ("numpy_fwd", "numpy_fb"):
        best[name] *= T / T_np
    res = {"cell": cell, "B": B, "T": T, "D": D, "H": H, "dtype": np.dtype(dtype).name, "rounds": rounds,
           "numpy_T_run": T_np, "numpy_rounds": np_rounds, "numpy_scaled": T_np != T,
           "ms": {k: v * 1e3 for k, v in best.items()}}
    f_fwd, f_fb = gemm_flops(cell, B, T, D, H)
    res["gflops"] = {"cpu_fwd": f_fwd / best["cpu_fwd"] / 1e9, "cpu_fb": f_fb / best["cpu_fb"] / 1e9}
    if with_torch:
        res["gflops"].update({"torch_fwd": f_fwd / best["torch_fwd"] / 1e9,
                              "torch_fb": f_fb / best["torch_fb"] / 1e9})
    return res


# ----------------------------------------------------------------------------- JIT / first call
FIRST_CALL = textwrap.dedent("""
    import time
    t0 = time.perf_counter()
    import numpy as np
    import rnncore as rc
    t_import = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    B, T, D, H, G = 4, 10, 3, 8, {G}
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    w = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    t1 = time.perf_counter()
    out = rc.{cell}_forward(x, *w)
    t_fwd = time.perf_counter() - t1
    t2 = time.perf_counter()
    rc.{cell}_backward(np.ones((B, T, H), np.float32), out[-1])
    t_bwd = time.perf_counter() - t2
    print(t_import, t_fwd, t_bwd, time.perf_counter() - t0)
""")


def first_call_times(cell):
    """Seconds from interpreter start to the first results, empty then warm Numba cache."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        code = FIRST_CALL.format(G=GATES[cell], cell=cell)
        for label in ("cold", "warm"):
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                               cwd=HERE.parent, check=True)
            t_import, t_fwd, t_bwd, total = map(float, r.stdout.split()[-4:])
            out[label] = {"import_s": t_import, "first_forward_s": t_fwd, "first_backward_s": t_bwd,
                          "import_to_first_gradients_s": total}
    return out


# ----------------------------------------------------------------------------- report
def fmt_row(r, with_torch):
    ms = r["ms"]
    star = "*" if r["numpy_scaled"] else ""
    shape = f"({r['B']},{r['T']},{r['D']},{r['H']})"
    cells = [r["cell"], shape]
    for kind in ("fwd", "fb"):
        cells.append(f"{ms['cpu_' + kind]:.3g}")
        if with_torch:
            cells += [f"{ms['torch_' + kind]:.3g}", f"{ms['cpu_' + kind] / ms['torch_' + kind]:.2f}"]
        cells.append(f"{ms['numpy_' + kind] / ms['cpu_' + kind]:.0f}{star}")
        if kind == "fwd" and "cpu_fwdk" in ms:      # the training forward, keeping the cache
            cells.append(f"{ms['cpu_fwdk']:.3g}" + (f" ({ms['cpu_fwdk'] / ms['torch_fwd']:.2f})" if with_torch else ""))
    return "| " + " | ".join(cells) + " |"


def report(results, with_torch):
    lines = []
    hdr = ["cell", "(B,T,D,H)"]
    for kind in ("fwd", "fwd+bwd"):
        hdr.append(f"{kind} rnncore ms")
        if with_torch:
            hdr += [f"{kind} torch ms", f"{kind} rnncore/torch"]
        hdr.append(f"{kind} numpy/rnncore")
        if kind == "fwd":
            hdr.append("fwd keeping the cache, rnncore ms" + (" (/torch)" if with_torch else ""))
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "---|" * len(hdr))
    for r in results["rows"]:
        lines.append(fmt_row(r, with_torch))
    lines.append("")
    peak = results["sgemm"]["peak"]
    lines.append(f"SGEMM {results['sgemm']['n']}^3, GFLOP/s: " + ", ".join(
        f"{k} {v:.0f}" for k, v in results["sgemm"].items() if k not in ("n", "peak")) + f"; peak = {peak:.0f}")
    lines.append("")
    lines.append("| cell | (B,T,D,H) | rnncore fwd GFLOP/s (% peak) | rnncore fwd+bwd | torch fwd | torch fwd+bwd |")
    lines.append("|---|---|---|---|---|---|")
    for r in results["rows"]:
        g = r["gflops"]
        shape = f"({r['B']},{r['T']},{r['D']},{r['H']})"
        t = (f"{g['torch_fwd']:.0f} ({100 * g['torch_fwd'] / peak:.0f}%) | {g['torch_fb']:.0f} "
             f"({100 * g['torch_fb'] / peak:.0f}%)") if with_torch else "- | -"
        lines.append(f"| {r['cell']} | {shape} | {g['cpu_fwd']:.0f} ({100 * g['cpu_fwd'] / peak:.0f}%) | "
                     f"{g['cpu_fb']:.0f} ({100 * g['cpu_fb'] / peak:.0f}%) | {t} |")
    if results.get("first_call"):
        lines.append("")
        lines.append("| cell | cache | import s | first forward s | first backward s | import to gradients s |")
        lines.append("|---|---|---|---|---|---|")
        for cell, d in results["first_call"].items():
            for label, v in d.items():
                lines.append(f"| {cell} | {label} | {v['import_s']:.2f} | {v['first_forward_s']:.2f} | "
                             f"{v['first_backward_s']:.2f} | {v['import_to_first_gradients_s']:.2f} |")
    if any(r["numpy_scaled"] for r in results["rows"]):
        lines.append("")
        lines.append("* NumPy reference timed on a shorter sequence (numpy_T_run steps) and scaled to T.")
    return "\n".join(lines)


def plot(results, path, with_torch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = results["rows"]
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    fig, axes = plt.subplots(1, len(cells), figsize=(5 * len(cells), 4), sharey=True, squeeze=False)
    for ax, cell in zip(axes[0], cells):
        rr = [r for r in rows if r["cell"] == cell]
        labels = [f"{r['B']},{r['T']},{r['D']},{r['H']}" for r in rr]
        xs = np.arange(len(rr))
        series = [("numpy / rnncore, fwd", [r["ms"]["numpy_fwd"] / r["ms"]["cpu_fwd"] for r in rr]),
                  ("numpy / rnncore, fwd+bwd", [r["ms"]["numpy_fb"] / r["ms"]["cpu_fb"] for r in rr])]
        if with_torch:
            series = [("torch / rnncore, fwd", [r["ms"]["torch_fwd"] / r["ms"]["cpu_fwd"] for r in rr]),
                      ("torch / rnncore, fwd+bwd", [r["ms"]["torch_fb"] / r["ms"]["cpu_fb"] for r in rr])] + series
        w = 0.8 / len(series)
        for i, (name, vals) in enumerate(series):
            ax.bar(xs + (i - (len(series) - 1) / 2) * w, vals, w, label=name)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks(xs, labels, fontsize=8)
        ax.set_xlabel("B, T, D, H")
        ax.set_title(f"{cell}, {rr[0]['dtype']}")
    axes[0][0].set_ylabel("speed-up of rnncore cpu (x, higher is better)")
    axes[0][-1].legend(fontsize=7)
    m = results["machine"]
    fig.suptitle(f"{m['cpu']}, {m['logical_cpus']} cores; numba {m['numba']}, torch {m['torch']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, shorter reference runs, no cold-JIT run")
    ap.add_argument("--cells", default="rnn,lstm,gru", help="comma-separated subset of rnn,lstm,gru")
    ap.add_argument("--rows", default=None, help="comma-separated row indices (0-3) of the issue-7 table")
    ap.add_argument("--rounds", type=int, default=None, help="timing rounds per row (default 7, quick 3)")
    ap.add_argument("--out", default=None, help="write all results as JSON here")
    ap.add_argument("--plot", default=str(HERE / "bench_rnn.png"), help="PNG path ('' for none)")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    ap.add_argument("--no-jit", action="store_true", help="skip the first-call (subprocess) timings")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                    help="dtype of the timed rows (the first-call timings stay float32)")
    args = ap.parse_args(argv)

    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    for c in cells:
        if c not in GATES:
            ap.error(f"unknown cell {c!r}; choose from {', '.join(GATES)}")
    rows = ROWS if args.rows is None else [ROWS[int(i)] for i in args.rows.split(",")]
    rounds = args.rounds or (3 if args.quick else 7)
    numpy_max = NUMPY_MAX_STEPS // 4 if args.quick else NUMPY_MAX_STEPS
    with_torch = not args.no_torch
    if with_torch:
        try:
            import torch
            torch.set_num_threads(os.cpu_count() or 1)
        except ImportError:
            print("torch not installed: comparing with the NumPy reference only")
            with_torch = False

    results = {"machine": machine_info(), "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
               "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    if with_torch:
        import torch
        results["machine"]["torch_threads"] = torch.get_num_threads()
    print(json.dumps(results["machine"]))
    results["sgemm"] = sgemm_peak()
    print(f"SGEMM peak {results['sgemm']['peak']:.0f} GFLOP/s", flush=True)
    results["rows"] = []
    for cell in cells:
        for row in rows:
            r = bench_row(cell, row, rounds, numpy_max, with_torch, dtype=np.dtype(args.dtype))
            results["rows"].append(r)
            ms = r["ms"]
            msg = f"{cell:5s} {str(row):20s} fwd {ms['cpu_fwd']:9.3f} ms   fwd+bwd {ms['cpu_fb']:9.3f} ms"
            if with_torch:
                msg += (f"   vs torch {ms['cpu_fwd'] / ms['torch_fwd']:.2f}x / {ms['cpu_fb'] / ms['torch_fb']:.2f}x"
                        " of its time")
            print(msg, flush=True)
    if not args.no_jit:
        results["first_call"] = {}
        for cell in (cells if not args.quick else cells[:1]):
            results["first_call"][cell] = first_call_times(cell)
    text = report(results, with_torch)
    print()
    print(text)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    if args.plot:
        plot(results, args.plot, with_torch)
        print(f"\nplot: {args.plot}")
    return results


if __name__ == "__main__":
    main()
