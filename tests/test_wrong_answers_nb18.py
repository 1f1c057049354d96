"""The checks of notebook 18's exercises reject known-wrong answers, and say where to look."""
import numpy as np

from _exercises import assert_accepts, assert_rejects_non_answers, rejects_each
from rnncore_course.nb18_training_well import (check_adamw_step, check_early_stopping,
                                               check_recurrent_dropout_mask, check_rnn_forward_recurrent_dropout)


# ----------------------------------------------------------------------------- early stopping
def early_stopping_right(val_losses, patience, min_delta=0.0, off_by_one=0, strict=True, delta=True):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        better = loss < best - (min_delta if delta else 0) if strict else loss <= best - min_delta
        if better:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience + off_by_one and epoch > 0:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_one_epoch_late(val_losses, patience, min_delta):      # waits patience + 1 epochs
    return early_stopping_right(val_losses, patience, min_delta, off_by_one=1)


def es_ignores_min_delta(val_losses, patience, min_delta):
    return early_stopping_right(val_losses, patience, min_delta, delta=False)


def es_tie_improves(val_losses, patience, min_delta):        # <= instead of <
    return early_stopping_right(val_losses, patience, min_delta, strict=False)


def es_best_of_everything(val_losses, patience, min_delta):  # best epoch looks past the stop
    _, stop = early_stopping_right(val_losses, patience, min_delta)
    return int(np.argmin(val_losses)), stop


def es_never_stops(val_losses, patience, min_delta):
    return int(np.argmin(val_losses)), len(val_losses) - 1


def test_the_right_early_stopping_passes():
    assert_accepts(check_early_stopping, lambda v, p, d: early_stopping_right(v, p, d))


test_early_stopping_rejects = rejects_each(check_early_stopping, [
    (es_one_epoch_late, "not patience \\+ 1"),
    (es_ignores_min_delta, "min_delta"),
    (es_tie_improves, "a tie is not|stop_epoch"),
    (es_best_of_everything, "after the stop"),
    (es_never_stops, "stop_epoch"),
], regex=True)


# ----------------------------------------------------------------------------- recurrent dropout mask
def mask_right(rng, B, H, rate):
    return (rng.random((B, H)) >= rate) / (1 - rate)


test_recurrent_dropout_mask_rejects = rejects_each(check_recurrent_dropout_mask, [
    (lambda rng, B, H, rate: (rng.random((B, H)) >= rate).astype(float), "1 / \\(1 - rate\\)"),      # not scaled
    (lambda rng, B, H, rate: (rng.random((B, H)) < rate) / (1 - rate), "probability of\\s+dropping"),     # keeps `rate`
    (lambda rng, B, H, rate: np.broadcast_to((rng.random(H) >= rate) / (1 - rate), (B, H)), "share one mask"),
    (lambda rng, B, H, rate: (rng.random((B, 3, H)) >= rate) / (1 - rate), "one mask per sequence"),
    (lambda rng, B, H, rate: (np.random.default_rng().random((B, H)) >= rate) / (1 - rate), "generator rng"),
], regex=True)


def test_the_right_mask_passes():
    assert_accepts(check_recurrent_dropout_mask, mask_right)


# ----------------------------------------------------------------------------- forward with recurrent dropout
def forward(x, h0, W_ih, W_hh, b, mask, where="h_prev", skip_first=False):
    h, out = h0, []
    for t in range(x.shape[1]):
        m = 1.0 if (skip_first and t == 0) else mask
        if where == "h_prev":
            h = np.tanh(x[:, t] @ W_ih.T + (h * m) @ W_hh.T + b)
        elif where == "input":                           # masks the input instead (that is dropout=)
            h = np.tanh((x[:, t] * m[:, :x.shape[2]]) @ W_ih.T + h @ W_hh.T + b)
        elif where == "output":                          # masks the stored state (and so the next step's input too)
            h = np.tanh(x[:, t] @ W_ih.T + h @ W_hh.T + b) * m
        out.append(h)
    return np.stack(out, axis=1)


def test_the_right_forward_passes():
    assert_accepts(check_rnn_forward_recurrent_dropout, forward)


def _fresh_mask_each_step(x, h0, W_ih, W_hh, b, mask):
    rng = np.random.default_rng(0)
    h, out = h0, []
    for t in range(x.shape[1]):
        m = rng.permutation(mask.ravel()).reshape(mask.shape) if t else mask     # a new mask, same statistics
        h = np.tanh(x[:, t] @ W_ih.T + (h * m) @ W_hh.T + b)
        out.append(h)
    return np.stack(out, axis=1)


test_forward_rejects = rejects_each(check_rnn_forward_recurrent_dropout, [
    (lambda *a: forward(*a, where="input"), "h_prev"),
    (lambda *a: forward(*a, where="output"), "the stored h_t are not masked"),
    (lambda *a: forward(*a, skip_first=True), "h0 is the h_prev of step 0"),
    (_fresh_mask_each_step, "the same mask\\s+at every step"),
    (lambda x, h0, W_ih, W_hh, b, mask: forward(x, h0, W_ih, W_hh, b, mask)[:, ::-1], "recurrent dropout|mask of ones"),
], regex=True)


# ----------------------------------------------------------------------------- AdamW step
def adamw(p, g, m, v, t, lr, wd, l2=False, decay_after=False, no_lr=False, no_correction=False):
    if l2:
        g = g + wd * p
    elif not decay_after:
        p = p - p * wd * (1.0 if no_lr else lr)
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    lr_t = lr if no_correction else lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
    p = p - lr_t * m / (np.sqrt(v) + 1e-7)
    if decay_after:
        p = p * (1 - lr * wd)
    return p, m, v


def test_the_right_adamw_passes():
    assert_accepts(check_adamw_step, adamw)


test_adamw_step_rejects = rejects_each(check_adamw_step, [
    (lambda *a: adamw(*a, l2=True), "L2 penalty"),
    (lambda *a: adamw(*a, decay_after=True), "before\\* the Adam step"),
    (lambda *a: adamw(*a, no_lr=True), "scaled\\s+by the learning rate"),
    (lambda *a: adamw(*a, no_correction=True), "bias-corrected"),
], regex=True)


def test_stubs_and_none_fail():
    for check in (check_early_stopping, check_recurrent_dropout_mask, check_rnn_forward_recurrent_dropout,
                  check_adamw_step):
        assert_rejects_non_answers(check)
