"""Peephole LSTM, Numba CPU kernels (equations in rnncore.reference.peephole).

Same layout and jobs as :mod:`rnncore.cpu.lstm`; the gates i and f also
see c_{t-1}, o sees c_t, through the diagonal weights w_peep = (w_ci, w_cf, w_co).
"""
import numpy as np
from numba import njit

from ._common import (_weight_grads_rows, alive, batch_chunks, borrowed, copy_2d, finish_weight_grads, next_chunk,
                      run_chunk_jobs, sum_in_order, weight_grad_parts, xh_buffer)
from ._packed import gemm_packed, pack
from ._reuse import empty
from ._math import JIT, dsigmoid, dtanh, sigmoid, tanh

G = 4


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _forward_rows(x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq):
    """The whole recurrence of a chunk of batch rows (one job): fills gates (B, T, 4H)
    with the activated gates, c_seq and h_seq (see ``lstm._forward_step``)."""
    B, T, D = x.shape
    H = c0.shape[1]
    w_ci, w_cf, w_co = w_peep[0], w_peep[1], w_peep[2]
    xh_owner = xh_buffer(x, h0)
    xh, = borrowed((xh_owner,))              # its steps' views uncounted (_common.BORROWED)
    for t in range(T):
        xh_cur, xh_next = xh[t % 2], xh[(t + 1) % 2]
        gemm_packed(xh_cur, W_pk, 0, gates[:, t, :], False)
        # Not lstm._forward_step's loops: i, f see c_{t-1} and o sees c_t, so the gates cannot be
        # activated in one pass over all 4H columns first. Measured, float32 (64, 100, 32, 128),
        # one thread, forward keeping the cache: 46 ms against the LSTM's 22.5 while one loop over
        # the units computed all of a unit's gates, c_t and h_t; 16.0 to 16.1 ms against the LSTM's
        # 15.8 to 16.0 (median of 40 calls, two runs) since each loop writes one array.
        for b in range(B):
            a = gates[b, t]
            c_prev = c_seq[b, t - 1] if t > 0 else c0[b]
            c_t, h_t, h_next = c_seq[b, t], h_seq[b, t], xh_next[b, D:]
            i, f, g, og = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            b_i, b_f, b_g, b_o = bias[:H], bias[H:2 * H], bias[2 * H:3 * H], bias[3 * H:]
            for j in range(H):                   # one array written per loop (_common.ONE_STORE_PER_LOOP)
                i[j] = sigmoid(i[j] + b_i[j] + w_ci[j] * c_prev[j])
            for j in range(H):
                f[j] = sigmoid(f[j] + b_f[j] + w_cf[j] * c_prev[j])
            for j in range(H):
                g[j] = tanh(g[j] + b_g[j])
            for j in range(H):
                c_t[j] = f[j] * c_prev[j] + i[j] * g[j]
            for j in range(H):
                og[j] = sigmoid(og[j] + b_o[j] + w_co[j] * c_t[j])
            for j in range(H):
                h_t[j] = og[j] * tanh(c_t[j])
            for j in range(H):
                h_next[j] = h_t[j]
        if t + 1 < T:
            copy_2d(xh_next[:, :D], x[:, t + 1])
    alive(xh_owner)


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
    tanh_c_owner = np.empty(H, dtype=dA.dtype)
    tanh_c, = borrowed((tanh_c_owner,))      # uncounted views (_common.BORROWED)
    for t in range(T - 1, -1, -1):
        if t + 1 < T:                  # dL/dh_t via step t+1 (dh_rec starts as dh_T)
            gemm_packed(dA[:, t + 1, :], W_hh_pk, 0, dh_rec, False)
        # lstm._backward_step's loops plus the peephole terms, in a kernel of its own: with w_peep = 0
        # it gives the LSTM's dA bit for bit, and it has no relu side. Measured, float32
        # (64, 100, 32, 128), one thread, the whole backward: 34.6 and 34.9 ms against the LSTM's
        # 34.4 and 35.7 (median of 40 calls, two runs).
        for b in range(B):
            gb, da = gates[b, t], dA[b, t]
            cb = c_seq[b, t]
            cpb = c_seq[b, t - 1] if t > 0 else c0[b]
            dhb, dh, dcb = dh_seq[b, t], dh_rec[b], dc[b]
            i, f, g, og = gb[:H], gb[H:2 * H], gb[2 * H:3 * H], gb[3 * H:]
            da_i, da_f, da_g, da_o = da[:H], da[H:2 * H], da[2 * H:3 * H], da[3 * H:]
            # one array written per loop (_common.ONE_STORE_PER_LOOP): dh_rec becomes dL/dh_t,
            # dc dL/dc_t and then dL/dc_{t-1}; tanh_c holds tanh(c_t), recomputed
            for j in range(H):
                dh[j] = dhb[j] + dh[j]
            for j in range(H):
                tanh_c[j] = tanh(cb[j])
            for j in range(H):
                da_o[j] = dh[j] * tanh_c[j] * dsigmoid(og[j])
            for j in range(H):
                dcb[j] = dcb[j] + dh[j] * og[j] * dtanh(tanh_c[j]) + da_o[j] * w_co[j]
            for j in range(H):
                da_i[j] = dcb[j] * g[j] * dsigmoid(i[j])
            for j in range(H):
                da_f[j] = dcb[j] * cpb[j] * dsigmoid(f[j])
            for j in range(H):
                da_g[j] = dcb[j] * i[j] * dtanh(g[j])
            for j in range(H):
                dcb[j] = dcb[j] * f[j] + da_i[j] * w_ci[j] + da_f[j] * w_cf[j]
            for j in range(H):
                dw_ci[j] += da_i[j] * cpb[j]
            for j in range(H):
                dw_cf[j] += da_f[j] * cpb[j]
            for j in range(H):
                dw_co[j] += da_o[j] * cb[j]
            for q in range(G * H):
                db[q] += da[q]
    gemm_packed(dA[:, 0, :], W_hh_pk, 0, dh_rec, False)     # dh0 = dA_0 W_hh
    alive(tanh_c_owner)


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _forward_jobs(next_job, n, bounds, x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq):
    """Chunk after chunk (rows bounds[k]:bounds[k + 1]) until none is left: one per thread (see _pool.run_jobs)."""
    # views of these do no reference counting (_common.BORROWED)
    x, W_pk, bias, w_peep, h0 = borrowed((x, W_pk, bias, w_peep, h0))
    c0, gates, c_seq, h_seq = borrowed((c0, gates, c_seq, h_seq))
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _forward_rows(x[b0:b1], W_pk, bias, w_peep, h0[b0:b1], c0[b0:b1], gates[b0:b1], c_seq[b0:b1],
                      h_seq[b0:b1])


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _backward_jobs(next_job, n, bounds, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh0, dc0, db_k,
                   dw_k, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k):
    """Chunk after chunk until none is left (see _forward_jobs): its reverse sweep, then its rows'
    share of the weight gradients (``_common.WeightGradParts``: A ... dW_hh_k); chunk k's shares
    go to db_k[k], dw_k[k], dW_ih_k[k], dW_hh_k[k]."""
    # views of these do no reference counting (_common.BORROWED)
    dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk = borrowed((dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk))
    w_peep, dA, dh0, dc0, db_k, dw_k = borrowed((w_peep, dA, dh0, dc0, db_k, dw_k))
    A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k = borrowed((A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k))
    T = dA.shape[1]
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], dc_T[b0:b1], gates[b0:b1], c_seq[b0:b1], c0[b0:b1], W_hh_pk,
                       w_peep, dA[b0:b1], dh0[b0:b1], dc0[b0:b1], db_k[k], dw_k[k])
        _weight_grads_rows(b0 * T, b1 * T, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k[k], dW_hh_k[k])


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0, keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``
    (None with ``keep_cache=False``: the kernel still fills the gates, then they are dropped)."""
    B, T, D = x.shape
    H = h0.shape[1]
    chunks = batch_chunks(B, T, D, H, G)
    W_cat = np.concatenate([W_ih, W_hh], axis=1)
    W_pk = pack(W_cat.T)
    bias = b_ih + b_hh
    gates = empty((B, T, G * H), x.dtype)             # large ones: pages kept for reuse (_reuse)
    c_seq = empty((B, T, H), x.dtype)
    h_seq = empty((B, T, H), x.dtype)
    run_chunk_jobs(_forward_jobs, chunks, x, W_pk, bias, w_peep, h0, c0, gates, c_seq, h_seq)
    data = (x, h0, c0, W_cat, w_peep, chunks, gates, c_seq, h_seq) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), c_seq[:, -1].copy(), data


def backward(dh_seq, data, dh_T, dc_T, need_dx=True):
    """BPTT. Returns dx (None without need_dx), dh0, dc0, dW_ih, dW_hh, db_ih, db_hh, dw_peep."""
    x, h0, c0, W_cat, w_peep, chunks, gates, c_seq, h_seq = data
    D = x.shape[2]
    dA = empty(gates.shape, gates.dtype)
    dh0, dc0 = np.empty_like(dh_T), np.empty_like(dc_T)
    db_k = np.empty((len(chunks), gates.shape[2]), dtype=x.dtype)   # each chunk's shares
    dw_k = np.empty((len(chunks),) + w_peep.shape, dtype=x.dtype)
    W_hh_pk = pack(W_cat[:, D:])
    wg = weight_grad_parts(dA, dA, x, h_seq, h0, W_cat[:, :D], len(chunks), need_dx)
    run_chunk_jobs(_backward_jobs, chunks, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, w_peep, dA, dh0, dc0,
                   db_k, dw_k, *wg)
    dx, dW_ih, dW_hh = finish_weight_grads(wg, need_dx)
    db = sum_in_order(db_k)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy(),
            "dw_peep": sum_in_order(dw_k)}
