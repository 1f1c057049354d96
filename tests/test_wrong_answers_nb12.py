"""Known-wrong answers to the exercises of notebook 12: each check must reject them and say where to look."""
import numpy as np
import pytest

from rnncore_course import ExerciseFailed
from rnncore_course.nb12_biological_counts import check_anscombe, check_poisson_nll, check_time_blocks


@pytest.mark.parametrize("answer, where", [
    (lambda c: np.sqrt(np.asarray(c, float) + 3 / 8), "factor 2"),
    (lambda c: 2 * np.sqrt(np.asarray(c, float)), "3/8"),
    (lambda c: np.log1p(np.asarray(c, float)), "log transform"),
    (lambda c: 2 * np.sqrt(np.asarray(c, float) + 3 / 4), "anscombe\\(\\[0, 1, 10, 100\\]\\)"),
])
def test_anscombe_rejects(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check_anscombe(answer)


def nll_sign_flipped(y, rate):
    return float(np.mean(y * np.log(rate) - rate)), -(1 - y / rate) / y.size


def nll_missing_rate(y, rate):
    return float(np.mean(-y * np.log(rate))), -y / rate / y.size


def nll_grad_not_averaged(y, rate):
    return float(np.mean(rate - y * np.log(rate))), 1 - y / rate


def nll_grad_sign(y, rate):
    return float(np.mean(rate - y * np.log(rate))), (y / rate - 1) / y.size


@pytest.mark.parametrize("answer, where", [(nll_sign_flipped, "wrong sign: that is the log-likelihood"),
                                           (nll_missing_rate, "\\+ rate term"),
                                           (nll_grad_not_averaged, "divide the gradient by n"),
                                           (nll_grad_sign, "grad has the wrong sign")])
def test_poisson_nll_rejects(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check_poisson_nll(answer)


def blocks_random(n, n_val, n_test):
    perm = np.random.default_rng(0).permutation(n)
    test, val = np.isin(np.arange(n), perm[:n_test]), np.isin(np.arange(n), perm[n_test:n_test + n_val])
    return ~(test | val), val, test


def blocks_test_before_val(n, n_val, n_test):
    pos = np.arange(n)
    val = pos >= n - n_val
    test = (pos >= n - n_val - n_test) & ~val
    return ~(val | test), val, test


def blocks_overlap(n, n_val, n_test):
    pos = np.arange(n)
    test = pos >= n - n_test
    val = (pos >= n - n_test - n_val) & ~test
    return pos < n - n_test, val, test          # training runs into the validation block


@pytest.mark.parametrize("answer, where", [(blocks_random, "contiguous block"),
                                           (blocks_test_before_val, "test block is the last"),
                                           (blocks_overlap, "two blocks")])
def test_time_blocks_rejects(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check_time_blocks(answer)
