"""The checks of notebook 16's exercises reject known-wrong answers, and say where to look."""
import numpy as np
from sklearn.metrics import matthews_corrcoef

from _exercises import assert_rejects_non_answers, rejects_each
from rnncore_course.nb16_protein_secondary_structure import (check_masked_cross_entropy, check_q3_and_mcc,
                                                            check_window_features)


def _p_true(probs, y):
    return np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]


def _ce_grad(probs, y, weight):
    dprobs = np.zeros_like(probs)
    np.put_along_axis(dprobs, y[..., None], (-weight / _p_true(probs, y))[..., None], axis=-1)
    return dprobs


def ce_counts_padding(probs, y, mask):             # padding counted in the mean
    n = y.size
    return -np.log(_p_true(probs, y)).sum() / n, _ce_grad(probs, y, np.ones(y.shape) / n)


def ce_divides_by_batch(probs, y, mask):           # masked sum, but divided by B
    n = len(y)
    return -(np.log(_p_true(probs, y)) * mask).sum() / n, _ce_grad(probs, y, mask / n)


def ce_gradient_sign_flipped(probs, y, mask):
    n = mask.sum()
    return -(np.log(_p_true(probs, y)) * mask).sum() / n, -_ce_grad(probs, y, mask / n)


def ce_gradient_at_padding(probs, y, mask):        # right loss, gradient not masked
    n = mask.sum()
    return -(np.log(_p_true(probs, y)) * mask).sum() / n, _ce_grad(probs, y, np.ones(y.shape) / n)


test_masked_cross_entropy_rejects = rejects_each(check_masked_cross_entropy, [
    (ce_counts_padding, "padded"),
    (ce_divides_by_batch, "what you divide by"),
    (ce_gradient_sign_flipped, "finite differences"),
    (ce_gradient_at_padding, "exactly 0 at padded"),
], regex=True)


def _windows(idx, window, off_end, shift=0):
    half = window // 2
    padded = np.concatenate([np.full(half, off_end), idx, np.full(half, off_end)])
    X = np.zeros((len(idx), window * 21))
    for i in range(len(idx)):
        for j in range(window):
            k = i + j + shift
            sym = padded[k] if 0 <= k < len(padded) else off_end
            if sym >= 0:
                X[i, j * 21 + sym] = 1
    return X


test_window_features_rejects = rejects_each(check_window_features, [
    (lambda idx, w: _windows(idx, w, off_end=-1), "exactly one 1"),           # off-end left empty
    (lambda idx, w: _windows(idx, w, off_end=20, shift=1), "centred"),       # window shifted by one
    (lambda idx, w: _windows(idx, w, off_end=20)[:, ::-1].copy(), "middle one|exactly one"),  # blocks reversed
], regex=True)


def q3_counts_padding(probs, y, mask):
    pred = probs.argmax(-1)
    return np.mean(pred == y), [matthews_corrcoef(y[mask] == k, pred[mask] == k) for k in range(3)]


def mcc_multiclass(probs, y, mask):                # one multiclass MCC repeated, not per state
    pred, true = probs.argmax(-1)[mask], y[mask]
    return np.mean(pred == true), [matthews_corrcoef(true, pred)] * 3


def mcc_swapped_states(probs, y, mask):            # helix and strand swapped
    pred, true = probs.argmax(-1)[mask], y[mask]
    return np.mean(pred == true), [matthews_corrcoef(true == k, pred == k) for k in (0, 2, 1)]


test_q3_and_mcc_rejects = rejects_each(check_q3_and_mcc, [
    (q3_counts_padding, "padded positions"),
    (mcc_multiclass, "per-state Matthews"),
    (mcc_swapped_states, "per-state Matthews"),
], regex=True)


def test_stubs_and_none_fail():
    for check in (check_masked_cross_entropy, check_window_features, check_q3_and_mcc):
        assert_rejects_non_answers(check)
