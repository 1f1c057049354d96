"""Every notebook that fits scikit-learn models keeps BLAS on one thread.

The baselines' products are small: on a 2-core machine a second OpenBLAS thread mostly
spins, and when the other core is taken it waits a time slice at every product.
Measured (benchmarks/README.md, "Notebooks on a busy machine"): next to one busy
process notebook 16 ran in 110.5 s with threaded BLAS and 11.5 s with one thread,
notebook 14 in 86.4 s and 26.8 s; on the idle machine one thread was as fast.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
# scikit-learn modules whose estimators run BLAS products (metrics and splitters do not)
ESTIMATORS = re.compile(r"^\s*(from|import) sklearn\.(linear_model|decomposition|pipeline|preprocessing|svm|"
                        r"neighbors|ensemble|cross_decomposition|discriminant_analysis|neural_network)\b", re.M)


def _code(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _fits_sklearn(path):
    return any(ESTIMATORS.search(src) for src in _code(path))


def test_the_rule_finds_the_notebooks_it_is_about():
    fitting = {p.name[:2] for p in NOTEBOOKS if p.parent.name == "notebooks" and _fits_sklearn(p)}
    assert {"10", "11", "14", "16", "17"} <= fitting


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if _fits_sklearn(p)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_one_blas_thread_from_the_first_cell(path):
    first = _code(path)[0]
    assert re.search(r"^threadpool_limits\(1\)", first, re.M), (
        f"{path.name} fits scikit-learn models: call threadpool_limits(1) (threadpoolctl) in its first code "
        "cell, as the other notebooks that fit scikit-learn models do")
