#!/usr/bin/env python
"""Make the learner's exercise notebooks from the complete ones.

    python tools/make_exercises.py            # write exercises/ from solutions/
    python tools/make_exercises.py --check    # exit 1 if exercises/ is out of date

In a solution notebook, the answer inside a code cell sits between two marker
lines (the markers may be indented, and a cell may hold several regions):

    # BEGIN SOLUTION
    ...the answer...
    # END SOLUTION

Each region becomes ``raise NotImplementedError("...")`` at the marker's
indentation. Outputs and execution counts are cleared, so the learner starts
from a clean notebook. solutions/ is the one source; exercises/ is generated.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
STUB = 'raise NotImplementedError("exercise: write your code here")'


def strip_solutions(source):
    """Replace every marked region of a cell's source by a stub. Returns (source, n_regions)."""
    out, n, inside = [], 0, None
    for line in source.splitlines():
        m = BEGIN.match(line)
        if m and inside is None:
            inside = m.group(1)
            out.append(f"{inside}{STUB}")
            n += 1
        elif END.match(line):
            if inside is None:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out), n


def make_exercise(nb):
    """A solution notebook -> the learner's notebook (a new object)."""
    ex = nbformat.from_dict(nb)
    total = 0
    for cell in ex.cells:
        if cell.cell_type != "code":
            continue
        cell.source, n = strip_solutions(cell.source)
        total += n
        cell.outputs = []
        cell.execution_count = None
    if total == 0:
        raise ValueError("no # BEGIN SOLUTION region found")
    return ex


def pairs():
    """(solution path, exercise path) for every solution notebook."""
    for sol in sorted((ROOT / "solutions").glob("*.ipynb")):
        yield sol, ROOT / "exercises" / sol.name


def render(nb):
    return nbformat.writes(nb) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that exercises/ is up to date")
    args = ap.parse_args(argv)
    stale = []
    for sol, ex_path in pairs():
        text = render(make_exercise(nbformat.read(sol, as_version=4)))
        if args.check:
            if not ex_path.exists() or ex_path.read_text() != text:
                stale.append(ex_path.relative_to(ROOT))
        else:
            ex_path.parent.mkdir(exist_ok=True)
            ex_path.write_text(text)
            print(f"wrote {ex_path.relative_to(ROOT)}")
    expected = {ex.name for _, ex in pairs()}
    orphans = [p.relative_to(ROOT) for p in (ROOT / "exercises").glob("*.ipynb") if p.name not in expected]
    if args.check and (stale or orphans):
        for p in stale:
            print(f"out of date: {p} (run python tools/make_exercises.py)")
        for p in orphans:
            print(f"no solution notebook for {p}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
