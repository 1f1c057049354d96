"""Checks for ``solutions/11_yeast_cell_cycle_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with a reference: NaN -> (value, observed) channels, balanced accuracy
(:func:`rnncore.baselines.balanced_accuracy`) and the gradient of a
class-weighted softmax cross-entropy (checked against the formula and against
central differences).
"""
import numpy as np

from rnncore.baselines import balanced_accuracy as _balanced_accuracy
from . import assert_close, exercise_check


def series_channels_reference(values):
    """(N, T) with NaN -> (N, T, 2): [value with NaN -> 0, 1 if observed else 0]."""
    values = np.asarray(values, dtype=np.float64)
    obs = ~np.isnan(values)
    return np.stack([np.where(obs, values, 0.0), obs.astype(np.float64)], axis=-1)


def weighted_cross_entropy_reference(logits, y, class_weight):
    """Mean of w[y_i] * CE_i / sum(w[y_i]) and its gradient w.r.t. the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    w = np.asarray(class_weight)[y]
    n = np.arange(len(y))
    loss = float(np.sum(w * -logp[n, y]) / w.sum())
    grad = np.exp(logp)
    grad[n, y] -= 1.0
    return loss, grad * (w / w.sum())[:, None]


@exercise_check
def check_series_channels(series_channels):
    """series_channels(values (N, T) with NaN) -> (N, T, 2)."""
    rng = np.random.default_rng(1101)
    out = series_channels(np.array([[0.5, np.nan, -1.0]]))
    assert out is not None, "series_channels returned None: return the (N, T, 2) array"
    assert_close(out, [[[0.5, 1.0], [0.0, 0.0], [-1.0, 1.0]]], "series_channels([[0.5, nan, -1.0]])")
    for N, T, p in [(5, 18, 0.2), (1, 7, 0.0), (10, 24, 0.6)]:
        v = rng.standard_normal((N, T))
        v[rng.random((N, T)) < p] = np.nan
        got = series_channels(v)
        assert not np.any(np.isnan(got)), "the result still contains NaN: replace missing values by 0"
        assert_close(got, series_channels_reference(v), f"channels (N={N}, T={T})")


@exercise_check
def check_balanced_accuracy(balanced_accuracy):
    """balanced_accuracy(y_true, y_pred) -> float: mean recall over the classes present in y_true."""
    rng = np.random.default_rng(1102)
    y = np.array([0] * 95 + [1] * 5)
    got = balanced_accuracy(y, np.zeros(100, dtype=int))
    assert got is not None, "balanced_accuracy returned None: return a number"
    assert abs(float(got) - 0.5) < 1e-12, f"always predicting the big class of a 95/5 split should give 0.5, " \
                                          f"got {float(got):.4g} (plain accuracy would be 0.95)"
    for n, K in [(60, 3), (300, 5), (20, 5)]:
        yt, yp = rng.integers(0, K, n), rng.integers(0, K, n)
        yt[:K - 1] = np.arange(K - 1)
        got = float(balanced_accuracy(yt, yp))
        want = _balanced_accuracy(yt, yp)
        assert abs(got - want) < 1e-12, f"balanced accuracy (n={n}, K={K}) is {got:.6f}, expected {want:.6f}"
    # a predicted class that never occurs in y_true adds no recall term
    got = float(balanced_accuracy(np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])))
    assert abs(got - 0.75) < 1e-12, f"balanced_accuracy([0,0,1,1], [0,2,1,1]) should be (1/2 + 1)/2 = 0.75, " \
                                    f"got {got:.4g}: average only over the classes present in y_true"


@exercise_check
def check_weighted_cross_entropy(weighted_cross_entropy):
    """weighted_cross_entropy(logits (N, K), y (N,), class_weight (K,)) -> (loss, dlogits (N, K))."""
    rng = np.random.default_rng(1103)
    for N, K in [(8, 5), (1, 3), (40, 2)]:
        logits = rng.standard_normal((N, K)) * 3
        y = rng.integers(0, K, N)
        cw = rng.uniform(0.2, 3.0, K)
        out = weighted_cross_entropy(logits, y, cw)
        assert out is not None and len(out) == 2, "return a tuple (loss, dlogits)"
        loss, grad = out
        ref_loss, ref_grad = weighted_cross_entropy_reference(logits, y, cw)
        assert abs(float(loss) - ref_loss) < 1e-8 * max(1.0, abs(ref_loss)), \
            f"loss (N={N}, K={K}) is {float(loss):.6f}, expected {ref_loss:.6f}"
        assert_close(grad, ref_grad, f"dlogits (N={N}, K={K})")
    # central differences on one entry, and stability for huge logits
    logits = rng.standard_normal((4, 3))
    y, cw = np.array([0, 2, 1, 2]), np.array([1.0, 2.0, 0.5])
    eps = 1e-6
    lp, lm = logits.copy(), logits.copy()
    lp[1, 2] += eps
    lm[1, 2] -= eps
    num = (float(weighted_cross_entropy(lp, y, cw)[0]) - float(weighted_cross_entropy(lm, y, cw)[0])) / (2 * eps)
    assert abs(num - weighted_cross_entropy(logits, y, cw)[1][1, 2]) < 1e-6, \
        "dlogits does not match central differences of your loss"
    loss, grad = weighted_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]), np.array([1.0, 1.0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), \
        "logits of 1000 give inf/NaN: subtract the row maximum before exponentiating"
