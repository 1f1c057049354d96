"""The notebook-6 checks reject known-wrong answers and say where to look (which gate, which term).

Each wrong answer is a right one with one classic slip; answers are compiled in a namespace of their own,
so that the ``sigmoid`` (or the forward step) they call can be a wrong one.
"""
import numpy as np
import pytest

from rnncore.reference import gru as ref_gru
from rnncore_course import ExerciseFailed
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


def src(template=FORWARD, **slip):
    return template.format(**{**RIGHT, **slip})


def test_forward_check_passes_right_answers():
    nb.check_gru_step_forward(lambda *a: ref_gru.step_forward(*a)[0])
    nb.check_gru_step_forward(make(src(), "gru_step_forward"))


@pytest.mark.parametrize("slip, where", [
    (dict(R="H:2 * H", Z=":H"), "update gate open"),                # r and z swapped
    (dict(MIX="z * n + (1 - z) * h_prev"), "update gate open"),     # flipped interpolation
    (dict(RESET="gh[:, 2 * H:]"), r"reset gate shut"),              # reset gate missing
    (dict(B_HH="0.0"), "b_hh"),                                     # recurrent bias missing
])
def test_forward_check_names_the_gate(slip, where):
    with pytest.raises(ExerciseFailed, match=where):
        nb.check_gru_step_forward(make(src(**slip), "gru_step_forward"))


CHO = """
def cho_gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih
    r = sigmoid(gi[:, :H] + h_prev @ W_hh[:H].T + b_hh[:H])
    z = sigmoid(gi[:, H:2 * H] + h_prev @ W_hh[H:2 * H].T + b_hh[H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + {CAND})
    return (1 - z) * n + z * h_prev
"""


def test_cho_check_passes_a_right_answer():
    nb.check_cho_gru_step_forward(make(CHO.format(CAND="(r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:]"),
                                       "cho_gru_step_forward"))


@pytest.mark.parametrize("cand, where", [
    ("r * (h_prev @ W_hh[2 * H:].T + b_hh[2 * H:])", "PyTorch's GRU"),     # PyTorch's placement
    ("(r * h_prev) @ W_hh[2 * H:].T", r"W_hn h_\(t-1\) \+ b_hn\)"),           # b_hn dropped (missing term)
    ("h_prev @ W_hh[2 * H:].T + b_hh[2 * H:]", r"reset gate shut"),        # reset gate forgotten
])
def test_cho_check_names_the_term(cand, where):
    with pytest.raises(ExerciseFailed, match=where):
        nb.check_cho_gru_step_forward(make(CHO.format(CAND=cand), "cho_gru_step_forward"))


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


def bw(**slip):
    return BACKWARD.format(**{**RIGHT_BW, **slip})


def test_backward_check_passes_a_right_answer():
    nb.check_gru_step_backward(make(bw(), "gru_step_backward"))


@pytest.mark.parametrize("slip, where", [
    (dict(DIRECT=""), "gradient highway"),                              # missing direct term
    (dict(DZ="n - h_prev"), r"dW_ih \(gate block z\)"),                 # flipped sign of dz
    (dict(R_N=""), r"da_n \* r"),                                       # reset factor missing in dg_h
])
def test_backward_check_names_the_term(slip, where):
    with pytest.raises(ExerciseFailed, match=where):
        nb.check_gru_step_backward(make(bw(**slip), "gru_step_backward"))


def test_backward_check_traces_a_wrong_forward():
    wrong_forward = make(src(R="H:2 * H", Z=":H"), "gru_step_forward")
    # this answer gets n back from its own (wrong) forward step
    answer = make(bw(CHECK_FORWARD="h_t = gru_step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh); "
                     "n = (h_t - z * h_prev) / (1 - z)"), "gru_step_backward", gru_step_forward=wrong_forward)
    with pytest.raises(ExerciseFailed, match=r"earlier function.*gru_step_forward \(h_t wrong: with the update gate"):
        nb.check_gru_step_backward(answer)
