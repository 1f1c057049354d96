"""Checks for ``solutions/02_elman_rnn_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference (``backend="numpy"``). When the result is wrong,
the check probes the answer term by term (inputs that switch all other terms
off) to say which term to look at.
"""
import numpy as np

from rnncore import functional as F
from rnncore.reference import rnn as ref_rnn
from . import assert_close, blaming, elman_params, exercise_check


def _close(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _which_term(rnn_step, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nl):
    """Probe rnn_step one term at a time; the name of the first wrong term, or None."""
    zx, zh, zb = np.zeros_like(x_t), np.zeros_like(h_prev), np.zeros_like(b_ih)
    probes = (
        ("the input term W_ih x_t (use x_t @ W_ih.T)", (x_t, zh, W_ih, W_hh, zb, zb)),
        ("the recurrent term W_hh h_{t-1} (use h_prev @ W_hh.T)", (zx, h_prev, W_ih, W_hh, zb, zb)),
        ("the bias b_ih", (zx, zh, W_ih, W_hh, b_ih, zb)),
        ("the bias b_hh", (zx, zh, W_ih, W_hh, zb, b_hh)),
    )
    for term, args in probes:
        got = rnn_step(*args, nonlinearity=nl)
        expected, _ = ref_rnn.step_forward(*args, nl)
        if not _close(got, expected):
            return term
    return None


@exercise_check
def check_rnn_step(rnn_step):
    """rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity) -> h_t, for tanh and relu."""
    rng = np.random.default_rng(2024)
    for B, D, H in [(3, 4, 5), (1, 2, 7)]:
        x_t = rng.standard_normal((B, D))
        h_prev = rng.standard_normal((B, H))
        W_ih, W_hh, b_ih, b_hh = elman_params(rng, D, H)
        for nl in ("tanh", "relu"):
            h_t = rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity=nl)
            assert h_t is not None, "rnn_step returned None; return h_t"
            expected, _ = ref_rnn.step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nl)
            if _close(h_t, expected):
                continue
            other, _ = ref_rnn.step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, "relu" if nl == "tanh" else "tanh")
            assert not _close(h_t, other), f"with nonlinearity={nl!r} you apply the other nonlinearity"
            term = _which_term(rnn_step, x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nl)
            assert term is None, f"h_t ({nl}, B={B}, D={D}, H={H}) is wrong in {term}"
            assert_close(h_t, expected, f"h_t ({nl}, B={B}, D={D}, H={H}): every term alone is right, their sum")


@exercise_check
def check_stacked_rnn_forward(stacked_rnn_forward):
    """stacked_rnn_forward(x, layers) -> (h_seq of the top layer, h_n (L, B, H))."""
    rng = np.random.default_rng(7)
    B, T, D, H = 3, 6, 4, 5
    for L in (1, 2, 3):
        x = rng.standard_normal((B, T, D))
        layers = [elman_params(rng, D if k == 0 else H, H) for k in range(L)]
        with blaming(stacked_rnn_forward, "rnn_step", check_rnn_step):
            out = stacked_rnn_forward(x, layers)
            assert isinstance(out, tuple) and len(out) == 2, "return a tuple (h_seq, h_n)"
            h_seq, h_n = out
            inp, seqs, finals = x, [], []
            for W_ih, W_hh, b_ih, b_hh in layers:
                inp, h_T, _ = F.rnn_forward(inp, W_ih, W_hh, b_ih, b_hh, backend="numpy")
                seqs.append(inp)
                finals.append(h_T)
            assert np.shape(h_n) == (L, B, H), f"h_n has shape {np.shape(h_n)}, expected (L, B, H) = {(L, B, H)}"
            for k in range(L):
                if _close(h_n[k], finals[k]):
                    continue
                if L > 1 and _close(h_n[k], finals[L - 1 - k]):
                    raise AssertionError("h_n is in reverse layer order: h_n[0] is the first (bottom) layer's")
                raise AssertionError(f"h_n[{k}], the final state of layer {k} (of L={L}), is wrong")
            if not _close(h_seq, seqs[-1]):
                for k in range(L - 1):
                    assert not _close(h_seq, seqs[k]), (f"h_seq is layer {k}'s sequence; return the top "
                                                        f"layer's (layer {L - 1})")
                assert_close(h_seq, seqs[-1], f"h_seq with L={L} layers (the top layer's states)")


@exercise_check
def check_birnn_forward(birnn_forward):
    """birnn_forward(x, fwd, bwd) -> (h_seq (B, T, 2H), h_n (2, B, H)), PyTorch's layout."""
    rng = np.random.default_rng(11)
    for B, T, D, H in [(2, 5, 3, 4), (3, 1, 2, 2), (1, 8, 4, 3)]:
        x = rng.standard_normal((B, T, D))
        fwd, bwd = elman_params(rng, D, H), elman_params(rng, D, H)
        with blaming(birnn_forward, "rnn_step", check_rnn_step):
            out = birnn_forward(x, fwd, bwd)
            assert isinstance(out, tuple) and len(out) == 2, "return a tuple (h_seq, h_n)"
            h_seq, h_n = out
            hf, hf_T, _ = F.rnn_forward(x, *fwd, backend="numpy")
            hb, hb_T, _ = F.rnn_forward(x[:, ::-1], *bwd, backend="numpy")
            expected = np.concatenate([hf, hb[:, ::-1]], axis=2)
            assert np.shape(h_seq) == expected.shape, \
                f"h_seq has shape {np.shape(h_seq)}, expected (B, T, 2H) = {expected.shape}"
            h_seq = np.asarray(h_seq)
            assert_close(h_seq[..., :H], hf, "the forward half h_seq[..., :H]")
            back = h_seq[..., H:]
            if T > 1 and _close(back, hb):
                raise AssertionError("the backward half h_seq[..., H:] is in reversed time order: "
                                     "flip it back to forward time order")
            if T > 1 and _close(back, F.rnn_forward(x, *bwd, backend="numpy")[0]):
                raise AssertionError("the backward direction reads x in forward order: run it on x[:, ::-1]")
            assert_close(back, hb[:, ::-1], "the backward half h_seq[..., H:]")
            if np.shape(h_n) == (2, B, H) and _close(np.asarray(h_n)[::-1], np.stack([hf_T, hb_T])):
                raise AssertionError("h_n has the directions swapped: h_n[0] is the forward final state")
            assert_close(h_n, np.stack([hf_T, hb_T]), "h_n (forward final state, then backward final state)")
