"""Checks for ``solutions/03_backprop_through_time_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference (``backend="numpy"``) for the ReLU Elman RNN.
"""
import numpy as np

from rnncore import functional as F
from rnncore.reference import rnn as ref_rnn
from . import assert_close, exercise_check

_PARAM_GRADS = ("dW_ih", "dW_hh", "db_ih", "db_hh")


def _problem(rng, B, T, D, H):
    x = rng.standard_normal((B, T, D))
    W_ih = rng.standard_normal((H, D)) * 0.5
    W_hh = rng.standard_normal((H, H)) * 0.4
    b_ih = rng.standard_normal(H) * 0.2 + 0.1     # a positive shift keeps most ReLUs active
    b_hh = rng.standard_normal(H) * 0.2
    h0 = np.abs(rng.standard_normal((B, H))) * 0.5
    return x, W_ih, W_hh, b_ih, b_hh, h0


def _get(result, key, what):
    assert isinstance(result, dict), f"{what} must return a dict, got {type(result).__name__}"
    assert key in result, f"the dict returned by {what} has no key {key!r}"
    return result[key]


@exercise_check
def check_relu_step_backward(relu_step_backward):
    """relu_step_backward(dh_t, x_t, h_prev, h_t, W_ih, W_hh) -> (dx_t, dh_prev, dW_ih, dW_hh, db)."""
    rng = np.random.default_rng(303)
    for B, D, H in [(3, 4, 5), (1, 2, 6)]:
        x, W_ih, W_hh, b_ih, b_hh, h0 = _problem(rng, B, 1, D, H)
        h_t, cache = ref_rnn.step_forward(x[:, 0], h0, W_ih, W_hh, b_ih, b_hh, "relu")
        assert (h_t == 0).any() and (h_t > 0).any(), "internal: need active and inactive units"
        dh_t = rng.standard_normal((B, H))
        out = relu_step_backward(dh_t, x[:, 0], h0, h_t, W_ih, W_hh)
        assert isinstance(out, tuple) and len(out) == 5, "return a tuple (dx_t, dh_prev, dW_ih, dW_hh, db)"
        expected = ref_rnn.step_backward(dh_t, cache)[:5]
        for name, got, exp in zip(("dx_t", "dh_prev", "dW_ih", "dW_hh", "db"), out, expected):
            assert_close(got, exp, name)


@exercise_check
def check_relu_rnn_backward(relu_rnn_backward):
    """relu_rnn_backward(dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh) -> dict of gradients."""
    rng = np.random.default_rng(304)
    for B, T, D, H in [(2, 6, 3, 4), (3, 1, 2, 5), (1, 9, 4, 3)]:
        x, W_ih, W_hh, b_ih, b_hh, h0 = _problem(rng, B, T, D, H)
        h_seq, _, cache = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="relu", backend="numpy")
        dh_seq = rng.standard_normal((B, T, H))
        dh_T = rng.standard_normal((B, H))
        got = relu_rnn_backward(dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh)
        exp = F.rnn_backward(dh_seq, cache, dh_T)
        for key in ("dx", "dh0", *_PARAM_GRADS):
            assert_close(_get(got, key, "relu_rnn_backward"), exp[key], f"{key} (B={B}, T={T})")


def tbptt_reference(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k):
    """Truncated BPTT: chunks of k steps, state carried forward, no gradient across chunks."""
    B, T, _ = x.shape
    h = np.zeros((B, W_hh.shape[0]))
    total = {key: np.zeros_like(w) for key, w in zip(_PARAM_GRADS, (W_ih, W_hh, b_ih, b_hh))}
    for s in range(0, T, k):
        _, h, cache = F.rnn_forward(x[:, s:s + k], W_ih, W_hh, b_ih, b_hh, h, backend="numpy")
        g = F.rnn_backward(dh_seq[:, s:s + k], cache)
        for key in total:
            total[key] += g[key]
    return total


@exercise_check
def check_tbptt_gradients(tbptt_gradients):
    """tbptt_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k) -> dict dW_ih, dW_hh, db_ih, db_hh."""
    rng = np.random.default_rng(305)
    B, T, D, H = 2, 10, 3, 4
    x = rng.standard_normal((B, T, D))
    W_ih = rng.standard_normal((H, D)) * 0.5
    W_hh = rng.standard_normal((H, H)) * 0.5
    b_ih, b_hh = rng.standard_normal(H) * 0.2, rng.standard_normal(H) * 0.2
    dh_seq = rng.standard_normal((B, T, H))
    for k in (10, 1, 3, 4):     # k = T is full BPTT; 3 and 4 leave a shorter last chunk
        got = tbptt_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k)
        exp = tbptt_reference(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k)
        for key in _PARAM_GRADS:
            assert_close(_get(got, key, "tbptt_gradients"), exp[key], f"{key} with k={k}")
