"""Pieces shared by the CUDA cells: activations, a tiled GEMM, helper kernels, host glue.

Every kernel is built by a factory cached per dtype, so float32 and float64 each
get their own specialisation with dtype-correct constants and shared arrays
(``dt(0.5)`` is a float32 constant in the float32 kernels: no silent float64 math).

The GEMM computes ``C (M, N) [+]= op(A) (M, K) @ op(B) (K, N) [+ bias (N,)]`` with
``op`` an optional transpose, in TILE x TILE blocks: each thread block stages one
tile of op(A) and one of op(B) in shared memory per step along K, so each global
element is read once per tile instead of once per output. Transposed operands are
loaded with the fast index on the contiguous axis (coalesced) and stored
transposed into shared memory (padded by one column against bank conflicts).
"""
import functools
import math
import sys
import threading
from functools import lru_cache

import numba
import numpy as np
from numba import cuda

from .._validation import is_device_array as is_device   # one test for "is on the GPU", shared with the input checks
from . import simulator_enabled

SIM = simulator_enabled()
# 16x16 = 256 threads per GEMM block on a GPU; the simulator runs one Python
# thread per CUDA thread, so it gets smaller tiles (same code, same results).
TILE = 8 if SIM else 16
MAX_TPB = 128          # threads per block of the per-step kernels (shared chunk size)


# The simulator runs each CUDA thread as a Python thread, and its block manager polls them in a
# loop that keeps the GIL for a whole switch interval (5 ms by default) each time it gets it:
# the simulated threads mostly wait for that loop. A 0.1 ms interval while rnncore launches
# kernels made tests/test_cuda.py 4x as fast (66.8 s -> 15.7 s, one process, 2026-12-03; 0.5 ms:
# 18.2 s). On a GPU nothing changes.
SIM_SWITCH_INTERVAL = 1e-4
_pace_lock = threading.Lock()
_pace_depth = 0
_pace_saved = None


def lock_simulated_shared_arrays():
    """Make the simulator hand every thread of a block the same shared array.

    The simulator allocates a block's ``cuda.shared.array`` when the first of its threads
    asks for it: a look-up in a dict keyed by the kernel's source line, then, if absent, an
    allocation and a store, with no lock between them (numba-cuda 0.30,
    ``simulator.kernelapi.FakeCUDAShared.array``). A thread switch between the two lets
    several threads allocate; those that asked first then keep arrays of their own that no
    other thread writes, and read garbage after ``syncthreads``. Seen here as a rare wrong
    result of the tiled GEMM (column 0 of block (0, 0): the threads the simulator starts
    first), 1 in 464 launches with a busy Python thread beside it, in CI once; the short
    switch interval above makes such switches likelier. The replacement does the look-up
    and the allocation under one lock, with the same key. Only under the simulator."""
    from numba.cuda.simulator.kernelapi import FakeCUDAShared
    from numba.np import numpy_support
    if getattr(FakeCUDAShared, "_rnncore_locked", False):
        return
    unlocked = FakeCUDAShared.array
    lock = threading.Lock()

    def array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:      # dynamic shared memory (one buffer), or the simulator's error
            return unlocked(self, shape, dtype, alignment)
        caller = sys._getframe(1)                     # the kernel's line: the simulator's own key
        key = (caller.f_code.co_filename, caller.f_lineno)
        with lock:
            res = self._allocations.get(key)
            if res is None:
                np_dtype = numpy_support.as_dtype(dtype) if isinstance(dtype, numba.types.Type) else dtype
                res = self._allocations[key] = np.empty(shape, np_dtype)
        return res

    FakeCUDAShared.array = array
    FakeCUDAShared._rnncore_locked = True


if SIM:
    lock_simulated_shared_arrays()


