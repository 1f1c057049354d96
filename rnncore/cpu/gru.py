"""GRU, Numba CPU kernels (gate order r, z, n; equations in rnncore.reference.gru).

The reset gate multiplies W_hn h + b_hn, so the input and recurrent
projections stay apart: per step t, for a chunk of batch rows or a block of hidden
units k (one thread each, see ``_common.split``), with the weight rows reordered so
a block's [r, z, n] are adjacent, and both products on weights packed once (``_packed``),

    gi = x_t W_ih[blk]^T          -> gates[:, t, blk]    (then the activated r, z, n)
    gh = h_{t-1} W_hh[blk]^T      -> a (B, 3H) scratch row; W_hn h + b_hn is kept in hn_seq

n = tanh(...) or, with ``use_tanh`` False, relu(...) (Keras' ``activation='relu'``). As
in ``lstm``, each block tests the flag once, around its whole loop over rows, and
each side is the complete loop nest.
"""
import numpy as np
from numba import njit, prange

from ._blas import mm
from ._common import chunk, gate_order, reorder, run_threads, split, unpack_rows, weight_grads
from ._packed import gemm_packed, pack_blocks
from ._math import JIT, PARALLEL_JIT, drelu, dsigmoid, dtanh, relu, sigmoid, tanh

G = 3


@njit(**JIT)
def _forward_block(k, t, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, nblk):
    B, T, H = h_seq.shape
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    # W_ih_pk[k], W_hh_pk[k]: the block's columns of W_ih^T and W_hh^T, packed once (see _packed)
    gemm_packed(x[:, t, :], W_ih_pk[k], 0, gates[:, t, o:o + G * Hb], False)
    gemm_packed(h_seq[:, t - 1, :] if t > 0 else h0, W_hh_pk[k], 0, rec[:, o:o + G * Hb], False)
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


@njit(**JIT)
def _forward_rows(x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_tanh):
    """The whole recurrence of a chunk of batch rows on one thread."""
    rec = np.empty((x.shape[0], gates.shape[2]), dtype=x.dtype)   # h_{t-1} W_hh^T, reused every step
    for t in range(x.shape[1]):
        _forward_block(0, t, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, 1)


@njit(**PARALLEL_JIT)
def _forward_kernel(x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_tanh, nbat, nblk):
    """Fills gates (B, T, 3H) with the activated r, z, n (reordered rows),
    hn_seq = W_hn h_{t-1} + b_hn and h_seq (B, T, H). Threads (``_common.split``):
    nbat chunks of rows, or nblk unit blocks per step."""
    B, T, GH = gates.shape
    if nblk == 1:
        if nbat == 1:
            _forward_rows(x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_tanh)
        else:
            for k in prange(nbat):
                b0, b1 = chunk(k, nbat, B)
                _forward_rows(x[b0:b1], W_ih_pk, W_hh_pk, b_ih, b_hh, h0[b0:b1], gates[b0:b1], hn_seq[b0:b1],
                              h_seq[b0:b1], use_tanh)
        return
    rec = np.empty((B, GH), dtype=x.dtype)
    for t in range(T):
        for k in prange(nblk):
            _forward_block(k, t, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_tanh, nblk)


@njit(**JIT)
def _backward_block(k, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh_next, db_i, db_h, use_tanh,
                    nblk):
    """Step t (reverse), unit block k: dA_i = dL/d(input projection) and
    dA_h = dL/d(recurrent projection); they differ in the n block by the factor r."""
    B, T, H = h_seq.shape
    Hb = H // nblk
    u0, o = k * Hb, k * G * Hb
    # dh_next holds the direct path dh_{t+1} z_{t+1} (dh_T at the start); add dA_h,t+1 W_hh
    if t + 1 < T:
        gemm_packed(dA_h[:, t + 1, :], W_hh_pk[k], 0, dh_next[:, u0:u0 + Hb], True)
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


