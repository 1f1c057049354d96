"""Checks for ``solutions/05_lstm_exercises.ipynb``.

Each check calls the learner's function and compares it with rnncore's NumPy reference (PyTorch gate
order i, f, g, o), first on *probe* inputs that isolate one gate or term (weights zero, gates driven fully
open or shut), so that a failure names the gate to look at, then on fresh random inputs. The CIFG cell is
checked against rnncore's LSTM with the forget-gate rows set to minus the input-gate rows, since
sigmoid(-a) = 1 - sigmoid(a).
"""
import numpy as np

from rnncore.reference import lstm as ref_lstm
from . import exercise_check
from ._diagnose import (OPEN, SHUT, cell_probes, compare_gradients, probe_message, probe_sizes, sigmoid_test,
                        tracing)

GATES = ("i", "f", "g", "o")
_KEEP = ("with the forget gate open (f = 1, rows H:2H) and the input gate shut (i = 0, rows 0:H), the cell must "
         "keep its content, c_t = c_(t-1): check that f multiplies c_(t-1), i multiplies g, and the gate order "
         "is i, f, g, o")
_WRITE = ("with the input gate open (i = 1) and the forget gate shut (f = 0), c_t must be the candidate "
          "g = tanh(a^g) from rows 2H:3H: check the candidate block and its tanh")
_SHUT_O = "with the output gate shut (o = 0, rows 3H:4H) h_t must be 0: h_t = o * tanh(c_t)"
_OPEN_O = "with the output gate open (o = 1) h_t must be tanh(c_t): h_t = o * tanh(c_t), with the tanh"
_B_HH = "the probes pass with the biases in b_ih but not in b_hh: add b_hh to the pre-activation"
_W_IH = "with W_hh = 0, only the input term x_t @ W_ih.T (batch-first rows) moves the gates: check that term"
_W_HH = "with W_ih = 0, only the recurrent term h_prev @ W_hh.T moves the gates: check that term"
_ALL = "all terms together, random weights"


def lstm_cases():
    """The probe cases of an i, f, g, o cell: (message, gate settings, where the pre-activations come from)."""
    return [(_KEEP, {"i": SHUT, "f": OPEN, "o": OPEN}, "b_ih", ("c_t",)),
            (_WRITE, {"i": OPEN, "f": SHUT, "o": OPEN}, "b_ih", ("c_t",)),
            (_SHUT_O, {"o": SHUT}, "b_ih", ("h_t",)),
            (_OPEN_O, {"o": OPEN}, "b_ih", ("h_t",)),
            (_B_HH, {"i": SHUT, "f": OPEN}, "b_hh"),
            (_W_IH, {}, "W_ih"), (_W_HH, {}, "W_hh"), (_ALL, {}, "all"), (_ALL, {}, "all")]


def _lstm_reference(*args):
    h_t, c_t, _ = ref_lstm.step_forward(*args)
    return h_t, c_t


def _lstm_forward_test(lstm_step_forward):
    """None if ``lstm_step_forward`` agrees with rnncore, else what is wrong (used to trace errors back)."""
    return probe_message(lstm_step_forward, _lstm_reference,
                         cell_probes(np.random.default_rng(5010), lstm_cases(), GATES, n_states=2), ("h_t", "c_t"))


@exercise_check
def check_lstm_step_forward(lstm_step_forward):
    """lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> (h_t, c_t)."""
    probe_sizes(lstm_step_forward, _lstm_reference, np.random.default_rng(501), lstm_cases(), GATES,
                ("h_t", "c_t"), sizes=[(3, 4, 5), (1, 2, 3)], n_states=2)


