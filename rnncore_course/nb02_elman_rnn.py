"""Checks for ``solutions/02_elman_rnn_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference (``backend="numpy"``).
"""
import numpy as np

from rnncore import functional as F
from rnncore.reference import rnn as ref_rnn
from . import assert_close, exercise_check


def _params(rng, D, H, scale=0.5):
    return (rng.standard_normal((H, D)) * scale, rng.standard_normal((H, H)) * scale,
            rng.standard_normal(H) * 0.2, rng.standard_normal(H) * 0.2)


@exercise_check
def check_rnn_step(rnn_step):
    """rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity) -> h_t, for tanh and relu."""
    rng = np.random.default_rng(2024)
    for B, D, H in [(3, 4, 5), (1, 2, 7)]:
        x_t = rng.standard_normal((B, D))
        h_prev = rng.standard_normal((B, H))
        W_ih, W_hh, b_ih, b_hh = _params(rng, D, H)
        for nl in ("tanh", "relu"):
            h_t = rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity=nl)
            assert h_t is not None, "rnn_step returned None; return h_t"
            expected, _ = ref_rnn.step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nl)
            assert_close(h_t, expected, f"h_t ({nl}, B={B}, D={D}, H={H})")


@exercise_check
def check_stacked_rnn_forward(stacked_rnn_forward):
    """stacked_rnn_forward(x, layers) -> (h_seq of the top layer, h_n (L, B, H))."""
    rng = np.random.default_rng(7)
    B, T, D, H = 3, 6, 4, 5
    for L in (1, 2, 3):
        x = rng.standard_normal((B, T, D))
        layers = [_params(rng, D if k == 0 else H, H) for k in range(L)]
        out = stacked_rnn_forward(x, layers)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (h_seq, h_n)"
        h_seq, h_n = out
        inp, finals = x, []
        for W_ih, W_hh, b_ih, b_hh in layers:
            inp, h_T, _ = F.rnn_forward(inp, W_ih, W_hh, b_ih, b_hh, backend="numpy")
            finals.append(h_T)
        assert_close(h_seq, inp, f"h_seq with L={L} layers (the top layer's states)")
        assert_close(h_n, np.stack(finals), f"h_n with L={L} layers (one final state per layer)")


@exercise_check
def check_birnn_forward(birnn_forward):
    """birnn_forward(x, fwd, bwd) -> (h_seq (B, T, 2H), h_n (2, B, H)), PyTorch's layout."""
    rng = np.random.default_rng(11)
    for B, T, D, H in [(2, 5, 3, 4), (3, 1, 2, 2), (1, 8, 4, 3)]:
        x = rng.standard_normal((B, T, D))
        fwd, bwd = _params(rng, D, H), _params(rng, D, H)
        out = birnn_forward(x, fwd, bwd)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (h_seq, h_n)"
        h_seq, h_n = out
        hf, hf_T, _ = F.rnn_forward(x, *fwd, backend="numpy")
        hb, hb_T, _ = F.rnn_forward(x[:, ::-1], *bwd, backend="numpy")
        expected = np.concatenate([hf, hb[:, ::-1]], axis=2)
        assert np.shape(h_seq) == expected.shape, \
            f"h_seq has shape {np.shape(h_seq)}, expected (B, T, 2H) = {expected.shape}"
        assert_close(np.asarray(h_seq)[..., :H], hf, "the forward half h_seq[..., :H]")
        assert_close(np.asarray(h_seq)[..., H:], hb[:, ::-1],
                     "the backward half h_seq[..., H:] (did you flip it back to forward time order?)")
        assert_close(h_n, np.stack([hf_T, hb_T]), "h_n (forward final state, then backward final state)")
