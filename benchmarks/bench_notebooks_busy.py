"""Course notebooks on a busy machine: BLAS on one thread (as the notebooks now set it) or threaded.

    python benchmarks/bench_notebooks_busy.py [--notebooks 16,14,17] [--busy 1] [--out results.json]

Each notebook runs top to bottom (nbclient, in notebooks/, the compile notice off) twice:
as committed, whose first cell calls ``threadpool_limits(1)``, and with that line taken out
(BLAS, NumPy's and scikit-learn's, on as many threads as it likes). During both runs
``--busy`` CPU-bound processes compete for the cores (started here, stopped after each
run, and killed after 20 minutes whatever happens). Run the two variants in alternation,
and run it with a warm Numba cache: compile time is the same for both and is not what
is measured. Reported: wall seconds per run.
"""
import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))      # bench_busy.py beside this file
from bench_busy import start_competitors, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIMIT = re.compile(r"^threadpool_limits\(1\).*(\n[ \t]+#.*)*", re.M)


def run(path, threaded, busy):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert LIMIT.search(first.source), f"{path.name}: no threadpool_limits(1) in the first cell"
    if threaded:
        first.source = LIMIT.sub("pass", first.source)
    hogs = start_competitors(busy, limit=1200)
    try:
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=1200, resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - t0
    finally:
        stop(hogs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--notebooks", default="16,14,17", help="comma-separated notebook numbers")
    ap.add_argument("--busy", type=int, default=1, help="competing CPU-bound processes")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    os.environ["RNNCORE_COMPILE_NOTICE"] = "0"          # the notebook kernels inherit it
    rows = []
    for num in args.notebooks.split(","):
        path = next((ROOT / "notebooks").glob(f"{num.strip()}_*.ipynb"))
        one = run(path, threaded=False, busy=args.busy)
        many = run(path, threaded=True, busy=args.busy)
        rows.append(dict(notebook=path.name, blas_threaded_s=many, blas_one_thread_s=one))
        print(f"{path.name}: BLAS threaded {many:.1f} s, one thread {one:.1f} s ({many / one:.1f}x)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(dict(
            command=" ".join(["python benchmarks/bench_notebooks_busy.py"] + sys.argv[1:]),
            date_utc=time.strftime("%Y-%m-%d %H:%M", time.gmtime()), cores=os.cpu_count(),
            competing_processes=args.busy, rows=rows), indent=1) + "\n")


if __name__ == "__main__":
    main()