def simulator_paced(launcher):
    """Run ``launcher`` with :data:`SIM_SWITCH_INTERVAL` as the interpreter's switch interval under
    the simulator (the identity on a GPU). Nested and concurrent calls restore the caller's
    interval once the last of them ends."""
    if not SIM:
        return launcher

    @functools.wraps(launcher)
    def paced(*args, **kwargs):
        global _pace_depth, _pace_saved
        with _pace_lock:
            if _pace_depth == 0:
                _pace_saved = sys.getswitchinterval()
                sys.setswitchinterval(SIM_SWITCH_INTERVAL)
            _pace_depth += 1
        try:
            return launcher(*args, **kwargs)
        finally:
            with _pace_lock:
                _pace_depth -= 1
                if _pace_depth == 0:
                    sys.setswitchinterval(_pace_saved)

    return paced


def threads_for(n):
    """Threads per block for a kernel with one thread per hidden unit (n units)."""
    if SIM:
        return max(1, min(n, MAX_TPB))
    return min(MAX_TPB, 32 * ((n + 31) // 32))


def unit_grid(B, H):
    """(grid, threads per block) for one thread per hidden unit: unit j on grid x, sequence b on grid y."""
    tpb = threads_for(H)
    return ((H + tpb - 1) // tpb, B), tpb


# ----------------------------------------------------------------------------- device arrays
def to_device(a, stream=0):
    """Device array for ``a``: no copy when it already lives on the GPU."""
    if cuda.devicearray.is_cuda_ndarray(a):
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return cuda.as_cuda_array(a)
    return cuda.to_device(np.ascontiguousarray(a), stream=stream)


def device_copy(a, stream=0):
    """A fresh device array holding ``a`` (host or device), safe to overwrite."""
    if not is_device(a):
        return cuda.to_device(np.ascontiguousarray(a), stream=stream)
    a = to_device(a, stream)
    out = cuda.device_array(a.shape, dtype=a.dtype, stream=stream)
    out.copy_to_device(a, stream=stream)
    return out


def to_output(d, host):
    """What the caller gets back: a NumPy copy when they passed NumPy, else the device array."""
    return d.copy_to_host() if host else d


# ----------------------------------------------------------------------------- activations
@lru_cache(maxsize=None)
def activations(dtype):
    """(sigmoid, tanh, relu) device functions for one dtype."""
    dt = numba.from_dtype(np.dtype(dtype))

    @cuda.jit(device=True)
    def sigmoid(a):
        # 0.5 (1 + tanh(a/2)): equal to 1/(1+exp(-a)) and never overflows (as the reference)
        return dt(0.5) * (dt(1.0) + math.tanh(dt(0.5) * a))

    @cuda.jit(device=True)
    def tanh(a):
        return math.tanh(a)

    @cuda.jit(device=True)
    def relu(a):
        return a if a > dt(0.0) else dt(0.0)

    return sigmoid, tanh, relu


@lru_cache(maxsize=None)
def shared_dot(dtype):
    """Device function: sum_{kk<n} W[k0+kk, col] * sh[kk] (sh: a chunk staged in shared memory)."""
    dt = numba.from_dtype(np.dtype(dtype))

    @cuda.jit(device=True)
    def dot(sh, W, k0, n, col):
        acc = dt(0.0)
        for kk in range(n):
            acc += W[k0 + kk, col] * sh[kk]
        return acc

    return dot


# ----------------------------------------------------------------------------- GEMM
@lru_cache(maxsize=None)
def _gemm_kernel(dtype, tile):
    dt = numba.from_dtype(np.dtype(dtype))
    padded = tile + 1       # a compile-time constant: shared-array shapes must be literals

    @cuda.jit
    def gemm(A, B, C, bias, ta, tb, use_bias, accumulate):
        sA = cuda.shared.array((tile, padded), dt)    # sA[row_local, k_local]
        sB = cuda.shared.array((tile, padded), dt)    # sB[k_local, col_local]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row0 = cuda.blockIdx.x * tile       # rows on grid x (up to 2**31 - 1 blocks: B*T can be large)
        col0 = cuda.blockIdx.y * tile
        M = C.shape[0]
        N = C.shape[1]
        K = A.shape[0] if ta else A.shape[1]
        acc = dt(0.0)
        for k0 in range(0, K, tile):
            # op(A) tile: rows row0.., k k0..  (tx walks the contiguous axis of A)
            if ta:
                r = row0 + tx
                k = k0 + ty
                sA[tx, ty] = A[k, r] if (r < M and k < K) else dt(0.0)
            else:
                r = row0 + ty
                k = k0 + tx
                sA[ty, tx] = A[r, k] if (r < M and k < K) else dt(0.0)
            # op(B) tile: k k0.., cols col0..  (alike op(A)'s, written out: each walks its own contiguous axis)
            if tb:
                c = col0 + ty
                k = k0 + tx
                sB[tx, ty] = B[c, k] if (c < N and k < K) else dt(0.0)
            else:
                c = col0 + tx
                k = k0 + ty
                sB[ty, tx] = B[k, c] if (c < N and k < K) else dt(0.0)
            cuda.syncthreads()
            for kk in range(tile):
                acc += sA[ty, kk] * sB[kk, tx]
            cuda.syncthreads()
        r = row0 + ty
        c = col0 + tx
        if r < M and c < N:
            if use_bias:
                acc += bias[c]
            if accumulate:
                acc += C[r, c]
            C[r, c] = acc

    return gemm


@simulator_paced
def gemm(A, B, C, bias=None, ta=False, tb=False, accumulate=False, stream=0):
    """C [+]= op(A) @ op(B) [+ bias] on device arrays (2-D, C-contiguous)."""
    M, N = C.shape
    dtype = np.dtype(C.dtype)
    use_bias = bias is not None
    if not use_bias:
        bias = cuda.device_array(1, dtype=dtype, stream=stream)   # never read
    grid = ((M + TILE - 1) // TILE, (N + TILE - 1) // TILE)
    _gemm_kernel(dtype, TILE)[grid, (TILE, TILE), stream](
        A, B, C, bias, int(ta), int(tb), int(use_bias), int(accumulate))
    return C


# ----------------------------------------------------------------------------- helper kernels
@lru_cache(maxsize=None)
def _helpers(dtype):
    dt = numba.from_dtype(np.dtype(dtype))
    dot = shared_dot(dtype)

    @cuda.jit
    def colsum(A, out):
        """out[c] = sum_r A[r, c] (one thread per column: coalesced across threads)."""
        c = cuda.grid(1)
        if c < A.shape[1]:
            acc = dt(0.0)
            for r in range(A.shape[0]):
                acc += A[r, c]
            out[c] = acc

    @cuda.jit
    def transpose(A, out):
        i, j = cuda.grid(2)
        if i < A.shape[0] and j < A.shape[1]:
            out[j, i] = A[i, j]

    @cuda.jit
    def shift_prev(h0, h_seq, out):
        """out[b, t] = h_{t-1}: h0 at t = 0, else h_seq[b, t-1] (the inputs of W_hh)."""
        j = cuda.grid(1)
        b = cuda.blockIdx.y
        t = cuda.blockIdx.z
        if j < h0.shape[1]:
            out[b, t, j] = h0[b, j] if t == 0 else h_seq[b, t - 1, j]

    @cuda.jit
    def rec_out(dAh, W_hh, carry, out):
        """out[b, j] = carry[b, j] + sum_k dAh[b, 0, k] W_hh[k, j]: the gradient reaching h0."""
        sh = cuda.shared.array(MAX_TPB, dt)
        b = cuda.blockIdx.y
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        j = cuda.blockIdx.x * nt + tid
        H = out.shape[1]
        GH = dAh.shape[2]
        acc = dt(0.0)
        for k0 in range(0, GH, nt):
            if k0 + tid < GH:
                sh[tid] = dAh[b, 0, k0 + tid]
            cuda.syncthreads()
            if j < H:
                acc += dot(sh, W_hh, k0, min(nt, GH - k0), j)
            cuda.syncthreads()
        if j < H:
            out[b, j] = carry[b, j] + acc

    return colsum, transpose, shift_prev, rec_out


@simulator_paced
def colsum(A, out, stream=0):
    tpb = threads_for(A.shape[1])
    _helpers(np.dtype(A.dtype))[0][(A.shape[1] + tpb - 1) // tpb, tpb, stream](A, out)
    return out


@simulator_paced
def transpose(A, stream=0):
    out = cuda.device_array((A.shape[1], A.shape[0]), dtype=A.dtype, stream=stream)
    t = 4 if SIM else 16
    grid = ((A.shape[0] + t - 1) // t, (A.shape[1] + t - 1) // t)
    _helpers(np.dtype(A.dtype))[1][grid, (t, t), stream](A, out)
    return out


@simulator_paced
def shifted_states(h0, h_seq, stream=0):
    """(B, T, H) array of h_{t-1}, so that dW_hh is one GEMM over all time steps."""
    B, T, H = h_seq.shape
    out = cuda.device_array((B, T, H), dtype=h_seq.dtype, stream=stream)
    tpb = threads_for(H)
    _helpers(np.dtype(h_seq.dtype))[2][((H + tpb - 1) // tpb, B, T), tpb, stream](h0, h_seq, out)
    return out


@simulator_paced
def grad_into_h0(dAh, W_hh, carry, stream=0):
    B, H = carry.shape
    out = cuda.device_array((B, H), dtype=carry.dtype, stream=stream)
    grid, tpb = unit_grid(B, H)
    _helpers(np.dtype(carry.dtype))[3][grid, tpb, stream](dAh, W_hh, carry, out)
    return out


def zeros(shape, dtype, stream=0):
    return cuda.to_device(np.zeros(shape, dtype=dtype), stream=stream)


@simulator_paced
def input_projection(x, W_ih, b_ih, stream=0):
    """xp (B, T, G*H) = x W_ih^T + b_ih for all time steps in one tiled GEMM."""
    B, T, D = x.shape
    GH = W_ih.shape[0]
    xp = cuda.device_array((B, T, GH), dtype=x.dtype, stream=stream)
    gemm(x.reshape(B * T, D), W_ih, xp.reshape(B * T, GH), bias=b_ih, tb=True, stream=stream)
    return xp


@simulator_paced
def weight_grads(dA, dAh, x, h0, h_seq, W_ih, stream=0):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the per-step gate gradients, as big GEMMs.

    dA (B, T, G*H): dL/d(input projections); dAh: dL/d(recurrent projections)
    (the same array except in the GRU, where the n-gate part is scaled by r).
    """
    B, T, D = x.shape
    GH = dA.shape[2]
    H = h0.shape[1]
    dt = x.dtype
    dA2 = dA.reshape(B * T, GH)
    dAh2 = dAh.reshape(B * T, GH)
    dx = cuda.device_array((B, T, D), dtype=dt, stream=stream)
    gemm(dA2, W_ih, dx.reshape(B * T, D), stream=stream)                       # dA @ W_ih
    dW_ih = cuda.device_array((GH, D), dtype=dt, stream=stream)
    gemm(dA2, x.reshape(B * T, D), dW_ih, ta=True, stream=stream)              # dA^T @ x
    hprev = shifted_states(h0, h_seq, stream)
    dW_hh = cuda.device_array((GH, H), dtype=dt, stream=stream)
    gemm(dAh2, hprev.reshape(B * T, H), dW_hh, ta=True, stream=stream)         # dAh^T @ h_prev
    db_ih = cuda.device_array(GH, dtype=dt, stream=stream)
    colsum(dA2, db_ih, stream)
    if dAh is dA:
        db_hh = cuda.device_array(GH, dtype=dt, stream=stream)
        db_hh.copy_to_device(db_ih, stream=stream)
    else:
        db_hh = cuda.device_array(GH, dtype=dt, stream=stream)
        colsum(dAh2, db_hh, stream)
    return dx, dW_ih, dW_hh, db_ih, db_hh
