#!/usr/bin/env python
"""Run a course notebook's full experiment (``FULL = True``) without touching the notebook.

    python tools/run_full.py notebooks/10_splice_sites.ipynb [--out /tmp/full]

The line ``FULL = False`` of the notebook is switched to ``FULL = True`` in a copy, the copy is
executed top to bottom in the notebook's folder (so files it writes, such as
``NN_*_full_run.json``, land beside it), and the executed copy is saved to ``--out`` with the
run's wall time. The text of a notebook quotes these full-run figures; this is how they are
reproduced.
"""
import argparse
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

FLAG = re.compile(r"^(\s*)FULL\s*=\s*False\b", re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--out", type=Path, default=Path("/tmp/rnncore_full"))
    ap.add_argument("--allow-errors", action="store_true",
                    help="go on past a failing cell (an assert of the text that the full run breaks), "
                         "so one failure does not throw away a long run; the error is in the saved copy")
    args = ap.parse_args()
    nb = nbformat.read(args.notebook, as_version=4)
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, k = FLAG.subn(r"\1FULL = True", cell.source)
            n += k
    if n != 1:
        raise SystemExit(f"{args.notebook}: expected one line `FULL = False`, found {n}")
    start = time.time()
    NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=args.allow_errors,
                   resources={"metadata": {"path": str(args.notebook.parent)}}).execute()
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / args.notebook.name
    nbformat.write(nb, out)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    print(f"{args.notebook.name}: full run in {time.time() - start:.0f} s, {len(errors)} cell error(s), "
          f"executed copy in {out}")


if __name__ == "__main__":
    main()
