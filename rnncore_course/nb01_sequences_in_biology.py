"""Checks for ``solutions/01_sequences_in_biology_exercises.ipynb``.

Each check calls the learner's function on fresh inputs and compares it with
:mod:`rnncore.encoding`.
"""
import numpy as np

from rnncore import encoding
from . import assert_close, exercise_check


def _random_dna(rng, n, letters="ACGT"):
    return "".join(rng.choice(list(letters), n))


@exercise_check
def check_one_hot_iupac(one_hot_iupac):
    """one_hot_iupac(seq) -> (L, 4) float array, ambiguity codes spread evenly."""
    rng = np.random.default_rng(101)
    cases = ["ACGT", "N", "acgt", _random_dna(rng, 30), "RYSWKMBDHVN",
             _random_dna(rng, 40, "ACGTACGTACGTRYN")]
    for seq in cases:
        out = one_hot_iupac(seq)
        assert out is not None, "one_hot_iupac returned None; return the (L, 4) array"
        expected = encoding.one_hot_dna(seq, dtype=np.float64)
        assert_close(np.asarray(out, dtype=float), expected, f"one_hot_iupac({seq[:12]!r}{'...' if len(seq) > 12 else ''})")
    assert np.asarray(one_hot_iupac("")).size == 0, "an empty sequence should give an empty (0, 4) array"


@exercise_check
def check_pad_and_mask(pad_and_mask):
    """pad_and_mask(list of (L_i, D) arrays) -> (padded (N, T, D), mask (N, T) bool)."""
    rng = np.random.default_rng(102)
    for lengths, D in [([3, 5, 1], 4), ([7], 2), ([2, 2], 3), ([0, 4, 6, 1], 4)]:
        seqs = [rng.standard_normal((L, D)) for L in lengths]
        out = pad_and_mask(seqs)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (padded, mask)"
        padded, mask = out
        exp_padded, exp_mask = encoding.pad_sequences_with_mask(seqs)
        assert_close(padded, exp_padded, f"padded (lengths {lengths})")
        mask = np.asarray(mask)
        assert mask.shape == exp_mask.shape, f"mask has shape {mask.shape}, expected (N, T) = {exp_mask.shape}"
        assert mask.dtype == bool, f"mask should be a bool array, got dtype {mask.dtype}"
        assert np.array_equal(mask, exp_mask), f"mask is wrong for lengths {lengths}"


@exercise_check
def check_windows(windows):
    """windows(series, window, horizon) -> X (N, window, 1), y (N, horizon)."""
    rng = np.random.default_rng(103)
    for T, window, horizon in [(10, 3, 1), (18, 5, 2), (6, 5, 1), (30, 1, 4)]:
        series = rng.standard_normal(T)
        out = windows(series, window, horizon)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (X, y)"
        X, y = out
        exp_X, exp_y = encoding.sliding_windows(series, window, horizon)
        assert_close(X, exp_X, f"X (T={T}, window={window}, horizon={horizon})")
        assert_close(y, exp_y, f"y (T={T}, window={window}, horizon={horizon})")
