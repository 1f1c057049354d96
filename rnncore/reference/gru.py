"""GRU, NumPy reference (PyTorch's gate order r, z, n).

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = act(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

``act`` is tanh (the standard cell) or relu (Keras' ``GRU(activation='relu')``);
the gates r, z stay sigmoid. The reset gate multiplies W_hn h + b_hn, so the
input and recurrent projections are kept apart.
Shapes: x_t (B, D), h (B, H), W_ih (3H, D), W_hh (3H, H), b_ih, b_hh (3H,).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _sequence
from .activations import RecordsActivation, cache_activation, lookup, sigmoid


class _Arrays(NamedTuple):
    x_t: np.ndarray        # (B, D)
    h_prev: np.ndarray     # (B, H)
    r: np.ndarray          # (B, H) reset gate
    z: np.ndarray          # (B, H) update gate
    n: np.ndarray          # (B, H) candidate act(...)
    hn: np.ndarray         # (B, H) W_hn h_{t-1} + b_hn, what r multiplies
    W_ih: np.ndarray       # (3H, D)
    W_hh: np.ndarray       # (3H, H)


class StepCache(RecordsActivation, _Arrays):
    """What ``step_backward`` needs from one forward step; ``.activation`` is act."""


# The docstrings below repeat the other cells' wording with this cell's shapes: each module reads on its own.
def step_forward(x_t: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                 b_ih: np.ndarray, b_hh: np.ndarray, activation: str = "tanh"):
    """One time step of the GRU.

    Parameters
    ----------
    x_t : ndarray, shape (B, D)
    h_prev : ndarray, shape (B, H)
    W_ih : ndarray, shape (3H, D)
    W_hh : ndarray, shape (3H, H)
    b_ih, b_hh : ndarray, shape (3H,)
    activation : {"tanh", "relu"}
        Recorded in the cache, so ``step_backward`` uses the same one.

    Returns
    -------
    h_t : ndarray, shape (B, H)
    cache : StepCache
        Fields x_t, h_prev, r, z, n, hn, W_ih, W_hh; attribute ``activation``.
    """
    act, _ = lookup(activation)
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih        # (B, 3H) input projections
    gh = h_prev @ W_hh.T + b_hh     # (B, 3H) recurrent projections
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]
    n = act(gi[:, 2 * H:] + r * hn)
    h_t = (1 - z) * n + z * h_prev
    return h_t, StepCache(x_t, h_prev, r, z, n, hn, W_ih, W_hh, activation=activation)


def step_backward(dh_t: np.ndarray, cache: StepCache, activation: str | None = None):
    """Backward through one step.

    Parameters
    ----------
    dh_t : ndarray, shape (B, H)
        dL/dh_t.
    cache : StepCache
        From ``step_forward``.
    activation : {"tanh", "relu"}, optional
        Default: the one the cache records (given, it must agree).

    Returns
    -------
    dx_t : ndarray, shape (B, D)
    dh_prev : ndarray, shape (B, H)
    dW_ih : ndarray, shape (3H, D)
    dW_hh : ndarray, shape (3H, H)
    db_ih, db_hh : ndarray, shape (3H,)
        Unlike the LSTM's, they differ: r scales only the recurrent part of the candidate.
    """
    _, dact = lookup(cache_activation(cache, activation))
    x_t, h_prev, r, z, n, hn, W_ih, W_hh = cache
    dn = dh_t * (1 - z)
    dz = dh_t * (h_prev - n)
    da_n = dn * dact(n)
    dr = da_n * hn
    da_r = dr * r * (1 - r)
    da_z = dz * z * (1 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)       # dL/d(input projections)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)   # dL/d(recurrent projections)
    dx_t = dgi @ W_ih
    dh_prev = dh_t * z + dgh @ W_hh
    return dx_t, dh_prev, dgi.T @ x_t, dgh.T @ h_prev, dgi.sum(axis=0), dgh.sum(axis=0)


def forward(x: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
            h0: np.ndarray, activation: str = "tanh", keep_cache: bool = True):
    """The whole sequence, one ``step_forward`` per time step.

    Parameters
    ----------
    x : ndarray, shape (B, T, D)
    W_ih : ndarray, shape (3H, D)
    W_hh : ndarray, shape (3H, H)
    b_ih, b_hh : ndarray, shape (3H,)
    h0 : ndarray, shape (B, H)
    activation : {"tanh", "relu"}
    keep_cache : bool
        False (inference): the step caches are dropped and None is returned for them.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    h_T : ndarray, shape (B, H)
    caches : list of T StepCache, for ``backward``, or None (``keep_cache=False``)
    """
    return _sequence.forward(step_forward, x, (h0,), (W_ih, W_hh, b_ih, b_hh, activation), keep_cache)


def backward(dh_seq: np.ndarray, caches: list, dh_T: np.ndarray) -> dict:
    """Backpropagation through time (the loop and its two paths into h_t: ``_sequence.backward``).

    Parameters
    ----------
    dh_seq : ndarray, shape (B, T, H)
    caches : list of T StepCache
        From ``forward``.
    dh_T : ndarray, shape (B, H)

    Returns
    -------
    dict
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (3H, D), "dW_hh" (3H, H), "db_ih", "db_hh" (3H,).
    """
    return _sequence.backward(step_backward, dh_seq, caches, (dh_T,))
