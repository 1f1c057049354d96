"""Peephole LSTM, Numba CPU kernels (equations in rnncore.reference.peephole).

Same layout and threading as :mod:`rnncore.cpu.lstm`; the gates i and f also
see c_{t-1}, o sees c_t, through the diagonal weights w_peep = (w_ci, w_cf, w_co).
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import (chunk, gate_order, pack_weights, reorder, run_threads, split, unpack_rows, weight_grads,
                      xh_buffer)
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
        b0, b1 = chunk(k, nblk, B)
        xh_next[b0:b1, :D] = x[b0:b1, t + 1]


@njit(**JIT)
def _forward_rows(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq):
    """The whole recurrence of a chunk of batch rows on one thread."""
    xh = xh_buffer(x, h0)
    for t in range(x.shape[1]):
        _forward_block(0, t, x, W_pk, bias, w_peep, c0, xh[t % 2], xh[(t + 1) % 2], gates, c_seq, h_seq, 1)


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq, nbat, nblk):
    """Fills gates (B, T, 4H) with the activated gates (reordered rows), c_seq, h_seq.
    Threads: nbat chunks of rows, or nblk unit blocks per step (``_common.split``)."""
    B = x.shape[0]
    if nblk == 1:
        if nbat == 1:
            _forward_rows(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq)
        else:
            for k in prange(nbat):
                b0, b1 = chunk(k, nbat, B)
                _forward_rows(x[b0:b1], W_pk, bias, w_peep, h0[b0:b1], c0[b0:b1], gates[b0:b1], c_seq[b0:b1],
                              h_seq[b0:b1])
        return
    xh = xh_buffer(x, h0)
    for t in range(x.shape[1]):
        for k in prange(nblk):
            _forward_block(k, t, x, W_pk, bias, w_peep, c0, xh[t % 2], xh[(t + 1) % 2], gates, c_seq, h_seq, nblk)


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


@njit(**JIT)
def _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, w_peep, dA):
    """The whole reverse sweep of a chunk of batch rows on one thread: fills its rows of
    dA; returns its dh0, dc0 (rows, H) and its shares of db (4H,) and dw_peep (3, H)."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    D = W_cat.shape[1] - H
    dh_rec = dh_T.copy()
    dc = dc_T.copy()
    db = np.zeros(GH, dtype=dA.dtype)
    dw_peep = np.zeros_like(w_peep)
    for t in range(T - 1, -1, -1):
        _backward_block(0, t, dh_seq, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh_rec, dc, db, dw_peep, 1)
    mm(dA[:, 0, :], W_cat[:, D:], dh_rec, 0.0)     # dh0 = dA_0 W_hh
    return dh_rec, dc, db, dw_peep


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, w_peep, dA, nbat, nblk):
    """Reverse sweep: fills dA (B, T, 4H); returns dh0, dc0 (B, H), db (4H,) and dw_peep (3, H)."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    D = W_cat.shape[1] - H
    if nblk == 1:
        if nbat == 1:
            return _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, w_peep, dA)
        dh0 = np.empty((B, H), dtype=dA.dtype)
        dc0 = np.empty((B, H), dtype=dA.dtype)
        db_k = np.empty((nbat, GH), dtype=dA.dtype)          # each chunk's shares, summed below
        dw_k = np.empty((nbat, 3, H), dtype=dA.dtype)
        for k in prange(nbat):
            b0, b1 = chunk(k, nbat, B)
            dh0[b0:b1], dc0[b0:b1], db_k[k], dw_k[k] = _backward_rows(
                dh_seq[b0:b1], dh_T[b0:b1], dc_T[b0:b1], gates[b0:b1], c_seq[b0:b1], c0[b0:b1], W_cat, W_hh_pk,
                w_peep, dA[b0:b1])
        db, dw_peep = db_k[0].copy(), dw_k[0].copy()
        for k in range(1, nbat):
            db += db_k[k]
            dw_peep += dw_k[k]
        return dh0, dc0, db, dw_peep
    dh_rec = dh_T.copy()
    dc = dc_T.copy()
    db = np.zeros(GH, dtype=dA.dtype)
    dw_peep = np.zeros_like(w_peep)
    for t in range(T - 1, -1, -1):
        for k in prange(nblk):
            _backward_block(k, t, dh_seq, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh_rec, dc, db, dw_peep, nblk)
    dh0 = np.empty((B, H), dtype=dA.dtype)
    mm(dA[:, 0, :], W_cat[:, D:], dh0, 0.0)
    return dh0, dc, db, dw_peep


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nbat, nblk = split(B, D, H, G)
    order = gate_order(G, H, nblk)
    W_cat = pack_weights(W_ih, W_hh, order)
    gates = np.empty((B, T, G * H), dtype=x.dtype)
    c_seq = np.empty((B, T, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, pack_blocks(W_cat.T, nblk), reorder(b_ih + b_hh, order), w_peep, h0, c0,
                        gates, c_seq, h_seq, nbat, nblk)
    data = (x, h0, c0, W_cat, w_peep, order, nbat, nblk, gates, c_seq, h_seq)
    return h_seq, h_seq[:, -1].copy(), c_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dw_peep."""
    x, h0, c0, W_cat, w_peep, order, nbat, nblk, gates, c_seq, h_seq = data
    D = x.shape[2]
    dA = np.empty_like(gates)
    with run_threads():
        dh0, dc0, db, dw_peep = _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat,
                                                 pack_blocks(W_cat[:, D:], nblk), w_peep, dA, nbat, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_cat[:, :D], max(nbat, nblk))
    db = unpack_rows(db, order)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": unpack_rows(dW_ih, order),
            "dW_hh": unpack_rows(dW_hh, order), "db_ih": db, "db_hh": db.copy(), "dw_peep": dw_peep}
