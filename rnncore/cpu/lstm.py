"""LSTM, Numba CPU kernels (gate order i, f, g, o; equations in rnncore.reference.lstm).

Forward, per step t, for a chunk of batch rows (one job each, see ``_common``):

    a_t  = [x_t, h_{t-1}] @ [W_ih | W_hh]^T       one GEMM, K = D + H,
                                                  on weights packed once (``_packed``)
    i, f, g, o   = act(a_t + b_ih + b_hh)          in place, in cache
    c_t = f * c_{t-1} + i * g;   h_t = o * act(c_t)

with sigmoid gates and act = tanh, or relu (Keras' ``activation='relu'``: ``use_relu``,
see ``_math.activation_flag``) for g and for act(c_t). Each step function tests the flag
once, around its whole loop over batch rows, and each side is the complete loop
nest, so the tanh side compiles to the same vectorised loops as tanh-only code.
(Testing it once per row, around the inner loops only, made the float32 backward
up to 1.5x slower on gate-bound shapes.)

The activated gates (B, T, 4H) and c_t are kept for backward. Backward walks
the steps in reverse computing only what needs the recurrence: the gate
pre-activation gradients dA_t (and db, summed on the way) and
dh_{t-1} = dA_t W_hh (packed too); each job then computes its rows' share of dx, dW_ih and
dW_hh, products over all of its steps at once (``_common.WeightGradParts``).
"""
import functools

import numpy as np
from numba import njit

from ._common import (_weight_grads_rows, alive, batch_chunks, borrowed, copy_2d, finish_weight_grads, next_chunk,
                      run_chunk_jobs, sum_in_order, weight_grad_parts, xh_buffer)
from ._packed import gemm_packed, pack
from ._reuse import empty
from ._math import JIT, activation_flag, drelu, dsigmoid, dtanh, fmuladd, relu, sigmoid, tanh

G = 4


