"""Known-wrong answers to notebook 3's exercises: each check must reject them and say where to look.

A wrong answer here is the right one with one deliberate mistake, so the answers repeat
each other line for line except for that mistake: the repetition is the point.
"""
import numpy as np

import rnncore as rc
from _exercises import rejects_each
from rnncore_course.nb03_backprop_through_time import (check_relu_rnn_backward, check_relu_step_backward,
                                                       check_tbptt_gradients)


def _right_step(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t * (h_t > 0)
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def step_no_relu_derivative(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def step_mask_of_h_prev(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    da = dh_t * (h_prev > 0)
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def step_transposed_W_hh(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    dx, _, dW_ih, dW_hh, db = _right_step(dh_t, x_t, h_prev, h_t, W_ih, W_hh)
    return dx, (dh_t * (h_t > 0)) @ W_hh.T, dW_ih, dW_hh, db


def step_dW_hh_with_h_t(dh_t, x_t, h_prev, h_t, W_ih, W_hh):
    dx, dh_prev, dW_ih, _, db = _right_step(dh_t, x_t, h_prev, h_t, W_ih, W_hh)
    return dx, dh_prev, dW_ih, (dh_t * (h_t > 0)).T @ h_t, db


test_relu_step_backward_rejects = rejects_each(check_relu_step_backward, [
    (step_no_relu_derivative, "missing the ReLU derivative"),
    (step_mask_of_h_prev, "mask of h_prev"),
    (step_transposed_W_hh, "dh_prev (da is right; look at dh_prev = da @ W_hh"),
    (step_dW_hh_with_h_t, "dW_hh (da is right; look at dW_hh = da.T @ h_prev"),
])


def _loop(step, dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh, carry=True, add_dh_T=True, h_prev_index=-1):
    B, T, D = x.shape
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = dh_T if add_dh_T else np.zeros_like(dh_T)
    for t in reversed(range(T)):
        h_prev = h0 if t + h_prev_index < 0 else h_seq[:, t + h_prev_index]
        dh = dh_seq[:, t] + (dh_next if carry or t == T - 1 else 0)
        dx[:, t], dh_next, dW_ih_t, dW_hh_t, db_t = step(dh, x[:, t], h_prev, h_seq[:, t], W_ih, W_hh)
        dW_ih += dW_ih_t
        dW_hh += dW_hh_t
        db += db_t
    return {"dx": dx, "dh0": dh_next, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy()}


def rnn_backward_drops_dh_next(*args):
    return _loop(_right_step, *args, carry=False)


def rnn_backward_forgets_dh_T(*args):
    return _loop(_right_step, *args, add_dh_T=False)


def rnn_backward_h_prev_off_by_one(*args):
    return _loop(_right_step, *args, h_prev_index=0)      # h_t where h_{t-1} belongs


def relu_step_backward(*args):                            # a wrong earlier answer, called by the next one
    return step_no_relu_derivative(*args)


def rnn_backward_with_a_wrong_step(dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh):
    return _loop(relu_step_backward, dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh)


test_relu_rnn_backward_rejects = rejects_each(check_relu_rnn_backward, [
    (rnn_backward_drops_dh_next, "plus the dh_prev that step"),
    (rnn_backward_forgets_dh_T, "(the last step) is wrong"),
    (rnn_backward_h_prev_off_by_one, "dW_hh (B=2, T=6; dW_hh uses h_{t-1}"),
    (rnn_backward_with_a_wrong_step, "calls your relu_step_backward, which fails its own check"),
])


def _chunks(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k, carry_state=True, stop_gradient=True, last=True):
    B, T, _ = x.shape
    total = {"dW_ih": 0, "dW_hh": 0, "db_ih": 0, "db_hh": 0}
    if not stop_gradient:
        _, _, cache = rc.rnn_forward(x, W_ih, W_hh, b_ih, b_hh)
        return {key: g for key, g in rc.rnn_backward(dh_seq, cache).items() if key in total}
    h = np.zeros((B, W_hh.shape[0]))
    for s in range(0, T if last else T - k + 1, k):
        _, h_end, cache = rc.rnn_forward(x[:, s:s + k], W_ih, W_hh, b_ih, b_hh, h if carry_state else None)
        h = h_end
        g = rc.rnn_backward(dh_seq[:, s:s + k], cache)
        for key in total:
            total[key] = total[key] + g[key]
    return total


def tbptt_full_bptt(*args):
    return _chunks(*args, stop_gradient=False)


def tbptt_state_not_carried(*args):
    return _chunks(*args, carry_state=False)


def tbptt_drops_the_short_last_chunk(*args):
    return _chunks(*args, last=False)


test_tbptt_gradients_rejects = rejects_each(check_tbptt_gradients, [
    (tbptt_full_bptt, "this is full BPTT"),
    (tbptt_state_not_carried, "carry the hidden state forward"),
    (tbptt_drops_the_short_last_chunk, "with k=3"),
])
