"""What the CPU cells share: the cut of a batch into jobs, and the gradients
that need no recurrence.

Layout. The kernels work on the batch-major arrays of the API, (B, T, ...),
with no transposes: step t of a (B, T, G) array is the (B, G) matrix
``a[:, t, :]`` with row stride T*G, which BLAS takes directly (see ``_blas``).

Threads. One step is a chain GEMM -> gates -> new state, and the next step
needs all of it, so a sequence cannot be cut in time. The rows of a batch never
interact, though: the batch is cut into chunks of rows (``batch_chunks``), and
each chunk's whole recurrence is one job, a serial kernel that runs without the
GIL; ``run_chunk_jobs`` shares the jobs among threads. Threads never wait for each
other inside a sequence.

Same inputs, same bits. The chunks depend on the shape of the problem only,
never on the thread count, and every sum over chunks (db, dw_peep, the
weight-gradient partials) is added in chunk order. Within a chunk each output
element is computed by one fixed sequence of operations: the packed GEMM's
k-loop order does not depend on the tile height, and the kernels are compiled
without fast-math reassociation or contraction (see ``_math.JIT``). So 1, 2 or
4 threads, keep_cache True or False, a fresh compile or one from Numba's cache
give bit-identical results on one machine.
"""
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._blas import blas_one_thread, mm
from ._math import JIT
from ._packed import MR, gemm_rows
from ._pool import fetch_add, run_jobs

# Below this many multiply-adds per step (B * G*H * (D+H)) the batch is one job on the
# calling thread: a second thread has too little to do per step to pay for waking it (the
# threshold the previous kernels measured; a quarter of it made the notebook-sized LSTM
# (16, 50, 8, 32) 1.6x slower on a busy machine).
PARALLEL_MIN_WORK = 200_000
# Below this many multiply-adds per call (B * G*H * (D+H) * T) as well: a call of a few steps
# (sampling one step at a time, short windows) is over before a second thread has joined it.
# Measured (benchmarks/bench_call_size.py, 2-core AMD EPYC VM, 2026-12-04, two runs; LSTM, GRU and
# RNN, B 16 to 64, H 64 to 256, T 1 to 32; training step and inference), two threads over one:
# 1.02x to 2.33x below 1.5M per call, 0.95x to 1.42x from 1.5M to 3M, 0.51x to 1.15x from 3M on
# (most below 0.9x).
PARALLEL_MIN_CALL_WORK = 3_000_000
# Rows per chunk: at least MIN_CHUNK_ROWS (the packed GEMM's register tile is 8 rows high
# on AVX-512; smaller chunks run narrower tiles), and at most MAX_CHUNKS chunks. More
# chunks than threads let a thread that got a core take another chunk while a
# descheduled one holds its own (see _pool).
MIN_CHUNK_ROWS = 8
MAX_CHUNKS = 8


