"""Checks for ``solutions/18_training_well_exercises.ipynb``.

The checks compare the learner's functions with rnncore's own machinery rather than with a
copy of the answer: early stopping against ``rnncore.callbacks.EarlyStopping`` run on the same
validation losses, the decoupled weight-decay step against ``rnncore.optimizers.AdamW``, and
the recurrent-dropout forward pass against the Elman recurrence written out with the mask
applied to the previous state. The mask itself is checked by its statistics.
"""
import numpy as np

from rnncore.callbacks import EarlyStopping
from rnncore.optimizers import AdamW
from . import assert_close, exercise_check


class _Recorder:
    """The smallest 'model' EarlyStopping can drive: weights are the epoch number."""

    def __init__(self):
        self.epoch, self.stop_training = 0, False

    def get_weights(self):
        return [np.array(self.epoch)]

    def set_weights(self, w):
        self.epoch = int(w[0])


def _library_early_stopping(val_losses, patience, min_delta):
    """(best_epoch, last_epoch) that rnncore's EarlyStopping gives on these losses (0-based)."""
    cb = EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta, restore_best_weights=True)
    model = _Recorder()
    cb.set_model(model)
    cb.on_train_begin()
    last = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        model.epoch = epoch
        cb.on_epoch_end(epoch, {"val_loss": float(loss)})
        if model.stop_training:
            last = epoch
            break
    cb.on_train_end()
    return model.epoch, last


EARLY_CASES = [
    ([0.9, 0.7, 0.6, 0.62, 0.61, 0.65, 0.66, 0.5, 0.4], 3, 0.0),     # a later, better minimum it never reaches
    ([0.9, 0.7, 0.6, 0.62, 0.61, 0.65, 0.66, 0.5, 0.4], 5, 0.0),     # more patience: it gets there
    ([1.0, 0.8, 0.79, 0.785, 0.7, 0.69, 0.68], 2, 0.02),              # improvements under min_delta do not count
    ([0.5, 0.4, 0.3, 0.2, 0.1], 1, 0.0),                              # never stops
    ([0.5, 0.6, 0.5, 0.7, 0.8], 2, 0.0),                              # a tie is not an improvement
    ([0.8, 0.6, 0.61, 0.59, 0.62, 0.63], 1, 0.0),                     # patience 1
]


@exercise_check
def check_early_stopping(early_stopping):
    """early_stopping(val_losses, patience, min_delta) -> (best_epoch, stop_epoch), both 0-based."""
    for losses, patience, min_delta in EARLY_CASES:
        out = early_stopping(list(losses), patience, min_delta)
        assert out is not None and len(out) == 2, "return a pair (best_epoch, stop_epoch)"
        best, stop = (int(v) for v in out)
        lib_best, lib_stop = _library_early_stopping(losses, patience, min_delta)
        where = f"val_losses={losses}, patience={patience}, min_delta={min_delta}"
        assert stop == lib_stop, (
            f"stop_epoch {stop}, expected {lib_stop} for {where}. Count the epochs since the last "
            "improvement and stop when that count reaches patience (not patience + 1); "
            "if it never stops, stop_epoch is the last epoch, len(val_losses) - 1")
        if best != lib_best and best > lib_stop:
            raise AssertionError(f"best_epoch {best} is after the stop at epoch {lib_stop} ({where}): training "
                                 "never saw that epoch; look only at the epochs up to the stop")
        assert best == lib_best, (
            f"best_epoch {best}, expected {lib_best} for {where}: an epoch is an improvement only when its "
            "loss is below the best so far by more than min_delta (a tie is not)")


@exercise_check
def check_recurrent_dropout_mask(recurrent_dropout_mask):
    """recurrent_dropout_mask(rng, B, H, rate) -> (B, H) mask, entries 0 or 1 / (1 - rate)."""
    for rate in (0.25, 0.5):
        mask = recurrent_dropout_mask(np.random.default_rng(1801), 2000, 16, rate)
        assert mask is not None, "return the (B, H) mask"
        mask = np.asarray(mask, dtype=float)
        assert mask.shape == (2000, 16), (
            f"mask shape {mask.shape}, expected (B, H) = (2000, 16): one mask per sequence, "
            "over the hidden units (not one per time step, not one per unit for the whole batch)")
        kept = mask != 0
        assert np.allclose(mask[kept], 1 / (1 - rate)), (
            f"the kept entries are {np.unique(np.round(mask[kept], 4))[:4]}, expected 1 / (1 - rate) = "
            f"{1 / (1 - rate):.4g}: inverted dropout scales what it keeps, so nothing changes at inference")
        assert len({row.tobytes() for row in kept}) > 1000, (
            "the sequences share one mask: draw an independent mask for each sequence (row)")
        share = 1 - kept.mean()
        assert abs(share - rate) < 0.02, (
            f"{share:.3f} of the entries are dropped with rate={rate}: rate is the probability of "
            "dropping (zeroing) a unit, not of keeping it")
    a = np.asarray(recurrent_dropout_mask(np.random.default_rng(7), 50, 8, 0.5))
    b = np.asarray(recurrent_dropout_mask(np.random.default_rng(7), 50, 8, 0.5))
    assert np.array_equal(a, b), "draw the mask from the generator rng you are given, so a seed reproduces it"


