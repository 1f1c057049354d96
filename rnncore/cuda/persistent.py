"""Persistent forward kernels (Diamos et al., "Persistent RNNs", ICML 2016).

The per-step kernels of :mod:`.rnn`, :mod:`.lstm`, :mod:`.gru` re-read W_hh from
global memory at every time step and pay one kernel launch per step. For small
batches that dominates. Here ONE kernel runs the whole sequence:

* the grid is cooperative; block ``k`` owns hidden units ``[k*Jb, (k+1)*Jb)``
  and loads *their* rows of W_hh (all G gates) into shared memory once;
* per step every block stages h_{t-1} (B x H) in shared memory, computes its
  units' G*B recurrent dot products (each split over KS threads and reduced in
  shared memory), applies the gate nonlinearities and writes h_t, c_t;
* a grid-wide barrier (``cuda.cg.this_grid().sync()``) makes h_t visible to
  every block before step t+1.

A grid barrier only works when every block is resident at once, so the grid
may not exceed ``max_cooperative_grid_blocks``; the launch checks it. Numba
switches to a cooperative launch by itself for kernels that call
``this_grid().sync()``. The W_hh slice must fit in the (static, 48 KiB)
dynamic shared-memory limit, which bounds the hidden size that can stay on chip.

The simulator runs a grid barrier correctly only with one block, so there the
persistent path is off unless asked for (``persistent=True``), and then uses a
single block holding all of W_hh.

Outputs (h_seq, gates, c_seq/hn_seq, h_T[, c_T]) are exactly those of the
per-step path, so backward is shared.
"""
import math
from collections import namedtuple
from functools import lru_cache

import numba
import numpy as np
from numba import cuda

from . import _kernels_common as kc

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SMALL_BATCH = 8            # auto mode: persistent forward for B <= this
SMEM_LIMIT = 48 * 1024     # dynamic shared memory without the opt-in attribute
THREADS = 256              # threads per block on a GPU

Plan = namedtuple("Plan", "cell blocks units threads split smem_bytes required")


def _smem_bytes(G, B, H, Jb, KS, itemsize):
    return (G * Jb * H + B * H + B * Jb * G * KS) * itemsize


def _split(B, Jb, G, threads):
    """Threads per dot product (power of two, <= 32) so that the block stays busy."""
    ks = 1
    while ks < 32 and B * Jb * G * ks * 2 <= threads:
        ks *= 2
    return ks


def plan(cell, B, H, dtype, persistent):
    """How to run the persistent forward, or None for the per-step kernels.

    persistent: None = auto (GPU, small batch, fits on chip, cooperative launch
    supported), True = required (raise if impossible), False = never.
    """
    if persistent is False:
        return None
    if persistent not in (None, True):
        raise ValueError(f"persistent must be None, True or False, got {persistent!r}")
    required = persistent is True
    G = GATES[cell]
    itemsize = np.dtype(dtype).itemsize
    if kc.SIM:
        if not required:
            return None
        # one block (the simulator syncs a grid correctly only with one block)
        KS = 2
        nt = min(64, B * H * G * KS)
        return Plan(cell, 1, H, nt, KS, _smem_bytes(G, B, H, H, KS, itemsize), True)
    if not required and B > SMALL_BATCH:
        return None
    dev = cuda.get_current_device()
    if not int(getattr(dev, "COOPERATIVE_LAUNCH", 1)):
        if required:
            raise RuntimeError("this GPU does not support cooperative launches, which the persistent kernel needs")
        return None
    n_sm = int(dev.MULTIPROCESSOR_COUNT)
    limit = min(SMEM_LIMIT, int(getattr(dev, "MAX_SHARED_MEMORY_PER_BLOCK", SMEM_LIMIT)))
    Jb = max(1, math.ceil(H / n_sm))          # at most one block per SM
    blocks = math.ceil(H / Jb)
    KS = _split(B, Jb, G, THREADS)
    threads = max(32, min(THREADS, B * Jb * G * KS))   # a multiple of KS (a power of two <= 32)
    smem = _smem_bytes(G, B, H, Jb, KS, itemsize)
    if smem > limit:
        if required:
            raise ValueError(f"persistent=True: W_hh does not fit in shared memory for H={H}, B={B} "
                             f"({smem} bytes per block > {limit}); use persistent=None or False")
        return None
    return Plan(cell, blocks, Jb, threads, KS, smem, required)


