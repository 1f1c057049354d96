"""A small GEMM on weights packed once: the recurrent step's matrix product.

Every step of a recurrence multiplies a few rows (a batch chunk) by the same
weight matrix. A BLAS call repacks that matrix into its internal layout on
every call. Here the weights are packed once per sequence into panels of NR
columns, (N / NR, K, NR), each row of a panel contiguous. Measured on one core
(AVX-512), float32, for (32, 160) @ (160, 512), one LSTM step of the
(64, 200, 32, 128) benchmark row: OpenBLAS 88 GFLOP/s, this kernel 176.

The register tile is written in LLVM IR (llvmlite) rather than in Python:
LLVM keeps an MR x NR tile of accumulators in vector registers only if they
are SSA values, and Numba code can only accumulate into memory. Per k the tile
loads NV vectors of the panel row, broadcasts MR elements of the rows, and does
MR * NV fused multiply-adds (``llvm.fmuladd``, a plain multiply and add on
CPUs without FMA). The vector types are generic LLVM vectors, sized for the CPU:
with AVX-512 (32 registers of 64 bytes) an 8 x 32 float32 tile, 16 accumulators;
otherwise 32-byte vectors and a 4 x 16 tile, 8 accumulators, so that the tile
still fits in AVX2's 16 registers (or NEON's 32) instead of spilling to memory.

The same tiles also run along a matrix that is not packed (``gemm_rows``): a panel
is then NR columns of it, read in place with its row stride. The weight gradients
use that for a block of dA, which each product reads once (``_common._weight_grads_rows``).
"""
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

from ._blas import _data
from ._math import JIT


def _vector_bytes():
    """64 where Numba compiles for this CPU and it has AVX-512, else 32. (Numba's
    cache keys compiled code by the CPU name and features, so a cache never mixes
    the two.)"""
    if config.CPU_NAME:        # NUMBA_CPU_NAME: compiling for another CPU, stay portable
        return 32
    return 64 if llvm.get_host_cpu_features().get("avx512f", False) else 32


VECTOR_BYTES = _vector_bytes()
MR = 8 if VECTOR_BYTES == 64 else 4     # rows of the register tile
NV = 2                                  # vectors per tile row: NR = NV * VECTOR_BYTES / itemsize columns
NR32, NR64 = NV * VECTOR_BYTES // 4, NV * VECTOR_BYTES // 8


