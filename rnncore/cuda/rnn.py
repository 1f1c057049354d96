"""Elman RNN, Numba CUDA backend: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

Same structure as :mod:`.lstm`: one tiled GEMM for the input projection of all
steps, one fused kernel per step (recurrent product + activation), and in
backward one fused kernel per step followed by GEMMs for the weight gradients.
"""
from functools import lru_cache

import numba
import numpy as np
from numba import cuda

from . import _host as hs
from . import _kernels_common as kc


@lru_cache(maxsize=None)
def _kernels(dtype):
    dt = numba.from_dtype(np.dtype(dtype))
    _, tanh, relu = kc.activations(dtype)
    dot = kc.shared_dot(dtype)
    MAXT = kc.MAX_TPB

    @cuda.jit
    def fwd_step(t, xp, W_hhT, b_hh, h0, h_seq, h_T, use_tanh):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        H = h0.shape[1]
        T = h_seq.shape[1]
        acc = dt(0.0)
        # Repeated in each step kernel (why: each cell keeps its own count of gate sums, 1, 3 or 4, in registers)
        for k0 in range(0, H, nt):
            k = k0 + tid
            if k < H:
                sh[tid] = h0[b, k] if t == 0 else h_seq[b, t - 1, k]
            cuda.syncthreads()
            if j < H:
                acc += dot(sh, W_hhT, k0, min(nt, H - k0), j)
            cuda.syncthreads()
        if j < H:
            a = xp[b, t, j] + b_hh[j] + acc
            h = tanh(a) if use_tanh else relu(a)
            h_seq[b, t, j] = h
            if t == T - 1:
                h_T[b, j] = h

    @cuda.jit
    def bwd_step(t, dh_seq, dh_T, W_hh, h_seq, use_tanh, dA):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        T = h_seq.shape[1]
        H = h_seq.shape[2]
        rec = dt(0.0)
        if t < T - 1:
            # One sum in every cell (as in kc.rec_out): could be one device function; inline until timed on a GPU
            for k0 in range(0, H, nt):
                if k0 + tid < H:
                    sh[tid] = dA[b, t + 1, k0 + tid]
                cuda.syncthreads()
                if j < H:
                    rec += dot(sh, W_hh, k0, min(nt, H - k0), j)
                cuda.syncthreads()
        if j < H:
            dh = dh_seq[b, t, j] + (dh_T[b, j] if t == T - 1 else rec)
            h = h_seq[b, t, j]
            if not use_tanh:
                dA[b, t, j] = dh if h > dt(0.0) else dt(0.0)
            else:
                dA[b, t, j] = dh * (dt(1.0) - h * h)

    return fwd_step, bwd_step


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh", keep_cache=True, persistent=None, stream=0):
    """Whole sequence on the GPU. Returns h_seq (B, T, H), h_T (B, H) and the data for
    ``backward`` (None with ``keep_cache=False``, inference)."""
    return hs.forward("rnn", _kernels, x, W_ih, W_hh, b_ih, b_hh, {"h0": h0}, {"h_seq": 1},
                      nonlinearity, keep_cache, persistent, stream)


def backward(dh_seq, data, dh_T, stream=0):
    """BPTT on the GPU. Returns dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    W_hh, h_seq = data["W_hh"], data["h_seq"]
    B, T, H = h_seq.shape
    dtype = np.dtype(h_seq.dtype)
    dh_seq, dh_T = hs.grads_in(stream, dh_seq, dh_T)
    (dA,) = hs.empty(dtype, stream, (B, T, H))
    hs.step_loop(_kernels(dtype)[1], range(T - 1, -1, -1), B, H,
                 (dh_seq, dh_T, W_hh, h_seq, data["use_tanh"], dA), stream)
    return hs.gradients(data, dA, dA, stream=stream)
