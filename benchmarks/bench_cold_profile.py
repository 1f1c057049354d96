"""Where a cold first call's compile time goes, per compiled function.

    python benchmarks/bench_cold_profile.py --cell lstm [--top 25] [--dtype float32]

One child interpreter, an empty ``NUMBA_CACHE_DIR``: import rnncore, one forward and
one backward of the cell at a small shape. Numba's events (``numba.core.event``) give,
for every function it compiles (a dispatcher and its argument types):

* ``incl``: seconds from the start to the end of its compile, callees included;
* ``excl``: the same less the compiles it triggered (its own typing, lowering,
  LLVM optimisation and code generation, with its callees' code linked in);
* ``llvm``: seconds it held the LLVM lock, its callees' compiles excluded (LLVM
  optimisation of its module, the callees' code that was linked in included, and
  machine code generation).

CPU seconds of the child (user + system) and the wall seconds of each phase are
printed first. Compile times are wall seconds: on a busy machine run it twice.
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

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from numba.core import event as ev
    t0 = time.perf_counter()
    stack, rows, llvm = [], [], []

    class Compile(ev.Listener):
        def on_start(self, e):
            f = e.data["dispatcher"].py_func
            stack.append([time.process_time(), 0.0, 0.0, f.__module__.replace("rnncore.", "") + "." + f.__qualname__])
        def on_end(self, e):
            start, inner, own_llvm, name = stack.pop()
            incl = time.process_time() - start
            if stack:
                stack[-1][1] += incl
            rows.append(dict(name=name, args=str(e.data["args"])[:90], incl=incl, excl=incl - inner,
                             llvm=own_llvm, parent=stack[-1][3] if stack else ""))

    class Llvm(ev.Listener):
        def on_start(self, e):
            llvm.append(time.process_time())
        def on_end(self, e):
            dt = time.process_time() - llvm.pop()
            if stack:
                stack[-1][2] += dt

    ev.register("numba:compile", Compile())
    ev.register("numba:llvm_lock", Llvm())
    import numpy as np
    import rnncore as rc
    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    cell, dt = "{cell}", np.dtype("{dtype}")
    G = dict(rnn=1, lstm=4, gru=3, peephole=4)[cell]
    B, T, D, H = 4, 10, 3, 8
    x = rng.standard_normal((B, T, D)).astype(dt)
    W = [(rng.standard_normal(s) * 0.3).astype(dt) for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    fwd = dict(rnn=rc.rnn_forward, lstm=rc.lstm_forward, gru=rc.gru_forward, peephole=rc.peephole_lstm_forward)[cell]
    back = dict(rnn=rc.rnn_backward, lstm=rc.lstm_backward, gru=rc.gru_backward,
                peephole=rc.peephole_lstm_backward)[cell]
    extra = [(rng.standard_normal((3, H)) * 0.3).astype(dt)] if cell == "peephole" else []
    h, _, cache = fwd(x, *W, *extra)
    t2 = time.perf_counter()
    back(np.ones_like(h), cache)
    t3 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps(dict(import_s=t1 - t0, forward_s=t2 - t1, backward_s=t3 - t2,
                          cpu_s=ru.ru_utime + ru.ru_stime, rows=rows)))
""")


def profile(cell, dtype="float32"):
    with tempfile.TemporaryDirectory() as cache:
        # every compile in the one profiled process: no second process for the backward (rnncore/cpu/_background.py)
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, RNNCORE_BACKGROUND_COMPILE="0")
        r = subprocess.run([sys.executable, "-c", CHILD.format(cell=cell, dtype=dtype)], env=env,
                           capture_output=True, text=True, cwd=HERE.parent, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cell", default="lstm", choices=("rnn", "lstm", "gru", "peephole"))
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    res = profile(args.cell, args.dtype)
    rows = res["rows"]
    print(f"{args.cell} {args.dtype}: CPU {res['cpu_s']:.2f} s; wall: import {res['import_s']:.2f}, "
          f"forward {res['forward_s']:.2f}, backward {res['backward_s']:.2f}; {len(rows)} compiles, "
          f"sum excl {sum(r['excl'] for r in rows):.2f} s, of which LLVM {sum(r['llvm'] for r in rows):.2f} s")
    by_module = {}
    for r in rows:
        m = r["name"].rsplit(".", 1)[0]
        by_module[m] = by_module.get(m, 0.0) + r["excl"]
    print("excl seconds by module: " + ", ".join(f"{m} {s:.2f}" for m, s in
                                                   sorted(by_module.items(), key=lambda kv: -kv[1])))
    print(f"{'excl':>6} {'llvm':>6} {'incl':>6}  function (args)")
    for r in sorted(rows, key=lambda r: -r["excl"])[:args.top]:
        print(f"{r['excl']:6.2f} {r['llvm']:6.2f} {r['incl']:6.2f}  {r['name']} {r['args'][:60]} <- {r['parent']}")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