# ----------------------------------------------------------------------------- kernels
@lru_cache(maxsize=None)
def _kernels(dtype):
    dt = numba.from_dtype(np.dtype(dtype))
    sigmoid, tanh, relu = kc.activations(dtype)

    @cuda.jit(device=True)
    def load_weights(smem, W_hh, j0, nj, Jb, G, H):
        """smem[(g*Jb + jj)*H + k] = W_hh[g*H + j0 + jj, k]: this block's rows, once."""
        for idx in range(cuda.threadIdx.x, G * nj * H, cuda.blockDim.x):
            g = idx // (nj * H)
            rem = idx - g * nj * H
            jj = rem // H
            k = rem - jj * H
            smem[(g * Jb + jj) * H + k] = W_hh[g * H + j0 + jj, k]

    @cuda.jit(device=True)
    def stage_h(smem, hoff, t, h0, h_seq):
        B = h0.shape[0]
        H = h0.shape[1]
        for idx in range(cuda.threadIdx.x, B * H, cuda.blockDim.x):
            b = idx // H
            k = idx - b * H
            smem[hoff + idx] = h0[b, k] if t == 0 else h_seq[b, t - 1, k]

    @cuda.jit(device=True)
    def recurrent_dots(smem, nj, Jb, G, H, B, hoff, roff, KS):
        """Partial sums of W_hh[g*H + j] . h_{t-1}[b], each dot split over KS threads."""
        tid = cuda.threadIdx.x
        part = tid % KS
        for it in range(tid // KS, B * Jb * G, cuda.blockDim.x // KS):
            g = it % G
            bj = it // G
            jj = bj % Jb
            b = bj // Jb
            acc = dt(0.0)
            if jj < nj:
                w = (g * Jb + jj) * H
                h = hoff + b * H
                for k in range(part, H, KS):
                    acc += smem[w + k] * smem[h + k]
            smem[roff + it * KS + part] = acc

    @cuda.jit(device=True)
    def reduced(smem, roff, b, jj, g, Jb, G, KS):
        base = roff + ((b * Jb + jj) * G + g) * KS
        acc = dt(0.0)
        for p in range(KS):
            acc += smem[base + p]
        return acc

    @cuda.jit
    def rnn_k(xp, W_hh, b_hh, h0, h_seq, h_T, use_tanh, Jb, KS):
        # Alike in the three kernels but for G: each has its own arguments (a Numba CUDA kernel takes no *args)
        grid = cuda.cg.this_grid()
        smem = cuda.shared.array(0, dt)
        B = xp.shape[0]
        T = xp.shape[1]
        H = h0.shape[1]
        j0 = cuda.blockIdx.x * Jb
        nj = min(Jb, H - j0)
        hoff = Jb * H
        roff = hoff + B * H
        load_weights(smem, W_hh, j0, nj, Jb, 1, H)
        for t in range(T):
            stage_h(smem, hoff, t, h0, h_seq)
            cuda.syncthreads()
            recurrent_dots(smem, nj, Jb, 1, H, B, hoff, roff, KS)
            cuda.syncthreads()
            for p in range(cuda.threadIdx.x, B * nj, cuda.blockDim.x):
                b = p // nj
                jj = p - b * nj
                j = j0 + jj
                a = xp[b, t, j] + b_hh[j] + reduced(smem, roff, b, jj, 0, Jb, 1, KS)
                h = tanh(a) if use_tanh else relu(a)
                h_seq[b, t, j] = h
                if t == T - 1:
                    h_T[b, j] = h
            grid.sync()

    @cuda.jit
    def lstm_k(xp, W_hh, b_hh, h0, c0, h_seq, c_seq, gates, h_T, c_T, use_tanh, Jb, KS):
        # Alike in the three kernels but for G: each has its own arguments (a Numba CUDA kernel takes no *args)
        grid = cuda.cg.this_grid()
        smem = cuda.shared.array(0, dt)
        B = xp.shape[0]
        T = xp.shape[1]
        H = h0.shape[1]
        j0 = cuda.blockIdx.x * Jb
        nj = min(Jb, H - j0)
        hoff = 4 * Jb * H
        roff = hoff + B * H
        load_weights(smem, W_hh, j0, nj, Jb, 4, H)
        for t in range(T):
            stage_h(smem, hoff, t, h0, h_seq)
            cuda.syncthreads()
            recurrent_dots(smem, nj, Jb, 4, H, B, hoff, roff, KS)
            cuda.syncthreads()
            for p in range(cuda.threadIdx.x, B * nj, cuda.blockDim.x):
                b = p // nj
                jj = p - b * nj
                j = j0 + jj
                # = lstm.fwd_step's cell equations; merge the two only where a GPU can confirm the same bits
                i = sigmoid(xp[b, t, j] + b_hh[j] + reduced(smem, roff, b, jj, 0, Jb, 4, KS))
                f = sigmoid(xp[b, t, H + j] + b_hh[H + j] + reduced(smem, roff, b, jj, 1, Jb, 4, KS))
                a_g = xp[b, t, 2 * H + j] + b_hh[2 * H + j] + reduced(smem, roff, b, jj, 2, Jb, 4, KS)
                g = tanh(a_g) if use_tanh else relu(a_g)
                o = sigmoid(xp[b, t, 3 * H + j] + b_hh[3 * H + j] + reduced(smem, roff, b, jj, 3, Jb, 4, KS))
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
            grid.sync()

    @cuda.jit
    def gru_k(xp, W_hh, b_hh, h0, h_seq, gates, hn_seq, h_T, use_tanh, Jb, KS):
        # Alike in the three kernels but for G: each has its own arguments (a Numba CUDA kernel takes no *args)
        grid = cuda.cg.this_grid()
        smem = cuda.shared.array(0, dt)
        B = xp.shape[0]
        T = xp.shape[1]
        H = h0.shape[1]
        j0 = cuda.blockIdx.x * Jb
        nj = min(Jb, H - j0)
        hoff = 3 * Jb * H
        roff = hoff + B * H
        load_weights(smem, W_hh, j0, nj, Jb, 3, H)
        for t in range(T):
            stage_h(smem, hoff, t, h0, h_seq)
            cuda.syncthreads()
            recurrent_dots(smem, nj, Jb, 3, H, B, hoff, roff, KS)
            cuda.syncthreads()
            for p in range(cuda.threadIdx.x, B * nj, cuda.blockDim.x):
                b = p // nj
                jj = p - b * nj
                j = j0 + jj
                # = gru.fwd_step's cell equations; merge the two only where a GPU can confirm the same bits
                r = sigmoid(xp[b, t, j] + reduced(smem, roff, b, jj, 0, Jb, 3, KS) + b_hh[j])
                z = sigmoid(xp[b, t, H + j] + reduced(smem, roff, b, jj, 1, Jb, 3, KS) + b_hh[H + j])
                hn = reduced(smem, roff, b, jj, 2, Jb, 3, KS) + b_hh[2 * H + j]
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
            grid.sync()

    return {"rnn": rnn_k, "lstm": lstm_k, "gru": gru_k}


_COOP_LIMITS = {}


def max_cooperative_blocks(kernel, args, threads, smem_bytes):
    """How many blocks of ``kernel`` can be co-resident (the cooperative-launch limit)."""
    if kc.SIM:
        return kernel.overloads[None].max_cooperative_grid_blocks(threads)   # always 1
    sig = tuple(numba.typeof(a) for a in args)
    key = (kernel, sig, threads, smem_bytes, cuda.get_current_device().id)
    if key not in _COOP_LIMITS:
        _COOP_LIMITS[key] = kernel.compile(sig).max_cooperative_grid_blocks(threads, smem_bytes)
    return _COOP_LIMITS[key]


@kc.simulator_paced
def launch(p, args, stream=0):
    """Launch the persistent kernel for plan ``p``; False (nothing done) if the grid is too big."""
    dtype = np.dtype(args[0].dtype)
    kernel = _kernels(dtype)[p.cell]
    args = tuple(args) + (p.units, p.split)
    limit = max_cooperative_blocks(kernel, args, p.threads, p.smem_bytes)
    if p.blocks > limit:
        if p.required:
            raise RuntimeError(f"persistent kernel needs {p.blocks} co-resident blocks but the device allows "
                               f"{limit} (max_cooperative_grid_blocks); use persistent=None or False")
        return False
    kernel[p.blocks, p.threads, stream, p.smem_bytes](*args)
    return True

