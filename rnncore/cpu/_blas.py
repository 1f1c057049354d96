"""Direct BLAS matrix products for the kernels, and control of BLAS threads.

``np.dot`` inside Numba only does ``out = a @ b`` on whole arrays. The kernels
want more of GEMM, ``c = a @ b + beta * c`` on strided 2-D views:

* ``beta = 1`` accumulates into a buffer without a separate add pass;
* a view such as ``gates[:, t, :]`` of a batch-major (B, T, G) array is a
  (B, G) matrix with row stride T*G, which BLAS takes as its leading dimension,
  so the kernels never transpose (B, T, ...) arrays to time-major and back;
* a transposed view (``W.T``) becomes BLAS's 'T' flag instead of a copy.

``mm`` calls ``numba_xxgemm``, the C helper that Numba's own ``np.dot`` uses
(it forwards to SciPy's ``cython_blas`` sgemm/dgemm), so every product still
goes to the one BLAS that SciPy ships.

The kernels run batch chunks on several threads, each with its own
single-threaded GEMMs; :func:`blas_one_thread` keeps SciPy's BLAS on one
thread, so the two thread pools never compete for the same cores.
"""
import ctypes
import ctypes.util
from contextlib import contextmanager

from numba import njit, types
from numba.core import cgutils
from numba.extending import get_cython_function_address, intrinsic

import numpy as np

from ._math import JIT

_xxgemm = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char,          # kind ('s'/'d'), transa, transb
    types.intp, types.intp, types.intp,          # m, n, k
    types.voidptr, types.voidptr, types.intp,    # alpha, a, lda
    types.voidptr, types.intp,                   # b, ldb
    types.voidptr, types.voidptr, types.intp))   # beta, c, ldc


@intrinsic
def _data(typingctx, arr):
    """The address of arr's first element, as a void*."""
    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.bitcast(ary.data, cgutils.voidptr_t)
    return types.voidptr(arr), codegen


@njit(inline="always")
def _layout(a):
    """BLAS view of a 2-D array with one unit stride: (transposed?, leading dimension),
    the flag as the character code (78 'N', 84 'T': ``ord`` of a string would compile
    Numba's unicode code)."""
    item = a.itemsize
    if a.strides[1] == item or a.shape[1] == 1:
        return 78, max(a.strides[0] // item, a.shape[1], 1)
    return 84, max(a.strides[1] // item, a.shape[0], 1)


@njit(inline="always")
def mm(a, b, c, beta):
    """c = a @ b + beta * c for 2-D views with a unit stride (rows or columns).

    The views go on as layout 'A' arrays, so that ``_mm`` is compiled once per dtype
    whatever the layouts of the call sites (inlining all of ``_mm`` at each of them
    took about 1.5 s of compile per call site).
    """
    _mm(a[:, :], b[:, :], c[:, :], float(beta))


@njit(**JIT)
def _mm(a, b, c, beta):
    """``mm``. BLAS is column-major: a row-major c is a column-major c^T = b^T a^T, so the
    operands go in swapped."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    scal = np.empty(2, dtype=c.dtype)
    scal[0] = 1.0
    scal[1] = beta
    if k == 0:                       # BLAS with k = 0 scales c by beta
        for i in range(m):
            for j in range(n):
                c[i, j] *= scal[1]
        return
    ta, lda = _layout(a)
    tb, ldb = _layout(b)
    _, ldc = _layout(c)
    kind = 115 if c.itemsize == 4 else 100   # 's' (float32) or 'd' (float64)
    r = _xxgemm(kind, tb, ta, n, m, k, _data(scal), _data(b), ldb, _data(a), lda,
                _data(scal[1:]), _data(c), ldc)
    if r != 0:
        raise RuntimeError("BLAS gemm unavailable (SciPy's cython_blas not found)")


@njit(**JIT)
def stack_mm(a, b, out):
    """out[i] = a[i] @ b for every matrix of a stack, a (S, M, K), b (K, N), out (S, M, N): one
    gemm per matrix, the calls NumPy makes for a stack (``rnncore._linalg.matmul``), without a
    Python call per matrix."""
    for i in range(a.shape[0]):
        mm(a[i], b, out[i], 0.0)


# ----------------------------------------------------------------------------- BLAS threads
class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _find_set_num_threads():
    """openblas_set_num_threads of the library behind SciPy's cython_blas, or None.

    dladdr names the shared library that holds SciPy's sgemm; SciPy's wheels
    ship OpenBLAS with a prefixed symbol name. Any other BLAS: None (the
    kernels then run their jobs on one thread, see ``_pool.num_threads``).
    """
    try:
        addr = get_cython_function_address("scipy.linalg.cython_blas", "sgemm")
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        info = _DlInfo()
        if not libc.dladdr(ctypes.c_void_p(addr), ctypes.byref(info)):
            return None
        # cython_blas itself forwards to the BLAS library: find it among the
        # libraries that module links, by the symbols OpenBLAS exports
        lib = ctypes.CDLL(info.dli_fname.decode())
        for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads",
                     "scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_"):
            fn = getattr(lib, name, None)
            if fn is not None:
                get = getattr(lib, name.replace("set_num_threads", "get_num_threads"), None)
                return fn, get
    except Exception:       # no dladdr, unusual SciPy build: run serially
        return None
    return None


_SET_GET = _find_set_num_threads()
HAVE_THREAD_CONTROL = _SET_GET is not None


@contextmanager
def blas_threads(n):
    """Run the block with BLAS limited to n threads (restored afterwards)."""
    if _SET_GET is None:
        yield
        return
    set_, get = _SET_GET
    old = get() if get is not None else None
    set_(n)
    try:
        yield
    finally:
        if old is not None:
            set_(old)


def blas_one_thread():
    """Set SciPy's BLAS to one thread if it is not (and leave it there).

    The kernels' own threads each call BLAS; a multi-threaded BLAS called from two
    threads at once serialises them (measured 50x slower), and on one thread the
    products inside the kernels are too small for a second BLAS thread. Not restored
    afterwards: raising the count again after every call woke OpenBLAS's worker
    threads, which then spin for a while; on a busy 2-core machine that made a
    training step 2x to 3x slower in wall-clock time (LSTM (32, 100, 4, 64), one
    Numba thread: 1.0-1.4 s against 0.4-0.55 s for 4 steps, the same CPU time).
    NumPy's own BLAS (a separate library) is not touched.
    """
    if _SET_GET is None:
        return
    set_, get = _SET_GET
    if get is None or get() != 1:
        set_(1)