def _elman_reference(x, h0, W_ih, W_hh, b, mask):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_ih.T + (h * mask) @ W_hh.T + b)
        out.append(h)
    return np.stack(out, axis=1)


@exercise_check
def check_rnn_forward_recurrent_dropout(rnn_forward_recurrent_dropout):
    """rnn_forward_recurrent_dropout(x (B, T, D), h0 (B, H), W_ih (H, D), W_hh (H, H), b (H,), mask (B, H)) -> (B, T, H)."""
    rng = np.random.default_rng(1802)
    B, T, D, H = 5, 7, 3, 6
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H)) * 0.5
    W_ih, W_hh = rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5
    b = rng.standard_normal(H) * 0.1
    mask = (rng.random((B, H)) >= 0.4) / 0.6
    out = rnn_forward_recurrent_dropout(x, h0, W_ih, W_hh, b, mask)
    assert out is not None, "return h_seq, the (B, T, H) hidden states"
    out = np.asarray(out)
    assert out.shape == (B, T, H), f"h_seq has shape {out.shape}, expected (B, T, H) = {(B, T, H)}"
    ones = np.asarray(rnn_forward_recurrent_dropout(x, h0, W_ih, W_hh, b, np.ones((B, H))))
    assert_close(ones, _elman_reference(x, h0, W_ih, W_hh, b, np.ones((B, H))),
                 "h_seq with a mask of ones (the plain Elman RNN h_t = tanh(W_ih x_t + W_hh h_prev + b))")
    assert not np.allclose(out[:, 0], np.tanh(x[:, 0] @ W_ih.T + h0 @ W_hh.T + b)), (
        "the first step ignores the mask: the initial state h0 is the h_prev of step 0, and is dropped too")
    assert_close(out, _elman_reference(x, h0, W_ih, W_hh, b, mask),
                 "h_seq with recurrent dropout (multiply h_prev, the state that enters W_hh, by the same mask "
                 "at every step; the input x_t and the stored h_t are not masked)")


@exercise_check
def check_adamw_step(adamw_step):
    """adamw_step(p, g, m, v, t, learning_rate, weight_decay) -> (p_new, m_new, v_new); Keras' defaults otherwise."""
    rng = np.random.default_rng(1803)
    lr, wd = 0.05, 0.4
    p = rng.standard_normal((4, 3))
    opt = AdamW(learning_rate=lr, weight_decay=wd)
    ref = p.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t in range(1, 4):
        g = rng.standard_normal(p.shape)
        out = adamw_step(p.copy(), g.copy(), m.copy(), v.copy(), t, lr, wd)
        assert out is not None and len(out) == 3, "return the triple (p_new, m_new, v_new)"
        p_new, m_new, v_new = (np.asarray(a, dtype=float) for a in out)
        opt.apply_gradients([(ref, g)])
        s = opt.state[0]
        assert_close(m_new, s["m"], f"m after step {t} (m = beta_1 m + (1 - beta_1) g with the raw gradient: the "
                     "decay must not enter the moments, or it is an L2 penalty, not decoupled decay)")
        assert_close(v_new, s["v"], f"v after step {t} (v = beta_2 v + (1 - beta_2) g**2, raw gradient)")
        if not np.allclose(p_new, ref, rtol=1e-6, atol=1e-8):
            adam_only = p - lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * s["m"] / (np.sqrt(s["v"]) + 1e-7)
            if np.allclose(p_new, adam_only * (1 - lr * wd)):
                raise AssertionError(f"p after step {t}: the decay uses the updated weights; Keras (and this "
                                     "notebook) shrinks the weights *before* the Adam step: p -= p * wd * lr, then Adam")
            if np.allclose(p_new, adam_only - wd * p):
                raise AssertionError(f"p after step {t}: the decay is p * weight_decay; decoupled decay is scaled "
                                     "by the learning rate too: p -= p * weight_decay * learning_rate")
            assert_close(p_new, ref, f"p after step {t} (first p -= p * weight_decay * learning_rate, then "
                         "Adam's bias-corrected step; compare with rnncore/optimizers.py, AdamW)")
        p, m, v = ref.copy(), s["m"].copy(), s["v"].copy()
