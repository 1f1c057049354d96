"""Checks for ``solutions/05_lstm_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference (PyTorch gate order i, f, g, o).
"""
import numpy as np

from rnncore.reference import lstm as ref_lstm
from rnncore.reference.activations import sigmoid
from . import assert_close, exercise_check


def _problem(rng, B, D, H, G=4):
    x_t = rng.standard_normal((B, D))
    h_prev = rng.standard_normal((B, H)) * 0.5
    c_prev = rng.standard_normal((B, H))
    W_ih = rng.standard_normal((G * H, D)) * 0.5
    W_hh = rng.standard_normal((G * H, H)) * 0.5
    b_ih = rng.standard_normal(G * H) * 0.2
    b_hh = rng.standard_normal(G * H) * 0.2
    return x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh


def _pair(out, what):
    assert isinstance(out, tuple) and len(out) == 2, f"{what} must return a tuple (h_t, c_t)"
    return out


@exercise_check
def check_lstm_step_forward(lstm_step_forward):
    """lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t)."""
    rng = np.random.default_rng(501)
    for B, D, H in [(3, 4, 5), (1, 2, 3), (4, 1, 6)]:
        args = _problem(rng, B, D, H)
        h_t, c_t = _pair(lstm_step_forward(*args), "lstm_step_forward")
        h_ref, c_ref, _ = ref_lstm.step_forward(*args)
        assert_close(c_t, c_ref, f"c_t (B={B}, D={D}, H={H})")
        assert_close(h_t, h_ref, f"h_t (B={B}, D={D}, H={H})")


@exercise_check
def check_lstm_step_backward(lstm_step_backward):
    """lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> dict."""
    rng = np.random.default_rng(502)
    keys = ("dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db")
    for B, D, H in [(3, 4, 5), (2, 1, 3)]:
        args = _problem(rng, B, D, H)
        _, _, cache = ref_lstm.step_forward(*args)
        dh_t = rng.standard_normal((B, H))
        dc_t = rng.standard_normal((B, H))
        got = lstm_step_backward(dh_t, dc_t, *args)
        assert isinstance(got, dict), f"return a dict with keys {keys}"
        exp = dict(zip(keys, ref_lstm.step_backward(dh_t, dc_t, cache)[:6]))
        for k in keys:
            assert k in got, f"the returned dict has no key {k!r}"
            assert_close(got[k], exp[k], f"{k} (B={B}, D={D}, H={H})")


def _cifg_reference(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, :H])
    g = np.tanh(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:])
    c_t = (1 - i) * c_prev + i * g
    return o * np.tanh(c_t), c_t


@exercise_check
def check_cifg_step_forward(cifg_step_forward):
    """cifg_step_forward(x_t, h_prev, c_prev, W_ih (3H, D), W_hh (3H, H), b_ih, b_hh) -> (h_t, c_t)."""
    rng = np.random.default_rng(503)
    for B, D, H in [(3, 4, 5), (2, 3, 2)]:
        args = _problem(rng, B, D, H, G=3)
        h_t, c_t = _pair(cifg_step_forward(*args), "cifg_step_forward")
        h_ref, c_ref = _cifg_reference(*args)
        assert_close(c_t, c_ref, f"c_t (B={B}, D={D}, H={H}); gate order is i, g, o and f = 1 - i")
        assert_close(h_t, h_ref, f"h_t (B={B}, D={D}, H={H})")
