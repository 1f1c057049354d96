"""Stored notebook outputs hold nothing that depends on the machine's Numba cache.

rnncore prints a one-line notice to stderr while it compiles kernels on a cold cache
(``rnncore/cpu/_notice.py``). Stored in a notebook, that line makes nbval fail on every
machine whose cache is warm, so re-executed notebooks must not keep it.
"""
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_compile_notice_in_stored_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                assert "rnncore: compiling" not in out.get("text", ""), (
                    f"cell {index} stores the cold-cache compile notice: clear it from the outputs")
