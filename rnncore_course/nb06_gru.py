"""Checks for ``solutions/06_gru_exercises.ipynb``.

Each check calls the learner's function and compares it with rnncore's NumPy reference GRU (PyTorch gate
order r, z, n), first on *probe* inputs that isolate one gate or term (gates driven fully open or shut),
so that a failure names the gate to look at, then on random inputs. Cho's original placement of the reset
gate is checked against rnncore's GRU too: Cho's candidate is PyTorch's candidate evaluated at r * h_(t-1)
with the reset gate held open.
"""
import numpy as np

from rnncore.reference import gru as ref_gru
from . import exercise_check
from ._diagnose import (OPEN, SHUT, cell_probes, compare_gradients, probe, probe_message, probe_sizes, sigmoid_test,
                        tracing)

GATES = ("r", "z", "n")
_KEEP = ("with the update gate open (z = 1, rows H:2H) h_t must equal h_(t-1): h_t = (1 - z) * n + z * h_(t-1); "
         "check z's rows and which term z multiplies")
_WRITE_OPEN = ("with z = 0 and the reset gate open (r = 1), h_t must be the candidate n = tanh(W_in x_t + b_in + "
               "W_hn h_(t-1) + b_hn): check the candidate block (rows 2H:3H) and its tanh")
_B_HH = "the probes pass with the biases in b_ih but not in b_hh: add b_hh to the pre-activations"
_W_IH = "with W_hh = 0, only the input term x_t @ W_ih.T (batch-first rows) moves the gates: check that term"
_W_HH = "with W_ih = 0, only the recurrent term h_prev @ W_hh.T moves the gates: check that term"
_ALL = "all terms together, random weights"


def gru_cases(reset_shut_message):
    return [(_KEEP, {"z": OPEN}, "all"),
            (_B_HH, {"z": OPEN}, "b_hh"),
            (_WRITE_OPEN, {"z": SHUT, "r": OPEN}, "all"),
            (reset_shut_message, {"z": SHUT, "r": SHUT}, "all"),
            (_W_IH, {}, "W_ih"), (_W_HH, {}, "W_hh"), (_ALL, {}, "all"), (_ALL, {}, "all")]


_RESET_PYTORCH = ("with z = 0 and the reset gate shut (r = 0, rows 0:H), PyTorch's candidate is n = tanh(W_in x_t + "
                  "b_in): r multiplies the whole recurrent term, r * (W_hn h_(t-1) + b_hn)")
_RESET_CHO = ("with z = 0 and the reset gate shut (r = 0, rows 0:H), Cho's candidate is n = tanh(W_in x_t + b_in + "
              "W_hn (r * h_(t-1)) + b_hn) = tanh(W_in x_t + b_in + b_hn): r multiplies h_(t-1) before W_hn, and "
              "b_hn is not reset")


def _gru_reference(*args):
    return ref_gru.step_forward(*args)[0]


def _gru_forward_test(gru_step_forward):
    """None if ``gru_step_forward`` agrees with rnncore, else what is wrong (used to trace errors back)."""
    return probe_message(gru_step_forward, _gru_reference,
                         cell_probes(np.random.default_rng(6010), gru_cases(_RESET_PYTORCH), GATES), ("h_t",))


@exercise_check
def check_gru_step_forward(gru_step_forward):
    """gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t (PyTorch's GRU)."""
    probe_sizes(gru_step_forward, _gru_reference, np.random.default_rng(601), gru_cases(_RESET_PYTORCH), GATES,
                ("h_t",), sizes=[(3, 4, 5), (1, 2, 3)])


def _cho_reference(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """Cho's GRU from rnncore's: r and z as PyTorch's; n = PyTorch's candidate at r * h_(t-1), reset held open."""
    H = h_prev.shape[1]
    _, cache = ref_gru.step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    r, z = cache[2], cache[3]
    held = b_ih.copy()
    held[:H], held[H:2 * H] = OPEN, SHUT               # r = 1, z = 0: the step returns its candidate n
    n, _ = ref_gru.step_forward(x_t, r * h_prev, W_ih, W_hh, held, b_hh)
    return (1 - z) * n + z * h_prev


@exercise_check
def check_cho_gru_step_forward(cho_gru_step_forward):
    """cho_gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t, reset before W_hn."""
    rng = np.random.default_rng(602)
    for B, D, H in [(3, 4, 5), (2, 3, 2)]:
        cases = cell_probes(rng, gru_cases(_RESET_CHO), GATES, B=B, D=D, H=H)
        args = cases[-1][1]
        got = cho_gru_step_forward(*args)
        if np.shape(got) == (B, H) and np.allclose(got, _gru_reference(*args)):
            raise AssertionError("this is PyTorch's GRU (r * (W_hn h + b_hn)); Cho's puts r on h: W_hn (r * h)")
        with tracing(cho_gru_step_forward, {"sigmoid": sigmoid_test}, f"B={B}, D={D}, H={H}"):
            probe(cho_gru_step_forward, _cho_reference, cases, ("h_t",))


KEYS = ("dx_t", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")
_HINTS = {
    "dh_prev": "only dh_prev is wrong: it has two parts, the direct path dh_t * z (the gradient highway) and "
               "dg_h @ W_hh",
    frozenset({"dh_prev", "dW_hh", "db_hh"}): "only the recurrent-side gradients are wrong: dg_h differs from dg_i "
               "in the n block, which is da_n * r (the reset gate multiplies W_hn h + b_hn)",
}


@exercise_check
def check_gru_step_backward(gru_step_backward):
    """gru_step_backward(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh) -> dict of gradients."""
    rng = np.random.default_rng(603)
    earlier = {"sigmoid": sigmoid_test, "gru_step_forward": _gru_forward_test}
    for B, D, H in [(3, 4, 5), (2, 1, 3)]:
        args = (rng.standard_normal((B, D)), rng.standard_normal((B, H)) * 0.5,
                rng.standard_normal((3 * H, D)) * 0.5, rng.standard_normal((3 * H, H)) * 0.5,
                rng.standard_normal(3 * H) * 0.2, rng.standard_normal(3 * H) * 0.2)
        _, cache = ref_gru.step_forward(*args)
        dh_t = rng.standard_normal((B, H))
        got = gru_step_backward(dh_t, *args)
        assert isinstance(got, dict), f"return a dict with keys {KEYS}"
        exp = dict(zip(KEYS, ref_gru.step_backward(dh_t, cache)))
        with tracing(gru_step_backward, earlier):
            compare_gradients(got, exp, KEYS, GATES, _HINTS, f"B={B}, D={D}, H={H}")
