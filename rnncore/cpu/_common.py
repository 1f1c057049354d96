"""What the CPU cells share: the work split across threads, and the gradients
that need no recurrence.

Layout. The kernels work on the batch-major arrays of the API, (B, T, ...),
with no transposes: step t of a (B, T, G) array is the (B, G) matrix
``a[:, t, :]`` with row stride T*G, which BLAS takes directly (see ``_blas``).

Threads. One step is a chain GEMM -> gates -> new state, and the next step
needs all of it, so a sequence cannot be cut in time. It can be cut in two
other ways (``split``):

* by batch rows: the rows of a batch never interact, so each thread runs the
  whole recurrence for its chunk of rows, with its own single-threaded GEMMs,
  and the threads never wait for each other. This is the default whenever every
  thread gets at least ``MIN_ROWS_PER_THREAD`` rows.
* by hidden units, for batches too small to cut: the units are cut into
  ``nblk`` blocks, one per thread, and the gate rows of the weights are
  reordered so that block k's gates are adjacent ([i, f, g, o] of units
  k*Hb..(k+1)*Hb for an LSTM). Thread k runs the GEMM for its gate columns and
  the gate arithmetic for its units; the threads meet at the end of each step.
  The permutation is invisible outside: gradients are put back in PyTorch's row
  order before they are returned.

Small problems (a few microseconds per step) stay on one thread: starting a
parallel region costs about a microsecond per step.
"""
import numba
import numpy as np
from numba import njit, prange

from ._blas import HAVE_THREAD_CONTROL, blas_threads, mm
from ._math import JIT, PARALLEL_JIT

# Below this many multiply-adds per step (B * G*H * (D+H)) one thread is faster.
PARALLEL_MIN_FLOPS = 200_000
# Batch rows per thread from which the batch is split across threads (see split).
# LSTM, 2 threads, fwd+bwd: 2 rows each already beat unit blocks (B=4, H=256: 15.1 vs
# 15.4 ms; B=16, H=64: 5.1 vs 8.5 ms); 1 row each does not (B=2, H=512: 69 vs 36 ms).
MIN_ROWS_PER_THREAD = 2


def n_blocks(B, D, H, G):
    """How many unit blocks (= threads) to split each step into."""
    nt = numba.get_num_threads()
    if nt < 2 or not HAVE_THREAD_CONTROL or B * G * H * (D + H) < PARALLEL_MIN_FLOPS:
        return 1
    for n in range(nt, 1, -1):          # largest thread count that divides H evenly
        if H % n == 0:
            return n
    return 1


def split(B, D, H, G):
    """How to share a sequence's work among threads: (nbat, nblk).

    nbat > 1: the batch is cut into nbat chunks of rows, and each thread runs the
    whole recurrence of its chunk. Rows of a batch never meet, so the threads never
    wait for each other: measured 1.2x to 2x faster than meeting at every step.
    nblk > 1 (``n_blocks``): each step is cut into blocks of hidden units, and the
    threads meet at the end of every step; for batches too small to cut.
    (1, 1): one thread.
    """
    nblk = n_blocks(B, D, H, G)
    nt = numba.get_num_threads()
    if nblk > 1 and B >= MIN_ROWS_PER_THREAD * nt:
        return nt, 1
    return 1, nblk


@njit(**JIT)
def xh_buffer(x, h0):
    """[x_t, h_{t-1}] as one (B, D + H) matrix, double-buffered: step t reads one
    half while its threads write [x_{t+1}, h_t] into the other. Holds [x_0, h0]."""
    B, T, D = x.shape
    xh = np.empty((2, B, D + h0.shape[1]), dtype=x.dtype)
    xh[0, :, :D] = x[:, 0]
    xh[0, :, D:] = h0
    return xh


@njit(inline="always")
def chunk(k, n, B):
    """Rows b0:b1 of chunk k of a batch of B rows cut into n chunks."""
    return B * k // n, B * (k + 1) // n


def gate_order(G, H, nblk):
    """Row order of the reordered weights: block k holds gate rows g*H + (k*Hb .. (k+1)*Hb)
    for g = 0..G-1, so block k's G*Hb gate columns are contiguous. None for one block
    (PyTorch's order; small calls then skip the copies)."""
    if nblk == 1:
        return None
    Hb = H // nblk
    u = np.arange(H).reshape(nblk, Hb)
    return np.concatenate([(g * H + u[k]) for k in range(nblk) for g in range(G)])


def reorder(a, order):
    """a's rows in gate_order (a itself for order None)."""
    return a if order is None else np.ascontiguousarray(a[order])


