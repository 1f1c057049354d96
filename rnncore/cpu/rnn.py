"""Elman RNN, Numba CPU kernels (equations in rnncore.reference.rnn).

Per step t and unit block k (one thread each, see ``_common``):

    a_t[:, blk] = x_t W_ih[blk]^T + h_{t-1} W_hh[blk]^T      two GEMMs into h_seq[:, t, blk]
    h_t[:, blk] = act(a_t[:, blk] + b_ih + b_hh)             in place
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import n_blocks, run_threads, weight_grads
from ._math import JIT, PARALLEL_JIT, drelu, dtanh, relu, tanh


@njit(**JIT)
def _forward_block(k, t, x, W_ihT, W_hhT, bias, h0, h_seq, use_tanh, nblk):
    B, T, H = h_seq.shape
    u0, u1 = k * H // nblk, (k + 1) * H // nblk
    a = h_seq[:, t, u0:u1]
    mm(x[:, t, :], W_ihT[:, u0:u1], a, 0.0)
    mm(h_seq[:, t - 1, :] if t > 0 else h0, W_hhT[:, u0:u1], a, 1.0)   # beta = 1: accumulate
    bb = bias[u0:u1]
    for b in range(B):
        ab = h_seq[b, t, u0:u1]
        if use_tanh:                    # a branch per row; the loops inside vectorise
            for j in range(u1 - u0):
                ab[j] = tanh(ab[j] + bb[j])
        else:
            for j in range(u1 - u0):
                ab[j] = relu(ab[j] + bb[j])


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_ihT, W_hhT, bias, h0, h_seq, use_tanh, nblk):
    """Fills h_seq (B, T, H)."""
    for t in range(x.shape[1]):
        if nblk == 1:
            _forward_block(0, t, x, W_ihT, W_hhT, bias, h0, h_seq, use_tanh, 1)
        else:
            for k in prange(nblk):
                _forward_block(k, t, x, W_ihT, W_hhT, bias, h0, h_seq, use_tanh, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, h_seq, W_hh, dA, dh_rec, db, use_tanh, nblk):
    B, T, H = h_seq.shape
    u0, u1 = k * H // nblk, (k + 1) * H // nblk
    if t + 1 < T:                       # dL/dh_t via step t+1 (dh_rec starts as dh_T)
        mm(dA[:, t + 1, :], W_hh[:, u0:u1], dh_rec[:, u0:u1], 0.0)
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


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, h_seq, W_hh, dA, use_tanh, nblk):
    """Reverse sweep. Fills dA (B, T, H) = dL/da_t; returns dh0 (B, H) and db (H,)."""
    B, T, H = h_seq.shape
    dh_rec = dh_T.copy()
    db = np.zeros(H, dtype=dA.dtype)
    for t in range(T - 1, -1, -1):
        if nblk == 1:
            _backward_block(0, t, dh_seq, h_seq, W_hh, dA, dh_rec, db, use_tanh, 1)
        else:
            for k in prange(nblk):
                _backward_block(k, t, dh_seq, h_seq, W_hh, dA, dh_rec, db, use_tanh, nblk)
    dh0 = np.empty((B, H), dtype=dA.dtype)
    mm(dA[:, 0, :], W_hh, dh0, 0.0)
    return dh0, db


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh"):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nblk = n_blocks(B, D, H, 1)
    use_tanh = nonlinearity == "tanh"
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, np.ascontiguousarray(W_ih.T), np.ascontiguousarray(W_hh.T), b_ih + b_hh,
                        h0, h_seq, use_tanh, nblk)
    return h_seq, h_seq[:, -1].copy(), (x, W_ih, W_hh, h0, h_seq, use_tanh, nblk)


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x, W_ih, W_hh, h0, h_seq, use_tanh, nblk = data
    dA = np.empty_like(h_seq)
    with run_threads():
        dh0, db = _backward_kernel(dh_seq, dh_T, h_seq, W_hh, dA, use_tanh, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA, dA, x, h0, h_seq, W_ih, nblk)
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy()}