def _tile_codegen(fty, vw, mr, itemsize, strided):
    """c[:mr, :NV*vw] (+)= a[:mr, :K] @ panel (K, NV*vw); mr rows, a and c row strides in elements.
    a and the panel come as pointers, c as its array (whose dtype chose this codegen). The panel's
    rows: NV*vw elements apart (packed), or, with strided True, ldb elements apart (an argument
    after the panel's pointer: a matrix read in place by ``gemm_rows``). The packed tiles keep
    their constant stride: a run-time one made the forward up to 1.1x slower in one bench_ab.py run.

    Preconditions, checked by ``gemm_packed`` and ``gemm_rows`` before any tile runs: K >= 1 (the
    loop below is a do-while: it runs its body once before testing k < K), unit
    column strides in a and c, a panel of exactly NV*vw columns."""
    vty = ir.VectorType(fty, vw)
    i64 = ir.IntType(64)

    def codegen(context, builder, sig, args):
        if strided:
            a, lda, b, ldb, c, ldc, K, accumulate = args
        else:
            (a, lda, b, c, ldc, K, accumulate), ldb = args, ir.Constant(i64, NV * vw)
        c_type = sig.args[4 if strided else 3]
        mod = builder.module
        # llvm.fmuladd: a*b + c, fused into one FMA instruction where the CPU has FMA
        # (always the same choice on one CPU: the same bits every run; a CPU without
        # FMA rounds twice, hence a few ulps between machines)
        name = f"llvm.fmuladd.v{vw}{'f32' if itemsize == 4 else 'f64'}"
        fma = cgutils.get_or_insert_function(mod, ir.FunctionType(vty, [vty, vty, vty]), name)
        ap = builder.bitcast(a, fty.as_pointer())
        bp = builder.bitcast(b, fty.as_pointer())
        cp = builder.bitcast(context.make_array(c_type)(context, builder, c).data, fty.as_pointer())
        zero = ir.Constant(vty, [ir.Constant(fty, 0.0)] * vw)
        undef = ir.Constant(vty, ir.Undefined)
        mask = ir.Constant(ir.VectorType(ir.IntType(32), vw), [0] * vw)
        # Blocks: entry -> tile.k (the k loop, K >= 1 iterations) -> tile.done (store the tile).
        entry = builder.basic_block
        loop = builder.append_basic_block("tile.k")
        done = builder.append_basic_block("tile.done")
        builder.branch(loop)
        builder.position_at_end(loop)
        # The loop counter and the mr x NV accumulators are phi nodes: SSA values that LLVM
        # keeps in vector registers for the whole loop (zero on entry, the new sums from
        # the previous iteration after). Memory accumulators would be loaded and stored
        # every k.
        k = builder.phi(i64)
        k.add_incoming(ir.Constant(i64, 0), entry)
        acc = [[builder.phi(vty) for _ in range(NV)] for _ in range(mr)]
        for row in acc:
            for p in row:
                p.add_incoming(zero, entry)
        # Row k of the panel: NV contiguous vectors, ldb elements after row k - 1
        krow = builder.mul(k, ldb)
        brow = [builder.load(builder.bitcast(builder.gep(bp, [builder.add(krow, ir.Constant(i64, v * vw))]),
                                             vty.as_pointer()), align=itemsize) for v in range(NV)]
        new = []
        for i in range(mr):
            # a[i, k], one scalar, broadcast to all vw lanes (insert into lane 0, shuffle
            # with an all-zero mask: one vbroadcastss), so that one FMA multiplies it by
            # vw columns of the panel row at once: c[i, :] += a[i, k] * panel[k, :]
            x = builder.load(builder.gep(ap, [builder.add(builder.mul(ir.Constant(i64, i), lda), k)]))
            xv = builder.shuffle_vector(builder.insert_element(undef, x, ir.Constant(ir.IntType(32), 0)), undef, mask)
            new.append([builder.call(fma, [xv, brow[v], acc[i][v]]) for v in range(NV)])
        k1 = builder.add(k, ir.Constant(i64, 1))
        k.add_incoming(k1, loop)
        for i in range(mr):
            for v in range(NV):
                acc[i][v].add_incoming(new[i][v], loop)
        builder.cbranch(builder.icmp_signed("<", k1, K), loop, done)
        # After the loop: row i of the tile goes to c[i, :NV*vw], added to what is there
        # when accumulating (c += a @ panel), else stored (c = a @ panel).
        builder.position_at_end(done)
        add = builder.icmp_signed("!=", accumulate, ir.Constant(accumulate.type, 0))
        for i in range(mr):
            for v in range(NV):
                dst = builder.bitcast(builder.gep(cp, [builder.add(builder.mul(ir.Constant(i64, i), ldc),
                                                                   ir.Constant(i64, v * vw))]), vty.as_pointer())
                with builder.if_else(add) as (then, otherwise):
                    with then:
                        builder.store(builder.fadd(builder.load(dst, align=itemsize), new[i][v]), dst,
                                      align=itemsize)
                    with otherwise:
                        builder.store(new[i][v], dst, align=itemsize)
        return context.get_dummy_value()
    return codegen


