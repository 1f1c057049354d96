"""GRU, Numba CPU kernels (gate order r, z, n; equations in rnncore.reference.gru).

The reset gate multiplies W_hn h + b_hn, so the input and recurrent
projections stay apart: per step t, for a chunk of batch rows (one job each, see
``_common``), both products on weights packed once (``_packed``),

    gi = x_t W_ih^T          -> gates[:, t]    (then the activated r, z, n)
    gh = h_{t-1} W_hh^T      -> a (B, 3H) scratch row; W_hn h + b_hn is kept in hn_seq

n = tanh(...), or relu(...) (Keras' ``activation='relu'``; ``use_relu``, see
``_math.activation_flag``). As in ``lstm``, each step tests the flag once, around
its whole loop over rows, and each side is the complete loop nest.
"""
import numpy as np
from numba import njit

from ._common import (_weight_grads_rows, alive, batch_chunks, borrowed, copy_2d, finish_weight_grads, next_chunk,
                      run_chunk_jobs, sum_in_order, weight_grad_parts)
from ._packed import gemm_packed, pack
from ._reuse import empty
from ._math import JIT, activation_flag, drelu, dsigmoid, dtanh, relu, sigmoid, tanh

G = 3


@njit(inline="always", **JIT)   # into its rows: see _common.INLINE_STEPS
def _forward_step(t, x, W_ih_pk, W_hh_pk, bi, bh, h0, gates, rec, hn_seq, h_seq, use_relu):
    B, T, H = h_seq.shape
    # W_ih_pk, W_hh_pk: W_ih^T and W_hh^T, packed once (see _packed)
    gemm_packed(x[:, t, :], W_ih_pk, 0, gates[:, t, :], False)
    gemm_packed(h_seq[:, t - 1, :] if t > 0 else h0, W_hh_pk, 0, rec, False)
    # One branch around the whole loop over rows, each side the complete nest: in the LSTM a
    # branch inside it (even once per row) measured up to 1.5x slower in float32 (see lstm).
    if use_relu is None:
        for b in range(B):
            a, gh = gates[b, t], rec[b]
            h_prev = h_seq[b, t - 1] if t > 0 else h0[b]
            hn, h_t = hn_seq[b, t], h_seq[b, t]
            for q in range(2 * H):                       # r and z
                a[q] = sigmoid(a[q] + bi[q] + gh[q] + bh[q])
            r, z, n = a[:H], a[H:2 * H], a[2 * H:]
            gh_n, bh_n, bi_n = gh[2 * H:], bh[2 * H:], bi[2 * H:]
            # one array written per loop (_common.ONE_STORE_PER_LOOP)
            for j in range(H):
                hn[j] = gh_n[j] + bh_n[j]                # W_hn h_{t-1} + b_hn
            for j in range(H):
                n[j] = tanh(n[j] + bi_n[j] + r[j] * hn[j])
            for j in range(H):
                h_t[j] = n[j] + z[j] * (h_prev[j] - n[j])   # (1 - z) n + z h_{t-1}
    else:
        for b in range(B):
            a, gh = gates[b, t], rec[b]
            h_prev = h_seq[b, t - 1] if t > 0 else h0[b]
            hn, h_t = hn_seq[b, t], h_seq[b, t]
            for q in range(2 * H):
                a[q] = sigmoid(a[q] + bi[q] + gh[q] + bh[q])
            r, z, n = a[:H], a[H:2 * H], a[2 * H:]
            gh_n, bh_n, bi_n = gh[2 * H:], bh[2 * H:], bi[2 * H:]
            for j in range(H):
                hn[j] = gh_n[j] + bh_n[j]
            for j in range(H):
                n[j] = relu(n[j] + bi_n[j] + r[j] * hn[j])
            for j in range(H):
                h_t[j] = n[j] + z[j] * (h_prev[j] - n[j])


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _forward_rows(x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_relu):
    """The whole recurrence of a chunk of batch rows (one job): fills gates (B, T, 3H)
    with the activated r, z, n, hn_seq = W_hn h_{t-1} + b_hn and h_seq (B, T, H)."""
    rec_owner = np.empty((x.shape[0], gates.shape[2]), dtype=x.dtype)   # h_{t-1} W_hh^T, reused every step
    rec, = borrowed((rec_owner,))            # uncounted views (_common.BORROWED)
    for t in range(x.shape[1]):
        _forward_step(t, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, rec, hn_seq, h_seq, use_relu)
    alive(rec_owner)


