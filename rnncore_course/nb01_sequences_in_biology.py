"""Checks for ``solutions/01_sequences_in_biology_exercises.ipynb``.

Each check calls the learner's function on fresh inputs and compares it with
:mod:`rnncore.encoding` (the library's own implementation). Before the full
comparison, it looks for the usual mistakes (column order, ambiguity weights,
padding side, mask polarity, window count, target offset) so that a failure
says where to look.
"""
import numpy as np

from rnncore import encoding
from . import assert_close, exercise_check


def _random_dna(rng, n, letters="ACGT"):
    return "".join(rng.choice(list(letters), n))


def _call(fn, what, *args):
    """Call the learner's function; an exception becomes a message naming the call."""
    try:
        return fn(*args)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as e:  # noqa: BLE001 - any crash in the learner's code is reported, not raised
        raise AssertionError(f"{what} raised {type(e).__name__}: {e}") from None


@exercise_check
def check_one_hot_iupac(one_hot_iupac):
    """one_hot_iupac(seq) -> (L, 4) float array, ambiguity codes spread evenly."""
    rng = np.random.default_rng(101)
    plain = np.asarray(_call(one_hot_iupac, "one_hot_iupac('ACGT')", "ACGT"), dtype=float)
    assert plain.shape == (4, 4), f"one_hot_iupac('ACGT') has shape {plain.shape}, expected (4, 4)"
    if not np.allclose(plain, np.eye(4)) and np.allclose(np.sort(plain, axis=1), np.sort(np.eye(4), axis=1)):
        raise AssertionError("one_hot_iupac('ACGT') puts the bases in the wrong columns: the order is A, C, G, T "
                             "(column 0 = A, ..., column 3 = T)")
    amb = np.asarray(_call(one_hot_iupac, "one_hot_iupac('RN')", "RN"), dtype=float)
    assert amb.shape == (2, 4), f"one_hot_iupac('RN') has shape {amb.shape}, expected (2, 4)"
    assert np.allclose(amb.sum(axis=1), 1.0), (
        f"the rows of one_hot_iupac('RN') sum to {amb.sum(axis=1)}: an ambiguity code for k bases puts 1/k on each "
        "(R -> 0.5, 0.5; N -> 0.25 x 4), so every row sums to 1")
    cases = ["ACGT", "N", "acgt", _random_dna(rng, 30), "RYSWKMBDHVN",
             _random_dna(rng, 40, "ACGTACGTACGTRYN")]
    for seq in cases:
        what = f"one_hot_iupac({seq[:12]!r}{'...' if len(seq) > 12 else ''})"
        out = _call(one_hot_iupac, what, seq)
        assert out is not None, "one_hot_iupac returned None; return the (L, 4) array"
        expected = encoding.one_hot_dna(seq, dtype=np.float64)
        assert_close(np.asarray(out, dtype=float), expected, what)
    empty = np.asarray(_call(one_hot_iupac, "one_hot_iupac('')", ""))
    assert empty.size == 0, "an empty sequence should give an empty (0, 4) array"


@exercise_check
def check_pad_and_mask(pad_and_mask):
    """pad_and_mask(list of (L_i, D) arrays) -> (padded (N, T, D), mask (N, T) bool)."""
    rng = np.random.default_rng(102)
    for lengths, D in [([3, 5, 1], 4), ([7], 2), ([2, 2], 3), ([0, 4, 6, 1], 4)]:
        seqs = [rng.standard_normal((L, D)) for L in lengths]
        out = _call(pad_and_mask, f"pad_and_mask(sequences of lengths {lengths})", seqs)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (padded, mask)"
        padded, mask = (np.asarray(a) for a in out)
        exp_padded, exp_mask = encoding.pad_sequences_with_mask(seqs)
        assert padded.shape == exp_padded.shape, \
            f"padded has shape {padded.shape} for lengths {lengths}, expected (N, T, D) = {exp_padded.shape}"
        if not np.allclose(padded, exp_padded):
            # the same rows at the other end: padded at the front
            front = np.zeros_like(exp_padded)
            for i, s in enumerate(seqs):
                if len(s):
                    front[i, -len(s):] = s
            if np.allclose(padded, front):
                raise AssertionError(f"padded (lengths {lengths}): the zeros go at the END of each sequence "
                                     "(rows 0..L_i-1 hold sequence i)")
            assert_close(padded, exp_padded, f"padded (lengths {lengths})")
        assert mask.shape == exp_mask.shape, f"mask has shape {mask.shape}, expected (N, T) = {exp_mask.shape}"
        assert mask.dtype == bool, f"mask should be a bool array, got dtype {mask.dtype}"
        if np.array_equal(mask, ~exp_mask):
            raise AssertionError(f"mask (lengths {lengths}) is inverted: True marks a real position (t < L_i), "
                                 "False the padding")
        assert np.array_equal(mask, exp_mask), f"mask is wrong for lengths {lengths}: mask[i, t] = t < L_i"


@exercise_check
def check_windows(windows):
    """windows(series, window, horizon) -> X (N, window, 1), y (N, horizon)."""
    rng = np.random.default_rng(103)
    for T, window, horizon in [(10, 3, 1), (18, 5, 2), (6, 5, 1), (30, 1, 4)]:
        series = rng.standard_normal(T)
        what = f"(T={T}, window={window}, horizon={horizon})"
        out = _call(windows, f"windows{what}", series, window, horizon)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (X, y)"
        X, y = (np.asarray(a) for a in out)
        exp_X, exp_y = encoding.sliding_windows(series, window, horizon)
        n = T - window - horizon + 1
        assert X.ndim == 3, f"X {what} has shape {X.shape}: add the feature axis, X has shape (N, window, 1)"
        assert len(X) == n and len(y) == n, (f"{len(X)} windows {what}, expected N = T - window - horizon + 1 = {n}: "
                                             "check the range of start positions i = 0 .. T - window - horizon")
        assert_close(X, exp_X, f"X {what} (window i holds series[i : i + window])")
        if y.shape == exp_y.shape and not np.allclose(y, exp_y):
            shifted = series[np.arange(n)[:, None] + window - 1 + np.arange(horizon)]
            if np.allclose(y, shifted):
                raise AssertionError(f"y {what} starts at the window's last value: the target starts right AFTER "
                                     "the window, at series[i + window]")
        assert_close(y, exp_y, f"y {what} (target i is series[i + window : i + window + horizon])")
