"""Peephole LSTM, Numba CPU kernels (equations in rnncore.reference.peephole).

Same layout as :mod:`rnncore.cpu.lstm`, with unit blocks only (``_common.n_blocks``:
the batch-chunk split is not implemented here); the gates i and f also
see c_{t-1}, o sees c_t, through the diagonal weights w_peep = (w_ci, w_cf, w_co).
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import gate_order, n_blocks, pack_weights, reorder, run_threads, unpack_rows, weight_grads
from ._packed import gemm_packed, pack_blocks
from ._math import JIT, PARALLEL_JIT, dsigmoid, dtanh, sigmoid, tanh

G = 4


@njit(**JIT)
def _forward_block(k, t, x, W_pk, bias, w_peep, c0, xh_cur, xh_next, gates, c_seq, h_seq, nblk):
    """Step t for unit block k (see ``lstm._forward_block``)."""
    B, T, D = x.shape
    H = c0.shape[1]
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    gemm_packed(xh_cur, W_pk[k], 0, gates[:, t, o:o + G * Hb], False)
    w_ci, w_cf, w_co = w_peep[0, u0:u0 + Hb], w_peep[1, u0:u0 + Hb], w_peep[2, u0:u0 + Hb]
    bb = bias[o:o + G * Hb]
    for b in range(B):
        a = gates[b, t, o:o + G * Hb]
        c_prev = c_seq[b, t - 1, u0:u0 + Hb] if t > 0 else c0[b, u0:u0 + Hb]
        c_t, h_t, h_next = c_seq[b, t, u0:u0 + Hb], h_seq[b, t, u0:u0 + Hb], xh_next[b, D + u0:D + u0 + Hb]
        for j in range(Hb):
            i = sigmoid(a[j] + bb[j] + w_ci[j] * c_prev[j])
            f = sigmoid(a[Hb + j] + bb[Hb + j] + w_cf[j] * c_prev[j])
            g = tanh(a[2 * Hb + j] + bb[2 * Hb + j])
            c = f * c_prev[j] + i * g
            og = sigmoid(a[3 * Hb + j] + bb[3 * Hb + j] + w_co[j] * c)
            a[j], a[Hb + j], a[2 * Hb + j], a[3 * Hb + j] = i, f, g, og
            h = og * tanh(c)
            c_t[j] = c
            h_t[j] = h
            h_next[j] = h
    if t + 1 < T:
        for b in range(B * k // nblk, B * (k + 1) // nblk):
            xh_next[b, :D] = x[b, t + 1]


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq, nblk):
    """Fills gates (B, T, 4H) with the activated gates (reordered rows), c_seq, h_seq."""
    B, T, D = x.shape
    xh = np.empty((2, B, D + h0.shape[1]), dtype=x.dtype)      # [x_t, h_{t-1}], double-buffered
    xh[0, :, :D] = x[:, 0]
    xh[0, :, D:] = h0
    for t in range(T):
        cur, nxt = xh[t % 2], xh[(t + 1) % 2]
        if nblk == 1:
            _forward_block(0, t, x, W_pk, bias, w_peep, c0, cur, nxt, gates, c_seq, h_seq, 1)
        else:
            for k in prange(nblk):
                _forward_block(k, t, x, W_pk, bias, w_peep, c0, cur, nxt, gates, c_seq, h_seq, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh_rec, dc, db, dw_peep, nblk):
    B, T, GH = dA.shape
    H = c0.shape[1]
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    if t + 1 < T:                  # dL/dh_t via step t+1 (dh_rec starts as dh_T)
        gemm_packed(dA[:, t + 1, :], W_hh_pk[k], 0, dh_rec[:, u0:u0 + Hb], False)
    w_ci, w_cf, w_co = w_peep[0, u0:u0 + Hb], w_peep[1, u0:u0 + Hb], w_peep[2, u0:u0 + Hb]
    dw_ci, dw_cf, dw_co = dw_peep[0, u0:u0 + Hb], dw_peep[1, u0:u0 + Hb], dw_peep[2, u0:u0 + Hb]
    dbk = db[o:o + G * Hb]
    for b in range(B):
        gb, da = gates[b, t, o:o + G * Hb], dA[b, t, o:o + G * Hb]
        cb = c_seq[b, t, u0:u0 + Hb]
        cpb = c_seq[b, t - 1, u0:u0 + Hb] if t > 0 else c0[b, u0:u0 + Hb]
        dhb, dnb, dcb = dh_seq[b, t, u0:u0 + Hb], dh_rec[b, u0:u0 + Hb], dc[b, u0:u0 + Hb]
        for j in range(Hb):
            i, f, g, og = gb[j], gb[Hb + j], gb[2 * Hb + j], gb[3 * Hb + j]
            tc = tanh(cb[j])
            dh = dhb[j] + dnb[j]
            da_o = dh * tc * dsigmoid(og)
            dcj = dcb[j] + dh * og * dtanh(tc) + da_o * w_co[j]
            da_i = dcj * g * dsigmoid(i)
            da_f = dcj * cpb[j] * dsigmoid(f)
            da[j] = da_i
            da[Hb + j] = da_f
            da[2 * Hb + j] = dcj * i * dtanh(g)
            da[3 * Hb + j] = da_o
            dcb[j] = dcj * f + da_i * w_ci[j] + da_f * w_cf[j]
            dw_ci[j] += da_i * cpb[j]
            dw_cf[j] += da_f * cpb[j]
            dw_co[j] += da_o * cb[j]
        for q in range(G * Hb):
            dbk[q] += da[q]


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, w_peep, dA, dw_peep, nblk):
    """Reverse sweep: fills dA (B, T, 4H), accumulates dw_peep (3, H); returns dh0, dc0, db."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    D = W_cat.shape[1] - H
    dh_rec = dh_T.copy()
    dc = dc_T.copy()
    db = np.zeros(GH, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        if nblk == 1:
            _backward_block(0, t, dh_seq, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh_rec, dc, db, dw_peep, 1)
        else:
            for k in prange(nblk):
                _backward_block(k, t, dh_seq, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh_rec, dc, db, dw_peep, nblk)
    dh0 = np.empty((B, H), dtype=dA.dtype)
    mm(dA[:, 0, :], W_cat[:, D:], dh0, 0.0)
    return dh0, dc, db


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nblk = n_blocks(B, D, H, G)
    order = gate_order(G, H, nblk)
    W_cat = pack_weights(W_ih, W_hh, order)
    gates = np.empty((B, T, G * H), dtype=x.dtype)
    c_seq = np.empty((B, T, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, pack_blocks(W_cat.T, nblk), reorder(b_ih + b_hh, order), w_peep, h0, c0,
                        gates, c_seq, h_seq, nblk)
    data = (x, h0, c0, W_cat, w_peep, order, nblk, gates, c_seq, h_seq)
    return h_seq, h_seq[:, -1].copy(), c_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dw_peep."""
    x, h0, c0, W_cat, w_peep, order, nblk, gates, c_seq, h_seq = data
    D = x.shape[2]
    dA = np.empty_like(gates)
    dw_peep = np.zeros_like(w_peep)
    with run_threads():
        dh0, dc0, db = _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, pack_blocks(W_cat[:, D:], nblk),
                                        w_peep, dA, dw_peep, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_cat[:, :D], nblk)
    db = unpack_rows(db, order)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": unpack_rows(dW_ih, order),
            "dW_hh": unpack_rows(dW_hh, order), "db_ih": db, "db_hh": db.copy(), "dw_peep": dw_peep}