def _make_tile(mr, strided=False):
    """The mr-row tile, for float32 or float64 as the output array c is."""
    codegens = {types.float32: _tile_codegen(ir.FloatType(), VECTOR_BYTES // 4, mr, 4, strided),
                types.float64: _tile_codegen(ir.DoubleType(), VECTOR_BYTES // 8, mr, 8, strided)}

    def signature(c):
        if not isinstance(c, types.Array) or c.dtype not in codegens:
            return None
        panel = (types.voidptr, types.intp) if strided else (types.voidptr,)    # its pointer (and ldb)
        return types.void(types.voidptr, types.intp, *panel, c, types.intp, types.intp, types.intp), codegens[c.dtype]

    if strided:
        @intrinsic
        def tile(typingctx, a, lda, b, ldb, c, ldc, K, accumulate):
            return signature(c)
    else:
        @intrinsic
        def tile(typingctx, a, lda, b, c, ldc, K, accumulate):
            return signature(c)
    return tile


_tile8, _tile4, _tile2, _tile1 = (_make_tile(m) for m in (8, 4, 2, 1))


@njit(inline="always")
def _tiles(a, lda, b, c, ldc, K, accumulate):
    """All M rows of a against one panel: tiles of MR (8 or 4) rows, then 4, 2, 1."""
    M = a.shape[0]
    i = 0
    while i < M:
        left = M - i
        ai, ci = _data(a[i:]), c[i:]
        if MR == 8 and left >= 8:      # MR is a constant: the narrow build drops this branch
            _tile8(ai, lda, b, ci, ldc, K, accumulate)
            i += 8
        elif left >= 4:
            _tile4(ai, lda, b, ci, ldc, K, accumulate)
            i += 4
        elif left >= 2:
            _tile2(ai, lda, b, ci, ldc, K, accumulate)
            i += 2
        else:
            _tile1(ai, lda, b, ci, ldc, K, accumulate)
            i += 1


# gemm_rows runs only full MR-row tiles (its callers pad a to a multiple of MR rows): one
# tile body to compile, not four (measured, cold start: with the four heights and the packed
# tiles for a partial last panel, _gemm_rows took 2.0 s to compile and the LSTM's import to
# first gradients went from 8.7 to 10.4 s).
_tile_rows = _make_tile(MR, strided=True)


def panel_width(dtype):
    """NR: columns per panel for this dtype."""
    return NR32 if np.dtype(dtype) == np.float32 else NR64


def pack(W):
    """(K, N) -> panels (ceil(N / NR), K, NR), the last one zero-padded."""
    return pack_blocks(W, 1)[0]


def pack_blocks(W, nblk):
    """(K, N) -> (nblk, panels, K, NR): each of nblk column blocks of W packed on its own
    (panel p of block k holds columns k*w + p*NR .. of W, w = N // nblk). W may be any
    2-D view (a transpose too). NumPy, not Numba: one copy, and nothing to compile."""
    K, N = W.shape
    w = N // nblk
    nr = panel_width(W.dtype)
    n_p = (w + nr - 1) // nr
    if w == n_p * nr:
        # whole panels: no padding, so one gathering copy instead of zeros, a copy and a
        # transposing copy. Every training step packs its weights: LSTM(64)'s [W_ih | W_hh]^T
        # (72, 256) took 5.3 us instead of 9.1 and W_hh (256, 64) 3.6 instead of 5.7 (float32,
        # 2-core Zen 5 VM, 2026-12-04); the same array.
        return np.ascontiguousarray(W[:, :nblk * w].reshape(K, nblk, n_p, nr).transpose(1, 2, 0, 3))
    Wp = np.zeros((nblk, K, n_p * nr), dtype=W.dtype)
    Wp[:, :, :w] = W[:, :nblk * w].reshape(K, nblk, w).transpose(1, 0, 2)
    return np.ascontiguousarray(Wp.reshape(nblk, K, n_p, nr).transpose(0, 2, 1, 3))


@njit(inline="always")
def _last_columns(scratch, c, col0, accumulate):
    """c[:, col0:] (+)= scratch[:, :N - col0]: a partial last panel's columns, computed by the
    tiles into a full-width scratch tile."""
    for i in range(c.shape[0]):
        for j in range(c.shape[1] - col0):
            if accumulate:
                c[i, col0 + j] += scratch[i, j]
            else:
                c[i, col0 + j] = scratch[i, j]


@njit(inline="always")
def gemm_packed(a, Wp, p0, c, accumulate):
    """c (+)= a @ W[:, p0*NR : p0*NR + c.shape[1]] with W packed by ``pack``.

    a (M, K) and c (M, N) need unit column strides (any row strides): the tiles
    read and write rows through raw pointers, so anything else is refused here
    rather than read wrongly. Columns of a partial last panel go through a
    scratch tile.

    a and c go on as layout 'A' views, so that ``_gemm_packed`` is compiled once per
    dtype whatever the layouts at the call sites (C-contiguous rows, strided slices); and
    p0 and accumulate as a plain int64 and boolean: the call sites pass constants (0,
    False, True), which Numba types as literals and compiles a copy of the callee for each
    value (measured, cold start, CPU s, alternating runs: RNN 7.0-7.2 -> 6.2-6.3 and GRU
    9.3 -> 8.5-8.6 without the second copy; the bits are unchanged).
    """
    _gemm_packed(a[:, :], Wp, np.int64(p0), c[:, :], np.bool_(accumulate))


@njit(**JIT)
def _gemm_packed(a, Wp, p0, c, accumulate):
    """``gemm_packed``, on layout 'A' views."""
    M, K = a.shape
    N = c.shape[1]
    nr = Wp.shape[2]
    if a.strides[1] != a.itemsize and K > 1:
        raise ValueError("gemm_packed: a must have unit column stride (a C-contiguous row view, not a transpose)")
    if c.strides[1] != c.itemsize and N > 1:
        raise ValueError("gemm_packed: c must have unit column stride (a C-contiguous row view, not a transpose)")
    if nr != (NR32 if c.itemsize == 4 else NR64):
        raise ValueError("gemm_packed: weights packed for another panel width; pack them with _packed.pack")
    if Wp.shape[1] != K:
        raise ValueError("gemm_packed: a has K columns but the packed weights have another number of rows")
    if p0 < 0 or p0 * nr + N > Wp.shape[0] * nr:
        raise ValueError("gemm_packed: columns p0*NR .. p0*NR + N are beyond the packed weights")
    if M == 0 or N == 0:
        return
    if K == 0:                         # the tiles need K >= 1: an empty sum is 0
        if not accumulate:
            c[:, :] = 0.0
        return
    lda, ldc = a.strides[0] // a.itemsize, c.strides[0] // c.itemsize
    acc = 1 if accumulate else 0
    full = N // nr
    for p in range(full):
        _tiles(a, lda, _data(Wp[p0 + p]), c[:, p * nr:], ldc, K, acc)
    rest = N - full * nr
    if rest > 0:
        scratch = np.empty((M, nr), dtype=c.dtype)
        _tiles(a, lda, _data(Wp[p0 + full]), scratch, nr, K, 0)
        _last_columns(scratch, c, full * nr, accumulate)


@njit(inline="always")
def gemm_rows(a, b, c, accumulate):
    """c (+)= a @ b with b (K, N) read in place, not packed: the MR-row tiles run along b's
    rows (any row stride, unit column stride), NR columns at a time, as along a packed panel.
    For a right operand used once (the weight gradients' block of dA, ``_common``): packing
    it would copy it for a single product. a's row count must be a multiple of MR (pad it
    with zero rows); columns past the last full NR go through a zero-padded copy. a and c as
    for ``gemm_packed``; the same bits as ``gemm_packed`` on ``pack(b)`` (the same k order
    per element)."""
    _gemm_rows(a[:, :], b[:, :], c[:, :], np.bool_(accumulate))


@njit(**JIT)
def _gemm_rows(a, b, c, accumulate):
    """``gemm_rows``, on layout 'A' views."""
    M, K = a.shape
    N = c.shape[1]
    nr = NR32 if c.itemsize == 4 else NR64
    if (a.strides[1] != a.itemsize and K > 1) or (c.strides[1] != c.itemsize and N > 1) \
            or (b.strides[1] != b.itemsize and N > 1):
        raise ValueError("gemm_rows: a, b and c must have unit column strides")
    if b.shape[0] != K or b.shape[1] != N or c.shape[0] != M:
        raise ValueError("gemm_rows: b must be (K, N) and c (M, N) for a (M, K)")
    if M % MR != 0:
        raise ValueError("gemm_rows: a's row count must be a multiple of the tile height MR (pad with zero rows)")
    if M == 0 or N == 0:
        return
    if K == 0:
        if not accumulate:
            c[:, :] = 0.0
        return
    lda, ldb, ldc = a.strides[0] // a.itemsize, b.strides[0] // b.itemsize, c.strides[0] // c.itemsize
    acc = 1 if accumulate else 0
    full = N // nr
    for p in range(full):
        bp = _data(b[:, p * nr:])
        for i in range(0, M, MR):
            _tile_rows(_data(a[i:]), lda, bp, ldb, c[i:, p * nr:], ldc, K, acc)
    rest = N - full * nr
    if rest > 0:                 # the last columns, through a zero-padded copy: not ours to read past N
        panel = np.zeros((K, nr), dtype=c.dtype)
        for k in range(K):
            for j in range(rest):
                panel[k, j] = b[k, full * nr + j]
        scratch = np.empty((M, nr), dtype=c.dtype)
        for i in range(0, M, MR):
            _tile_rows(_data(a[i:]), lda, _data(panel), nr, scratch[i:], nr, K, 0)
        _last_columns(scratch, c, full * nr, accumulate)
        panel[0, 0] = 0.0        # the tiles read panel through a raw pointer: keep it alive until here
