"""LSTM, Numba CPU kernels (gate order i, f, g, o; equations in rnncore.reference.lstm).

Forward, per step t, for a chunk of batch rows or a block of hidden units k
(one thread each, see ``_common.split``):

    a_t[:, blk]  = [x_t, h_{t-1}] @ [W_ih | W_hh][blk]^T       one GEMM, K = D + H,
                                                               on weights packed once (``_packed``)
    i, f, g, o   = act(a_t[:, blk] + b_ih + b_hh)                in place, in cache
    c_t = f * c_{t-1} + i * g;   h_t = o * act(c_t)

with sigmoid gates and act = tanh, or relu (``use_tanh`` False: Keras'
``activation='relu'``) for g and for act(c_t). Each block function tests the flag
once, around its whole loop over batch rows, and each side is the complete loop
nest, so the tanh side compiles to the same vectorised loops as tanh-only code.
(Testing it once per row, around the inner loops only, made the float32 backward
up to 1.5x slower on gate-bound shapes.)

The activated gates (B, T, 4H) and c_t are kept for backward. Backward walks
the steps in reverse computing only what needs the recurrence: the gate
pre-activation gradients dA_t (and db, summed on the way) and
dh_{t-1} = dA_t W_hh (packed too); dx, dW_ih and dW_hh are large GEMMs afterwards.
"""
import functools

import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import (chunk, gate_order, pack_weights, reorder, run_threads, split, unpack_rows, weight_grads,
                      xh_buffer)
from ._packed import gemm_packed, pack_blocks
from ._math import JIT, PARALLEL_JIT, drelu, dsigmoid, dtanh, relu, sigmoid, tanh

G = 4


@njit(**JIT)
def _forward_block(k, t, tg, tc, tp, x, W_pk, bias, act_scale, act_shift, c0, xh_cur, xh_next,
                   gates, c_seq, h_seq, use_tanh, nblk):
    """Step t for unit block k: its gates, c_t and h_t, and its share of [x_{t+1}, h_t].

    The gates go to gates[:, tg], c_t to c_seq[:, tc], and c_{t-1} is c_seq[:, tp]
    (c0 when tp < 0): tg = tc = t, tp = t - 1 when everything is kept for
    backward; slots 0 and t % 2 of small buffers for inference (see forward)."""
    B, T, D = x.shape
    H = c0.shape[1]
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb         # first unit, first gate column of the block
    # i, f, g, o pre-activations of the block, written straight into the gates array
    # (W_pk[k] is the block's columns of [W_ih | W_hh]^T, packed once: see _packed)
    gemm_packed(xh_cur, W_pk[k], 0, gates[:, tg, o:o + G * Hb], False)
    # One branch around the whole loop over rows, each side the complete loop nest: a
    # branch inside it (even once per row) made the float32 kernels up to 1.5x slower.
    if use_tanh:
        for b in range(B):
            a, bb = gates[b, tg, o:o + G * Hb], bias[o:o + G * Hb]
            # all four gates in one loop: sigmoid(x) = 0.5 tanh(x/2) + 0.5, so each gate
            # is s * tanh(s * (a + b)) + shift: s = 0.5, shift = 0.5, or s = 1, shift = 0 for g
            for q in range(G * Hb):
                a[q] = act_scale[q] * tanh(act_scale[q] * (a[q] + bb[q])) + act_shift[q]
            i, f, g, og = a[:Hb], a[Hb:2 * Hb], a[2 * Hb:3 * Hb], a[3 * Hb:]
            c_prev = c_seq[b, tp, u0:u0 + Hb] if tp >= 0 else c0[b, u0:u0 + Hb]
            c_t, h_t, h_next = c_seq[b, tc, u0:u0 + Hb], h_seq[b, t, u0:u0 + Hb], xh_next[b, D + u0:D + u0 + Hb]
            for j in range(Hb):
                c = f[j] * c_prev[j] + i[j] * g[j]
                h = og[j] * tanh(c)
                c_t[j] = c
                h_t[j] = h
                h_next[j] = h
    else:                                             # the same with relu for tanh
        for b in range(B):
            a, bb = gates[b, tg, o:o + G * Hb], bias[o:o + G * Hb]
            i, f, g, og = a[:Hb], a[Hb:2 * Hb], a[2 * Hb:3 * Hb], a[3 * Hb:]
            b_if, b_g, b_o = bb[:2 * Hb], bb[2 * Hb:3 * Hb], bb[3 * Hb:]
            i_f = a[:2 * Hb]
            for q in range(2 * Hb):
                i_f[q] = sigmoid(i_f[q] + b_if[q])
            for j in range(Hb):
                g[j] = relu(g[j] + b_g[j])
            for j in range(Hb):
                og[j] = sigmoid(og[j] + b_o[j])
            c_prev = c_seq[b, tp, u0:u0 + Hb] if tp >= 0 else c0[b, u0:u0 + Hb]
            c_t, h_t, h_next = c_seq[b, tc, u0:u0 + Hb], h_seq[b, t, u0:u0 + Hb], xh_next[b, D + u0:D + u0 + Hb]
            for j in range(Hb):
                c = f[j] * c_prev[j] + i[j] * g[j]
                h = og[j] * relu(c)
                c_t[j] = c
                h_t[j] = h
                h_next[j] = h
    if t + 1 < T:                                     # this block's rows of x_{t+1}
        b0, b1 = chunk(k, nblk, B)
        xh_next[b0:b1, :D] = x[b0:b1, t + 1]


