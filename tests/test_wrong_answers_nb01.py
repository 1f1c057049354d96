"""The checks of notebook 1's exercises accept right answers and reject known-wrong ones.

Each wrong answer is a mistake a learner makes; the check must raise
ExerciseFailed with a message that says where to look.
"""
import numpy as np

from _exercises import assert_accepts, rejects_each
from rnncore import encoding
from rnncore_course.nb01_sequences_in_biology import check_one_hot_iupac, check_pad_and_mask, check_windows


# ------------------------------------------------------------------ exercise 1: one-hot with IUPAC codes
def one_hot_right(seq, order="ACGT", weight=lambda k: 1.0 / k, upper=True):
    x = np.zeros((len(seq), 4))
    for t, letter in enumerate(seq.upper() if upper else seq):
        bases = encoding.IUPAC_DNA[letter]
        for base in bases:
            x[t, order.index(base)] = weight(len(bases))
    return x


def one_hot_wrong_order(seq):
    return one_hot_right(seq, order="AGCT")


def one_hot_ones(seq):
    return one_hot_right(seq, weight=lambda k: 1.0)          # ambiguity codes not normalised


def one_hot_no_lower_case(seq):
    return one_hot_right(seq, upper=False)                   # KeyError on 'a'


def test_one_hot_accepts_a_right_answer():
    assert_accepts(check_one_hot_iupac, one_hot_right)


test_one_hot_rejects_wrong_answers = rejects_each(check_one_hot_iupac, [
    (one_hot_wrong_order, "wrong columns: the order is A, C, G, T"),
    (one_hot_ones, "1/k on each"),
    (one_hot_no_lower_case, "one_hot_iupac\\('acgt'\\) raised KeyError"),
], regex=True)


# ------------------------------------------------------------------ exercise 2: padding and mask
def pad_right(seqs, front=False, invert=False, as_float=False):
    lengths = np.array([len(s) for s in seqs])
    T, D = int(lengths.max()), np.asarray(seqs[0]).shape[1]
    padded = np.zeros((len(seqs), T, D))
    for i, s in enumerate(seqs):
        if len(s):
            if front:
                padded[i, T - len(s):] = s
            else:
                padded[i, :len(s)] = s
    mask = np.arange(T)[None, :] < lengths[:, None]
    if invert:
        mask = ~mask
    return padded, mask.astype(float) if as_float else mask


def pad_front(seqs):
    return pad_right(seqs, front=True)


def pad_inverted_mask(seqs):
    return pad_right(seqs, invert=True)


def pad_float_mask(seqs):
    return pad_right(seqs, as_float=True)


def test_pad_accepts_a_right_answer():
    assert_accepts(check_pad_and_mask, pad_right)


test_pad_rejects_wrong_answers = rejects_each(check_pad_and_mask, [
    (pad_front, "zeros go at the END"),
    (pad_inverted_mask, "mask .* is inverted"),
    (pad_float_mask, "bool array, got dtype float64"),
], regex=True)


# ------------------------------------------------------------------ exercise 3: sliding windows
def windows_right(series, window, horizon=1, n_fewer=0, target_offset=0, feature_axis=True):
    series = np.asarray(series)
    n = len(series) - window - horizon + 1 - n_fewer
    starts = np.arange(n)[:, None]
    X = series[starts + np.arange(window)]
    y = series[starts + window + target_offset + np.arange(horizon)]
    return (X[..., None] if feature_axis else X), y


def windows_missing_last(series, window, horizon=1):
    return windows_right(series, window, horizon, n_fewer=1)


def windows_target_overlaps(series, window, horizon=1):
    return windows_right(series, window, horizon, target_offset=-1)


def windows_no_feature_axis(series, window, horizon=1):
    return windows_right(series, window, horizon, feature_axis=False)


def test_windows_accepts_a_right_answer():
    assert_accepts(check_windows, windows_right)


test_windows_rejects_wrong_answers = rejects_each(check_windows, [
    (windows_missing_last, "expected N = T - window - horizon \\+ 1"),
    (windows_target_overlaps, "starts right AFTER the window"),
    (windows_no_feature_axis, "add the feature axis"),
], regex=True)
