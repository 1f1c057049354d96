"""Checks for ``solutions/06_gru_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference GRU (PyTorch gate order r, z, n) or, for Cho's
original placement of the reset gate, with a reference written here.
"""
import numpy as np

from rnncore.reference import gru as ref_gru
from rnncore.reference.activations import sigmoid
from . import assert_close, exercise_check


def _problem(rng, B, D, H):
    x_t = rng.standard_normal((B, D))
    h_prev = rng.standard_normal((B, H)) * 0.5
    W_ih = rng.standard_normal((3 * H, D)) * 0.5
    W_hh = rng.standard_normal((3 * H, H)) * 0.5
    b_ih = rng.standard_normal(3 * H) * 0.2
    b_hh = rng.standard_normal(3 * H) * 0.2
    return x_t, h_prev, W_ih, W_hh, b_ih, b_hh


@exercise_check
def check_gru_step_forward(gru_step_forward):
    """gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t (PyTorch's GRU)."""
    rng = np.random.default_rng(601)
    for B, D, H in [(3, 4, 5), (1, 2, 3), (4, 1, 6)]:
        args = _problem(rng, B, D, H)
        h_ref, _ = ref_gru.step_forward(*args)
        assert_close(gru_step_forward(*args), h_ref, f"h_t (B={B}, D={D}, H={H})")


def _cho_reference(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih
    r = sigmoid(gi[:, :H] + h_prev @ W_hh[:H].T + b_hh[:H])
    z = sigmoid(gi[:, H:2 * H] + h_prev @ W_hh[H:2 * H].T + b_hh[H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h_prev


@exercise_check
def check_cho_gru_step_forward(cho_gru_step_forward):
    """cho_gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t, reset before W_hn."""
    rng = np.random.default_rng(602)
    for B, D, H in [(3, 4, 5), (2, 3, 2)]:
        args = _problem(rng, B, D, H)
        got = cho_gru_step_forward(*args)
        pytorch, _ = ref_gru.step_forward(*args)
        if np.shape(got) == pytorch.shape and np.allclose(got, pytorch):
            raise AssertionError("this is PyTorch's GRU (r * (W_hn h + b_hn)); Cho's puts r on h: W_hn (r * h)")
        assert_close(got, _cho_reference(*args), f"h_t (B={B}, D={D}, H={H})")


@exercise_check
def check_gru_step_backward(gru_step_backward):
    """gru_step_backward(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> dict of gradients."""
    rng = np.random.default_rng(603)
    keys = ("dx_t", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")
    for B, D, H in [(3, 4, 5), (2, 1, 3)]:
        args = _problem(rng, B, D, H)
        _, cache = ref_gru.step_forward(*args)
        dh_t = rng.standard_normal((B, H))
        got = gru_step_backward(dh_t, *args)
        assert isinstance(got, dict), f"return a dict with keys {keys}"
        exp = dict(zip(keys, ref_gru.step_backward(dh_t, cache)))
        for k in keys:
            assert k in got, f"the returned dict has no key {k!r}"
            assert_close(got[k], exp[k], f"{k} (B={B}, D={D}, H={H})")
