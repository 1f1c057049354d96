"""Layout helpers and the big matrix products shared by the CPU cells.

The kernels work time-major, (T, B, ...): each step's slice is then one
C-contiguous (B, ...) block that BLAS takes without a copy. Everything that
does not depend on the recurrence is one large matrix product outside the time
loop: the input projection of all steps in the forward pass, and dx, dW_ih,
dW_hh and the biases in the backward pass.

Every product here runs inside Numba, so it goes to the same BLAS (SciPy's
OpenBLAS) as the per-step products. NumPy ships a second OpenBLAS with its own
thread pool; mixing the two leaves their spinning threads fighting over the
cores, which measured 2-4x slower on a 2-core machine.
"""
import numpy as np
from numba import njit

from ._math import JIT


def to_time_major(a):
    """(B, T, ...) -> C-contiguous (T, B, ...)."""
    return np.ascontiguousarray(a.swapaxes(0, 1))


def to_batch_major(a):
    """(T, B, ...) -> C-contiguous (B, T, ...)."""
    return np.ascontiguousarray(a.swapaxes(0, 1))


@njit(**JIT)
def input_projection(x_tm, W_ihT, bias):
    """All input projections in one GEMM: (T, B, D) @ W_ihT (D, G*H) + bias -> (T, B, G*H)."""
    T, B, D = x_tm.shape
    xp = np.dot(x_tm.reshape(T * B, D), W_ihT)
    for r in range(T * B):
        xp[r] += bias
    return xp.reshape(T, B, W_ihT.shape[1])


@njit(**JIT)
def _weight_grads(dA, dA_h, x_tm, h0, h_seq_tm, W_ih):
    T, B, GH = dA.shape
    D, H = x_tm.shape[2], h0.shape[1]
    A = dA.reshape(T * B, GH)
    Ah = dA_h.reshape(T * B, GH)
    h_prev = np.empty((T, B, H), dtype=h0.dtype)   # h_{t-1} for every step
    h_prev[0] = h0
    h_prev[1:] = h_seq_tm[:-1]
    dx_tm = np.dot(A, W_ih).reshape(T, B, D)
    dW_ih = np.dot(A.T, x_tm.reshape(T * B, D))
    dW_hh = np.dot(Ah.T, h_prev.reshape(T * B, H))
    return dx_tm, dW_ih, dW_hh, A.sum(axis=0), Ah.sum(axis=0)


def weight_grads(dA, x_tm, h0, h_seq_tm, W_ih, dA_h=None):
    """Gradients that need no recurrence, from the per-step pre-activation grads.

    dA (T, B, G*H): dL/d(input projection) at every step; dA_h, if given, is
    dL/d(recurrent projection) when it differs (GRU). Returns dx (B, T, D),
    dW_ih, dW_hh, db_ih, db_hh.
    """
    dx_tm, dW_ih, dW_hh, db_ih, db_hh = _weight_grads(dA, dA if dA_h is None else dA_h, x_tm, h0, h_seq_tm, W_ih)
    return to_batch_major(dx_tm), dW_ih, dW_hh, db_ih, db_hh
