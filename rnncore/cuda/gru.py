"""GRU, Numba CUDA backend (PyTorch gate order r, z, n).

    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)),  h_t = (1 - z_t) n_t + z_t h_{t-1}

The reset gate multiplies the recurrent part of n, so the fused step keeps
hn = W_hn h_{t-1} + b_hn for backward, and backward produces two gate-gradient
arrays: dgi (w.r.t. the input projections) and dgh (w.r.t. the recurrent
projections, whose n-part is scaled by r). The direct path h_{t-1} -> h_t
(through z) is carried per thread from step to step.

``use_tanh`` (an int argument of the kernels; the CPU kernels take the same flag): 0
swaps tanh for relu in n_t:
Keras' ``GRU(activation='relu')``.
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
    def fwd_step(t, xp, W_hhT, b_hh, h0, h_seq, gates, hn_seq, h_T, use_tanh):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        H = h0.shape[1]
        T = h_seq.shape[1]
        gr = dt(0.0)
        gz = dt(0.0)
        gn = dt(0.0)
        # Repeated in each step kernel (why: each cell keeps its own count of gate sums, 1, 3 or 4, in registers)
        for k0 in range(0, H, nt):
            k = k0 + tid
            if k < H:
                sh[tid] = h0[b, k] if t == 0 else h_seq[b, t - 1, k]
            cuda.syncthreads()
            if j < H:
                n = min(nt, H - k0)
                gr += dot(sh, W_hhT, k0, n, j)
                gz += dot(sh, W_hhT, k0, n, H + j)
                gn += dot(sh, W_hhT, k0, n, 2 * H + j)
            cuda.syncthreads()
        if j < H:
            r = sigmoid(xp[b, t, j] + gr + b_hh[j])
            z = sigmoid(xp[b, t, H + j] + gz + b_hh[H + j])
            hn = gn + b_hh[2 * H + j]
            a_n = xp[b, t, 2 * H + j] + r * hn
            n = tanh(a_n) if use_tanh else relu(a_n)
            h_prev = h0[b, j] if t == 0 else h_seq[b, t - 1, j]
            h = (dt(1.0) - z) * n + z * h_prev
            gates[b, t, j] = r
            gates[b, t, H + j] = z
            gates[b, t, 2 * H + j] = n
            hn_seq[b, t, j] = hn
            h_seq[b, t, j] = h
            if t == T - 1:
                h_T[b, j] = h

    @cuda.jit
    def bwd_step(t, dh_seq, dh_T, z_carry, W_hh, gates, hn_seq, h0, h_seq, use_tanh, dgi, dgh):
        sh = cuda.shared.array(MAXT, dt)
        tid = cuda.threadIdx.x
        nt = cuda.blockDim.x
        b = cuda.blockIdx.y
        j = cuda.blockIdx.x * nt + tid
        H = h0.shape[1]
        T = h_seq.shape[1]
        GH = W_hh.shape[0]
        one = dt(1.0)
        rec = dt(0.0)
        if t < T - 1:                        # dgh_{t+1} W_hh
            # One sum in every cell (as in kc.rec_out): could be one device function; inline until timed on a GPU
            for k0 in range(0, GH, nt):
                if k0 + tid < GH:
                    sh[tid] = dgh[b, t + 1, k0 + tid]
                cuda.syncthreads()
                if j < H:
                    rec += dot(sh, W_hh, k0, min(nt, GH - k0), j)
                cuda.syncthreads()
        if j < H:
            dh = dh_seq[b, t, j] + (dh_T[b, j] if t == T - 1 else rec + z_carry[b, j])
            r = gates[b, t, j]
            z = gates[b, t, H + j]
            n = gates[b, t, 2 * H + j]
            h_prev = h0[b, j] if t == 0 else h_seq[b, t - 1, j]
            if not use_tanh:
                dn = one if n > dt(0.0) else dt(0.0)        # relu' from the output
            else:
                dn = one - n * n                            # tanh' = 1 - tanh^2
            da_n = dh * (one - z) * dn
            da_r = da_n * hn_seq[b, t, j] * r * (one - r)
            da_z = dh * (h_prev - n) * z * (one - z)
            dgi[b, t, j] = da_r
            dgi[b, t, H + j] = da_z
            dgi[b, t, 2 * H + j] = da_n
            dgh[b, t, j] = da_r
            dgh[b, t, H + j] = da_z
            dgh[b, t, 2 * H + j] = da_n * r
            z_carry[b, j] = dh * z           # direct path h_{t-1} -> h_t

    return fwd_step, bwd_step


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="tanh", keep_cache=True, persistent=None, stream=0):
    """Whole sequence on the GPU. Returns h_seq (B, T, H), h_T (B, H) and the data for
    ``backward`` (None with ``keep_cache=False``, inference), which keeps gates (B, T, 3H)
    and hn_seq (B, T, H)."""
    return hs.forward("gru", _kernels, x, W_ih, W_hh, b_ih, b_hh, {"h0": h0}, {"h_seq": 1, "gates": 3, "hn_seq": 1},
                      activation, keep_cache, persistent, stream)


def backward(dh_seq, data, dh_T, stream=0):
    """BPTT on the GPU. Returns dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    W_hh, h0, h_seq = data["W_hh"], data["h0"], data["h_seq"]
    B, T, H = h_seq.shape
    dtype = np.dtype(h_seq.dtype)
    dh_seq, dh_T = hs.grads_in(stream, dh_seq, dh_T)
    z_carry = kc.zeros((B, H), dtype, stream)      # dL/dh_{t-1} along the direct path through z
    dgi, dgh = hs.empty(dtype, stream, (B, T, 3 * H), (B, T, 3 * H))
    hs.step_loop(_kernels(dtype)[1], range(T - 1, -1, -1), B, H,
                 (dh_seq, dh_T, z_carry, W_hh, data["gates"], data["hn_seq"], h0, h_seq, data["use_tanh"], dgi, dgh),
                 stream)
    return hs.gradients(data, dgi, dgh, h0_carry=z_carry, stream=stream)
