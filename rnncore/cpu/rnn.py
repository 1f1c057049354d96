"""Elman RNN, Numba CPU kernels (equations in rnncore.reference.rnn).

Per step t, for a chunk of batch rows or a block of hidden units k (one thread
each, see ``_common.split``):

    a_t[:, blk] = x_t W_ih[blk]^T + h_{t-1} W_hh[blk]^T      two GEMMs into h_seq[:, t, blk],
                                                             on weights packed once (``_packed``)
    h_t[:, blk] = act(a_t[:, blk] + b_ih + b_hh)             in place
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import chunk, run_threads, split, weight_grads
from ._packed import gemm_packed, pack_blocks
from ._math import JIT, PARALLEL_JIT, drelu, dtanh, relu, tanh


@njit(**JIT)
def _forward_block(k, t, x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh, nblk):
    B, T, H = h_seq.shape
    u0, u1 = k * H // nblk, (k + 1) * H // nblk
    a = h_seq[:, t, u0:u1]
    gemm_packed(x[:, t, :], W_ih_pk[k], 0, a, False)
    gemm_packed(h_seq[:, t - 1, :] if t > 0 else h0, W_hh_pk[k], 0, a, True)   # accumulate
    bb = bias[u0:u1]
    for b in range(B):
        ab = h_seq[b, t, u0:u1]
        if use_tanh:                    # a branch per row; the loops inside vectorise
            for j in range(u1 - u0):
                ab[j] = tanh(ab[j] + bb[j])
        else:
            for j in range(u1 - u0):
                ab[j] = relu(ab[j] + bb[j])


@njit(**JIT)
def _forward_rows(x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh):
    """The whole recurrence of a chunk of batch rows on one thread."""
    for t in range(x.shape[1]):
        _forward_block(0, t, x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh, 1)


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh, nbat, nblk):
    """Fills h_seq (B, T, H). Threads: nbat chunks of rows, or nblk unit blocks per step."""
    B = x.shape[0]
    if nblk == 1:
        if nbat == 1:
            _forward_rows(x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh)
        else:
            for k in prange(nbat):
                b0, b1 = chunk(k, nbat, B)
                _forward_rows(x[b0:b1], W_ih_pk, W_hh_pk, bias, h0[b0:b1], h_seq[b0:b1], use_tanh)
        return
    for t in range(x.shape[1]):
        for k in prange(nblk):
            _forward_block(k, t, x, W_ih_pk, W_hh_pk, bias, h0, h_seq, use_tanh, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, h_seq, W_hh_pk, dA, dh_rec, db, use_tanh, nblk):
    B, T, H = h_seq.shape
    u0, u1 = k * H // nblk, (k + 1) * H // nblk
    if t + 1 < T:                       # dL/dh_t via step t+1 (dh_rec starts as dh_T)
        gemm_packed(dA[:, t + 1, :], W_hh_pk[k], 0, dh_rec[:, u0:u1], False)
    dbk = db[u0:u1]
    for b in range(B):
        h, dy, dn, da = h_seq[b, t, u0:u1], dh_seq[b, t, u0:u1], dh_rec[b, u0:u1], dA[b, t, u0:u1]
        if use_tanh:
            for j in range(u1 - u0):
                da[j] = (dy[j] + dn[j]) * dtanh(h[j])
        else:
            for j in range(u1 - u0):
                da[j] = (dy[j] + dn[j]) * drelu(h[j])
        for j in range(u1 - u0):
            dbk[j] += da[j]


@njit(**JIT)
def _backward_rows(dh_seq, dh_T, h_seq, W_hh, W_hh_pk, dA, use_tanh):
    """The whole reverse sweep of a chunk of batch rows on one thread: fills its rows
    of dA; returns its dh0 (rows, H) and its share of db (H,)."""
    B, T, H = h_seq.shape
    dh_rec = dh_T.copy()
    db = np.zeros(H, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        _backward_block(0, t, dh_seq, h_seq, W_hh_pk, dA, dh_rec, db, use_tanh, 1)
    mm(dA[:, 0, :], W_hh, dh_rec, 0.0)          # dh0 = dA_0 W_hh
    return dh_rec, db


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, h_seq, W_hh, W_hh_pk, dA, use_tanh, nbat, nblk):
    """Reverse sweep. Fills dA (B, T, H) = dL/da_t; returns dh0 (B, H) and db (H,)."""
    B, T, H = h_seq.shape
    if nblk == 1:
        if nbat == 1:
            return _backward_rows(dh_seq, dh_T, h_seq, W_hh, W_hh_pk, dA, use_tanh)
        dh0 = np.empty_like(dh_T)
        db_k = np.empty((nbat, H), dtype=dA.dtype)     # each chunk's share, summed below
        for k in prange(nbat):
            b0, b1 = chunk(k, nbat, B)
            dh0[b0:b1], db_k[k] = _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], h_seq[b0:b1], W_hh, W_hh_pk,
                                                 dA[b0:b1], use_tanh)
        db = db_k[0].copy()
        for k in range(1, nbat):
            db += db_k[k]
        return dh0, db
    dh_rec = dh_T.copy()
    db = np.zeros(H, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        for k in prange(nblk):
            _backward_block(k, t, dh_seq, h_seq, W_hh_pk, dA, dh_rec, db, use_tanh, nblk)
    dh0 = np.empty((B, H), dtype=dA.dtype)
    mm(dA[:, 0, :], W_hh, dh0, 0.0)
    return dh0, db


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh"):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nbat, nblk = split(B, D, H, 1)
    use_tanh = nonlinearity == "tanh"
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, pack_blocks(W_ih.T, nblk), pack_blocks(W_hh.T, nblk), b_ih + b_hh,
                        h0, h_seq, use_tanh, nbat, nblk)
    return h_seq, h_seq[:, -1].copy(), (x, W_ih, W_hh, h0, h_seq, use_tanh, nbat, nblk)


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x, W_ih, W_hh, h0, h_seq, use_tanh, nbat, nblk = data
    dA = np.empty_like(h_seq)
    with run_threads():
        dh0, db = _backward_kernel(dh_seq, dh_T, h_seq, W_hh, pack_blocks(W_hh, nblk), dA, use_tanh, nbat, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_ih, max(nbat, nblk))
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy()}
