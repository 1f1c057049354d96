"""Known-wrong answers to notebook 2's exercises: each check must reject them and say where to look.

A wrong answer here is the right one with one deliberate mistake, so the answers repeat
each other line for line except for that mistake: the repetition is the point.
"""
import numpy as np

import rnncore as rc
from _exercises import rejects_each
from rnncore_course.nb02_elman_rnn import check_birnn_forward, check_rnn_step, check_stacked_rnn_forward


def _act(a, nonlinearity):
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)


def step_flipped_recurrent_sign(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    return _act(x_t @ W_ih.T + b_ih - h_prev @ W_hh.T + b_hh, nonlinearity)


def step_transposed_W_hh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    return _act(x_t @ W_ih.T + b_ih + h_prev @ W_hh + b_hh, nonlinearity)


def step_missing_b_hh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    return _act(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T, nonlinearity)


def step_always_tanh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


test_rnn_step_rejects = rejects_each(check_rnn_step, [
    (step_flipped_recurrent_sign, "the recurrent term W_hh h_{t-1}"),
    (step_transposed_W_hh, "the recurrent term W_hh h_{t-1}"),
    (step_missing_b_hh, "the bias b_hh"),
    (step_always_tanh, "the other nonlinearity"),
])


def stacked_every_layer_reads_x(x, layers):
    finals, h_seq = [], None
    for k, (W_ih, W_hh, b_ih, b_hh) in enumerate(layers):
        inp = x if k == 0 else np.ascontiguousarray(x @ np.eye(x.shape[2], W_ih.shape[1]))  # x, padded to H
        h_seq, h_T, _ = rc.rnn_forward(inp, W_ih, W_hh, b_ih, b_hh)
        finals.append(h_T)
    return h_seq, np.stack(finals)


def stacked_layers_reversed_in_h_n(x, layers):
    inp, finals = x, []
    for W_ih, W_hh, b_ih, b_hh in layers:
        inp, h_T, _ = rc.rnn_forward(inp, W_ih, W_hh, b_ih, b_hh)
        finals.append(h_T)
    return inp, np.stack(finals[::-1])


def stacked_returns_first_layer_seq(x, layers):
    inp, finals, seqs = x, [], []
    for W_ih, W_hh, b_ih, b_hh in layers:
        inp, h_T, _ = rc.rnn_forward(inp, W_ih, W_hh, b_ih, b_hh)
        finals.append(h_T)
        seqs.append(inp)
    return seqs[0], np.stack(finals)


def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):      # a wrong earlier answer
    return step_missing_b_hh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity)


def stacked_with_a_wrong_rnn_step(x, layers):
    inp, finals = x, []
    for W_ih, W_hh, b_ih, b_hh in layers:
        h, seq = np.zeros((x.shape[0], W_hh.shape[0])), []
        for t in range(inp.shape[1]):
            h = rnn_step(inp[:, t], h, W_ih, W_hh, b_ih, b_hh)
            seq.append(h)
        inp = np.stack(seq, axis=1)
        finals.append(h)
    return inp, np.stack(finals)


test_stacked_rnn_forward_rejects = rejects_each(check_stacked_rnn_forward, [
    (stacked_every_layer_reads_x, "the final state of layer 1"),
    (stacked_layers_reversed_in_h_n, "reverse layer order"),
    (stacked_returns_first_layer_seq, "h_seq is layer 0's sequence"),
    (stacked_with_a_wrong_rnn_step, "calls your rnn_step, which fails its own check"),
])


def birnn_not_flipped_back(x, fwd, bwd):
    h_f, h_f_T, _ = rc.rnn_forward(x, *fwd)
    h_b, h_b_T, _ = rc.rnn_forward(np.ascontiguousarray(x[:, ::-1]), *bwd)
    return np.concatenate([h_f, h_b], axis=2), np.stack([h_f_T, h_b_T])


def birnn_backward_reads_forward_order(x, fwd, bwd):
    h_f, h_f_T, _ = rc.rnn_forward(x, *fwd)
    h_b, h_b_T, _ = rc.rnn_forward(x, *bwd)
    return np.concatenate([h_f, h_b], axis=2), np.stack([h_f_T, h_b_T])


def birnn_h_n_swapped(x, fwd, bwd):
    h_f, h_f_T, _ = rc.rnn_forward(x, *fwd)
    h_b, h_b_T, _ = rc.rnn_forward(np.ascontiguousarray(x[:, ::-1]), *bwd)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2), np.stack([h_b_T, h_f_T])


test_birnn_forward_rejects = rejects_each(check_birnn_forward, [
    (birnn_not_flipped_back, "reversed time order"),
    (birnn_backward_reads_forward_order, "run it on x[:, ::-1]"),
    (birnn_h_n_swapped, "directions swapped"),
])
