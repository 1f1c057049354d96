"""Peephole LSTM, Numba CPU kernels (equations in rnncore.reference.peephole).

Same layout as :mod:`rnncore.cpu.lstm`; the gates i and f also see c_{t-1},
o sees c_t, through the diagonal weights w_peep = (w_ci, w_cf, w_co).
"""
import numpy as np
from numba import njit

from ._common import input_projection, to_batch_major, to_time_major, weight_grads
from ._math import JIT, dsigmoid, dtanh, sigmoid, tanh


@njit(**JIT)
def _forward_kernel(gates, W_hhT, w_peep, h0, c0, c_seq, h_seq):
    """gates (T, B, 4H): input projections on entry, activated i, f, g, o on exit."""
    T, B, G = gates.shape
    H = G // 4
    w_ci, w_cf, w_co = w_peep[0], w_peep[1], w_peep[2]
    rec = np.empty((B, G), dtype=gates.dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        np.dot(h_prev, W_hhT, rec)
        a_t, c_t, h_t = gates[t], c_seq[t], h_seq[t]
        for b in range(B):
            ab, rb, cp, cb, hb = a_t[b], rec[b], c_prev[b], c_t[b], h_t[b]
            for k in range(G):
                ab[k] += rb[k]
            for j in range(H):
                i = sigmoid(ab[j] + w_ci[j] * cp[j])
                f = sigmoid(ab[H + j] + w_cf[j] * cp[j])
                g = tanh(ab[2 * H + j])
                c = f * cp[j] + i * g
                o = sigmoid(ab[3 * H + j] + w_co[j] * c)
                ab[j], ab[H + j], ab[2 * H + j], ab[3 * H + j] = i, f, g, o
                cb[j] = c
                hb[j] = o * tanh(c)
        h_prev, c_prev = h_t, c_t


@njit(**JIT)
def _backward_kernel(dh_seq, gates, c_seq, c0, W_hh, w_peep, dh_T, dc_T, dA, dw_peep):
    """Reverse sweep: fills dA (T, B, 4H), accumulates dw_peep (3, H); returns dh0, dc0."""
    T, B, G = gates.shape
    H = G // 4
    w_ci, w_cf, w_co = w_peep[0], w_peep[1], w_peep[2]
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
                da_o = dh * tc * dsigmoid(o)
                dcj = dcb[j] + dh * o * dtanh(tc) + da_o * w_co[j]
                da_i = dcj * g * dsigmoid(i)
                da_f = dcj * cpb[j] * dsigmoid(f)
                db[j] = da_i
                db[H + j] = da_f
                db[2 * H + j] = dcj * i * dtanh(g)
                db[3 * H + j] = da_o
                dcb[j] = dcj * f + da_i * w_ci[j] + da_f * w_cf[j]
                dw_peep[0, j] += da_i * cpb[j]
                dw_peep[1, j] += da_f * cpb[j]
                dw_peep[2, j] += da_o * cb[j]
        dh_next = np.dot(dA[t], W_hh)
    return dh_next, dc


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``."""
    B, T, _ = x.shape
    H = h0.shape[1]
    x_tm = to_time_major(x)
    gates = input_projection(x_tm, np.ascontiguousarray(W_ih.T), b_ih + b_hh)
    c_seq = np.empty((T, B, H), dtype=x.dtype)
    h_seq = np.empty((T, B, H), dtype=x.dtype)
    _forward_kernel(gates, np.ascontiguousarray(W_hh.T), w_peep, h0, c0, c_seq, h_seq)
    data = (x_tm, W_ih, W_hh, w_peep, h0, c0, gates, c_seq, h_seq)
    return to_batch_major(h_seq), h_seq[-1].copy(), c_seq[-1].copy(), data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dw_peep."""
    x_tm, W_ih, W_hh, w_peep, h0, c0, gates, c_seq, h_seq = data
    dA = np.empty_like(gates)
    dw_peep = np.zeros_like(w_peep)
    dh0, dc0 = _backward_kernel(to_time_major(dh_seq), gates, c_seq, c0, W_hh, w_peep, dh_T, dc_T, dA, dw_peep)
    dx, dW_ih, dW_hh, db_ih, db_hh = weight_grads(dA, x_tm, h0, h_seq, W_ih)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db_ih,
            "db_hh": db_hh, "dw_peep": dw_peep}