@njit(**JIT)
def _backward_rows(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh, W_hh_pk, dA_i, dA_h, use_tanh):
    """The whole reverse sweep of a chunk of batch rows on one thread: fills its rows of
    dA_i, dA_h; returns its dh0 (rows, H) and its shares of db_ih, db_hh."""
    B, T, GH = gates.shape
    dh_next = dh_T.copy()
    db_i = np.zeros(GH, dtype=gates.dtype)
    db_h = np.zeros(GH, dtype=gates.dtype)
    for t in range(T - 1, -1, -1):
        _backward_block(0, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh_next, db_i, db_h,
                        use_tanh, 1)
    mm(dA_h[:, 0, :], W_hh, dh_next, 1.0)           # dh0 = direct path + dA_h,0 W_hh
    return dh_next, db_i, db_h


@njit(**PARALLEL_JIT)
def _backward_kernel(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh, W_hh_pk, dA_i, dA_h, use_tanh, nbat, nblk):
    """Reverse sweep. Fills dA_i, dA_h (B, T, 3H); returns dh0 (B, H), db_ih, db_hh."""
    B, T, GH = gates.shape
    if nblk == 1:
        if nbat == 1:
            return _backward_rows(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh, W_hh_pk, dA_i, dA_h, use_tanh)
        dh0 = np.empty_like(dh_T)
        db_k = np.empty((nbat, 2, GH), dtype=gates.dtype)   # each chunk's shares, summed below
        for k in prange(nbat):
            b0, b1 = chunk(k, nbat, B)
            dh0[b0:b1], db_k[k, 0], db_k[k, 1] = _backward_rows(
                dh_seq[b0:b1], dh_T[b0:b1], gates[b0:b1], hn_seq[b0:b1], h_seq[b0:b1], h0[b0:b1], W_hh, W_hh_pk,
                dA_i[b0:b1], dA_h[b0:b1], use_tanh)
        db = db_k[0].copy()
        for k in range(1, nbat):
            db += db_k[k]
        return dh0, db[0].copy(), db[1].copy()
    dh_next = dh_T.copy()
    db_i = np.zeros(GH, dtype=gates.dtype)
    db_h = np.zeros(GH, dtype=gates.dtype)
    for t in range(T - 1, -1, -1):
        for k in prange(nblk):
            _backward_block(k, t, dh_seq, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh_next, db_i, db_h,
                            use_tanh, nblk)
    mm(dA_h[:, 0, :], W_hh, dh_next, 1.0)
    return dh_next, db_i, db_h


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="tanh"):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward``."""
    B, T, D = x.shape
    H = h0.shape[1]
    nbat, nblk = split(B, D, H, G)
    order = gate_order(G, H, nblk)
    use_tanh = activation == "tanh"
    W_ih_p, W_hh_p = reorder(W_ih, order), reorder(W_hh, order)
    gates = np.empty((B, T, G * H), dtype=x.dtype)
    hn_seq = np.empty((B, T, H), dtype=x.dtype)
    h_seq = np.empty((B, T, H), dtype=x.dtype)
    with run_threads():
        _forward_kernel(x, pack_blocks(W_ih_p.T, nblk), pack_blocks(W_hh_p.T, nblk),
                        reorder(b_ih, order), reorder(b_hh, order), h0, gates, hn_seq, h_seq, use_tanh, nbat, nblk)
    data = (x, h0, W_ih_p, W_hh_p, order, nbat, nblk, gates, hn_seq, h_seq, use_tanh)
    return h_seq, h_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    x, h0, W_ih_p, W_hh_p, order, nbat, nblk, gates, hn_seq, h_seq, use_tanh = data
    dA_i = np.empty_like(gates)
    dA_h = np.empty_like(gates)
    with run_threads():
        dh0, db_i, db_h = _backward_kernel(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh_p,
                                           pack_blocks(W_hh_p, nblk), dA_i, dA_h, use_tanh, nbat, nblk)
        dx, dW_ih, dW_hh = weight_grads(dA_i, dA_h, x, h0, h_seq, W_ih_p, max(nbat, nblk))
    return {"dx": dx, "dh0": dh0, "dW_ih": unpack_rows(dW_ih, order), "dW_hh": unpack_rows(dW_hh, order),
            "db_ih": unpack_rows(db_i, order), "db_hh": unpack_rows(db_h, order)}
