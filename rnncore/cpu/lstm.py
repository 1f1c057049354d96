"""LSTM, Numba CPU kernels (gate order i, f, g, o; equations in rnncore.reference.lstm).

Forward keeps the activated gates (T, B, 4H) and the cell states; backward
walks the steps in reverse computing only what needs the recurrence (the gate
pre-activation gradients dA_t and dh_{t-1} = dA_t W_hh), and leaves the
parameter and input gradients to one large GEMM each afterwards.
"""
import numpy as np
from numba import njit

from ._common import input_projection, to_batch_major, to_time_major, weight_grads
from ._math import JIT, dsigmoid, dtanh, sigmoid, tanh


@njit(**JIT)
def _forward_kernel(gates, W_hhT, h0, c0, c_seq, h_seq):
    """Recurrence. gates (T, B, 4H) holds the input projections (both biases added)
    on entry and the activated gates i, f, g, o on exit; W_hhT is (H, 4H).

    Fills c_seq and h_seq (T, B, H). Working in place saves a (T, B, 4H)
    buffer: the recurrence is bound by memory traffic as much as by FLOPs.
    """
    T, B, G = gates.shape
    H = G // 4
    rec = np.empty((B, G), dtype=gates.dtype)   # h_{t-1} W_hh^T, reused every step
    h_prev, c_prev = h0, c0
    for t in range(T):
        np.dot(h_prev, W_hhT, rec)
        a_t, c_t, h_t = gates[t], c_seq[t], h_seq[t]
        for b in range(B):
            ab, rb = a_t[b], rec[b]
            # separate simple loops over contiguous memory: each one vectorises
            for k in range(G):
                ab[k] += rb[k]
            for k in range(2 * H):               # i and f
                ab[k] = sigmoid(ab[k])
            for k in range(2 * H, 3 * H):        # g
                ab[k] = tanh(ab[k])
            for k in range(3 * H, G):            # o
                ab[k] = sigmoid(ab[k])
            cp, cb, hb = c_prev[b], c_t[b], h_t[b]
            for j in range(H):
                cb[j] = ab[H + j] * cp[j] + ab[j] * ab[2 * H + j]
                hb[j] = ab[3 * H + j] * tanh(cb[j])
        h_prev, c_prev = h_t, c_t


@njit(**JIT)
def _backward_kernel(dh_seq, gates, c_seq, c0, W_hh, dh_T, dc_T, dA):
    """Reverse sweep. dh_seq (T, B, H); fills dA (T, B, 4H) = dL/d(pre-activations).

    Returns dh0 and dc0, each (B, H).
    """
    T, B, G = gates.shape
    H = G // 4
    dh_next = dh_T.copy()
    dc = dc_T.copy()
    for t in range(T - 1, -1, -1):
        c_prev = c_seq[t - 1] if t > 0 else c0
        for b in range(B):
            gb, db, cb, cpb = gates[t, b], dA[t, b], c_seq[t, b], c_prev[b]
            dhb, dnb, dcb = dh_seq[t, b], dh_next[b], dc[b]
            for j in range(H):
                i, f, g, o = gb[j], gb[H + j], gb[2 * H + j], gb[3 * H + j]
                tc = tanh(cb[j])
                dh = dhb[j] + dnb[j]
                dcj = dcb[j] + dh * o * dtanh(tc)
                db[j] = dcj * g * dsigmoid(i)
                db[H + j] = dcj * cpb[j] * dsigmoid(f)
                db[2 * H + j] = dcj * i * dtanh(g)
                db[3 * H + j] = dh * tc * dsigmoid(o)
                dcb[j] = dcj * f
        dh_next = np.dot(dA[t], W_hh)
    return dh_next, dc


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``."""
    B, T, _ = x.shape
    H = h0.shape[1]
    x_tm = to_time_major(x)
    gates = input_projection(x_tm, np.ascontiguousarray(W_ih.T), b_ih + b_hh)
    c_seq = np.empty((T, B, H), dtype=x.dtype)
    h_seq = np.empty((T, B, H), dtype=x.dtype)
    _forward_kernel(gates, np.ascontiguousarray(W_hh.T), h0, c0, c_seq, h_seq)
    data = (x_tm, W_ih, W_hh, h0, c0, gates, c_seq, h_seq)
    return to_batch_major(h_seq), h_seq[-1].copy(), c_seq[-1].copy(), data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, W_ih, W_hh, h0, c0, gates, c_seq, h_seq = data
    dA = np.empty_like(gates)
    dh0, dc0 = _backward_kernel(to_time_major(dh_seq), gates, c_seq, c0, W_hh, dh_T, dc_T, dA)
    dx, dW_ih, dW_hh, db_ih, db_hh = weight_grads(dA, x_tm, h0, h_seq, W_ih)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db_ih, "db_hh": db_hh}