def pack_weights(W_ih, W_hh, order):
    """[W_ih | W_hh] with rows reordered: (G*H, D+H). One GEMM per step then
    multiplies [x_t, h_{t-1}] by it, input and recurrent projections together."""
    return reorder(np.concatenate([W_ih, W_hh], axis=1), order)


def unpack_rows(a_perm, order):
    """Undo the row reordering of a gradient."""
    if order is None:
        return a_perm
    out = np.empty_like(a_perm)
    out[order] = a_perm
    return out


# Rows of (b, t) per block in weight_grads: a block of dA (ROWS x G*H) stays in cache
# while the three products that read it run. Measured at (128, 500, 4, 256), LSTM,
# 2 threads: 160 ms with 64 or 128 rows, 190 ms with 256 to 1024; three whole-array
# passes (the previous code) 208 ms.
ROWS = 128


@njit(**JIT)
def _weight_grads_rows(r0, r1, A, A_h, x2, h2, W_ih, dx2, dW_ih, dW_hh):
    """Rows r0:r1 of the flat (b, t) rows: their dx, and their sums into dW_ih, dW_hh.

    In the flat rows, h_{t-1} of row r is h2[r - 1]; at t = 0 that is the previous
    sequence's h_T instead of h0, which the caller corrects. Each block of rows is
    read once, by all three products, while it is in cache (three passes over a
    (B*T, G*H) array that does not fit in cache cost more than the products)."""
    dW_ih[:, :] = 0.0                  # also when r0 == r1: more threads than rows
    dW_hh[:, :] = 0.0
    for q0 in range(r0, r1, ROWS):
        q1 = min(r1, q0 + ROWS)
        mm(A[q0:q1].T, x2[q0:q1], dW_ih, 1.0)               # dW_ih = sum dA^T x
        mm(A[q0:q1], W_ih, dx2[q0:q1], 0.0)                 # dx = dA W_ih
        p0 = max(q0, 1)                                     # row 0 has no row before it
        if q1 > p0:
            mm(A_h[p0:q1].T, h2[p0 - 1:q1 - 1], dW_hh, 1.0)  # dW_hh = sum dA_h^T h_{t-1}


@njit(**PARALLEL_JIT)
def weight_grads(dA, dA_h, x, h0, h_seq, W_ih, nblk):
    """Gradients that need no recurrence, from the per-step pre-activation gradients.

    dA (B, T, G*H) = dL/d(input projection) and dA_h = dL/d(recurrent
    projection) (the same array except in a GRU), both with the reordered gate
    rows, as is W_ih. Returns dx (B, T, D), dW_ih (G*H, D) and dW_hh (G*H, H),
    reordered. Each of nblk threads takes a range of the (b, t) rows and sums its
    share of dW_ih and dW_hh; the shares are added at the end.
    """
    B, T, GH = dA.shape
    D, H = x.shape[2], h0.shape[1]
    dx = np.empty((B, T, D), dtype=x.dtype)
    A, A_h = dA.reshape(B * T, GH), dA_h.reshape(B * T, GH)
    x2, h2, dx2 = x.reshape(B * T, D), h_seq.reshape(B * T, H), dx.reshape(B * T, D)
    dW_ih_k = np.empty((nblk, GH, D), dtype=x.dtype)
    dW_hh_k = np.empty((nblk, GH, H), dtype=x.dtype)
    if nblk == 1:                      # no parallel region at all: waking idle threads costs
        _weight_grads_rows(0, B * T, A, A_h, x2, h2, W_ih, dx2, dW_ih_k[0], dW_hh_k[0])
    else:
        for k in prange(nblk):
            r0, r1 = chunk(k, nblk, B * T)
            _weight_grads_rows(r0, r1, A, A_h, x2, h2, W_ih, dx2, dW_ih_k[k], dW_hh_k[k])
    dW_ih, dW_hh = dW_ih_k[0], dW_hh_k[0]
    for k in range(1, nblk):
        dW_ih += dW_ih_k[k]
        dW_hh += dW_hh_k[k]
    # t = 0: row b*T met h_T of sequence b-1 (row 0 met nothing); it should meet h0[b]
    h0_fix = h0.copy()
    for b in range(1, B):
        h0_fix[b] -= h_seq[b - 1, T - 1]
    mm(A_h[::T].T, h0_fix, dW_hh, 1.0)
    return dx, dW_ih, dW_hh


def run_threads():
    """Context for a kernel call: BLAS on one thread, whatever the split.

    With several threads each Numba thread runs its own GEMMs, and a multi-threaded
    BLAS called from two threads at once serialises them (measured 50x
    slower). On one thread the per-step products are small, and waking a
    second BLAS thread for them costs more than it saves.
    """
    return blas_threads(1)
