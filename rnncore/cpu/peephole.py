"""Peephole LSTM, Numba CPU kernels (equations in rnncore.reference.peephole).

Same layout and jobs as :mod:`rnncore.cpu.lstm`; the gates i and f also
see c_{t-1}, o sees c_t, through the diagonal weights w_peep = (w_ci, w_cf, w_co).
"""
import numpy as np
from numba import njit

from ._common import batch_chunks, copy_2d, next_chunk, run_chunk_jobs, sum_in_order, weight_grads, xh_buffer
from ._packed import gemm_packed, pack
from ._math import JIT, dsigmoid, dtanh, sigmoid, tanh

G = 4


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _forward_rows(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq):
    """The whole recurrence of a chunk of batch rows (one job): fills gates (B, T, 4H)
    with the activated gates, c_seq and h_seq (see ``lstm._forward_step``)."""
    B, T, D = x.shape
    H = c0.shape[1]
    w_ci, w_cf, w_co = w_peep[0], w_peep[1], w_peep[2]
    xh = xh_buffer(x, h0)
    for t in range(T):
        xh_cur, xh_next = xh[t % 2], xh[(t + 1) % 2]
        gemm_packed(xh_cur, W_pk, 0, gates[:, t, :], False)
        # Not lstm._forward_step's loops: i, f see c_{t-1} and o sees c_t, so the gates cannot be
        # activated in one pass over all 4H columns first. Measured, float32 (64, 100, 32, 128),
        # one thread: the LSTM forward 22.5 ms, this one with w_peep = 0 (the same h) 46 ms.
        for b in range(B):
            a = gates[b, t]
            c_prev = c_seq[b, t - 1] if t > 0 else c0[b]
            c_t, h_t, h_next = c_seq[b, t], h_seq[b, t], xh_next[b, D:]
            for j in range(H):
                i = sigmoid(a[j] + bias[j] + w_ci[j] * c_prev[j])
                f = sigmoid(a[H + j] + bias[H + j] + w_cf[j] * c_prev[j])
                g = tanh(a[2 * H + j] + bias[2 * H + j])
                c = f * c_prev[j] + i * g
                og = sigmoid(a[3 * H + j] + bias[3 * H + j] + w_co[j] * c)
                a[j], a[H + j], a[2 * H + j], a[3 * H + j] = i, f, g, og
                h = og * tanh(c)
                c_t[j] = c
                h_t[j] = h
                h_next[j] = h
        if t + 1 < T:
            copy_2d(xh_next[:, :D], x[:, t + 1])


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh0, dc0, db, dw_peep):
    """The whole reverse sweep of a chunk of batch rows (one job): fills its rows of dA,
    its dh0, dc0 (rows, H) and its shares of db (4H,) and dw_peep (3, H)."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    dh_rec, dc = dh0, dc0
    copy_2d(dh_rec, dh_T)
    copy_2d(dc, dc_T)
    db[:] = 0.0
    dw_peep[:] = 0.0
    w_ci, w_cf, w_co = w_peep[0], w_peep[1], w_peep[2]
    dw_ci, dw_cf, dw_co = dw_peep[0], dw_peep[1], dw_peep[2]
    for t in range(T - 1, -1, -1):
        if t + 1 < T:                  # dL/dh_t via step t+1 (dh_rec starts as dh_T)
            gemm_packed(dA[:, t + 1, :], W_hh_pk, 0, dh_rec, False)
        # lstm._backward_step's loop plus the peephole terms, in a kernel of its own: with w_peep = 0
        # it gives the LSTM's dA bit for bit, but measured 11% and 16% slower than the LSTM's loop
        # (median of 40 calls, float32 (64, 100, 32, 128), one job, busy machine), and it has no relu side.
        for b in range(B):
            gb, da = gates[b, t], dA[b, t]
            cb = c_seq[b, t]
            cpb = c_seq[b, t - 1] if t > 0 else c0[b]
            dhb, dnb, dcb = dh_seq[b, t], dh_rec[b], dc[b]
            for j in range(H):
                i, f, g, og = gb[j], gb[H + j], gb[2 * H + j], gb[3 * H + j]
                tc = tanh(cb[j])
                dh = dhb[j] + dnb[j]
                da_o = dh * tc * dsigmoid(og)
                dcj = dcb[j] + dh * og * dtanh(tc) + da_o * w_co[j]
                da_i = dcj * g * dsigmoid(i)
                da_f = dcj * cpb[j] * dsigmoid(f)
                da[j] = da_i
                da[H + j] = da_f
                da[2 * H + j] = dcj * i * dtanh(g)
                da[3 * H + j] = da_o
                dcb[j] = dcj * f + da_i * w_ci[j] + da_f * w_cf[j]
                dw_ci[j] += da_i * cpb[j]
                dw_cf[j] += da_f * cpb[j]
                dw_co[j] += da_o * cb[j]
            for q in range(G * H):
                db[q] += da[q]
    gemm_packed(dA[:, 0, :], W_hh_pk, 0, dh_rec, False)     # dh0 = dA_0 W_hh


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _forward_jobs(next_job, n, bounds, x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq):
    """Chunk after chunk (rows bounds[k]:bounds[k + 1]) until none is left: one per thread (see _pool.run_jobs)."""
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _forward_rows(x[b0:b1], W_pk, bias, w_peep, h0[b0:b1], c0[b0:b1], gates[b0:b1], c_seq[b0:b1],
                      h_seq[b0:b1])


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _backward_jobs(next_job, n, bounds, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh0, dc0, db_k,
                   dw_k):
    """Chunk after chunk until none is left (see _forward_jobs); chunk k's shares go to db_k[k], dw_k[k]."""
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], dc_T[b0:b1], gates[b0:b1], c_seq[b0:b1], c0[b0:b1], W_hh_pk,
                       w_peep, dA[b0:b1], dh0[b0:b1], dc0[b0:b1], db_k[k], dw_k[k])


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0, keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``
    (None with ``keep_cache=False``: the kernel still fills the gates, then they are dropped)."""
    B, T, D = x.shape
    H = h0.shape[1]
    chunks = batch_chunks(B, T, D, H, G)
    W_cat = np.concatenate([W_ih, W_hh], axis=1)
    W_pk = pack(W_cat.T)
    bias = b_ih + b_hh
    gates = np.empty((B, T, G * H), dtype=x.dtype)
    c_seq = np.empty((B, T, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    run_chunk_jobs(_forward_jobs, chunks, x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq)
    data = (x, h0, c0, W_cat, w_peep, chunks, gates, c_seq, h_seq) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), c_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, dc_T):
    """BPTT. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dw_peep."""
    x, h0, c0, W_cat, w_peep, chunks, gates, c_seq, h_seq = data
    D = x.shape[2]
    dA = np.empty_like(gates)
    dh0, dc0 = np.empty_like(dh_T), np.empty_like(dc_T)
    db_k = np.empty((len(chunks), gates.shape[2]), dtype=x.dtype)   # each chunk's shares
    dw_k = np.empty((len(chunks),) + w_peep.shape, dtype=x.dtype)
    W_hh_pk = pack(W_cat[:, D:])
    run_chunk_jobs(_backward_jobs, chunks, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh0, dc0,
                   db_k, dw_k)
    dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_cat[:, :D], len(chunks))
    db = sum_in_order(db_k)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy(),
            "dw_peep": sum_in_order(dw_k)}
