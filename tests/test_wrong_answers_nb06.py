"""The notebook-6 checks reject known-wrong answers and say where to look (which gate, which term).

Each wrong answer is a right one with one classic slip; answers are compiled in a namespace of their own,
so that the ``sigmoid`` (or the forward step) they call can be a wrong one.
"""
import numpy as np

from _exercises import assert_accepts, assert_rejects_matching, rejects_each
from rnncore.reference import gru as ref_gru
from rnncore_course import nb06_gru as nb


def good_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def make(src, name, sigmoid=good_sigmoid, **more):
    ns = {"np": np, "sigmoid": sigmoid, **more}
    exec(src, ns)
    return ns[name]


FORWARD = """
def gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih
    gh = h_prev @ W_hh.T + {B_HH}
    r = sigmoid(gi[:, {R}] + gh[:, {R}])
    z = sigmoid(gi[:, {Z}] + gh[:, {Z}])
    n = np.tanh(gi[:, 2 * H:] + {RESET})
    return {MIX}
"""
RIGHT = dict(B_HH="b_hh", R=":H", Z="H:2 * H", RESET="r * gh[:, 2 * H:]", MIX="(1 - z) * n + z * h_prev")


def forward(**slip):
    return make(FORWARD.format(**{**RIGHT, **slip}), "gru_step_forward")


def test_forward_check_passes_right_answers():
    assert_accepts(nb.check_gru_step_forward, lambda *a: ref_gru.step_forward(*a)[0], forward())


test_forward_check_names_the_gate = rejects_each(nb.check_gru_step_forward, [
    (forward(R="H:2 * H", Z=":H"), "update gate open"),             # r and z swapped
    (forward(MIX="z * n + (1 - z) * h_prev"), "update gate open"),  # flipped interpolation
    (forward(RESET="gh[:, 2 * H:]"), r"reset gate shut"),           # reset gate missing
    (forward(B_HH="0.0"), "b_hh"),                                  # recurrent bias missing
], regex=True)


CHO = """
def cho_gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih
    r = sigmoid(gi[:, :H] + h_prev @ W_hh[:H].T + b_hh[:H])
    z = sigmoid(gi[:, H:2 * H] + h_prev @ W_hh[H:2 * H].T + b_hh[H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + {CAND})
    return (1 - z) * n + z * h_prev
"""


def cho(cand="(r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]"):
    return make(CHO.format(CAND=cand), "cho_gru_step_forward")


def test_cho_check_passes_a_right_answer():
    assert_accepts(nb.check_cho_gru_step_forward, cho())


test_cho_check_names_the_term = rejects_each(nb.check_cho_gru_step_forward, [
    (cho("r * (h_prev @ W_hh[2 * H:].T + b_hh[2 * H:])"), "PyTorch's GRU"),  # PyTorch's placement
    (cho("(r * h_prev) @ W_hh[2 * H:].T"), r"W_hn h_\(t-1\) \+ b_hn\)"),     # b_hn dropped (missing term)
    (cho("h_prev @ W_hh[2 * H:].T + b_hh[2 * H:]"), r"reset gate shut"),     # reset gate forgotten
], regex=True)


BACKWARD = """
def gru_step_backward(dh_t, x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih
    gh = h_prev @ W_hh.T + b_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]
    n = np.tanh(gi[:, 2 * H:] + r * hn)
    {CHECK_FORWARD}
    da_n = dh_t * (1 - z) * (1 - n ** 2)
    da_r = da_n * hn * r * (1 - r)
    da_z = dh_t * ({DZ}) * z * (1 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n {R_N}], axis=1)
    return {{"dx_t": dgi @ W_ih, "dh_prev": {DIRECT}dgh @ W_hh, "dW_ih": dgi.T @ x_t,
            "dW_hh": dgh.T @ h_prev, "db_ih": dgi.sum(axis=0), "db_hh": dgh.sum(axis=0)}}
"""
RIGHT_BW = dict(CHECK_FORWARD="", DZ="h_prev - n", R_N="* r", DIRECT="dh_t * z + ")


def backward(**slip):
    return make(BACKWARD.format(**{**RIGHT_BW, **slip}), "gru_step_backward")


def test_backward_check_passes_a_right_answer():
    assert_accepts(nb.check_gru_step_backward, backward())


test_backward_check_names_the_term = rejects_each(nb.check_gru_step_backward, [
    (backward(DIRECT=""), "gradient highway"),               # missing direct term
    (backward(DZ="n - h_prev"), r"dW_ih \(gate block z\)"),  # flipped sign of dz
    (backward(R_N=""), r"da_n \* r"),                        # reset factor missing in dg_h
], regex=True)


def test_backward_check_traces_a_wrong_forward():
    # this answer gets n back from its own (wrong) forward step
    own_forward = ("h_t = gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh); "
                   "n = (h_t - z * h_prev) / (1 - z)")
    answer = make(BACKWARD.format(**{**RIGHT_BW, "CHECK_FORWARD": own_forward}), "gru_step_backward",
                  gru_step_forward=forward(R="H:2 * H", Z=":H"))
    assert_rejects_matching(nb.check_gru_step_backward, answer,
                            r"earlier function.*gru_step_forward \(h_t wrong: with the update gate")
