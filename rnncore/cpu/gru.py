"""GRU, Numba CPU kernels (gate order r, z, n; equations in rnncore.reference.gru).

b_hr and b_hz simply add to the input projection, but b_hn sits inside the
reset gate's product r * (W_hn h + b_hn), so it stays with the recurrent part.
"""
import numpy as np
from numba import njit

from ._common import input_projection, to_batch_major, to_time_major, weight_grads
from ._math import JIT, dsigmoid, dtanh, sigmoid, tanh


@njit(**JIT)
def _forward_kernel(gates, W_hhT, b_hn, h0, hn_seq, h_seq):
    """Recurrence. gates (T, B, 3H) holds x W_ih^T + b_ih + [b_hr, b_hz, 0] on entry
    and the activated r, z, n on exit. Fills hn_seq = W_hn h_{t-1} + b_hn and h_seq (T, B, H).
    """
    T, B, G = gates.shape
    H = G // 3
    rec = np.empty((B, G), dtype=gates.dtype)
    h_prev = h0
    for t in range(T):
        np.dot(h_prev, W_hhT, rec)
        a_t, hn_t, h_t = gates[t], hn_seq[t], h_seq[t]
        for b in range(B):
            ab, rb, hnb, hp, hb = a_t[b], rec[b], hn_t[b], h_prev[b], h_t[b]
            for k in range(2 * H):               # r and z
                ab[k] = sigmoid(ab[k] + rb[k])
            for j in range(H):
                hnb[j] = rb[2 * H + j] + b_hn[j]
            for j in range(H):
                n = tanh(ab[2 * H + j] + ab[j] * hnb[j])
                ab[2 * H + j] = n
                hb[j] = n + ab[H + j] * (hp[j] - n)   # (1 - z) n + z h_prev
        h_prev = h_t


@njit(**JIT)
def _backward_kernel(dh_seq, gates, hn_seq, h_seq, h0, W_hh, dh_T, dA_i, dA_h):
    """Reverse sweep. Fills dA_i = dL/d(input projection) and dA_h = dL/d(recurrent
    projection), both (T, B, 3H); they differ in the n block by the factor r.
    Returns dh0 (B, H).
    """
    T, B, G = gates.shape
    H = G // 3
    dh_next = dh_T.copy()
    for t in range(T - 1, -1, -1):
        h_prev = h_seq[t - 1] if t > 0 else h0
        for b in range(B):
            gb, hnb, hp = gates[t, b], hn_seq[t, b], h_prev[b]
            dib, dhb, dyb, dnb = dA_i[t, b], dA_h[t, b], dh_seq[t, b], dh_next[b]
            for j in range(H):
                r, z, n = gb[j], gb[H + j], gb[2 * H + j]
                dh = dyb[j] + dnb[j]
                da_n = (dh - dh * z) * dtanh(n)          # dn = dh (1 - z)
                da_r = da_n * hnb[j] * dsigmoid(r)
                da_z = dh * (hp[j] - n) * dsigmoid(z)
                dib[j] = da_r
                dib[H + j] = da_z
                dib[2 * H + j] = da_n
                dhb[j] = da_r
                dhb[H + j] = da_z
                dhb[2 * H + j] = da_n * r
                dnb[j] = dh * z                          # direct path h_{t-1} -> h_t
        dh_next += np.dot(dA_h[t], W_hh)
    return dh_next


def forward(x, W_ih, W_hh, b_ih, b_hh, h0):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    B, T, _ = x.shape
    H = h0.shape[1]
    x_tm = to_time_major(x)
    bias = b_ih.copy()
    bias[:2 * H] += b_hh[:2 * H]
    gates = input_projection(x_tm, np.ascontiguousarray(W_ih.T), bias)
    hn_seq = np.empty((T, B, H), dtype=x.dtype)
    h_seq = np.empty((T, B, H), dtype=x.dtype)
    _forward_kernel(gates, np.ascontiguousarray(W_hh.T), b_hh[2 * H:].copy(), h0, hn_seq, h_seq)
    data = (x_tm, W_ih, W_hh, h0, gates, hn_seq, h_seq)
    return to_batch_major(h_seq), h_seq[-1].copy(), data


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x_tm, W_ih, W_hh, h0, gates, hn_seq, h_seq = data
    dA_i = np.empty_like(gates)
    dA_h = np.empty_like(gates)
    dh0 = _backward_kernel(to_time_major(dh_seq), gates, hn_seq, h_seq, h0, W_hh, dh_T, dA_i, dA_h)
    dx, dW_ih, dW_hh, db_ih, db_hh = weight_grads(dA_i, x_tm, h0, h_seq, W_ih, dA_h)
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db_ih, "db_hh": db_hh}
