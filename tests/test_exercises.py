"""Exercises and solutions stay in sync, solutions pass their checks, stubs fail them.

That every solution notebook runs and passes its checks is also validated by
nbval; here each exercise notebook is executed in-process: every cell must
run, except that each cell calling a ``check_`` function must report
ExerciseFailed (the stubs are not answers).
"""
import contextlib
import io
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402

from rnncore_course import ExerciseFailed  # noqa: E402

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
CHECK_CALL = re.compile(r"^\s*check_\w+\(", re.M)


def test_strip_solutions_keeps_indentation():
    src = "def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n\nprint(1)"
    out, n = make_exercises.strip_solutions(src)
    assert n == 1
    assert out == 'def f(x):\n    raise NotImplementedError("exercise: write your code here")\n\nprint(1)'


def test_unbalanced_markers_are_errors():
    with pytest.raises(ValueError, match="without # END"):
        make_exercises.strip_solutions("# BEGIN SOLUTION\nx = 1")
    with pytest.raises(ValueError, match="without # BEGIN"):
        make_exercises.strip_solutions("x = 1\n# END SOLUTION")


def test_exercises_are_generated_from_solutions():
    assert SOLUTIONS, "no solution notebooks found"
    assert make_exercises.main(["--check"]) == 0, "exercises/ is stale: run python tools/make_exercises.py"


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _run_cell(source, ns):
    # IPython magics and shell escapes are not Python; the exercises need none of them to run
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile("\n".join(lines), "<cell>", "exec"), ns)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_stubs_fail_their_checks(solution, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(solution.parent.parent / "exercises")
    cells = _code_cells(ROOT / "exercises" / solution.name)
    ns = {"__name__": "__main__"}
    n_checks = 0
    for source in cells:
        if CHECK_CALL.search(source):
            n_checks += 1
            with pytest.raises(ExerciseFailed):
                _run_cell(source, ns)
        else:
            _run_cell(source, ns)
    assert n_checks > 0, f"{solution.name} has no check_ call"
    import matplotlib.pyplot as plt

    plt.close("all")
