"""Checks for ``solutions/12_biological_counts_exercises.ipynb``.

Each check calls the learner's function on fresh random series and compares it
with a reference written here: the coefficient of determination R², the design
matrix of an autoregressive AR(p) model, and its least-squares fit.
"""
import numpy as np

from . import assert_close, exercise_check


def r2_reference(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    return 1.0 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)


def ar_design_reference(series, p):
    """Rows [s_{t-p}, ..., s_{t-1}, 1] (oldest lag first) and targets s_t, for t = p .. n-1."""
    s = np.asarray(series, float)
    X = np.stack([s[i:i + p] for i in range(len(s) - p)])
    return np.concatenate([X, np.ones((len(X), 1))], axis=1), s[p:]


def _series(rng, n):
    t = np.arange(n)
    return np.sin(2 * np.pi * t / 9.6) + 0.3 * rng.standard_normal(n) + 2.0


@exercise_check
def check_r2_score(r2_score):
    """r2_score(y_true, y_pred) -> float."""
    rng = np.random.default_rng(1201)
    for n in (5, 20, 114):
        y = rng.standard_normal(n) * 3 + 1
        pred = y + rng.standard_normal(n)
        got = r2_score(y, pred)
        assert got is not None, "r2_score returned None: return the number"
        assert np.ndim(got) == 0, f"r2_score must return one number, got shape {np.shape(got)}"
        assert_close(float(got), r2_reference(y, pred), f"R² (n={n})")
    y = rng.standard_normal(30)
    assert_close(float(r2_score(y, y)), 1.0, "R² of a perfect prediction")
    assert_close(float(r2_score(y, np.full(30, y.mean()))), 0.0, "R² of predicting the mean", atol=1e-12)
    assert float(r2_score(y, -y)) < 0, "R² of a prediction worse than the mean must be negative"


@exercise_check
def check_ar_design(ar_design):
    """ar_design(series (n,), p) -> (X (n-p, p+1), y (n-p,))."""
    rng = np.random.default_rng(1202)
    for n, p in [(30, 2), (114, 11), (12, 1), (7, 6)]:
        s = _series(rng, n)
        out = ar_design(s, p)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (X, y)"
        X_ref, y_ref = ar_design_reference(s, p)
        assert_close(out[0], X_ref, f"X (n={n}, p={p})")
        assert_close(out[1], y_ref, f"y (n={n}, p={p})")


@exercise_check
def check_fit_ar(fit_ar):
    """fit_ar(series (n,), p) -> coefficients (p+1,) minimising the squared one-step error."""
    rng = np.random.default_rng(1203)
    for n, p in [(60, 2), (114, 4), (40, 1)]:
        s = _series(rng, n)
        X, y = ar_design_reference(s, p)
        ref = np.linalg.lstsq(X, y, rcond=None)[0]
        got = fit_ar(s, p)
        assert got is not None, "fit_ar returned None: return the coefficients"
        assert_close(np.asarray(got).ravel(), ref, f"AR({p}) coefficients", rtol=1e-6, atol=1e-8)
    # an exact AR(2) process is recovered exactly
    s = np.zeros(20)
    s[:2] = 1.0, 0.5
    for t in range(2, 20):
        s[t] = 0.2 - 0.5 * s[t - 2] + 1.2 * s[t - 1]
    assert_close(np.asarray(fit_ar(s, 2)).ravel(), [-0.5, 1.2, 0.2], "coefficients of a noise-free AR(2)",
                 rtol=1e-6, atol=1e-6)
