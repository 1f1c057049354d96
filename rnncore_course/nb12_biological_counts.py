"""Checks for ``solutions/12_biological_counts_exercises.ipynb``.

The checks hold no copy of the answers: the Anscombe transform is checked at a few
exact values and by the property it exists for (Poisson noise of standard deviation
close to 1), the Poisson loss against SciPy's Poisson log-probability and central
differences, and the time blocks against :func:`rnncore.datasets.ecology.time_block_split`.
"""
import numpy as np
from scipy import special, stats

from rnncore.datasets.ecology import time_block_split
from . import assert_close, exercise_check


@exercise_check
def check_anscombe(anscombe):
    """anscombe(counts) -> 2 sqrt(counts + 3/8), elementwise."""
    counts = np.array([0, 1, 10, 100])
    got = anscombe(counts)
    assert got is not None, "anscombe returned None: return the transformed counts"
    got = np.asarray(got, float)
    assert got.shape == counts.shape, f"anscombe must keep the shape {counts.shape}, got {got.shape}"
    if np.allclose(got, np.log1p(counts)) or np.allclose(got, np.log(counts + 3 / 8)):
        raise AssertionError("that is a log transform: the variance-stabilising transform for Poisson counts "
                             "is a square root, 2 sqrt(y + 3/8)")
    if abs(got[0]) < 1e-12:
        raise AssertionError("anscombe(0) is 0: the + 3/8 inside the square root is missing")
    if np.allclose(got, np.sqrt(counts + 3 / 8)):
        raise AssertionError("the factor 2 in front of the square root is missing: without it the noise has "
                             "standard deviation 1/2, not 1")
    assert_close(got, 2 * np.sqrt(np.array([0.375, 1.375, 10.375, 100.375])), "anscombe([0, 1, 10, 100])")
    rng = np.random.default_rng(1201)
    for lam in (5, 20, 80):
        sd = np.asarray(anscombe(rng.poisson(lam, 20000)), float).std()
        assert abs(sd - 1) < 0.06, f"Poisson({lam}) counts should have standard deviation close to 1 after " \
                                   f"the transform, got {sd:.3f}"


@exercise_check
def check_poisson_nll(poisson_nll):
    """poisson_nll(y (N,), rate (N,)) -> (loss, grad (N,)): mean(rate - y log rate) and its gradient in rate."""
    rng = np.random.default_rng(1202)
    for n in (5, 50):
        rate = rng.uniform(0.5, 40, n)
        y = rng.poisson(rate).astype(float)
        out = poisson_nll(y, rate)
        assert out is not None and len(out) == 2, "return a tuple (loss, grad)"
        loss, grad = float(out[0]), np.asarray(out[1], float)
        # -log p(y | rate) = rate - y log rate + log(y!): the loss drops the constant log(y!)
        want = np.mean(-stats.poisson.logpmf(y, rate) - special.gammaln(y + 1))
        if abs(loss + want) < 1e-8 * max(1, abs(want)):
            raise AssertionError("the loss has the wrong sign: that is the log-likelihood; the loss to minimise "
                                 "is its negative, mean(rate - y log rate)")
        if abs(loss - np.mean(-y * np.log(rate))) < 1e-8 * max(1, abs(loss)):
            raise AssertionError("the + rate term is missing: without it the loss falls for ever as the rate "
                                 "grows")
        assert abs(loss - want) < 1e-8 * max(1, abs(want)), \
            f"loss (n={n}) is {loss:.6f}, expected {want:.6f} = mean(rate - y log rate)"
        assert grad.shape == rate.shape, f"grad must have the shape of rate {rate.shape}, got {grad.shape}"
        eps = 1e-6
        num = np.array([(float(poisson_nll(y, rate + eps * e)[0]) - float(poisson_nll(y, rate - eps * e)[0]))
                        / (2 * eps) for e in np.eye(n)])
        if np.allclose(grad, num * n, rtol=1e-4, atol=1e-8):
            raise AssertionError("grad is n times too large: the loss is a mean, so divide the gradient by n")
        if np.allclose(grad, -num, rtol=1e-4, atol=1e-8):
            raise AssertionError("grad has the wrong sign: d/d rate (rate - y log rate) = 1 - y / rate")
        assert np.allclose(grad, num, rtol=1e-4, atol=1e-8), \
            "grad does not match central differences of your loss: d/d rate_i = (1 - y_i / rate_i) / n"


@exercise_check
def check_time_blocks(time_blocks):
    """time_blocks(n_targets, n_val, n_test) -> boolean masks (train, val, test) of shape (n_targets,)."""
    for n, n_val, n_test in [(103, 10, 20), (50, 5, 5), (988, 100, 200)]:
        out = time_blocks(n, n_val, n_test)
        assert out is not None and len(out) == 3, "return a tuple of three masks (train, val, test)"
        train, val, test = (np.asarray(m) for m in out)
        assert all(m.shape == (n,) and m.dtype == bool for m in (train, val, test)), \
            f"return boolean masks of shape ({n},)"
        assert not np.any(train & val | train & test | val & test), "a target is in two blocks"
        assert np.all(train | val | test), "every target must be in one of the blocks"
        assert test.sum() == n_test and val.sum() == n_val, \
            f"expected {n_val} validation and {n_test} test targets, got {val.sum()} and {test.sum()}"
        assert np.all(np.diff(np.flatnonzero(test)) == 1) and np.all(np.diff(np.flatnonzero(val)) == 1), \
            "validation and test must each be one contiguous block of time, not scattered targets"
        assert test[-1], "the test block is the last one: the model is tested on the future"
        ref = time_block_split(np.arange(n), n_test, n_val)
        for got, want, name in zip((train, val, test), ref, ("train", "val", "test")):
            assert np.array_equal(got, want), f"the {name} block is not where it belongs: train, then " \
                                              "validation, then test, in time order"
