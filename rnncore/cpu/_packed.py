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
"""
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import cfunc, njit, types
from numba.core import cgutils, config
from numba.extending import intrinsic

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


def _tile_codegen(fty, vw, mr, itemsize):
    """c[:mr, :NV*vw] (+)= a[:mr, :K] @ panel (K, NV*vw); mr rows, a and c row strides in elements,
    a, the panel and c as pointers to elements of one float type (which chose this codegen).

    Preconditions, checked by ``gemm_packed`` before any tile runs: K >= 1 (the
    loop below is a do-while: it runs its body once before testing k < K), unit
    column strides in a and c, a panel of exactly NV*vw columns."""
    vty = ir.VectorType(fty, vw)
    i64 = ir.IntType(64)

    def codegen(context, builder, sig, args):
        a, lda, b, c, ldc, K, accumulate = args
        mod = builder.module
        # llvm.fmuladd: a*b + c, fused into one FMA instruction where the CPU has FMA
        # (always the same choice on one CPU: the same bits every run; a CPU without
        # FMA rounds twice, hence a few ulps between machines)
        name = f"llvm.fmuladd.v{vw}{'f32' if itemsize == 4 else 'f64'}"
        fma = cgutils.get_or_insert_function(mod, ir.FunctionType(vty, [vty, vty, vty]), name)
        ap = builder.bitcast(a, fty.as_pointer())
        bp = builder.bitcast(b, vty.as_pointer())
        cp = builder.bitcast(c, fty.as_pointer())
        zero = ir.Constant(vty, [ir.Constant(fty, 0.0)] * vw)
        undef = ir.Constant(vty, ir.Undefined)
        mask = ir.Constant(ir.VectorType(ir.IntType(32), vw), [0] * vw)
        # Blocks: entry -> tile.k (the k loop, K >= 1 iterations) -> tile.add or tile.set
        # (store the tile) -> tile.end.
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
        # Row k of the panel: NV contiguous vectors (the panel is (K, NV*vw), row-major)
        brow = [builder.load(builder.gep(bp, [builder.add(builder.mul(k, ir.Constant(i64, NV)), ir.Constant(i64, v))]),
                             align=itemsize) for v in range(NV)]
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
        # when accumulating (c += a @ panel), else stored (c = a @ panel). One branch
        # around all the stores (a branch per store was mr * NV diamonds to compile).
        builder.position_at_end(done)
        dst = [[builder.bitcast(builder.gep(cp, [builder.add(builder.mul(ir.Constant(i64, i), ldc),
                                                             ir.Constant(i64, v * vw))]), vty.as_pointer())
                for v in range(NV)] for i in range(mr)]
        add = builder.icmp_signed("!=", accumulate, ir.Constant(accumulate.type, 0))
        with builder.if_else(add) as (then, otherwise):
            with then:
                for i in range(mr):
                    for v in range(NV):
                        builder.store(builder.fadd(builder.load(dst[i][v], align=itemsize), new[i][v]), dst[i][v],
                                      align=itemsize)
            with otherwise:
                for i in range(mr):
                    for v in range(NV):
                        builder.store(new[i][v], dst[i][v], align=itemsize)
        return context.get_dummy_value()
    return codegen


def _make_tile(mr):
    """The mr-row tile, for float32 or float64 as the pointers' element type is."""
    codegens = {types.float32: _tile_codegen(ir.FloatType(), VECTOR_BYTES // 4, mr, 4),
                types.float64: _tile_codegen(ir.DoubleType(), VECTOR_BYTES // 8, mr, 8)}

    @intrinsic
    def tile(typingctx, a, lda, b, c, ldc, K, accumulate):
        if not isinstance(a, types.CPointer) or a.dtype not in codegens:
            return None
        return types.void(a, types.intp, a, a, types.intp, types.intp, types.intp), codegens[a.dtype]
    return tile


_tile8, _tile4, _tile2, _tile1 = (_make_tile(m) for m in (8, 4, 2, 1))


@intrinsic
def _ptr(typingctx, arr):
    """The address of arr's first element, as a pointer to its dtype."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data
    return types.CPointer(arr.dtype)(arr), codegen


@intrinsic
def _at(typingctx, ptr, n):
    """ptr + n elements."""
    if not (isinstance(ptr, types.CPointer) and isinstance(n, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        return builder.gep(args[0], [args[1]])
    return ptr(ptr, types.intp), codegen


@intrinsic
def _scratch_tile(typingctx, like):
    """An MR x NR tile of like's element type on the stack (allocated once, on entry)."""
    if not isinstance(like, types.CPointer):
        return None

    def codegen(context, builder, sig, args):
        n = MR * (NR32 if sig.args[0].dtype == types.float32 else NR64)
        return cgutils.alloca_once(builder, context.get_value_type(sig.args[0].dtype), size=n)
    return like(like), codegen


def _gemm_core(a, lda, M, K, w, ws, nr, N, c, ldc, accumulate):
    """c[:M, :N] (+)= a[:M, :K] @ the panels at w (panel p at w + p*ws elements, each (K, nr)).

    Compiled once per dtype as a C function (``_register``), with no checks: ``gemm_packed``
    makes them. Every panel runs the same tiles; on a partial last panel each tile writes
    its whole width into a scratch tile on the stack, whose first columns are then added
    or copied to c.
    """
    full = N // nr
    rest = N - full * nr
    scratch = _scratch_tile(a)
    for p in range(full + (1 if rest > 0 else 0)):
        last = p == full
        b = _at(w, p * ws)
        ldd = nr if last else ldc
        acc = 0 if last else accumulate
        # all M rows against panel p: tiles of MR (8 or 4) rows, then 4, 2, 1
        i = 0
        while i < M:
            left = M - i
            ai = _at(a, i * lda)
            di = scratch if last else _at(c, i * ldc + p * nr)
            if MR == 8 and left >= 8:      # MR is a constant: the narrow build drops this branch
                h = 8
                _tile8(ai, lda, b, di, ldd, K, acc)
            elif left >= 4:
                h = 4
                _tile4(ai, lda, b, di, ldd, K, acc)
            elif left >= 2:
                h = 2
                _tile2(ai, lda, b, di, ldd, K, acc)
            else:
                h = 1
                _tile1(ai, lda, b, di, ldd, K, acc)
            if last:
                for r in range(h):
                    row = (i + r) * ldc + full * nr
                    for j in range(rest):
                        if accumulate:
                            c[row + j] += scratch[r * nr + j]
                        else:
                            c[row + j] = scratch[r * nr + j]
            i += h


# The core is a C function reached through a symbol, not a Numba function linked into its
# callers: Numba links the whole code of a callee into each caller's module and optimises
# and compiles it again there, at every level (gemm_packed -> step -> rows -> jobs), which
# for the tiles took about 11 of the 46 CPU seconds of a cold LSTM forward + backward
# (benchmarks/bench_cold_profile.py). As a symbol it is compiled once per dtype, when first
# needed. A kernel that calls it, loaded from Numba's cache in a new process, registers the
# symbol again before its code is loaded (``_Register``, Numba's reload_init hook).
_ABI = "v1"                        # in the symbol name: bump when _gemm_core's arguments change
_cores = {}


def _symbol(dtype_name):
    return f"rnncore_gemm_packed_{_ABI}_{dtype_name}"


def _register(dtype_name):
    """Compile (or load from Numba's cache) the core for this dtype, and make its symbol
    resolvable in compiled code."""
    if dtype_name not in _cores:
        T = types.CPointer(getattr(types, dtype_name))
        sig = types.void(T, types.intp, types.intp, types.intp, T, types.intp, types.intp, types.intp, T,
                         types.intp, types.intp)
        core = cfunc(sig, **JIT)(_gemm_core)
        llvm.add_symbol(_symbol(dtype_name), core.address)
        _cores[dtype_name] = core
    return _cores[dtype_name]


class _Register:
    """A kernel's reload hook (pickled into Numba's cache with it): registers the core's
    symbol before the kernel's cached code is loaded, which would otherwise fail to link."""

    def __init__(self, symbol):
        self.symbol = symbol

    def __call__(self):
        dtype_name = self.symbol.rsplit("_", 1)[1]
        if self.symbol != _symbol(dtype_name):
            raise RuntimeError(f"rnncore: a kernel in Numba's cache calls {self.symbol}, from another version "
                               "of rnncore; empty the cache (NUMBA_CACHE_DIR, or rnncore's __pycache__ folders)")
        _register(dtype_name)

    def __eq__(self, other):
        return isinstance(other, _Register) and other.symbol == self.symbol

    def __hash__(self):
        return hash(self.symbol)


@intrinsic
def _call_core(typingctx, a, lda, M, K, w, ws, nr, N, c, ldc, accumulate):
    """_gemm_core through its symbol; compiles the core for this dtype if it is not yet."""
    if not (isinstance(a, types.CPointer) and a.dtype in (types.float32, types.float64)
            and isinstance(w, types.CPointer)):
        return None
    dtype_name = str(a.dtype)
    _register(dtype_name)
    i = types.intp
    # w may point to another float type: gemm_packed refuses such weights (their panel
    # width differs) before the call, but the call must still compile
    sig = types.void(a, i, i, i, w, i, i, i, a, i, i)

    def codegen(context, builder, sig, args):
        args = list(args)
        args[4] = builder.bitcast(args[4], args[0].type)
        fnty = ir.FunctionType(ir.VoidType(), [a.type for a in args])
        builder.call(cgutils.get_or_insert_function(builder.module, fnty, _symbol(dtype_name)), args)
        context.active_code_library._reload_init.add(_Register(_symbol(dtype_name)))
        return context.get_dummy_value()
    return sig, codegen


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
    Wp = np.zeros((nblk, K, n_p * nr), dtype=W.dtype)
    Wp[:, :, :w] = W[:, :nblk * w].reshape(K, nblk, w).transpose(1, 0, 2)
    return np.ascontiguousarray(Wp.reshape(nblk, K, n_p, nr).transpose(0, 2, 1, 3))


@njit(inline="always")
def gemm_packed(a, Wp, p0, c, accumulate):
    """c (+)= a @ W[:, p0*NR : p0*NR + c.shape[1]] with W packed by ``pack``.

    a (M, K) and c (M, N) need unit column strides (any row strides): the tiles
    read and write rows through raw pointers, so anything else is refused here
    rather than read wrongly. Columns of a partial last panel go through a
    scratch tile.

    a and c go on as layout 'A' arrays, so that ``_gemm_packed`` (the checks) is
    compiled once per dtype, whatever the layouts at the call sites.
    """
    _gemm_packed(a[:, :], Wp, p0, c[:, :], accumulate)


@njit(**JIT)
def _gemm_packed(a, Wp, p0, c, accumulate):
    """``gemm_packed``."""
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
    if (Wp.strides[2] != Wp.itemsize and nr > 1) or (Wp.strides[1] != nr * Wp.itemsize and K > 1):
        raise ValueError("gemm_packed: each panel of the packed weights must be contiguous, as pack makes them")
    if M == 0 or N == 0:
        return
    if K == 0:                         # the tiles need K >= 1: an empty sum is 0
        if not accumulate:
            for i in range(M):
                for j in range(N):
                    c[i, j] = 0.0
        return
    item = c.itemsize
    ws = Wp.strides[0] // item
    _call_core(_ptr(a), a.strides[0] // item, M, K, _at(_ptr(Wp), p0 * ws), ws, nr, N, _ptr(c),
               c.strides[0] // item, 1 if accumulate else 0)
