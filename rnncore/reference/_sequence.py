"""The time loops every cell shares: a whole sequence from one cell's step functions.

Forward runs ``step_forward`` for t = 0 .. T-1, keeping each step's cache.
Backward (backpropagation through time) runs ``step_backward`` for t = T-1 .. 0.
The gradient flowing into h_t is the sum of two paths: ``dh_seq[:, t]`` from the
layer above, and the ``dh_prev`` that step t+1 sends back (``dh_T`` at the last
step, from whatever consumed the final state). A cell state c_t, when there is
one, has only the second path. Weight gradients are summed over the steps,
because every step uses the same weights.
"""
from __future__ import annotations

import numpy as np

from .._linalg import numpy_blas_one_thread


# The parameter gradients every cell's step_backward returns, in order (the peephole LSTM adds dw_peep).
PARAM_GRADS = ("dW_ih", "dW_hh", "db_ih", "db_hh")


def forward(step_forward, x: np.ndarray, states: tuple, params: tuple, keep_cache: bool = True) -> tuple:
    """Run ``step_forward(x_t, *states, *params) -> (*states, cache)`` over time.

    Parameters
    ----------
    step_forward : callable
        One cell's step; its first returned state is h_t.
    x : ndarray, shape (B, T, D)
    states : tuple of ndarray, each shape (B, H)
        The initial states: (h0,) or (h0, c0).
    params : tuple
        The step's remaining arguments (weights, biases, activation).
    keep_cache : bool
        False (inference): the step caches are dropped and None is returned for them.

    Returns
    -------
    tuple
        ``(h_seq, *final_states, caches)``: h_seq (B, T, H), then h_T (and c_T), each (B, H),
        then the list of T step caches (None with ``keep_cache=False``), as a backend's
        ``forward`` returns them.
    """
    B, T, _ = x.shape
    h_seq = np.empty((B, T, states[0].shape[1]), dtype=x.dtype)
    caches = []
    # NumPy's BLAS on one thread: with two, its float32 products round differently (rnncore/_linalg.py)
    with numpy_blas_one_thread():
        for t in range(T):
            *states, cache = step_forward(x[:, t], *states, *params)
            h_seq[:, t] = states[0]
            caches.append(cache)
    return (h_seq, *states, caches if keep_cache else None)


def backward(step_backward, dh_seq: np.ndarray, caches: list, d_final: tuple,
             param_names: tuple = PARAM_GRADS) -> dict:
    """Backpropagation through time with ``step_backward(dh_t, *d_other, cache)``.

    Parameters
    ----------
    step_backward : callable
        Returns ``(dx_t, dh_prev, *d_other_prev, *dparams)``.
    dh_seq : ndarray, shape (B, T, H)
        dL/dh_t from the layer above, at every step.
    caches : list of T step caches (each with a field ``W_ih``, shape (G*H, D))
    d_final : tuple of ndarray, each shape (B, H)
        The gradients of the final states: (dh_T,) or (dh_T, dc_T).
    param_names : tuple of str
        Names of the parameter gradients step_backward returns, in order (default: PARAM_GRADS).

    Returns
    -------
    dict
        "dx" (B, T, D), "dh0" (B, H), "dc0" (B, H) if there is a cell state, and one
        entry per name in ``param_names``, summed over the steps.
    """
    B, T, _ = dh_seq.shape
    dx = np.empty((B, T, caches[0].W_ih.shape[1]), dtype=dh_seq.dtype)
    grads = dict.fromkeys(param_names, 0)
    dh_next, *d_other = d_final
    with numpy_blas_one_thread():                   # as in forward
        for t in reversed(range(T)):
            dx[:, t], dh_next, *rest = step_backward(dh_seq[:, t] + dh_next, *d_other, caches[t])
            d_other, dparams = rest[:len(d_other)], rest[len(d_other):]
            for name, d in zip(param_names, dparams):
                grads[name] = grads[name] + d
    out = {"dx": dx, "dh0": dh_next}
    if d_other:
        out["dc0"] = d_other[0]
    return {**out, **grads}