@njit(inline="always", **JIT)   # into its rows: see _common.INLINE_STEPS
def _backward_step(t, dh_seq, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh_next, db_i, db_h, use_relu):
    """Step t (reverse): dA_i = dL/d(input projection) and dA_h = dL/d(recurrent
    projection); they differ in the n block by the factor r."""
    B, T, H = h_seq.shape
    # dh_next holds the direct path dh_{t+1} z_{t+1} (dh_T at the start); add dA_h,t+1 W_hh
    if t + 1 < T:
        gemm_packed(dA_h[:, t + 1, :], W_hh_pk, 0, dh_next, True)
    if use_relu is None:                                     # one branch around the whole nest, as in forward
        for b in range(B):
            gb, hnb = gates[b, t], hn_seq[b, t]
            h_prev = h_seq[b, t - 1] if t > 0 else h0[b]
            di, dh_ = dA_i[b, t], dA_h[b, t]
            dy, dh = dh_seq[b, t], dh_next[b]
            r, z, n = gb[:H], gb[H:2 * H], gb[2 * H:]
            da_r, da_z, da_n = di[:H], di[H:2 * H], di[2 * H:]
            # one array written per loop (_common.ONE_STORE_PER_LOOP); dh_next becomes dL/dh_t,
            # then the direct path dL/dh_t z_t
            for j in range(H):
                dh[j] = dy[j] + dh[j]
            for j in range(H):
                da_n[j] = (dh[j] - dh[j] * z[j]) * dtanh(n[j])     # dn = dh (1 - z)
            for j in range(H):
                da_r[j] = da_n[j] * hnb[j] * dsigmoid(r[j])
            for j in range(H):
                da_z[j] = dh[j] * (h_prev[j] - n[j]) * dsigmoid(z[j])
            for q in range(2 * H):
                dh_[q] = di[q]
            dh_n = dh_[2 * H:]
            for j in range(H):
                dh_n[j] = da_n[j] * r[j]
            for j in range(H):
                dh[j] = dh[j] * z[j]                             # direct path h_{t-1} -> h_t
            for q in range(G * H):
                db_i[q] += di[q]
            for q in range(G * H):
                db_h[q] += dh_[q]
    else:
        for b in range(B):
            gb, hnb = gates[b, t], hn_seq[b, t]
            h_prev = h_seq[b, t - 1] if t > 0 else h0[b]
            di, dh_ = dA_i[b, t], dA_h[b, t]
            dy, dh = dh_seq[b, t], dh_next[b]
            r, z, n = gb[:H], gb[H:2 * H], gb[2 * H:]
            da_r, da_z, da_n = di[:H], di[H:2 * H], di[2 * H:]
            for j in range(H):
                dh[j] = dy[j] + dh[j]
            for j in range(H):
                da_n[j] = (dh[j] - dh[j] * z[j]) * drelu(n[j])   # relu' from the output n
            for j in range(H):
                da_r[j] = da_n[j] * hnb[j] * dsigmoid(r[j])
            for j in range(H):
                da_z[j] = dh[j] * (h_prev[j] - n[j]) * dsigmoid(z[j])
            for q in range(2 * H):
                dh_[q] = di[q]
            dh_n = dh_[2 * H:]
            for j in range(H):
                dh_n[j] = da_n[j] * r[j]
            for j in range(H):
                dh[j] = dh[j] * z[j]
            for q in range(G * H):
                db_i[q] += di[q]
            for q in range(G * H):
                db_h[q] += dh_[q]


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _backward_rows(dh_seq, dh_T, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh0, db, use_relu):
    """The whole reverse sweep of a chunk of batch rows (one job): fills its rows of
    dA_i, dA_h, its dh0 (rows, H) and its shares of db_ih, db_hh (db[0], db[1])."""
    dh_next = dh0
    copy_2d(dh_next, dh_T)
    db[:] = 0.0
    for t in range(gates.shape[1] - 1, -1, -1):
        _backward_step(t, dh_seq, gates, hn_seq, h_seq, h0, W_hh_pk, dA_i, dA_h, dh_next, db[0], db[1], use_relu)
    gemm_packed(dA_h[:, 0, :], W_hh_pk, 0, dh_next, True)     # dh0 = direct path + dA_h,0 W_hh


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _forward_jobs(next_job, n, bounds, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_relu):
    """Chunk after chunk (rows bounds[k]:bounds[k + 1]) until none is left: one per thread (see _pool.run_jobs)."""
    # views of these do no reference counting (_common.BORROWED)
    x, W_ih_pk, W_hh_pk, b_ih, b_hh = borrowed((x, W_ih_pk, W_hh_pk, b_ih, b_hh))
    h0, gates, hn_seq, h_seq = borrowed((h0, gates, hn_seq, h_seq))
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _forward_rows(x[b0:b1], W_ih_pk, W_hh_pk, b_ih, b_hh, h0[b0:b1], gates[b0:b1], hn_seq[b0:b1],
                      h_seq[b0:b1], use_relu)


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _backward_jobs(next_job, n, bounds, dh_seq, dh_T, gates, hn_seq, h_seq, W_hh_pk, dA_i, dA_h, dh0, db_k,
                   use_relu, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k):
    """Chunk after chunk until none is left (see _forward_jobs): its reverse sweep, then its rows'
    share of the weight gradients (``_common.WeightGradParts``: A ... dW_hh_k); chunk k's shares
    go to db_k[k], dW_ih_k[k], dW_hh_k[k]. The sweep's h0 is the parts' (wg_h0), passed once."""
    # views of these do no reference counting (_common.BORROWED)
    dh_seq, dh_T, gates, hn_seq, h_seq = borrowed((dh_seq, dh_T, gates, hn_seq, h_seq))
    W_hh_pk, dA_i, dA_h, dh0, db_k = borrowed((W_hh_pk, dA_i, dA_h, dh0, db_k))
    A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k = borrowed((A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k))
    T = dA_i.shape[1]
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], gates[b0:b1], hn_seq[b0:b1], h_seq[b0:b1], wg_h0[b0:b1],
                       W_hh_pk, dA_i[b0:b1], dA_h[b0:b1], dh0[b0:b1], db_k[k], use_relu)
        _weight_grads_rows(b0 * T, b1 * T, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k[k], dW_hh_k[k])


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="tanh", keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T (B, H), data for ``backward`` (None with keep_cache=False)."""
    B, T, D = x.shape
    H = h0.shape[1]
    chunks = batch_chunks(B, T, D, H, G)
    use_relu = activation_flag(activation)
    W_ih_pk, W_hh_pk = pack(W_ih.T), pack(W_hh.T)
    gates = empty((B, T, G * H), x.dtype)             # large ones: pages kept for reuse (_reuse)
    hn_seq = empty((B, T, H), x.dtype)
    h_seq = empty((B, T, H), x.dtype)
    run_chunk_jobs(_forward_jobs, chunks, x, W_ih_pk, W_hh_pk, b_ih, b_hh, h0, gates, hn_seq, h_seq, use_relu)
    data = (x, h0, W_ih, W_hh, chunks, gates, hn_seq, h_seq, use_relu) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, need_dx=True):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dW_ih, dW_hh, db_ih, db_hh (dx None without need_dx)."""
    x, h0, W_ih, W_hh, chunks, gates, hn_seq, h_seq, use_relu = data
    dA_i = empty(gates.shape, gates.dtype)
    dA_h = empty(gates.shape, gates.dtype)
    dh0 = np.empty_like(dh_T)
    db_k = np.empty((len(chunks), 2, gates.shape[2]), dtype=x.dtype)   # each chunk's shares
    W_hh_pk = pack(W_hh)
    wg = weight_grad_parts(dA_i, dA_h, x, h_seq, h0, W_ih, len(chunks), need_dx)
    run_chunk_jobs(_backward_jobs, chunks, dh_seq, dh_T, gates, hn_seq, h_seq, W_hh_pk, dA_i, dA_h, dh0, db_k,
                   use_relu, *wg)
    dx, dW_ih, dW_hh = finish_weight_grads(wg, need_dx)
    db = sum_in_order(db_k)
    return {"dx": dx, "dh0": dh0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db[0].copy(), "db_hh": db[1].copy()}
