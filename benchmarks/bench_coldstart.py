"""Cold start: a fresh interpreter, an empty Numba cache, import rnncore and run one
small float32 forward+backward of a cell with the default backend.

    python benchmarks/bench_coldstart.py                 # every cell, cold then warm
    python benchmarks/bench_coldstart.py --cells lstm --events
    python benchmarks/bench_coldstart.py --background-ab 3   # the backward compiled beside the forward, or not
    python benchmarks/bench_coldstart.py --inline-copy-ab 4  # Numba's inliner with one memo per copy, or not

For each cell it runs a child interpreter with ``NUMBA_CACHE_DIR`` set to a new
empty folder (cold: everything compiles), then a second child on the filled
folder (warm: kernels load from the cache). Reported: wall seconds for the import,
the first forward and the first backward, and the child's CPU seconds (user +
system: on a shared machine wall time also counts the time other work held the
cores; CPU time is what compiling costs). ``--events`` adds where the compile
time goes: Numba's compile events (``numba.core.event``), the inclusive seconds
per compiled function, largest first.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
CELLS = ("rnn", "lstm", "gru", "peephole")

CHILD = textwrap.dedent("""
    import json, os, resource, sys, time
    t0 = time.perf_counter()
    events = {{}}
    if {events}:
        from numba.core import event as ev
        starts = {{}}
        class L(ev.Listener):
            def on_start(self, e):
                starts[id(e.data["dispatcher"]), str(e.data["args"])] = time.perf_counter()
            def on_end(self, e):
                d = e.data["dispatcher"]
                k = id(d), str(e.data["args"])
                name = d.py_func.__module__.split(".")[-1] + "." + d.py_func.__name__
                events[name] = events.get(name, 0.0) + time.perf_counter() - starts.pop(k)
        ev.register("numba:compile", L())
    import numpy as np
    import rnncore as rc
    t1 = time.perf_counter()
    # seconds in Numba's inliner (InlineWorker.inline_ir, as rnncore.cpu left it: rnncore/cpu/_inline_copy.py)
    import rnncore.cpu
    from numba.core import inline_closurecall as icc
    inlining = [0.0]
    inline_ir = icc.InlineWorker.inline_ir
    def timed_inline_ir(*args, **kwargs):
        s = time.perf_counter()
        try:
            return inline_ir(*args, **kwargs)
        finally:
            inlining[0] += time.perf_counter() - s
    icc.InlineWorker.inline_ir = timed_inline_ir
    rng = np.random.default_rng(0)
    B, T, D, H, G = 4, 10, 3, 8, {G}
    f32 = np.float32
    x = rng.standard_normal((B, T, D)).astype(f32)
    W = [rng.standard_normal(s).astype(f32) * 0.3 for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    cell = "{cell}"
    if cell == "rnn":
        h, _, cache = rc.rnn_forward(x, *W)
    elif cell == "lstm":
        h, _, cache = rc.lstm_forward(x, *W)
    elif cell == "gru":
        h, _, cache = rc.gru_forward(x, *W)
    else:
        h, _, cache = rc.peephole_lstm_forward(x, *W, rng.standard_normal((3, H)).astype(f32) * 0.3)
    t2 = time.perf_counter()
    back = {{"rnn": rc.rnn_backward, "lstm": rc.lstm_backward, "gru": rc.gru_backward,
            "peephole": rc.peephole_lstm_backward}}[cell]
    g = back(np.ones_like(h), cache)
    t3 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rc_ = resource.getrusage(resource.RUSAGE_CHILDREN)      # the backward's compile process, if any
    print(json.dumps({{"import_s": t1 - t0, "first_forward_s": t2 - t1, "first_backward_s": t3 - t2,
                      "total_s": t3 - t0, "cpu_s": ru.ru_utime + ru.ru_stime,
                      "children_cpu_s": rc_.ru_utime + rc_.ru_stime, "inline_ir_s": inlining[0],
                      "events": events}}))
""")


def run_child(cell, cache_dir, events=False, env_extra=None):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, **(env_extra or {}))
    code = CHILD.format(G={"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}[cell], cell=cell, events=events)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=HERE.parent,
                       timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"{cell}: child failed\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stderr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", default=",".join(CELLS), help="comma-separated subset of " + ",".join(CELLS))
    ap.add_argument("--events", action="store_true", help="per-function compile seconds (numba.core.event)")
    ap.add_argument("--out", default="", help="write the results as JSON here")
    ap.add_argument("--background-ab", type=int, default=0, metavar="ROUNDS",
                    help="instead: cold runs with the second process that compiles the backward kernels "
                         "(rnncore/cpu/_background.py) off and on, alternating, ROUNDS rounds")
    ap.add_argument("--inline-copy-ab", type=int, default=0, metavar="ROUNDS",
                    help="instead: cold runs, in one process, with Numba's inliner copying with one memo "
                         "(rnncore/cpu/_inline_copy.py) and without, alternating, ROUNDS rounds")
    args = ap.parse_args(argv)
    if args.background_ab:
        return env_ab(args.cells.split(","), args.background_ab, "RNNCORE_BACKGROUND_COMPILE", args.out,
                      "--background-ab")
    if args.inline_copy_ab:
        return env_ab(args.cells.split(","), args.inline_copy_ab, "RNNCORE_NUMBA_INLINE_COPY", args.out,
                      "--inline-copy-ab", {"RNNCORE_BACKGROUND_COMPILE": "0"})
    results = {}
    print("| cell | cache | import s | first forward s | first backward s | import to gradients s | CPU s |")
    print("|---|---|---|---|---|---|---|")
    for cell in args.cells.split(","):
        with tempfile.TemporaryDirectory() as cache:
            cold, notice = run_child(cell, cache, args.events)
            warm, _ = run_child(cell, cache)
        results[cell] = {"cold": cold, "warm": warm, "notice": notice.strip()}
        for label, r in (("cold", cold), ("warm", warm)):
            print(f"| {cell} | {label} | {r['import_s']:.2f} | {r['first_forward_s']:.2f} | "
                  f"{r['first_backward_s']:.2f} | {r['total_s']:.2f} | {r['cpu_s']:.2f} |", flush=True)
    if args.events:
        for cell, r in results.items():
            ev = sorted(r["cold"]["events"].items(), key=lambda kv: -kv[1])
            print(f"\n{cell}: compile seconds per function (inclusive of the callees it compiles)")
            for name, s in ev[:12]:
                print(f"  {s:7.2f}  {name}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return results


def env_ab(cells, rounds, var, out="", option="", fixed=None):
    """Cold runs of each cell with the environment variable ``var`` =0 and =1 in turn (the order
    swapped every round), and the variables in ``fixed`` set in both. Wall seconds from import to
    gradients; CPU seconds of the process and of its children (the background compile's)."""
    import numpy as np
    runs = {cell: {"off": [], "on": []} for cell in cells}
    for k in range(rounds):
        for cell in cells:
            for mode in (("off", "on") if k % 2 == 0 else ("on", "off")):
                with tempfile.TemporaryDirectory() as cache:
                    r, _ = run_child(cell, cache, env_extra={**(fixed or {}), var: "1" if mode == "on" else "0"})
                runs[cell][mode].append(r)
                print(f"round {k + 1} {cell} {mode}: {r['total_s']:.2f} s wall, CPU {r['cpu_s']:.2f} + child "
                      f"{r['children_cpu_s']:.2f} s", flush=True)
    print(f"{var}=0 (off) and =1 (on)" + (f", with {fixed}" if fixed else ""))
    print("seconds in Numba's inliner (InlineWorker.inline_ir), medians, off -> on: " + ", ".join(
        f"{cell} {np.median([x['inline_ir_s'] for x in r['off']]):.2f} -> {np.median([x['inline_ir_s'] for x in r['on']]):.2f}"
        for cell, r in runs.items()))
    print("| cell | off: wall s (median, range) | on: wall s | on/off, paired (median, range) | CPU s off | CPU s on, + child |")
    print("|---|---|---|---|---|---|")
    for cell, r in runs.items():
        off = np.array([x["total_s"] for x in r["off"]])
        on = np.array([x["total_s"] for x in r["on"]])
        ratio = on / off
        print(f"| {cell} | {np.median(off):.2f} ({off.min():.2f}-{off.max():.2f}) | {np.median(on):.2f} "
              f"({on.min():.2f}-{on.max():.2f}) | {np.median(ratio):.2f} ({ratio.min():.2f}-{ratio.max():.2f}) | "
              f"{np.median([x['cpu_s'] for x in r['off']]):.1f} | {np.median([x['cpu_s'] for x in r['on']]):.1f} + "
              f"{np.median([x['children_cpu_s'] for x in r['on']]):.1f} |")
    if out:
        Path(out).write_text(json.dumps({"command": f"python benchmarks/bench_coldstart.py {option} {rounds}",
                                         "variable": var, "fixed": fixed or {}, "runs": runs}, indent=1))
    return runs


if __name__ == "__main__":
    main()
