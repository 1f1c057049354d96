"""Elman RNN, Numba CPU kernels (equations in rnncore.reference.rnn)."""
import numpy as np
from numba import njit

from ._common import input_projection, to_batch_major, to_time_major, weight_grads
from ._math import JIT, drelu, dtanh, relu, tanh


@njit(**JIT)
def _forward_kernel(h_seq, W_hhT, h0, use_tanh):
    """h_seq (T, B, H) holds the input projections on entry and h_t on exit."""
    T, B, H = h_seq.shape
    rec = np.empty((B, H), dtype=h_seq.dtype)
    h_prev = h0
    for t in range(T):
        np.dot(h_prev, W_hhT, rec)
        a = h_seq[t].ravel()
        r = rec.ravel()
        if use_tanh:                    # the branch sits outside the loop, which stays vectorisable
            for k in range(B * H):
                a[k] = tanh(a[k] + r[k])
        else:
            for k in range(B * H):
                a[k] = relu(a[k] + r[k])
        h_prev = h_seq[t]


@njit(**JIT)
def _backward_kernel(dh_seq, h_seq, W_hh, dh_T, dA, use_tanh):
    """Reverse sweep. Fills dA (T, B, H) = dL/da_t; returns dh0 (B, H)."""
    T, B, H = h_seq.shape
    dh_next = dh_T.copy()
    for t in range(T - 1, -1, -1):
        h = h_seq[t].ravel()
        dy = dh_seq[t].ravel()
        dn = dh_next.ravel()
        da = dA[t].ravel()
        if use_tanh:
            for k in range(B * H):
                da[k] = (dy[k] + dn[k]) * dtanh(h[k])
        else:
            for k in range(B * H):
                da[k] = (dy[k] + dn[k]) * drelu(h[k])
        dh_next = np.dot(dA[t], W_hh)
    return dh_next


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh"):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    x_tm = to_time_major(x)
    h_seq = input_projection(x_tm, np.ascontiguousarray(W_ih.T), b_ih + b_hh)
    use_tanh = nonlinearity == "tanh"
    _forward_kernel(h_seq, np.ascontiguousarray(W_hh.T), h0, use_tanh)
    return to_batch_major(h_seq), h_seq[-1].copy(), (x_tm, W_ih, W_hh, h0, h_seq, use_tanh)


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, W_ih, W_hh, h0, h_seq, use_tanh = data
    dA = np.empty_like(h_seq)
    dh0 = _backward_kernel(to_time_major(dh_seq), h_seq, W_hh, dh_T, dA, use_tanh)
    dx, dW_ih, dW_hh, db_ih, db_hh = weight_grads(dA, x_tm, h0, h_seq, W_ih)
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db_ih, "db_hh": db_hh}