def batch_chunks(B, T, D, H, G):
    """Row ranges [(b0, b1), ...] of the jobs for a (B, T, D, H) problem with G gates.

    A function of the shape only, so the results never depend on the thread count.
    Too little work per step or per call (``PARALLEL_MIN_WORK``, ``PARALLEL_MIN_CALL_WORK``):
    one job, on the calling thread. Small batches (B < 2 * MIN_CHUNK_ROWS) are cut in two when each half has at
    least 2 rows (measured, LSTM, 2 threads: B=4, H=256 and B=16, H=64 faster
    than one thread).
    """
    step_work = B * G * H * (D + H)
    if step_work < PARALLEL_MIN_WORK or step_work * T < PARALLEL_MIN_CALL_WORK or B < 4:
        n = 1
    elif B < 2 * MIN_CHUNK_ROWS:
        n = 2
    else:
        n = min(MAX_CHUNKS, B // MIN_CHUNK_ROWS)
    return [chunk(k, n, B) for k in range(n)]


def chunk(k, n, B):
    """Rows b0:b1 of chunk k of a batch of B rows cut into n chunks."""
    return B * k // n, B * (k + 1) // n


def chunk_bounds(chunks):
    """[(b0, b1), ...] of consecutive chunks -> int64 array [b0 of chunk 0, ..., b1 of the last]:
    chunk k is rows bounds[k]:bounds[k + 1] (for the compiled job loops)."""
    return np.array([c[0] for c in chunks] + [chunks[-1][1]], dtype=np.int64)


def run_chunk_jobs(driver, chunks, *args):
    """``driver(next_job, n, bounds, *args)`` on the threads (``_pool.run_jobs``), BLAS on one
    thread (each thread runs its own single-threaded products: see ``_blas.blas_one_thread``):
    a compiled loop over the chunks (bounds from ``chunk_bounds``) that takes them with
    ``next_chunk``."""
    blas_one_thread()
    run_jobs(driver, len(chunks), chunk_bounds(chunks), *args)


# ONE_STORE_PER_LOOP: the elementwise loops of the step kernels (lstm, gru, peephole) each write
# one array, even where one loop over the units could compute several outputs from the same
# loads. Numba cannot tell LLVM that two arrays never overlap, so LLVM's loop vectoriser checks
# at run time that the arrays a loop writes do not overlap those it reads, and it gives up past a
# few such checks (its runtime memory check threshold, 8). Most likely that is why the loops that
# wrote several arrays were slow (the LSTM's cell update wrote c_t, h_t and the next step's h from
# five rows of the drivers' slices). Loops that compute the same expressions in the same order,
# one output array each, are faster, with the same bits (SHA-256 of every output and gradient:
# 7 cells x 2 dtypes x 4 shapes, and every row of benchmarks/bench_ab.py). Measured through the
# real driver, one chunk of 8 rows, float32, T = 100, H = 64, one thread, old and new alternating
# twice, microseconds per step: LSTM forward 6.7-7.0 -> 5.5, its backward sweep 6.9-7.2 -> 4.8-4.9
# (the packed GEMM alone is about 3 of each). Whole calls: benchmarks/README.md, "2026-12-03 morning".

# INLINE_ROWS: each cell's ``_forward_rows`` and ``_backward_rows`` (a chunk's whole recurrence) are
# compiled with inline="always", as part of their driver (``_forward_jobs``) rather than as
# functions of their own that the driver links in and LLVM then optimises a second time inside
# the driver. Called from Python (benchmarks/bench_threads.py) they are still nogil, cached kernels.
# Measured (cold start, CPU s, alternating runs on one machine, before -> after): LSTM 19.3-20.2 ->
# 17.2-17.5, GRU 20.0-20.3 -> 17.6-19.2, peephole 19.1-20.2 -> 15.3-16.0; same bits.
# INLINE_STEPS: the LSTM's and GRU's step functions (``lstm._forward_step`` and the others) are
# inlined into their rows the same way. As functions of their own they were called once per step,
# each call paying reference counting on every array argument (11 NRT_incref calls at the top of
# the LSTM's forward step, and their decrefs, in its assembly). Measured 2026-12-03, before ->
# after, alternating fresh processes, same bits (benchmarks/bench_ab.py, every LSTM and GRU row):
# cold start, import to first gradients (bench_coldstart.py, two pairs each), LSTM 11.1-11.5 ->
# 9.3-9.7 s and GRU 9.6-9.9 -> 8.2-8.7 s, the first forward compiling 1.9 to 2.4 s less; one
# 8-row LSTM step (bench_step.py, one thread, best of 3 x 300) H = 64 2.47-3.02 -> 2.15-2.34 us,
# H = 128 7.7 -> 7.2-7.4 us, H = 256 22.8-23.8 -> 22.1-22.9 us; whole calls within the noise.
# Each kernel keeps its own driver, a loop of next_chunk and one call with the arrays sliced
# to the chunk (lstm._forward_jobs), rather than one generic driver that takes the kernel.
# Numba's disk cache cannot hold a generic one: its cache key holds the kernel's dispatcher
# (an argument) or the closure's cell (a factory), neither the same in the next process, so
# it is compiled again in every process. Measured
# (LSTM float32 forward + backward, B=8, T=20, D=8, H=16, busy 2-core machine, CPU time):
# the first call in a process that finds the cache filled by an earlier process took 0.64 s
# with these drivers and 6.7 s with one generic driver taking the kernel as an argument (in
# every process: it is never loaded, and the cache gains an entry per process); the first
# compile took 38 s to 48 s either way. A factory's closure missed the cache too (a sketch).
# BORROWED: each driver takes its arrays through ``borrowed`` first. A Numba array carries a
# pointer to its owner's reference count (its meminfo), and every view made of it (a chunk's
# rows, a step's gates, a row of them) adds one to that count and takes it off again: atomic
# instructions, on one counter that every thread's views share. Numba's reference-count
# pruning left many in the loops: in the LSTM's forward driver 6 increments and 8 decrements
# in the loop over a step's rows and 12 of each in the loop over steps, in the GRU's backward
# 12 and 16 per row (call sites in the optimised IR, tools/refcounts_in_loops.py). Views of a
# borrowed array have no owner to count, and LLVM drops the counting: no driver counts
# anything inside its loop over jobs now. The arrays stay alive all the same: the caller (``_pool``'s
# call) holds them until every job has returned, and nothing a driver makes of them outlives
# the call. Measured 2026-12-03 (benchmarks/bench_borrowed.py: the drivers with and without
# borrowing, alternating in one process, whole functional calls, median of paired ratios,
# results_borrowed.json): at H = 64, LSTM forward 0.88x and backward 0.85x the old time, GRU
# 0.84x and 0.88x; at H = 128 and 256, 0.93x to 0.99x; the RNN, which made few views per row,
# 0.96x to 1.00x. The same bits on every row, there and in benchmarks/bench_ab.py's rows of
# every cell (results_ab_borrowed.json). A job's own scratch arrays (the LSTM's
# [x, h] buffer) are borrowed too, their owner kept to the end of the job by ``alive``.
@intrinsic
def borrowed(typingctx, arrays):
    """A tuple of arrays -> the same arrays (data, shape, strides) without their owners
    (meminfo and parent null): views of them do no reference counting. Valid only while
    the owners are alive (see BORROWED)."""
    if not (isinstance(arrays, types.BaseTuple) and all(isinstance(a, types.Array) for a in arrays)):
        return None

    def codegen(context, builder, sig, args):
        out = args[0]
        for i, aty in enumerate(sig.args[0]):
            ary = context.make_array(aty)(context, builder, value=builder.extract_value(args[0], i))
            ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
            ary.parent = cgutils.get_null_value(ary.parent.type)
            out = builder.insert_value(out, ary._getvalue(), i)
        return out
    return arrays(arrays), codegen


@intrinsic
def alive(typingctx, owner):
    """Nothing, but a use of ``owner``: Numba releases an array after its last use, so an
    array whose borrowed views (``borrowed``) are used up to here stays allocated up to here."""
    if not isinstance(owner, types.Array):
        return None

    def codegen(context, builder, sig, args):
        return context.get_dummy_value()
    return types.none(owner), codegen


@njit(**JIT)
def next_chunk(next_job, n, bounds):
    """The next job of a compiled driver: (k, b0, b1), chunk k being rows b0:b1 (of the batch,
    or of the flat (b, t) rows), or k = -1 when none is left. next_job is the counter the
    threads of one call share (``_pool.run_jobs``), n the number of chunks, bounds their
    ``chunk_bounds``."""
    k = fetch_add(next_job)
    if k >= n:
        return -1, 0, 0
    return k, bounds[k], bounds[k + 1]


def sum_in_order(parts):
    """parts[0] + parts[1] + ... in that order (a fixed order: the same bits for any thread count)."""
    if len(parts) == 1:
        return parts[0].copy()
    total = parts[0] + parts[1]             # one pass fewer than a copy and +=
    for p in parts[2:]:
        total += p
    return total


@njit(inline="always")
def copy_2d(dst, src):
    """dst[:, :] = src (same shape), as a loop. Why not the slice assignment: for every
    array-to-array assignment Numba 0.68 compiles an error path that formats both shapes
    into its message, and links it into every kernel above it. Measured (issue 13, cold
    float32 LSTM forward + backward, benchmarks/bench_cold_profile.py): 28.9 -> 20.0 CPU s,
    71 -> 27 compiled functions, once all the kernels' such assignments were loops."""
    for i in range(dst.shape[0]):
        for j in range(dst.shape[1]):
            dst[i, j] = src[i, j]


@njit(**JIT)
def xh_buffer(x, h0):
    """[x_t, h_{t-1}] as one (B, D + H) matrix, double-buffered: step t reads one
    half while it writes [x_{t+1}, h_t] into the other. Holds [x_0, h0]."""
    B, T, D = x.shape
    xh = np.empty((2, B, D + h0.shape[1]), dtype=x.dtype)
    copy_2d(xh[0, :, :D], x[:, 0])
    copy_2d(xh[0, :, D:], h0)
    return xh


# Rows of (b, t) per block in _weight_grads_rows: a block of dA (ROWS x G*H) stays in cache
# while the products that read it run. Measured at (128, 500, 4, 256), LSTM,
# 2 threads: 160 ms with 64 or 128 rows, 190 ms with 256 to 1024; three whole-array
# passes 208 ms. Re-measured 2026-12-03 (benchmarks/bench_ab.py, 1024 against 128, three
# alternating pairs, 18 rows of LSTM, GRU and RNN): backward 0.97x to 1.03x, no gain either
# way (results_ab_rows1024.json); kept, since a change of ROWS changes the bits of dW.
ROWS = 128


# Row stride of the transposed blocks in _weight_grads_rows: ROWS plus 8, so that the rows of a
# block's transpose do not all map to the same cache sets (a stride of 128 float32 is 512
# bytes). Measured, one thread, float32, 1600 rows, transposing into (H, 128) against
# (H, 136): H = 128 0.37 -> 0.06 ms, H = 256 1.0 -> 0.11 ms, H = 64 0.033 either way.
T_STRIDE = ROWS + 8


@njit(**JIT)
def _transpose_rows(X, q0, q1, out):
    """out[:, :q1 - q0] = X[q0:q1].T (X (R, M), out (M, >= q1 - q0)), 8 rows of X at a time: the
    rows of the input or state as the row-major left operand of the weight gradients' products
    (out a scratch block of T_STRIDE columns). Why 8 rows at a time: a column at a time goes down
    rows of X that lie 4 KB apart at M = 1024 float32 (an LSTM's G*H at H = 256), all in one cache
    set; 8 rows stay in cache across a line's 16 columns. Measured (2-core Zen 5 VM, one thread,
    float32, best of 5): a (256, 1024) array 546 us with NumPy's ``np.ascontiguousarray(X.T)``,
    806 us a row of X at a time, 54 us in 8-row blocks; a weight-gradient block of 128 rows,
    M = 256, 10.0 -> 7.6 us, M = 64, 2.7 -> 1.9 us."""
    N, n = X.shape[1], q1 - q0
    whole = n - n % 8
    for i0 in range(0, whole, 8):
        for j in range(N):
            for i in range(8):
                out[j, i0 + i] = X[q0 + i0 + i, j]
    for i in range(whole, n):
        for j in range(N):
            out[j, i] = X[q0 + i, j]
    return out[:, :n]


@njit(**JIT)
def _transpose_h_prev(h2, h0, q0, q1, out):
    """out[:, :q1 - q0] = the h_{t-1} of flat rows q0:q1, transposed: h2[q - 1] (the previous step of
    the same sequence), or h0[b] where t = 0 (q = b*T). The first block's row -1 is h2's last row
    (Numba wraps a negative index around, as NumPy does); the loop after overwrites it with h0[0].

    Until 2026-12-04 the t = 0 rows took h2[q - 1], the previous sequence's h_T, and a product
    after the jobs corrected dW_hh (``_weight_grads_h0``, a BLAS call on one thread): 7.7 of the
    20.6 us that ``finish_weight_grads`` took at (32, 50, 8, 64) (2-core Zen 5 VM, float32, best
    of 5 x 3000). Now each t = 0 term is exact inside the jobs' sums: other last bits of dW_hh than
    before, still the same at any thread count."""
    _transpose_rows(h2, q0 - 1, q1 - 1, out)
    T = h2.shape[0] // h0.shape[0]
    H = h0.shape[1]
    for c in range((T - q0 % T) % T, q1 - q0, T):          # the columns of rows at t = 0
        b = (q0 + c) // T
        for j in range(H):
            out[j, c] = h0[b, j]
    return out[:, :q1 - q0]


@njit(**JIT)
def _sum_transposed(P, rows, out):
    """out[:, :rows] = (P[0] + P[1] + ... + P[n - 1])[:rows].T: the jobs' shares of a weight gradient
    added in job order, as ``sum_in_order`` adds them (the same bits), 8 rows at a time into a
    scratch block that is then transposed into out (see ``_transpose_rows``) while it is in cache.
    One call instead of four NumPy operations and a transpose: ``finish_weight_grads`` at (32, 50,
    8, 64), four shares, float32, 20.6 us before (the t = 0 correction's 7.7 us included, see
    ``_transpose_h_prev``), 10.1 to 11.1 us after (2-core Zen 5 VM, one thread, best of 5 x 3000,
    three runs); dW_hh's four shares alone 8.0 to 9.0 us, against 5.0 us to add them with NumPy
    and 3.6 us to transpose the sum."""
    n, N = P.shape[0], P.shape[2]
    blk = np.empty((8, N), dtype=P.dtype)
    for i0 in range(0, rows, 8):
        m = min(8, rows - i0)
        for i in range(m):
            acc, first = blk[i], P[0, i0 + i]
            for j in range(N):
                acc[j] = first[j]
            for k in range(1, n):
                share = P[k, i0 + i]
                for j in range(N):
                    acc[j] += share[j]
        if m == 8:                    # a constant trip count: the inner loop unrolls
            for j in range(N):
                for i in range(8):
                    out[j, i0 + i] = blk[i, j]
        else:
            for j in range(N):
                for i in range(m):
                    out[j, i0 + i] = blk[i, j]
    return out


# A_PAD: where dA's rows lie a multiple of 4 KB apart (G*H*itemsize: an LSTM of H = 256 or 512 in
# float32, 128 or 256 in float64), ``_weight_grads_rows`` copies each block of ROWS rows into a
# scratch block whose rows are A_PAD numbers longer before its products read it. The tiles read a
# block 32 columns at a time down its rows, each panel again for every tile of the left operand;
# with rows 4 KB apart every row of a panel falls in the same cache set and in a page of its own, and
# the panel no longer stays in L1 between the tiles. Measured (2-core Zen 5 VM, one thread, float32,
# ``gemm_rows`` of a (H, 128) block by a (128, 4H) one, best of 30): 4H = 1024, 196 GFLOP/s with rows
# 4 KB apart, 241 to 249 with 16 to 64 numbers of padding; 4H = 2048 (8 KB), 184 against 247 to 261;
# at 2 KB and 3 KB (LSTM H = 128, GRU H = 256) 3% to 5% only, less than a copy costs, so those
# read dA in place. The copy keeps every product's order of operations: the same bits.
A_PAD = 16


@njit(**JIT)
def _copy_rows(X, q0, q1, out):
    """out[:q1 - q0, :X.shape[1]] = X[q0:q1], returned as that view. Row by row, not ``copy_2d``:
    a row of a C-ordered array has a unit stride that Numba knows, the (rows, columns) slice
    ``copy_2d`` would get has not, and a 128-row block of 4H = 1024 took 20.2 us there against 7.9."""
    n = X.shape[1]
    for i in range(q1 - q0):
        src, dst = X[q0 + i], out[i]
        for j in range(n):
            dst[j] = src[j]
    return out[:q1 - q0, :n]


@njit(**JIT)
def _weight_grads_rows(r0, r1, A, A_h, x2, h2, h0, W_ih, dx2, dW_ih_T, dW_hh_T):
    """Rows r0:r1 of the flat (b, t) rows: their dx, and their sums into dW_ih^T, dW_hh^T.

    In the flat rows, h_{t-1} of row r is h2[r - 1], and h0[b] at t = 0 (r = b*T): see
    ``_transpose_h_prev``. Each block of rows is read once, by all three products, while it is
    in cache (three passes over a (B*T, G*H) array that does not fit in cache cost more than the
    products).

    The weight gradients are computed transposed, dW_ih^T += x^T dA and dW_hh^T +=
    h_{t-1}^T dA_h, on the recurrent step's register tiles (``_packed.gemm_rows``): dA's
    block read in place as the right operand, 32 columns at a time (AVX-512 float32), its
    rows the k loop; x and h_{t-1} transposed into small scratch blocks as the left. OpenBLAS,
    which computed them as dA^T x and dA_h^T h_{t-1} until 2026-12-03, runs its Haswell (AVX2)
    kernels on the AVX-512 CPUs measured here. Measured (one thread, float32, AMD EPYC Zen 5,
    this function over 1600 rows, best of 30, two runs): (G*H, D, H) = (256, 8, 64) 0.84 -> 0.40-0.42
    ms, (512, 32, 128) 3.4 -> 1.9-2.1 ms, (1024, 8, 256) 9.0-9.2 -> 5.8-6.4 ms; whole backward
    passes in benchmarks/README.md, "2026-12-03, evening". dx = dA W_ih keeps
    BLAS: its N is D, a few columns, a quarter of a panel or less at the benchmarks' D."""
    # x^T and h^T blocks with their row counts padded to whole tiles (``gemm_rows`` runs MR-row
    # tiles only): the zero rows add rows of zeros to dW_ih^T, dW_hh^T that ``finish_weight_grads`` drops
    xT = np.zeros((dW_ih_T.shape[0], T_STRIDE), dtype=A.dtype)
    hT = np.zeros((dW_hh_T.shape[0], T_STRIDE), dtype=A.dtype)
    dW_ih_T[:, :] = 0.0
    dW_hh_T[:, :] = 0.0
    GH = A.shape[1]
    # rows 4 KB apart or a multiple of it: each block copied to rows A_PAD apart first (see A_PAD)
    copy = A.strides[0] % 4096 == 0
    same = A_h.ctypes.data == A.ctypes.data             # the LSTMs and the RNN: dA_h is dA
    A_blk = np.empty((ROWS if copy else 0, GH + A_PAD), dtype=A.dtype)
    Ah_blk = np.empty((ROWS if copy and not same else 0, GH + A_PAD), dtype=A.dtype)
    for q0 in range(r0, r1, ROWS):
        q1 = min(r1, q0 + ROWS)
        Ab, Ahb = A[q0:q1, :], A_h[q0:q1, :]
        if copy:
            Ab = _copy_rows(A, q0, q1, A_blk)
            Ahb = Ab if same else _copy_rows(A_h, q0, q1, Ah_blk)
        gemm_rows(_transpose_rows(x2, q0, q1, xT), Ab, dW_ih_T, True)         # dW_ih^T += x^T dA
        mm(Ab, W_ih, dx2[q0:q1], 0.0)                                          # dx = dA W_ih
        gemm_rows(_transpose_h_prev(h2, h0, q0, q1, hT), Ahb, dW_hh_T, True)   # dW_hh^T += h_{t-1}^T dA_h


def _whole_tiles(rows):
    """rows rounded up to a multiple of the register tile's height MR."""
    return -(-rows // MR) * MR


class WeightGradParts(NamedTuple):
    """The gradients that need no recurrence, as the backward jobs compute them: the per-step
    arrays as flat (b, t) rows, and each job's share of dW_ih^T and dW_hh^T (``weight_grad_parts``).

    Each cell's backward job (``lstm._backward_jobs`` and the others), once its reverse sweep has
    filled its rows of dA, runs ``_weight_grads_rows`` on the same rows (flat rows b0*T:b1*T),
    while they are still in cache; ``finish_weight_grads`` then adds the shares in job order.
    Until 2026-12-04 the weight gradients were a second parallel call after the recurrence, with
    a second hand-off between the threads, Python between the two calls, and dA read back from
    memory. Measured (2-core Zen 5 VM, one process, the two forms alternating, 15 rounds, the
    same bits): the LSTM's backward took 0.93 of the time at (32, 50, 8, 64), 0.92 at (32, 100,
    4, 64), 0.97 at (32, 100, 8, 256) and 0.94 at (64, 200, 32, 128). The separate call cut the
    flat rows into as many parts at B*T*k // n; the jobs' rows are the same wherever the jobs cut
    the batch evenly (every benchmark shape), elsewhere the last bits of dW can differ from
    before (still the same at any thread count: the jobs depend on the shape only).
    """
    A: np.ndarray           # (B*T, G*H) dL/d(input projection)
    A_h: np.ndarray         # (B*T, G*H) dL/d(recurrent projection): A itself except in a GRU
    x2: np.ndarray          # (B*T, D) the inputs
    h2: np.ndarray          # (B*T, H) the outputs: row r - 1 holds h_{t-1} of row r where t > 0
    h0: np.ndarray          # (B, H) the initial states: h_{t-1} where t = 0 (see _transpose_h_prev)
    W_ih: np.ndarray        # (G*H, D), or (G*H, 0) without need_dx
    dx2: np.ndarray         # (B*T, D), or (B*T, 0) without need_dx: dL/dx
    dW_ih_k: np.ndarray     # (n, D rounded up to whole tiles, G*H): job k's share of dW_ih^T
    dW_hh_k: np.ndarray     # (n, H rounded up to whole tiles, G*H): job k's share of dW_hh^T


def weight_grad_parts(dA, dA_h, x, h_seq, h0, W_ih, n_jobs, need_dx=True):
    """The ``WeightGradParts`` of a backward call of n_jobs jobs: dA (B, T, G*H) = dL/d(input
    projection) and dA_h = dL/d(recurrent projection) (the same array except in a GRU), still
    to be filled by the jobs, with x (B, T, D), h_seq (B, T, H), h0 (B, H) and W_ih (G*H, D).

    need_dx=False (a network's first layer: dx would be the data's gradient): the jobs get
    zero-width W_ih and dx, so that their products dx = dA W_ih do nothing (the same compiled
    driver; dW_ih and dW_hh are the same bits). Measured 2026-12-04 (bench_fit.py's models,
    whose LSTM is the first layer, epochs with and without the skip alternating in one process,
    median of the paired ratios): 0.95 and 0.96 of the epoch at LSTM(64) x T=50 (two runs of 60
    pairs, quartiles 0.84-1.11), 1.02 (0.94-1.13) at LSTM(256) x T=100 (16 pairs): a few percent
    where D is small against the step, nothing measurable above.
    """
    B, T, GH = dA.shape
    D, H = x.shape[2], h_seq.shape[2]
    # The LSTMs pass W_ih as a column view of [W_ih | W_hh] (layout 'A' to Numba), the RNN and GRU
    # a whole array ('C'): a copy of these G*H x D numbers gives _weight_grads_rows one signature of
    # each dtype for every cell, not two, with the same bits (BLAS copies it for dx in any case).
    W_ih = np.ascontiguousarray(W_ih) if need_dx else np.empty((GH, 0), dtype=x.dtype)
    dx = np.empty((B, T, W_ih.shape[1]), dtype=x.dtype)
    # transposed, their rows padded to whole tiles: see _weight_grads_rows
    return WeightGradParts(dA.reshape(B * T, GH), dA_h.reshape(B * T, GH), x.reshape(B * T, D),
                           h_seq.reshape(B * T, H), h0, W_ih, dx.reshape(B * T, dx.shape[2]),
                           np.empty((n_jobs, _whole_tiles(D), GH), dtype=x.dtype),
                           np.empty((n_jobs, _whole_tiles(H), GH), dtype=x.dtype))


def _summed_transposed(P, rows):
    """``_sum_transposed`` into a new C-ordered (N, rows) array."""
    return _sum_transposed(P, rows, np.empty((P.shape[2], rows), dtype=P.dtype))


def compile_finish(dtype):
    """Compile, or load from Numba's disk cache, what ``finish_weight_grads`` runs (``_sum_transposed``)
    for dtype, on a tiny problem whose results are dropped. At a cold start the process that waits
    for its child to compile the backward kernels does this meanwhile, and the child leaves it out
    (``_background``): 0.58 to 0.65 CPU s in a fresh process with an empty cache (Numba's setup for
    its first compile included; three runs, 2-core Zen 5 VM) off the child's compile, which the first
    backward waits for."""
    z = lambda *shape: np.zeros(shape, dtype=dtype)         # noqa: E731
    B, T, D, H, GH = 2, 2, 2, 2, 4
    dA = z(B, T, GH)
    finish_weight_grads(weight_grad_parts(dA, dA, z(B, T, D), z(B, T, H), z(B, H), z(GH, D), 1))


def finish_weight_grads(parts, need_dx=True):
    """After the backward jobs: dx (B, T, D) (None without need_dx), dW_ih (G*H, D) and dW_hh
    (G*H, H), the jobs' shares added in job order and transposed (``_sum_transposed``)."""
    B, H = parts.h0.shape
    T = parts.h2.shape[0] // B
    dW_ih = _summed_transposed(parts.dW_ih_k, parts.x2.shape[1])
    dW_hh = _summed_transposed(parts.dW_hh_k, H)
    return (parts.dx2.reshape(B, T, -1) if need_dx else None), dW_ih, dW_hh
