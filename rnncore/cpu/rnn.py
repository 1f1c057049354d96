"""Elman RNN, Numba CPU kernels (equations in rnncore.reference.rnn).

Per step t, for a chunk of batch rows (one job each, see ``_common``):

    a_t = x_t W_ih^T + h_{t-1} W_hh^T        two GEMMs into h_seq[:, t],
                                             on weights packed once (``_packed``)
    h_t = act(a_t + b_ih + b_hh)             in place
"""
import numpy as np
from numba import njit

from ._common import (_weight_grads_rows, batch_chunks, borrowed, copy_2d, finish_weight_grads, next_chunk, run_chunk_jobs,
                      sum_in_order, weight_grad_parts)
from ._packed import gemm_packed, pack
from ._reuse import empty
from ._math import JIT, activation_flag, drelu, dtanh, relu, tanh

G = 1


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _forward_rows(x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_relu):
    """The whole recurrence of a chunk of batch rows (one job): fills h_seq (B, T, H)."""
    B, T, H = h_seq.shape
    for t in range(T):
        a = h_seq[:, t, :]
        gemm_packed(x[:, t, :], W_ih_pk, 0, a, False)
        gemm_packed(h_seq[:, t - 1, :] if t > 0 else h0, W_hh_pk, 0, a, True)   # accumulate
        for b in range(B):
            ab = h_seq[b, t]
            if use_relu is None:                    # a branch per row; the loops inside vectorise
                for j in range(H):
                    ab[j] = tanh(ab[j] + bias[j])
            else:
                for j in range(H):
                    ab[j] = relu(ab[j] + bias[j])


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _backward_rows(dh_seq, dh_T, h_seq, W_hh_pk, dA, dh0, db, use_relu):
    """The whole reverse sweep of a chunk of batch rows (one job): fills its rows of dA
    = dL/da_t, its dh0 (rows, H) and its share of db (H,)."""
    B, T, H = h_seq.shape
    dh_rec = dh0
    copy_2d(dh_rec, dh_T)
    db[:] = 0.0
    for t in range(T - 1, -1, -1):
        if t + 1 < T:                   # dL/dh_t via step t+1 (dh_rec starts as dh_T)
            gemm_packed(dA[:, t + 1, :], W_hh_pk, 0, dh_rec, False)
        for b in range(B):
            h, dy, dn, da = h_seq[b, t], dh_seq[b, t], dh_rec[b], dA[b, t]
            # The two loops differ only in the derivative; the test sits outside the loop over
            # units so each stays branch-free and vectorises (the LSTM and GRU hoist it further,
            # out of the row loop, where a per-row test measured up to 1.5x slower; one
            # elementwise product per unit here, not measured separately).
            if use_relu is None:
                for j in range(H):
                    da[j] = (dy[j] + dn[j]) * dtanh(h[j])
            else:
                for j in range(H):
                    da[j] = (dy[j] + dn[j]) * drelu(h[j])
            for j in range(H):
                db[j] += da[j]
    gemm_packed(dA[:, 0, :], W_hh_pk, 0, dh_rec, False)      # dh0 = dA_0 W_hh


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _forward_jobs(next_job, n, bounds, x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_relu):
    """Chunk after chunk (rows bounds[k]:bounds[k + 1]) until none is left: one per thread (see _pool.run_jobs)."""
    # views of these do no reference counting (_common.BORROWED)
    x, W_ih_pk, W_hh_pk, bias, h0, h_seq = borrowed((x, W_ih_pk, W_hh_pk, bias, h0, h_seq))
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _forward_rows(x[b0:b1], W_ih_pk, W_hh_pk, bias, h0[b0:b1], h_seq[b0:b1], use_relu)


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _backward_jobs(next_job, n, bounds, dh_seq, dh_T, h_seq, W_hh_pk, dA, dh0, db_k, use_relu,
                   A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k):
    """Chunk after chunk until none is left (see _forward_jobs): its reverse sweep, then its rows'
    share of the weight gradients (``_common.WeightGradParts``: A ... dW_hh_k); chunk k's shares
    go to db_k[k], dW_ih_k[k], dW_hh_k[k]."""
    # views of these do no reference counting (_common.BORROWED)
    dh_seq, dh_T, h_seq, W_hh_pk, dA, dh0, db_k = borrowed((dh_seq, dh_T, h_seq, W_hh_pk, dA, dh0, db_k))
    A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k = borrowed((A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k))
    T = dA.shape[1]
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], h_seq[b0:b1], W_hh_pk, dA[b0:b1], dh0[b0:b1], db_k[k],
                       use_relu)
        _weight_grads_rows(b0 * T, b1 * T, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k[k], dW_hh_k[k])


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh", keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward`` (None with keep_cache=False)."""
    B, T, D = x.shape
    H = h0.shape[1]
    chunks = batch_chunks(B, T, D, H, G)
    use_relu = activation_flag(nonlinearity)
    W_ih_pk, W_hh_pk, bias = pack(W_ih.T), pack(W_hh.T), b_ih + b_hh
    h_seq = empty((B, T, H), x.dtype)                 # large ones: pages kept for reuse (_reuse)
    run_chunk_jobs(_forward_jobs, chunks, x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_relu)
    data = (x, W_ih, W_hh, h0, h_seq, use_relu, chunks) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, need_dx=True):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh (dx None without need_dx)."""
    x, W_ih, W_hh, h0, h_seq, use_relu, chunks = data
    dA = empty(h_seq.shape, h_seq.dtype)
    dh0 = np.empty_like(dh_T)
    db_k = np.empty((len(chunks), h_seq.shape[2]), dtype=x.dtype)   # each chunk's share
    W_hh_pk = pack(W_hh)
    wg = weight_grad_parts(dA, dA, x, h_seq, h0, W_ih, len(chunks), need_dx)
    run_chunk_jobs(_backward_jobs, chunks, dh_seq, dh_T, h_seq, W_hh_pk, dA, dh0, db_k, use_relu, *wg)
    dx, dW_ih, dW_hh = finish_weight_grads(wg, need_dx)
    db = sum_in_order(db_k)
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy()}