@njit(inline="always", **JIT)   # into its rows: see _common.INLINE_STEPS
def _forward_step(t, tg, tc, tp, x, W_pk, bias, act_scale, act_shift, c0, xh_cur, xh_next,
                  gates, c_seq, h_seq, use_relu):
    """Step t: the gates, c_t and h_t of every row, and [x_{t+1}, h_t] for the next step.

    The gates go to gates[:, tg], c_t to c_seq[:, tc], and c_{t-1} is c_seq[:, tp]
    (c0 when tp < 0): tg = tc = t, tp = t - 1 when everything is kept for
    backward; slots 0 and t % 2 of small buffers for inference (see forward)."""
    B, T, D = x.shape
    H = c0.shape[1]
    # i, f, g, o pre-activations, written straight into the gates array
    # (W_pk is [W_ih | W_hh]^T, packed once: see _packed)
    gemm_packed(xh_cur, W_pk, 0, gates[:, tg, :], False)
    # One branch around the whole loop over rows, each side the complete loop nest: a
    # branch inside it (even once per row) made the float32 kernels up to 1.5x slower.
    if use_relu is None:
        for b in range(B):
            a = gates[b, tg]
            # all four gates in one loop: sigmoid(x) = 0.5 tanh(x/2) + 0.5, so each gate
            # is s * tanh(s * (a + b)) + shift: s = 0.5, shift = 0.5, or s = 1, shift = 0 for g
            for q in range(G * H):
                a[q] = fmuladd(act_scale[q], tanh(act_scale[q] * (a[q] + bias[q])), act_shift[q])
            i, f, g, og = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            c_prev = c_seq[b, tp] if tp >= 0 else c0[b]
            c_t, h_t, h_next = c_seq[b, tc], h_seq[b, t], xh_next[b, D:]
            # one array written per loop (_common.ONE_STORE_PER_LOOP)
            for j in range(H):
                c_t[j] = fmuladd(f[j], c_prev[j], i[j] * g[j])
            for j in range(H):
                h_t[j] = og[j] * tanh(c_t[j])
            for j in range(H):
                h_next[j] = h_t[j]
    else:                                             # the same with relu for tanh
        for b in range(B):
            a = gates[b, tg]
            i, f, g, og = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            b_if, b_g, b_o = bias[:2 * H], bias[2 * H:3 * H], bias[3 * H:]
            i_f = a[:2 * H]
            for q in range(2 * H):
                i_f[q] = sigmoid(i_f[q] + b_if[q])
            for j in range(H):
                g[j] = relu(g[j] + b_g[j])
            for j in range(H):
                og[j] = sigmoid(og[j] + b_o[j])
            c_prev = c_seq[b, tp] if tp >= 0 else c0[b]
            c_t, h_t, h_next = c_seq[b, tc], h_seq[b, t], xh_next[b, D:]
            for j in range(H):
                c_t[j] = f[j] * c_prev[j] + i[j] * g[j]
            for j in range(H):
                h_t[j] = og[j] * relu(c_t[j])
            for j in range(H):
                h_next[j] = h_t[j]
    if t + 1 < T:
        copy_2d(xh_next[:, :D], x[:, t + 1])


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _forward_rows(x, W_pk, bias, act_scale, act_shift, h0, c0, gates, c_seq, h_seq, use_relu):
    """The whole recurrence of a chunk of batch rows (one job). Fills h_seq (B, T, H)
    and, with gates (B, T, 4H) and c_seq (B, T, H), the activated gates and cell
    states of every step. Inference passes gates (B, 1, 4H) and c_seq (B, 2, H):
    one step's gates, and c_{t-1}, c_t alternating, stay in cache and nothing is
    written for backward."""
    keep = gates.shape[1] == x.shape[1]
    xh_owner = xh_buffer(x, h0)
    xh, = borrowed((xh_owner,))              # its steps' views uncounted (_common.BORROWED)
    for t in range(x.shape[1]):
        if keep:
            tg, tc, tp = t, t, t - 1
        else:
            tg, tc, tp = 0, t % 2, (t - 1) % 2 if t > 0 else -1
        _forward_step(t, tg, tc, tp, x, W_pk, bias, act_scale, act_shift, c0,
                      xh[t % 2], xh[(t + 1) % 2], gates, c_seq, h_seq, use_relu)
    alive(xh_owner)


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _forward_jobs(next_job, n, bounds, x, W_pk, bias, act_scale, act_shift, h0, c0, gates, c_seq, h_seq,
                  use_relu):
    """Chunk after chunk (rows bounds[k]:bounds[k + 1]) until none is left: one per thread (see _pool.run_jobs)."""
    # views of these do no reference counting (_common.BORROWED)
    x, W_pk, bias, act_scale, act_shift = borrowed((x, W_pk, bias, act_scale, act_shift))
    h0, c0, gates, c_seq, h_seq = borrowed((h0, c0, gates, c_seq, h_seq))
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _forward_rows(x[b0:b1], W_pk, bias, act_scale, act_shift, h0[b0:b1], c0[b0:b1], gates[b0:b1],
                      c_seq[b0:b1], h_seq[b0:b1], use_relu)


