"""LSTM, Numba CUDA backend (PyTorch gate order i, f, g, o).

Forward: the input projection x W_ih^T + b_ih for all T steps is one tiled GEMM;
then one fused kernel per time step does the recurrent product W_hh h_{t-1}
(h_{t-1} staged in shared memory, W_hh read transposed so that neighbouring
threads read neighbouring addresses), the gate nonlinearities and the cell and
hidden updates. Thread (b, j) owns unit j of sequence b for all four gates, so
c_t never leaves the thread that computes it.

Backward: one fused kernel per step (from T-1 down to 0) computes dL/dh_t
(from above plus the recurrent product dA_{t+1} W_hh) and the four gate
gradients dA_t; the weight gradients, dx and the bias gradients are then big
GEMMs / reductions over all time steps at once (see ``_kernels_common``).

``use_tanh`` (an int argument of the kernels; the CPU kernels take the same flag): 0
swaps tanh for relu in g_t and in
h_t = o_t * act(c_t): Keras' ``LSTM(activation='relu')``.
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
    sigmoid, tanh, relu = kc.activations(dtype)
    dot = kc.shared_dot(dtype)
    MAXT = kc.MAX_TPB

    @cuda.jit
    def fwd_step(t, xp, W_hhT, b_hh, h0, c0, h_seq, c_seq, gates, h_T, c_T, use_tanh):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        H = h0.shape[1]
        T = h_seq.shape[1]
        ai = dt(0.0)
        af = dt(0.0)
        ag = dt(0.0)
        ao = dt(0.0)
        # Repeated in each step kernel (why: each cell keeps its own count of gate sums, 1, 3 or 4, in registers)
        for k0 in range(0, H, nt):          # W_hh h_{t-1}, h_{t-1} staged chunk by chunk
            k = k0 + tid
            if k < H:
                sh[tid] = h0[b, k] if t == 0 else h_seq[b, t - 1, k]
            cuda.syncthreads()
            if j < H:
                n = min(nt, H - k0)
                ai += dot(sh, W_hhT, k0, n, j)
                af += dot(sh, W_hhT, k0, n, H + j)
                ag += dot(sh, W_hhT, k0, n, 2 * H + j)
                ao += dot(sh, W_hhT, k0, n, 3 * H + j)
            cuda.syncthreads()
        if j < H:
            i = sigmoid(xp[b, t, j] + b_hh[j] + ai)
            f = sigmoid(xp[b, t, H + j] + b_hh[H + j] + af)
            a_g = xp[b, t, 2 * H + j] + b_hh[2 * H + j] + ag
            g = tanh(a_g) if use_tanh else relu(a_g)
            o = sigmoid(xp[b, t, 3 * H + j] + b_hh[3 * H + j] + ao)
            c_prev = c0[b, j] if t == 0 else c_seq[b, t - 1, j]
            c = f * c_prev + i * g
            h = o * (tanh(c) if use_tanh else relu(c))
            gates[b, t, j] = i
            gates[b, t, H + j] = f
            gates[b, t, 2 * H + j] = g
            gates[b, t, 3 * H + j] = o
            c_seq[b, t, j] = c
            h_seq[b, t, j] = h
            if t == T - 1:
                h_T[b, j] = h
                c_T[b, j] = c

    @cuda.jit
    def bwd_step(t, dh_seq, dh_T, dc_buf, W_hh, gates, c_seq, c0, use_tanh, dA):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        H = c0.shape[1]
        T = dh_seq.shape[1]
        GH = W_hh.shape[0]
        one = dt(1.0)
        rec = dt(0.0)
        if t < T - 1:                        # dL/dh_t through step t+1: dA_{t+1} W_hh
            # One sum in every cell (as in kc.rec_out): could be one device function; inline until timed on a GPU
            for k0 in range(0, GH, nt):
                if k0 + tid < GH:
                    sh[tid] = dA[b, t + 1, k0 + tid]
                cuda.syncthreads()
                if j < H:
                    rec += dot(sh, W_hh, k0, min(nt, GH - k0), j)
                cuda.syncthreads()
        if j < H:
            dh = dh_seq[b, t, j] + (dh_T[b, j] if t == T - 1 else rec)
            i = gates[b, t, j]
            f = gates[b, t, H + j]
            g = gates[b, t, 2 * H + j]
            o = gates[b, t, 3 * H + j]
            c_prev = c0[b, j] if t == 0 else c_seq[b, t - 1, j]
            if not use_tanh:                               # act' from the outputs: (y > 0)
                tc = relu(c_seq[b, t, j])
                dtc = one if tc > dt(0.0) else dt(0.0)
                dg = one if g > dt(0.0) else dt(0.0)
            else:                                          # tanh' = 1 - tanh^2
                tc = tanh(c_seq[b, t, j])
                dtc = one - tc * tc
                dg = one - g * g
            dc = dc_buf[b, j] + dh * o * dtc               # via h_t and via c_{t+1}
            dA[b, t, j] = dc * g * i * (one - i)
            dA[b, t, H + j] = dc * c_prev * f * (one - f)
            dA[b, t, 2 * H + j] = dc * i * dg
            dA[b, t, 3 * H + j] = dh * tc * o * (one - o)
            dc_buf[b, j] = dc * f                          # the constant error carousel

    return fwd_step, bwd_step


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, activation="tanh", keep_cache=True, persistent=None, stream=0):
    """Whole sequence on the GPU. Returns h_seq (B, T, H), h_T, c_T (B, H) and the data for
    ``backward`` (None with ``keep_cache=False``, inference), which keeps c_seq (B, T, H)
    and gates (B, T, 4H)."""
    return hs.forward("lstm", _kernels, x, W_ih, W_hh, b_ih, b_hh, {"h0": h0, "c0": c0},
                      {"h_seq": 1, "c_seq": 1, "gates": 4}, activation, keep_cache, persistent, stream)


def backward(dh_seq, data, dh_T, dc_T, stream=0):
    """BPTT on the GPU. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    h_seq = data["h_seq"]
    B, T, H = h_seq.shape
    dtype = np.dtype(h_seq.dtype)
    dh_seq, dh_T = hs.grads_in(stream, dh_seq, dh_T)
    dc_buf = kc.device_copy(dc_T, stream)          # overwritten step by step: never the caller's array
    (dA,) = hs.empty(dtype, stream, (B, T, 4 * H))
    hs.step_loop(_kernels(dtype)[1], range(T - 1, -1, -1), B, H,
                 (dh_seq, dh_T, dc_buf, data["W_hh"], data["gates"], data["c_seq"], data["c0"], data["use_tanh"], dA),
                 stream)
    return hs.gradients(data, dA, dA, dc0=dc_buf, stream=stream)