@njit(inline="always")
def _slots(t, keep):
    """Where step t's gates and c_t go and where c_{t-1} is (tg, tc, tp; see _forward_block)."""
    if keep:
        return t, t, t - 1
    return 0, t % 2, (t - 1) % 2 if t > 0 else -1


@njit(**JIT)
def _forward_rows(x, W_pk, bias, act_scale, act_shift, h0, c0, gates, c_seq, h_seq, use_tanh):
    """The whole recurrence of a chunk of batch rows on one thread."""
    keep = gates.shape[1] == x.shape[1]
    xh = xh_buffer(x, h0)
    for t in range(x.shape[1]):
        tg, tc, tp = _slots(t, keep)
        _forward_block(0, t, tg, tc, tp, x, W_pk, bias, act_scale, act_shift, c0,
                       xh[t % 2], xh[(t + 1) % 2], gates, c_seq, h_seq, use_tanh, 1)


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_pk, bias, act_scale, act_shift, h0, c0, gates, c_seq, h_seq, use_tanh,
                    nbat, nblk):
    """Recurrence. Fills h_seq (B, T, H) and, with gates (B, T, 4H) and c_seq
    (B, T, H), the activated gates (reordered rows) and cell states of every step.
    Inference passes gates (B, 1, 4H) and c_seq (B, 2, H): one step's gates, and
    c_{t-1}, c_t alternating, stay in cache and nothing is written for backward.
    Threads (see ``_common.split``): nbat chunks of rows, or nblk unit blocks per step."""
    B = x.shape[0]
    if nblk == 1:
        if nbat == 1:               # no parallel region at all: waking idle threads costs
            _forward_rows(x, W_pk, bias, act_scale, act_shift, h0, c0, gates, c_seq, h_seq, use_tanh)
        else:
            for k in prange(nbat):
                b0, b1 = chunk(k, nbat, B)
                _forward_rows(x[b0:b1], W_pk, bias, act_scale, act_shift, h0[b0:b1], c0[b0:b1],
                              gates[b0:b1], c_seq[b0:b1], h_seq[b0:b1], use_tanh)
        return
    keep = gates.shape[1] == x.shape[1]
    xh = xh_buffer(x, h0)
    for t in range(x.shape[1]):
        tg, tc, tp = _slots(t, keep)
        for k in prange(nblk):
            _forward_block(k, t, tg, tc, tp, x, W_pk, bias, act_scale, act_shift, c0,
                           xh[t % 2], xh[(t + 1) % 2], gates, c_seq, h_seq, use_tanh, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, gates, c_seq, c0, W_hh_pk, dA, dh_rec, dc, db, use_tanh, nblk):
    """Step t (reverse) for unit block k: dA[:, t, blk], db and dc for its units."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    # dL/dh_t from step t+1 for this block's units: dA_{t+1} W_hh[:, blk], W_hh_pk[k]
    # packed (dh_rec starts as dh_T for the last step)
    if t + 1 < T:
        gemm_packed(dA[:, t + 1, :], W_hh_pk[k], 0, dh_rec[:, u0:u0 + Hb], False)
    dbk = db[o:o + G * Hb]
    if use_tanh:                                       # one branch around the whole nest, as in forward
        for b in range(B):
            gb, da = gates[b, t, o:o + G * Hb], dA[b, t, o:o + G * Hb]
            c_t = c_seq[b, t, u0:u0 + Hb]
            c_prev = c_seq[b, t - 1, u0:u0 + Hb] if t > 0 else c0[b, u0:u0 + Hb]
            dh_out, dh_next, dcb = dh_seq[b, t, u0:u0 + Hb], dh_rec[b, u0:u0 + Hb], dc[b, u0:u0 + Hb]
            for j in range(Hb):
                i, f, g, og = gb[j], gb[Hb + j], gb[2 * Hb + j], gb[3 * Hb + j]
                tc = tanh(c_t[j])                  # recomputed: cheaper than storing it
                dh = dh_out[j] + dh_next[j]
                dcj = dcb[j] + dh * og * dtanh(tc)
                da[j] = dcj * g * dsigmoid(i)
                da[Hb + j] = dcj * c_prev[j] * dsigmoid(f)
                da[2 * Hb + j] = dcj * i * dtanh(g)
                da[3 * Hb + j] = dh * tc * dsigmoid(og)
                dcb[j] = dcj * f                   # the constant error carousel
            for q in range(G * Hb):                # db_ih = db_hh = sum over (b, t) of dA
                dbk[q] += da[q]
    else:                                              # relu: act'(y) = (y > 0), so relu'(c_t) = (c_t > 0)
        for b in range(B):
            gb, da = gates[b, t, o:o + G * Hb], dA[b, t, o:o + G * Hb]
            c_t = c_seq[b, t, u0:u0 + Hb]
            c_prev = c_seq[b, t - 1, u0:u0 + Hb] if t > 0 else c0[b, u0:u0 + Hb]
            dh_out, dh_next, dcb = dh_seq[b, t, u0:u0 + Hb], dh_rec[b, u0:u0 + Hb], dc[b, u0:u0 + Hb]
            for j in range(Hb):
                i, f, g, og = gb[j], gb[Hb + j], gb[2 * Hb + j], gb[3 * Hb + j]
                rl = relu(c_t[j])
                dh = dh_out[j] + dh_next[j]
                dcj = dcb[j] + dh * og * drelu(rl)
                da[j] = dcj * g * dsigmoid(i)
                da[Hb + j] = dcj * c_prev[j] * dsigmoid(f)
                da[2 * Hb + j] = dcj * i * drelu(g)
                da[3 * Hb + j] = dh * rl * dsigmoid(og)
                dcb[j] = dcj * f
            for q in range(G * Hb):
                dbk[q] += da[q]


@njit(**JIT)
def _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, dA, use_tanh):
    """The whole reverse sweep of a chunk of batch rows on one thread: fills its rows
    of dA; returns its dh0, dc0 (rows, H) and its share of db (4H,)."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    D = W_cat.shape[1] - H
    dh_rec = dh_T.copy()
    dc = dc_T.copy()
    db = np.zeros(GH, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        _backward_block(0, t, dh_seq, gates, c_seq, c0, W_hh_pk, dA, dh_rec, dc, db, use_tanh, 1)
    mm(dA[:, 0, :], W_cat[:, D:], dh_rec, 0.0)     # dh0 = dA_0 W_hh
    return dh_rec, dc, db


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, dA, use_tanh, nbat, nblk):
    """Reverse sweep: fills dA (B, T, 4H); returns dh0, dc0 (B, H) and db (4H,)."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    D = W_cat.shape[1] - H
    if nblk == 1:
        if nbat == 1:
            return _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat, W_hh_pk, dA, use_tanh)
        dh0 = np.empty((B, H), dtype=dA.dtype)
        dc0 = np.empty((B, H), dtype=dA.dtype)
        db_k = np.empty((nbat, GH), dtype=dA.dtype)    # each chunk's share, summed below
        for k in prange(nbat):
            b0, b1 = chunk(k, nbat, B)
            dh0[b0:b1], dc0[b0:b1], db_k[k] = _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], dc_T[b0:b1],
                                                             gates[b0:b1], c_seq[b0:b1], c0[b0:b1], W_cat,
                                                             W_hh_pk, dA[b0:b1], use_tanh)
        db = db_k[0].copy()
        for k in range(1, nbat):
            db += db_k[k]
        return dh0, dc0, db
    dh_rec = dh_T.copy()
    dc = dc_T.copy()
    db = np.zeros(GH, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        for k in prange(nblk):
            _backward_block(k, t, dh_seq, gates, c_seq, c0, W_hh_pk, dA, dh_rec, dc, db, use_tanh, nblk)
    dh0 = np.empty((B, H), dtype=dA.dtype)
    mm(dA[:, 0, :], W_cat[:, D:], dh0, 0.0)
    return dh0, dc, db


@functools.lru_cache(maxsize=64)
def _gate_affine(Hb, dtype):
    """Per gate column of a block, (s, shift) of s * tanh(s * a) + shift: sigmoid
    (0.5, 0.5) for i, f, o, tanh (1, 0) for g. Cached (the kernels only read them)."""
    s = np.full(G * Hb, 0.5, dtype=dtype)
    s[2 * Hb:3 * Hb] = 1.0
    shift = s.copy()
    shift[2 * Hb:3 * Hb] = 0.0
    return s, shift


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, activation="tanh", keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``.

    keep_cache=False (inference): the gates and cell states of past steps are not
    kept, data is None. Besides the memory, writing a (B, T, 4H) array that no
    longer fits in cache is a good part of a large forward's time.
    """
    B, T, D = x.shape
    H = h0.shape[1]
    nbat, nblk = split(B, D, H, G)
    order = gate_order(G, H, nblk)
    use_tanh = activation == "tanh"
    W_cat = pack_weights(W_ih, W_hh, order)
    bias = reorder(b_ih + b_hh, order)
    Tg, Tc = (T, T) if keep_cache else (1, 2)
    gates = np.empty((B, Tg, G * H), dtype=x.dtype)
    c_seq = np.empty((B, Tc, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, pack_blocks(W_cat.T, nblk), bias, *_gate_affine(H // nblk, x.dtype), h0, c0,
                        gates, c_seq, h_seq, use_tanh, nbat, nblk)
    c_T = c_seq[:, T - 1 if keep_cache else (T - 1) % 2].copy()
    data = (x, h0, c0, W_cat, order, nbat, nblk, gates, c_seq, h_seq, use_tanh) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), c_T, data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    x, h0, c0, W_cat, order, nbat, nblk, gates, c_seq, h_seq, use_tanh = data
    D = x.shape[2]
    dA = np.empty_like(gates)
    with run_threads():
        dh0, dc0, db = _backward_kernel(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_cat,
                                        pack_blocks(W_cat[:, D:], nblk), dA, use_tanh, nbat, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_cat[:, :D], max(nbat, nblk))
    db = unpack_rows(db, order)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": unpack_rows(dW_ih, order),
            "dW_hh": unpack_rows(dW_hh, order), "db_ih": db, "db_hh": db.copy()}
