"""GRU, Numba CPU kernels (gate order r, z, n; equations in rnncore.reference.gru).

The reset gate multiplies W_hn h + b_hn, so the input and recurrent
projections stay apart: per step t and unit block k (one thread each, see
``_common``), with the weight rows reordered so a block's [r, z, n] are adjacent,

    gi = x_t W_ih[blk]^T          -> gates[:, t, blk]    (then the activated r, z, n)
    gh = h_{t-1} W_hh[blk]^T      -> a (B, 3H) scratch row; W_hn h + b_hn is kept in hn_seq

n = tanh(...) or, with ``use_tanh`` False, relu(...) (Keras' ``activation='relu'``). As
in ``lstm``, each block tests the flag once, around its whole loop over rows, and
each side is the complete loop nest.
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import gate_order, n_blocks, run_threads, unpack_rows, weight_grads
from ._math import JIT, PARALLEL_JIT, drelu, dsigmoid, dtanh, relu, sigmoid, tanh

G = 3


@njit(**JIT)
def _forward_block(k, t, x, W_ihT, W_hhT, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, nblk):
    B, T, H = h_seq.shape
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    mm(x[:, t, :], W_ihT[:, o:o + G * Hb], gates[:, t, o:o + G * Hb], 0.0)
    mm(h_seq[:, t - 1, :] if t > 0 else h0, W_hhT[:, o:o + G * Hb], rec[:, o:o + G * Hb], 0.0)
    bi, bh = b_ih[o:o + G * Hb], b_hh[o:o + G * Hb]
    # one branch around the whole loop over rows, each side the complete nest (see lstm)
    if use_tanh:
        for b in range(B):
            a, gh = gates[b, t, o:o + G * Hb], rec[b, o:o + G * Hb]
            h_prev = h_seq[b, t - 1, u0:u0 + Hb] if t > 0 else h0[b, u0:u0 + Hb]
            hn, h_t = hn_seq[b, t, u0:u0 + Hb], h_seq[b, t, u0:u0 + Hb]
            for q in range(2 * Hb):                       # r and z
                a[q] = sigmoid(a[q] + bi[q] + gh[q] + bh[q])
            for j in range(Hb):
                hn[j] = gh[2 * Hb + j] + bh[2 * Hb + j]   # W_hn h_{t-1} + b_hn
                n = tanh(a[2 * Hb + j] + bi[2 * Hb + j] + a[j] * hn[j])
                a[2 * Hb + j] = n
                h_t[j] = n + a[Hb + j] * (h_prev[j] - n)  # (1 - z) n + z h_{t-1}
    else:
        for b in range(B):
            a, gh = gates[b, t, o:o + G * Hb], rec[b, o:o + G * Hb]
            h_prev = h_seq[b, t - 1, u0:u0 + Hb] if t > 0 else h0[b, u0:u0 + Hb]
            hn, h_t = hn_seq[b, t, u0:u0 + Hb], h_seq[b, t, u0:u0 + Hb]
            for q in range(2 * Hb):
                a[q] = sigmoid(a[q] + bi[q] + gh[q] + bh[q])
            for j in range(Hb):
                hn[j] = gh[2 * Hb + j] + bh[2 * Hb + j]
                n = relu(a[2 * Hb + j] + bi[2 * Hb + j] + a[j] * hn[j])
                a[2 * Hb + j] = n
                h_t[j] = n + a[Hb + j] * (h_prev[j] - n)


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_ihT, W_hhT, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_tanh, nblk):
    """Fills gates (B, T, 3H) with the activated r, z, n (reordered rows),
    hn_seq = W_hn h_{t-1} + b_hn and h_seq (B, T, H)."""
    B, T, GH = gates.shape
    rec = np.empty((B, GH), dtype=x.dtype)        # h_{t-1} W_hh^T, reused every step
    for t in range(T):
        if nblk == 1:
            _forward_block(0, t, x, W_ihT, W_hhT, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, 1)
        else:
            for k in prange(nblk):
                _forward_block(k, t, x, W_ihT, W_hhT, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh, dA_i, dA_h, dh_next, db_i, db_h, use_tanh,
                    nblk):
    """Step t (reverse), unit block k: dA_i = dL/d(input projection) and
    dA_h = dL/d(recurrent projection); they differ in the n block by the factor r."""
    B, T, H = h_seq.shape
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    # dh_next holds the direct path dh_{t+1} z_{t+1} (dh_T at the start); add dA_h,t+1 W_hh
    if t + 1 < T:
        mm(dA_h[:, t + 1, :], W_hh[:, u0:u0 + Hb], dh_next[:, u0:u0 + Hb], 1.0)
    dbi, dbh = db_i[o:o + G * Hb], db_h[o:o + G * Hb]
    if use_tanh:                                     # one branch around the whole nest, as in forward
        for b in range(B):
            gb, hnb = gates[b, t, o:o + G * Hb], hn_seq[b, t, u0:u0 + Hb]
            h_prev = h_seq[b, t - 1, u0:u0 + Hb] if t > 0 else h0[b, u0:u0 + Hb]
            di, dh_ = dA_i[b, t, o:o + G * Hb], dA_h[b, t, o:o + G * Hb]
            dy, dn = dh_seq[b, t, u0:u0 + Hb], dh_next[b, u0:u0 + Hb]
            for j in range(Hb):
                r, z, n = gb[j], gb[Hb + j], gb[2 * Hb + j]
                dh = dy[j] + dn[j]
                da_n = (dh - dh * z) * dtanh(n)          # dn = dh (1 - z)
                da_r = da_n * hnb[j] * dsigmoid(r)
                da_z = dh * (h_prev[j] - n) * dsigmoid(z)
                di[j] = da_r
                di[Hb + j] = da_z
                di[2 * Hb + j] = da_n
                dh_[j] = da_r
                dh_[Hb + j] = da_z
                dh_[2 * Hb + j] = da_n * r
                dn[j] = dh * z                           # direct path h_{t-1} -> h_t
            for q in range(G * Hb):
                dbi[q] += di[q]
                dbh[q] += dh_[q]
    else:
        for b in range(B):
            gb, hnb = gates[b, t, o:o + G * Hb], hn_seq[b, t, u0:u0 + Hb]
            h_prev = h_seq[b, t - 1, u0:u0 + Hb] if t > 0 else h0[b, u0:u0 + Hb]
            di, dh_ = dA_i[b, t, o:o + G * Hb], dA_h[b, t, o:o + G * Hb]
            dy, dn = dh_seq[b, t, u0:u0 + Hb], dh_next[b, u0:u0 + Hb]
            for j in range(Hb):
                r, z, n = gb[j], gb[Hb + j], gb[2 * Hb + j]
                dh = dy[j] + dn[j]
                da_n = (dh - dh * z) * drelu(n)          # relu' from the output n
                da_r = da_n * hnb[j] * dsigmoid(r)
                da_z = dh * (h_prev[j] - n) * dsigmoid(z)
                di[j] = da_r
                di[Hb + j] = da_z
                di[2 * Hb + j] = da_n
                dh_[j] = da_r
                dh_[Hb + j] = da_z
                dh_[2 * Hb + j] = da_n * r
                dn[j] = dh * z
            for q in range(G * Hb):
                dbi[q] += di[q]
                dbh[q] += dh_[q]


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh, dA_i, dA_h, use_tanh, nblk):
    """Reverse sweep. Fills dA_i, dA_h (B, T, 3H); returns dh0 (B, H), db_ih, db_hh."""
    B, T, GH = gates.shape
    dh_next = dh_T.copy()
    db_i = np.zeros(GH, dtype=gates.dtype)
    db_h = np.zeros(GH, dtype=gates.dtype)
    for t in range(T - 1, -1, -1):
        if nblk == 1:
            _backward_block(0, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh, dA_i, dA_h, dh_next, db_i, db_h,
                            use_tanh, 1)
        else:
            for k in prange(nblk):
                _backward_block(k, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh, dA_i, dA_h, dh_next, db_i, db_h,
                                use_tanh, nblk)
    mm(dA_h[:, 0, :], W_hh, dh_next, 1.0)           # dh0 = direct path + dA_h,0 W_hh
    return dh_next, db_i, db_h


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="tanh"):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nblk = n_blocks(B, D, H, G)
    order = gate_order(G, H, nblk)
    use_tanh = activation == "tanh"
    W_ih_p, W_hh_p = np.ascontiguousarray(W_ih[order]), np.ascontiguousarray(W_hh[order])
    gates = np.empty((B, T, G * H), dtype=x.dtype)
    hn_seq = np.empty((B, T, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, np.ascontiguousarray(W_ih_p.T), np.ascontiguousarray(W_hh_p.T),
                        b_ih[order], b_hh[order], h0, gates, hn_seq, h_seq, use_tanh, nblk)
    data = (x, h0, W_ih_p, W_hh_p, order, nblk, gates, hn_seq, h_seq, use_tanh)
    return h_seq, h_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x, h0, W_ih_p, W_hh_p, order, nblk, gates, hn_seq, h_seq, use_tanh = data
    dA_i = np.empty_like(gates)
    dA_h = np.empty_like(gates)
    with run_threads():
        dh0, db_i, db_h = _backward_kernel(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh_p, dA_i, dA_h,
                                           use_tanh, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA_i, dA_h, x, h0, h_seq, W_ih_p, nblk)
    return {"dx": dx, "dh0": dh0, "dW_ih": unpack_rows(dW_ih, order), "dW_hh": unpack_rows(dW_hh, order),
            "db_ih": unpack_rows(db_i, order), "db_hh": unpack_rows(db_h, order)}