_BACKWARD_HINTS = {
    "dc_prev": "dc_prev = dc * f, where dc = dc_t + dh_t * o * (1 - tanh(c_t)**2) (both paths into c_t)",
    frozenset({"dx_t", "dh_prev", "dW_ih", "dW_hh", "db"}): "every gradient through da is wrong but dc_prev is "
    "right: look at the gate derivatives in da (the blocks named above)",
    frozenset({"dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db"}): "everything is wrong: start from dc = "
    "dc_t + dh_t * o * (1 - tanh(c_t)**2), the two paths into c_t",
}
KEYS = ("dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db")


@exercise_check
def check_lstm_step_backward(lstm_step_backward):
    """lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> dict."""
    rng = np.random.default_rng(502)
    earlier = {"sigmoid": sigmoid_test, "lstm_step_forward": _lstm_forward_test}
    for B, D, H in [(3, 4, 5), (2, 1, 3)]:
        args = (rng.standard_normal((B, D)), rng.standard_normal((B, H)) * 0.5, rng.standard_normal((B, H)),
                rng.standard_normal((4 * H, D)) * 0.5, rng.standard_normal((4 * H, H)) * 0.5,
                rng.standard_normal(4 * H) * 0.2, rng.standard_normal(4 * H) * 0.2)
        _, _, cache = ref_lstm.step_forward(*args)
        dh_t, dc_t = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        got = lstm_step_backward(dh_t, dc_t, *args)
        assert isinstance(got, dict), f"return a dict with keys {KEYS}"
        exp = dict(zip(KEYS, ref_lstm.step_backward(dh_t, dc_t, cache)[:6]))
        with tracing(lstm_step_backward, earlier):
            compare_gradients(got, exp, KEYS, GATES, _BACKWARD_HINTS, f"B={B}, D={D}, H={H}")


def _cifg_as_lstm(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """rnncore's LSTM step with f = sigmoid(-a^i) = 1 - i: the CIFG cell, blocks i, g, o -> i, f, g, o."""
    H = h_prev.shape[1]

    def expand(a):
        return np.concatenate([a[:H], -a[:H], a[H:]])

    h_t, c_t, _ = ref_lstm.step_forward(x_t, h_prev, c_prev, expand(W_ih), expand(W_hh), expand(b_ih), expand(b_hh))
    return h_t, c_t


def cifg_cases():
    return [("with the input gate shut (i = 0, rows 0:H), f = 1 - i = 1 and the cell must keep its content, "
             "c_t = c_(t-1): check that (1 - i) multiplies c_(t-1) and i multiplies g (block order i, g, o)",
             {"i": SHUT, "o": OPEN}, "b_ih", ("c_t",)),
            ("with the input gate open (i = 1), f = 1 - i = 0 and c_t must be the candidate g = tanh(a^g) from "
             "rows H:2H: check the candidate block (block order i, g, o)", {"i": OPEN, "o": OPEN}, "b_ih", ("c_t",)),
            ("with the output gate shut (o = 0, rows 2H:3H) h_t must be 0: h_t = o * tanh(c_t)", {"o": SHUT}, "b_ih",
             ("h_t",)),
            ("with the output gate open (o = 1) h_t must be tanh(c_t)", {"o": OPEN}, "b_ih", ("h_t",)),
            ("with f = 1 - i (not an independent gate): check c_t = (1 - i) * c_(t-1) + i * g with a partly open "
             "input gate", {"o": OPEN}, "b_ih", ("c_t",)),
            (_B_HH, {"i": SHUT}, "b_hh"), (_W_IH, {}, "W_ih"), (_W_HH, {}, "W_hh"), (_ALL, {}, "all")]


@exercise_check
def check_cifg_step_forward(cifg_step_forward):
    """cifg_step_forward(x_t, h_prev, c_prev, W_ih (3H, D), W_hh (3H, H), b_ih, b_hh) -> (h_t, c_t)."""
    probe_sizes(cifg_step_forward, _cifg_as_lstm, np.random.default_rng(503), cifg_cases(), ("i", "g", "o"),
                ("h_t", "c_t"), sizes=[(3, 4, 5), (2, 3, 2)], n_states=2)
