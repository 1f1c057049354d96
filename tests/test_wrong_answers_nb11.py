"""Known-wrong answers to the exercises of notebook 11: each check must reject them and say where to look."""
import numpy as np

from _exercises import rejects_each
from rnncore_course.nb11_yeast_cell_cycle import check_grouped_split, check_paired_bootstrap_ci, check_peak_phase


def _fit(values, t, period, keep_constant=True, nan_to_zero=False):
    t = np.asarray(t, float)
    cols = [np.cos(2 * np.pi * t / period), np.sin(2 * np.pi * t / period)]
    A = np.column_stack(([np.ones_like(t)] if keep_constant else []) + cols)
    out = []
    for v in np.asarray(values, float):
        if nan_to_zero:
            v, seen = np.nan_to_num(v), np.ones(len(v), bool)
        else:
            seen = ~np.isnan(v)
        coef = np.linalg.lstsq(A[seen], v[seen], rcond=None)[0]
        out.append(coef[-2:])
    return np.array(out)


def phase_sign_flipped(values, t, period):
    bc = _fit(values, t, period)
    return (np.arctan2(-bc[:, 1], bc[:, 0]) / (2 * np.pi)) % 1, np.hypot(*bc.T)


def phase_in_radians(values, t, period):
    bc = _fit(values, t, period)
    return np.arctan2(bc[:, 1], bc[:, 0]) % (2 * np.pi), np.hypot(*bc.T)


def missing_set_to_zero(values, t, period):
    bc = _fit(values, t, period, nan_to_zero=True)
    return (np.arctan2(bc[:, 1], bc[:, 0]) / (2 * np.pi)) % 1, np.hypot(*bc.T)


def no_constant(values, t, period):
    bc = _fit(values, t, period, keep_constant=False)
    return (np.arctan2(bc[:, 1], bc[:, 0]) / (2 * np.pi)) % 1, np.hypot(*bc.T)


test_peak_phase_rejects = rejects_each(check_peak_phase, [
    (phase_sign_flipped, "atan2\\(c, b\\)"),
    (phase_in_radians, "radians"),
    (missing_set_to_zero, "leave the missing points out"),
    (no_constant, "constant"),
], regex=True)


def split_by_row(groups, test_fraction, seed):
    idx = np.random.default_rng(seed).permutation(len(groups))
    n_test = int(round(test_fraction * len(groups)))
    return idx[n_test:], idx[:n_test]


def split_fraction_on_train(groups, test_fraction, seed):
    genes = np.random.default_rng(seed).permutation(np.unique(groups))
    in_test = np.isin(groups, genes[:int(round((1 - test_fraction) * len(genes)))])
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def split_ignores_seed(groups, test_fraction, seed):
    genes = np.unique(groups)
    in_test = np.isin(groups, genes[:int(round(test_fraction * len(genes)))])
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


test_grouped_split_rejects = rejects_each(check_grouped_split, [
    (split_by_row, "rows on both sides"),
    (split_fraction_on_train, "fraction"),
    (split_ignores_seed, "seed"),
], regex=True)


def bootstrap_unpaired(correct_a, correct_b, n_boot, seed):
    rng = np.random.default_rng(seed)
    a, b = np.asarray(correct_a, float), np.asarray(correct_b, float)
    ia, ib = rng.integers(0, len(a), (2, n_boot, len(a)))
    return tuple(np.percentile(a[ia].mean(axis=1) - b[ib].mean(axis=1), [2.5, 97.5]))


def bootstrap_68_percent(correct_a, correct_b, n_boot, seed):
    rng = np.random.default_rng(seed)
    d = np.asarray(correct_a, float) - np.asarray(correct_b, float)
    return tuple(np.percentile(d[rng.integers(0, len(d), (n_boot, len(d)))].mean(axis=1), [16, 84]))


def bootstrap_of_model_a(correct_a, correct_b, n_boot, seed):
    rng = np.random.default_rng(seed)
    a = np.asarray(correct_a, float)
    return tuple(np.percentile(a[rng.integers(0, len(a), (n_boot, len(a)))].mean(axis=1), [2.5, 97.5]))


test_paired_bootstrap_rejects = rejects_each(check_paired_bootstrap_ci, [
    (bootstrap_unpaired, "same genes for both models"),
    (bootstrap_68_percent, "2.5th and 97.5th"),
    (bootstrap_of_model_a, "difference"),
], regex=True)