@njit(inline="always", **JIT)   # into its rows: see _common.INLINE_STEPS
def _backward_step(t, dh_seq, gates, c_seq, c0, W_hh_pk, dA, dh_rec, dc, db, act_c, use_relu):
    """Step t (reverse): dA[:, t], db and dc; act_c (H,) is scratch."""
    B, T, GH = dA.shape
    H = c0.shape[1]
    # dL/dh_t from step t+1: dA_{t+1} W_hh, W_hh packed (dh_rec starts as dh_T)
    if t + 1 < T:
        gemm_packed(dA[:, t + 1, :], W_hh_pk, 0, dh_rec, False)
    # One array written per loop (_common.ONE_STORE_PER_LOOP): dh_rec becomes dL/dh_t (the next
    # step's product overwrites it), dc becomes dL/dc_t and then, times f, dL/dc_{t-1}; act_c
    # holds act(c_t), recomputed (cheaper than storing it in forward).
    if use_relu is None:                                       # one branch around the whole nest, as in forward
        for b in range(B):
            gb, da = gates[b, t], dA[b, t]
            i, f, g, og = gb[:H], gb[H:2 * H], gb[2 * H:3 * H], gb[3 * H:]
            da_i, da_f, da_g, da_o = da[:H], da[H:2 * H], da[2 * H:3 * H], da[3 * H:]
            c_t = c_seq[b, t]
            c_prev = c_seq[b, t - 1] if t > 0 else c0[b]
            dh_out, dh, dcb = dh_seq[b, t], dh_rec[b], dc[b]
            for j in range(H):
                dh[j] = dh_out[j] + dh[j]
            for j in range(H):
                act_c[j] = tanh(c_t[j])
            for j in range(H):
                da_o[j] = dh[j] * act_c[j] * dsigmoid(og[j])
            for j in range(H):
                dcb[j] = dcb[j] + dh[j] * og[j] * dtanh(act_c[j])
            for j in range(H):
                da_i[j] = dcb[j] * g[j] * dsigmoid(i[j])
            for j in range(H):
                da_f[j] = dcb[j] * c_prev[j] * dsigmoid(f[j])
            for j in range(H):
                da_g[j] = dcb[j] * i[j] * dtanh(g[j])
            for j in range(H):
                dcb[j] = dcb[j] * f[j]             # the constant error carousel
            for q in range(G * H):                 # db_ih = db_hh = sum over (b, t) of dA
                db[q] += da[q]
    else:                                              # relu: act'(y) = (y > 0), so relu'(c_t) = (c_t > 0)
        for b in range(B):
            gb, da = gates[b, t], dA[b, t]
            i, f, g, og = gb[:H], gb[H:2 * H], gb[2 * H:3 * H], gb[3 * H:]
            da_i, da_f, da_g, da_o = da[:H], da[H:2 * H], da[2 * H:3 * H], da[3 * H:]
            c_t = c_seq[b, t]
            c_prev = c_seq[b, t - 1] if t > 0 else c0[b]
            dh_out, dh, dcb = dh_seq[b, t], dh_rec[b], dc[b]
            for j in range(H):
                dh[j] = dh_out[j] + dh[j]
            for j in range(H):
                act_c[j] = relu(c_t[j])
            for j in range(H):
                da_o[j] = dh[j] * act_c[j] * dsigmoid(og[j])
            for j in range(H):
                dcb[j] = dcb[j] + dh[j] * og[j] * drelu(act_c[j])
            for j in range(H):
                da_i[j] = dcb[j] * g[j] * dsigmoid(i[j])
            for j in range(H):
                da_f[j] = dcb[j] * c_prev[j] * dsigmoid(f[j])
            for j in range(H):
                da_g[j] = dcb[j] * i[j] * drelu(g[j])
            for j in range(H):
                dcb[j] = dcb[j] * f[j]
            for q in range(G * H):
                db[q] += da[q]


@njit(inline="always", **JIT)   # into its driver: see _common.INLINE_ROWS
def _backward_rows(dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, dA, dh0, dc0, db, use_relu):
    """The whole reverse sweep of a chunk of batch rows (one job): fills its rows of dA,
    its dh0 and dc0 (rows, H) and db (4H,), its share of the bias gradient."""
    copy_2d(dh0, dh_T)
    copy_2d(dc0, dc_T)
    db[:] = 0.0
    act_c_owner = np.empty(c0.shape[1], dtype=dA.dtype)
    act_c, = borrowed((act_c_owner,))        # uncounted views (_common.BORROWED)
    for t in range(dA.shape[1] - 1, -1, -1):
        _backward_step(t, dh_seq, gates, c_seq, c0, W_hh_pk, dA, dh0, dc0, db, act_c, use_relu)
    alive(act_c_owner)
    gemm_packed(dA[:, 0, :], W_hh_pk, 0, dh0, False)     # dh0 = dA_0 W_hh


