"""Checks for ``solutions/10_splice_sites_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with a reference: :func:`rnncore.encoding.one_hot_dna` for the encoding with
ambiguity codes, :func:`rnncore.baselines.confusion_matrix` for the confusion
matrix, and a direct formula for the gradient-times-input saliency profile.
"""
import numpy as np

from rnncore.baselines import confusion_matrix as _confusion_matrix
from rnncore.encoding import IUPAC_DNA, one_hot_dna
from . import assert_close, exercise_check

_CODES = "ACGTNRYSWKMBDHV"


def saliency_profile_reference(grad, x):
    """Mean over sequences of the gradient at the observed base: (N, L, 4) x2 -> (L,)."""
    return np.mean(np.sum(np.asarray(grad) * np.asarray(x), axis=2), axis=0)


@exercise_check
def check_one_hot(one_hot):
    """one_hot(seq: str) -> (L, 4) array, columns A C G T, ambiguity codes spread evenly."""
    rng = np.random.default_rng(1001)
    out = one_hot("ACGT")
    assert out is not None, "one_hot returned None: return the (L, 4) array"
    assert_close(out, np.eye(4), "one_hot('ACGT')")
    assert_close(one_hot("N"), [[0.25] * 4], "one_hot('N')")
    assert_close(one_hot("R"), [[0.5, 0, 0.5, 0]], "one_hot('R') (R = A or G)")
    assert_close(one_hot("acgt"), np.eye(4), "one_hot of lower case 'acgt'")
    for L in (1, 17, 60):
        seq = "".join(rng.choice(list(_CODES), size=L))
        got = one_hot(seq)
        assert np.asarray(got).shape == (L, 4), f"one_hot of a {L}-letter string has shape " \
                                                f"{np.asarray(got).shape}, expected ({L}, 4)"
        assert_close(got, one_hot_dna(seq, dtype=np.float64), f"one_hot({seq!r})")
        assert_close(np.sum(got, axis=1), np.ones(L), "row sums (every position is one base in total)")
    assert set(IUPAC_DNA) >= set(_CODES)


@exercise_check
def check_confusion_matrix(confusion_matrix):
    """confusion_matrix(y_true, y_pred, n_classes) -> (K, K) counts, rows = true class."""
    rng = np.random.default_rng(1002)
    C = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert C is not None, "confusion_matrix returned None: return the (K, K) array"
    assert_close(C, [[1, 1, 0], [0, 1, 0], [0, 1, 0]],
                 "confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], 3) (rows = true class, columns = prediction)")
    for n, K in [(50, 3), (200, 5), (7, 4)]:
        yt, yp = rng.integers(0, K, n), rng.integers(0, K, n)
        got = confusion_matrix(yt, yp, K)
        assert_close(got, _confusion_matrix(yt, yp, K), f"confusion matrix (n={n}, K={K})")
    # a class that never occurs still gets its row and column
    got = confusion_matrix(np.array([0, 0]), np.array([0, 0]), 3)
    assert_close(got, [[2, 0, 0], [0, 0, 0], [0, 0, 0]], "confusion matrix with absent classes (K=3)")


@exercise_check
def check_saliency_profile(saliency_profile):
    """saliency_profile(grad (N, L, 4), x (N, L, 4)) -> (L,)."""
    rng = np.random.default_rng(1003)
    for N, L in [(5, 60), (1, 10), (32, 25)]:
        x = np.eye(4)[rng.integers(0, 4, (N, L))]
        grad = rng.standard_normal((N, L, 4))
        got = saliency_profile(grad, x)
        assert got is not None, "saliency_profile returned None: return the (L,) profile"
        assert np.asarray(got).shape == (L,), f"the profile has shape {np.asarray(got).shape}, expected ({L},): " \
                                              "sum over the 4 bases, average over the N sequences"
        assert_close(got, saliency_profile_reference(grad, x), f"saliency profile (N={N}, L={L})")
    # an ambiguous position (N = 0.25 each) gets the mean gradient of the four bases
    x = np.full((1, 1, 4), 0.25)
    grad = np.array([[[1.0, 2.0, 3.0, 6.0]]])
    assert_close(saliency_profile(grad, x), [3.0], "profile at an 'N' position")
