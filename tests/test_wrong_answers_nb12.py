"""Known-wrong answers to the exercises of notebook 12: each check must reject them and say where to look."""
import numpy as np

from _exercises import rejects_each
from rnncore_course.nb12_biological_counts import check_anscombe, check_poisson_nll, check_time_blocks


test_anscombe_rejects = rejects_each(check_anscombe, [
    (lambda c: np.sqrt(np.asarray(c, float) + 3 / 8), "factor 2"),
    (lambda c: 2 * np.sqrt(np.asarray(c, float)), "3/8"),
    (lambda c: np.log1p(np.asarray(c, float)), "log transform"),
    (lambda c: 2 * np.sqrt(np.asarray(c, float) + 3 / 4), "anscombe\\(\\[0, 1, 10, 100\\]\\)"),
], regex=True)


def nll_sign_flipped(y, rate):
    return float(np.mean(y * np.log(rate) - rate)), -(1 - y / rate) / y.size


def nll_missing_rate(y, rate):
    return float(np.mean(-y * np.log(rate))), -y / rate / y.size


def nll_grad_not_averaged(y, rate):
    return float(np.mean(rate - y * np.log(rate))), 1 - y / rate


def nll_grad_sign(y, rate):
    return float(np.mean(rate - y * np.log(rate))), (y / rate - 1) / y.size


test_poisson_nll_rejects = rejects_each(check_poisson_nll, [
    (nll_sign_flipped, "wrong sign: that is the log-likelihood"),
    (nll_missing_rate, "\\+ rate term"),
    (nll_grad_not_averaged, "divide the gradient by n"),
    (nll_grad_sign, "grad has the wrong sign"),
], regex=True)


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


test_time_blocks_rejects = rejects_each(check_time_blocks, [
    (blocks_random, "contiguous block"),
    (blocks_test_before_val, "test block is the last"),
    (blocks_overlap, "two blocks"),
], regex=True)