# A driver of its own: a generic one, taking the kernel, is compiled again in every process (_common.next_chunk).
@njit(**JIT)
def _backward_jobs(next_job, n, bounds, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, dA, dh0, dc0, db_k,
                   use_relu, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k):
    """Chunk after chunk until none is left (see _forward_jobs): its reverse sweep, then its rows'
    share of the weight gradients (``_common.WeightGradParts``: A ... dW_hh_k); chunk k's shares
    go to db_k[k], dW_ih_k[k], dW_hh_k[k]."""
    # views of these do no reference counting (_common.BORROWED)
    dh_seq, dh_T, dc_T, gates, c_seq, c0 = borrowed((dh_seq, dh_T, dc_T, gates, c_seq, c0))
    W_hh_pk, dA, dh0, dc0, db_k = borrowed((W_hh_pk, dA, dh0, dc0, db_k))
    A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k = borrowed((A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k, dW_hh_k))
    T = dA.shape[1]
    while True:
        k, b0, b1 = next_chunk(next_job, n, bounds)
        if k < 0:
            return
        _backward_rows(dh_seq[b0:b1], dh_T[b0:b1], dc_T[b0:b1], gates[b0:b1], c_seq[b0:b1], c0[b0:b1], W_hh_pk,
                       dA[b0:b1], dh0[b0:b1], dc0[b0:b1], db_k[k], use_relu)
        _weight_grads_rows(b0 * T, b1 * T, A, A_h, x2, h2, wg_h0, W_ih, dx2, dW_ih_k[k], dW_hh_k[k])


@functools.lru_cache(maxsize=64)
def _gate_affine(H, dtype):
    """Per gate column, (s, shift) of s * tanh(s * a) + shift: sigmoid (0.5, 0.5) for
    i, f, o, tanh (1, 0) for g. Cached (the kernels only read them)."""
    s = np.full(G * H, 0.5, dtype=dtype)
    s[2 * H:3 * H] = 1.0
    shift = s.copy()
    shift[2 * H:3 * H] = 0.0
    return s, shift


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, activation="tanh", keep_cache=True):
    """x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), data for ``backward``.

    keep_cache=False (inference): the gates and cell states of past steps are not
    kept, data is None. Besides the memory, writing a (B, T, 4H) array that no
    longer fits in cache is a good part of a large forward's time.
    """
    B, T, D = x.shape
    H = h0.shape[1]
    chunks = batch_chunks(B, T, D, H, G)
    use_relu = activation_flag(activation)
    W_cat = np.concatenate([W_ih, W_hh], axis=1)      # one GEMM per step: [x_t, h_{t-1}] @ W_cat^T
    W_pk = pack(W_cat.T)
    bias = b_ih + b_hh
    scale, shift = _gate_affine(H, x.dtype)
    Tg, Tc = (T, T) if keep_cache else (1, 2)
    gates = empty((B, Tg, G * H), x.dtype)            # large ones: pages kept for reuse (_reuse)
    c_seq = empty((B, Tc, H), x.dtype)
    h_seq = empty((B, T, H), x.dtype)
    run_chunk_jobs(_forward_jobs, chunks, x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, use_relu)
    c_T = c_seq[:, T - 1 if keep_cache else (T - 1) % 2].copy()
    data = (x, h0, c0, W_cat, chunks, gates, c_seq, h_seq, use_relu) if keep_cache else None
    return h_seq, h_seq[:, -1].copy(), c_T, data


def backward(dh_seq, data, dh_T, dc_T, need_dx=True):
    """BPTT. dh_seq (B, T, H) -> dict dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh (dx None without need_dx)."""
    x, h0, c0, W_cat, chunks, gates, c_seq, h_seq, use_relu = data
    D = x.shape[2]
    dA = empty(gates.shape, gates.dtype)
    dh0, dc0 = np.empty_like(dh_T), np.empty_like(dc_T)
    db_k = np.empty((len(chunks), gates.shape[2]), dtype=x.dtype)   # each chunk's share
    W_hh_pk = pack(W_cat[:, D:])
    wg = weight_grad_parts(dA, dA, x, h_seq, h0, W_cat[:, :D], len(chunks), need_dx)
    run_chunk_jobs(_backward_jobs, chunks, dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, dA, dh0, dc0, db_k,
                   use_relu, *wg)
    dx, dW_ih, dW_hh = finish_weight_grads(wg, need_dx)
    db = sum_in_order(db_k)
    return {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db, "db_hh": db.copy()}
