"""Elman RNN, NumPy reference.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = act(a_t)             act = tanh (the default) or relu

Shapes: x_t (B, D), h (B, H), W_ih (H, D), W_hh (H, H), b_ih, b_hh (H,).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _sequence
from .activations import RecordsActivation, bias_gradients, cache_activation, lookup


class _Arrays(NamedTuple):
    x_t: np.ndarray        # (B, D)
    h_prev: np.ndarray     # (B, H)
    h_t: np.ndarray        # (B, H) act(a_t): act'(a_t) is computed from it
    W_ih: np.ndarray       # (H, D)
    W_hh: np.ndarray       # (H, H)


class StepCache(RecordsActivation, _Arrays):
    """What ``step_backward`` needs from one forward step; ``.activation`` is the nonlinearity."""


# The docstrings below repeat the other cells' wording with this cell's shapes: each module reads on its own.
def step_forward(x_t: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                 b_ih: np.ndarray, b_hh: np.ndarray, nonlinearity: str = "tanh"):
    """One time step of the Elman RNN.

    Parameters
    ----------
    x_t : ndarray, shape (B, D)
    h_prev : ndarray, shape (B, H)
    W_ih : ndarray, shape (H, D)
    W_hh : ndarray, shape (H, H)
    b_ih, b_hh : ndarray, shape (H,)
    nonlinearity : {"tanh", "relu"}
        Recorded in the cache, so ``step_backward`` uses the same one.

    Returns
    -------
    h_t : ndarray, shape (B, H)
    cache : StepCache
        Fields x_t, h_prev, h_t, W_ih, W_hh; attribute ``activation``.
    """
    act, _ = lookup(nonlinearity, "nonlinearity")
    a_t = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    h_t = act(a_t)
    return h_t, StepCache(x_t, h_prev, h_t, W_ih, W_hh, activation=nonlinearity)


def step_backward(dh_t: np.ndarray, cache: StepCache, nonlinearity: str | None = None):
    """Backward through one step.

    Parameters
    ----------
    dh_t : ndarray, shape (B, H)
        dL/dh_t.
    cache : StepCache
        From ``step_forward``.
    nonlinearity : {"tanh", "relu"}, optional
        Default: the one the cache records (given, it must agree).

    Returns
    -------
    dx_t : ndarray, shape (B, D)
    dh_prev : ndarray, shape (B, H)
    dW_ih : ndarray, shape (H, D)
    dW_hh : ndarray, shape (H, H)
    db_ih, db_hh : ndarray, shape (H,)
    """
    _, dact = lookup(cache_activation(cache, nonlinearity, "nonlinearity"))
    x_t, h_prev, h_t, W_ih, W_hh = cache
    da = dh_t * dact(h_t)                # act'(a_t) from the output: 1 - h^2 (tanh), h > 0 (relu)
    dx_t = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x_t
    dW_hh = da.T @ h_prev
    return (dx_t, dh_prev, dW_ih, dW_hh, *bias_gradients(da))


def forward(x: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
            h0: np.ndarray, nonlinearity: str = "tanh", keep_cache: bool = True):
    """The whole sequence, one ``step_forward`` per time step.

    Parameters
    ----------
    x : ndarray, shape (B, T, D)
    W_ih : ndarray, shape (H, D)
    W_hh : ndarray, shape (H, H)
    b_ih, b_hh : ndarray, shape (H,)
    h0 : ndarray, shape (B, H)
    nonlinearity : {"tanh", "relu"}
    keep_cache : bool
        False (inference): the step caches are dropped and None is returned for them.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    h_T : ndarray, shape (B, H)
    caches : list of T StepCache, for ``backward``, or None (``keep_cache=False``)
    """
    return _sequence.forward(step_forward, x, (h0,), (W_ih, W_hh, b_ih, b_hh, nonlinearity), keep_cache)


def backward(dh_seq: np.ndarray, caches: list, dh_T: np.ndarray) -> dict:
    """Backpropagation through time (the loop and its two paths into h_t: ``_sequence.backward``).

    Parameters
    ----------
    dh_seq : ndarray, shape (B, T, H)
        dL/dh_t from the layer above, at every step.
    caches : list of T StepCache
        From ``forward``.
    dh_T : ndarray, shape (B, H)
        dL/dh_T from whatever consumed the final state.

    Returns
    -------
    dict
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (H, D), "dW_hh" (H, H), "db_ih", "db_hh" (H,).
    """
    return _sequence.backward(step_backward, dh_seq, caches, (dh_T,))
