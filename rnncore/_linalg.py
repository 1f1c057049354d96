"""Matrix products with the same bits at any thread count: ``matmul(a, b)`` for the layers.

NumPy's ``a @ b`` goes to its own OpenBLAS, and its float32 results (some float64 ones too)
depend on how many threads that BLAS runs: (6400, 36) @ (36, 16) in float32 differed by up to
8e-6 between one BLAS thread and two (2-core AMD EPYC, NumPy 2 with OpenBLAS 0.3.31,
2026-12-03). A training run amplifies such differences: notebook 14's CNN + BiLSTM, trained
from one seed with NumPy's BLAS on one thread and on two, ended at different accuracies. So
the layers' products (``Dense``, ``Conv1D``, ``AttentionPooling``) go through SciPy's BLAS,
which the recurrent kernels already keep on one thread (:func:`rnncore.cpu._blas.blas_one_thread`),
with the calls NumPy makes: gemm, and gemv for a single row or column. For operands with a
unit stride that gives NumPy's one-thread bits (compared over float32 and float64, C- and
Fortran-ordered operands, matrix and vector shapes: ``tests/test_linalg.py``), so code that
already ran NumPy's BLAS on one thread (notebooks 10-12, 14, 16, 17, 19) keeps its bits. The
layers' products are small enough that a second BLAS thread does not pay for itself. The NumPy
reference backend keeps ``@`` (it is written to be read) inside :func:`numpy_blas_one_thread`.
"""
import functools

import numpy as np


@functools.cache
def _threadpool_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def numpy_blas_one_thread():
    """A context in which NumPy's BLAS runs on one thread, restored afterwards: for code that keeps
    NumPy's ``@`` (the NumPy reference backend, written to be read; the recurrent layers' dropout
    path, whose per-step products are small) and must still give the same bits at any thread count.
    On a busy 2-core machine a second BLAS thread there only spins and waits (a training epoch of
    the dropout path took 20 s with it, 2.3-3.0 s without). Entering and leaving costs about 7
    microseconds."""
    return _threadpool_controller().limit(limits=1, user_api="blas")


@functools.cache
def _scipy_blas():
    """SciPy's (gemm, gemv, dot) by dtype, and the function that keeps SciPy's BLAS on one thread;
    no routines where that BLAS's threads cannot be controlled."""
    from scipy.linalg import blas

    from .cpu._blas import HAVE_THREAD_CONTROL, blas_one_thread

    if not HAVE_THREAD_CONTROL:
        return {}, None
    return ({np.dtype(np.float32): (blas.sgemm, blas.sgemv, blas.sdot),
             np.dtype(np.float64): (blas.dgemm, blas.dgemv, blas.ddot)}, blas_one_thread)


def _fortran(m):
    """m (2-D) for BLAS, which reads Fortran order, and whether BLAS must transpose what it
    gets to obtain m: a C-ordered m is m^T in Fortran order (no copy)."""
    if m.flags.c_contiguous:
        return m.T, 1
    if m.flags.f_contiguous:
        return m, 0
    return np.ascontiguousarray(m).T, 1


def matmul(a, b):
    """``a @ b`` on one thread of SciPy's BLAS: the same bits however many threads NumPy's
    BLAS (or Numba) runs.

    a : (..., K) array; b : (K, N) or (K,) array; both float32 or both float64.
    Returns (..., N) (or (...) for a 1-D b), of their dtype. Anything else (other or mixed
    dtypes, an N-D b, empty operands, mismatched shapes) is left to ``a @ b``, and so is
    everything where SciPy's BLAS threads cannot be controlled.
    """
    a, b = np.asarray(a), np.asarray(b)
    by_dtype, one_thread = _scipy_blas()
    routines = by_dtype.get(a.dtype) if a.dtype == b.dtype else None
    if (routines is None or a.ndim < 1 or b.ndim not in (1, 2) or a.size == 0 or b.size == 0
            or b.shape[0] != a.shape[-1]):
        return a @ b
    one_thread()
    b2 = b.reshape(b.shape[0], -1)
    if a.ndim <= 2:
        c = _matmul_2d(a.reshape(-1, a.shape[-1]), b2, *routines)
        return c.reshape(a.shape[:-1] + b.shape[1:])
    # NumPy multiplies a stack of matrices one matrix at a time (and one product of the whole
    # stack, reshaped to 2-D, sums in another order): so does this. Matrices of more than one row
    # and column go through a compiled loop over the same gemm: Conv1D's (64, 192, 36) @ (36, 16)
    # took 0.42 ms so, against NumPy's 0.39-0.41 ms on two threads (one process, the result's
    # allocation included) and 0.66 ms with one Python call per matrix. The rest: one call each.
    M, N = a.shape[-2], b2.shape[1]
    out = np.empty(a.shape[:-1] + b2.shape[1:], dtype=a.dtype)
    if M > 1 and N > 1:
        from .cpu._blas import stack_mm

        stack_mm(np.ascontiguousarray(a).reshape(-1, M, a.shape[-1]), b2, out.reshape(-1, M, N))
    else:
        for idx in np.ndindex(a.shape[:-2]):
            out[idx] = _matmul_2d(a[idx], b2, *routines)
    return out.reshape(a.shape[:-1] + b.shape[1:])


def _matmul_2d(a2, b2, gemm, gemv, dot):
    """(M, K) @ (K, N) with the BLAS routine NumPy picks for the shape."""
    M, N = a2.shape[0], b2.shape[1]
    if M == 1 and N == 1:                     # one number: a dot product
        return np.array([[dot(a2[0], b2[:, 0])]], dtype=a2.dtype)
    if N == 1:                                # matrix @ vector: y = A x
        m, t = _fortran(a2)
        return gemv(1.0, m, b2[:, 0], trans=t)[:, None]
    if M == 1:                                # vector @ matrix: y = B^T x
        m, t = _fortran(b2)
        return gemv(1.0, m, a2[0], trans=1 - t)[None, :]
    # Row-major C = A B is column-major C^T = B^T A^T: BLAS gets B^T and A^T, and its
    # Fortran-ordered (N, M) result, transposed, is the C-ordered (M, N) product.
    bt, tb = _fortran(b2)                     # b2 in Fortran order, transposed by BLAS when tb = 0
    at, ta = _fortran(a2)
    return gemm(1.0, bt, at, trans_a=1 - tb, trans_b=1 - ta).T
