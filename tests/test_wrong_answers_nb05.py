"""The notebook-5 checks reject known-wrong answers and say where to look (which gate, which term).

Each wrong answer is the right one with a single classic slip: a swapped gate, a missing term, a flipped
sign, a wrong time index. The check must raise ExerciseFailed, and its message must name the place.
Answers are compiled in a namespace of their own, so that the ``sigmoid`` they call can be a wrong one.
"""
import numpy as np

from _exercises import assert_accepts, assert_rejects_matching, rejects_each
from rnncore.reference import lstm as ref_lstm
from rnncore_course import nb05_lstm as nb


def good_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def bad_sigmoid(a):                       # flipped sign
    return 1.0 / (1.0 + np.exp(a))


def make(src, name, sigmoid=good_sigmoid, **more):
    ns = {"np": np, "sigmoid": sigmoid, **more}
    exec(src, ns)
    return ns[name]


FORWARD = """
def lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + {B_HH}
    i, f, o = sigmoid(a[:, {I}]), sigmoid(a[:, {F}]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_t = f * c_prev + i * g
    return o * {TANH_C}, c_t
"""
RIGHT = dict(B_HH="b_hh", I=":H", F="H:2 * H", TANH_C="np.tanh(c_t)")


def forward(sigmoid=good_sigmoid, **slip):
    return make(FORWARD.format(**{**RIGHT, **slip}), "lstm_step_forward", sigmoid)


def test_forward_check_passes_the_reference():
    assert_accepts(nb.check_lstm_step_forward, lambda *a: ref_lstm.step_forward(*a)[:2], forward())


test_forward_check_names_the_gate = rejects_each(nb.check_lstm_step_forward, [
    (forward(I="H:2 * H", F=":H"), "forget gate open"),  # i and f swapped
    (forward(TANH_C="c_t"), "output gate open"),         # h_t = o * c_t, tanh missing
    (forward(B_HH="0.0"), "b_hh"),                       # recurrent bias missing
], regex=True)


def test_forward_check_traces_a_wrong_sigmoid():
    assert_rejects_matching(nb.check_lstm_step_forward, forward(sigmoid=bad_sigmoid), r"earlier function.*sigmoid")


BACKWARD = """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    {FORWARD}
    tanh_c = np.tanh(c_t)
    do = dh_t * tanh_c
    dc = {DC_T} + dh_t * o * (1 - tanh_c ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * {C_PREV} * f * (1 - f),
                         dc * i * (1 {SIGN} g ** 2), do * o * (1 - o)], axis=1)
    return {{"dx_t": da @ W_ih, "dh_prev": da @ W_hh, "dc_prev": dc * f,
            "dW_ih": {DW_IH}, "dW_hh": da.T @ h_prev, "db": da.sum(axis=0)}}
"""
OWN_FORWARD = """a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_t = f * c_prev + i * g"""
CALLS_FORWARD = """h_t, c_t = lstm_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])"""
RIGHT_BW = dict(FORWARD=OWN_FORWARD, DC_T="dc_t", C_PREV="c_prev", SIGN="-", DW_IH="da.T @ x_t")


def backward(**slip):
    return make(BACKWARD.format(**{**RIGHT_BW, **slip}), "lstm_step_backward")


def test_backward_check_passes_a_right_answer():
    assert_accepts(nb.check_lstm_step_backward, backward())


test_backward_check_names_the_term = rejects_each(nb.check_lstm_step_backward, [
    (backward(DC_T="0.0"), r"dc = dc_t \+"),              # missing term: the gradient from step t+1
    (backward(C_PREV="c_t"), r"dW_ih \(gate block f\)"),  # wrong time index: df uses c_t
    (backward(SIGN="+"), r"dW_ih \(gate block g\)"),      # flipped sign in tanh'
    (backward(DW_IH="x_t.T @ da"), "transpose"),          # transposed weight gradient
], regex=True)


def test_backward_check_traces_a_wrong_forward():
    answer = make(BACKWARD.format(**{**RIGHT_BW, "FORWARD": CALLS_FORWARD}), "lstm_step_backward",
                  lstm_step_forward=forward(I="H:2 * H", F=":H"))
    assert_rejects_matching(nb.check_lstm_step_backward, answer, r"earlier function.*lstm_step_forward \(c_t wrong")


CIFG = """
def cifg_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, g, o = sigmoid(a[:, :H]), np.tanh(a[:, {G}]), sigmoid(a[:, {O}])
    c_t = {F} * c_prev + i * g
    return o * np.tanh(c_t), c_t
"""
RIGHT_CIFG = dict(G="H:2 * H", O="2 * H:", F="(1 - i)")


def cifg(**slip):
    return make(CIFG.format(**{**RIGHT_CIFG, **slip}), "cifg_step_forward")


def test_cifg_check_passes_a_right_answer():
    assert_accepts(nb.check_cifg_step_forward, cifg())


test_cifg_check_names_the_gate = rejects_each(nb.check_cifg_step_forward, [
    (cifg(F="i"), "input gate shut"),                    # f = i instead of 1 - i (sign of the coupling)
    (cifg(F="1"), r"f = 1 - i"),                         # forget term dropped: f = 1
    (cifg(G="2 * H:", O="H:2 * H"), "input gate open"),  # g and o blocks swapped
], regex=True)
