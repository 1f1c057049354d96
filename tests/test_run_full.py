"""tools/run_full.py: a notebook's full run (FULL = True) in a copy, and the report of its failures."""
import importlib.util
from pathlib import Path

import nbformat
import pytest

spec = importlib.util.spec_from_file_location("run_full", Path(__file__).resolve().parent.parent / "tools" / "run_full.py")
run_full = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_full)


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_full_run_writes_its_file_and_reports_the_failing_cell(tmp_path):
    path = notebook(tmp_path / "nb.ipynb",
                    "import json\nFULL = False   # True: the full run\n"
                    "json.dump({'seeds': 5 if FULL else 2}, open('nb_full_run.json', 'w'))",
                    "assert json.load(open('nb_full_run.json'))['seeds'] == 5",
                    "assert FULL is False, 'the text quotes the default run'")
    seconds, errors = run_full.run_full(path, tmp_path / "out", allow_errors=True)
    assert (tmp_path / "nb_full_run.json").read_text() == '{"seeds": 5}'      # written beside the notebook
    assert [(i, err.split(":")[0]) for i, _, err in errors] == [(2, "AssertionError")]
    assert "FULL = False" in (tmp_path / "nb.ipynb").read_text()             # the notebook itself unchanged
    assert "FULL = True" in (tmp_path / "out" / "nb.ipynb").read_text() and seconds > 0


def test_a_notebook_needs_exactly_one_switch(tmp_path):
    path = notebook(tmp_path / "two.ipynb", "FULL = False", "FULL = False")
    with pytest.raises(SystemExit, match="expected one line"):
        run_full.run_full(path, tmp_path / "out", allow_errors=True)
