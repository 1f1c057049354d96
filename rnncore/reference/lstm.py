"""LSTM, NumPy reference (PyTorch's gate order i, f, g, o).

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (B, 4H), split into a_i, a_f, a_g, a_o
    i_t = sigmoid(a_i)   f_t = sigmoid(a_f)   g_t = act(a_g)   o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * act(c_t)

``act`` is tanh (the standard cell, PyTorch's and cuDNN's) or relu (Keras'
``LSTM(activation='relu')``: it replaces tanh in both places; the gates stay sigmoid).
Shapes: x_t (B, D), h, c (B, H), W_ih (4H, D), W_hh (4H, H), b_ih, b_hh (4H,).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _sequence
from .activations import RecordsActivation, bias_gradients, cache_activation, lookup, sigmoid


class _Arrays(NamedTuple):
    x_t: np.ndarray        # (B, D)
    h_prev: np.ndarray     # (B, H)
    c_prev: np.ndarray     # (B, H)
    i: np.ndarray          # (B, H) input gate
    f: np.ndarray          # (B, H) forget gate
    g: np.ndarray          # (B, H) candidate act(a_g)
    o: np.ndarray          # (B, H) output gate
    act_c: np.ndarray      # (B, H) act(c_t), tanh(c_t) in the standard cell
    W_ih: np.ndarray       # (4H, D)
    W_hh: np.ndarray       # (4H, H)


class StepCache(RecordsActivation, _Arrays):
    """What ``step_backward`` needs from one forward step; ``.activation`` is act."""


# The docstrings below repeat the other cells' wording with this cell's shapes: each module reads on its own.
def step_forward(x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_ih: np.ndarray,
                 W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray, activation: str = "tanh"):
    """One time step of the LSTM.

    Parameters
    ----------
    x_t : ndarray, shape (B, D)
    h_prev, c_prev : ndarray, shape (B, H)
    W_ih : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_ih, b_hh : ndarray, shape (4H,)
    activation : {"tanh", "relu"}
        Recorded in the cache, so ``step_backward`` uses the same one.

    Returns
    -------
    h_t, c_t : ndarray, shape (B, H)
    cache : StepCache
        Fields x_t, h_prev, c_prev, i, f, g, o, act_c, W_ih, W_hh; attribute ``activation``.
    """
    act, _ = lookup(activation)
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    g = act(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    c_t = f * c_prev + i * g
    act_c = act(c_t)
    h_t = o * act_c
    return h_t, c_t, StepCache(x_t, h_prev, c_prev, i, f, g, o, act_c, W_ih, W_hh, activation=activation)


def step_backward(dh_t: np.ndarray, dc_t: np.ndarray, cache: StepCache, activation: str | None = None):
    """Backward through one step.

    Parameters
    ----------
    dh_t : ndarray, shape (B, H)
        dL/dh_t.
    dc_t : ndarray, shape (B, H)
        dL/dc_t through step t+1 only (the path through h_t is added here).
    cache : StepCache
        From ``step_forward``.
    activation : {"tanh", "relu"}, optional
        Default: the one the cache records (given, it must agree).

    Returns
    -------
    dx_t : ndarray, shape (B, D)
    dh_prev, dc_prev : ndarray, shape (B, H)
    dW_ih : ndarray, shape (4H, D)
    dW_hh : ndarray, shape (4H, H)
    db_ih, db_hh : ndarray, shape (4H,)
    """
    _, dact = lookup(cache_activation(cache, activation))
    x_t, h_prev, c_prev, i, f, g, o, act_c, W_ih, W_hh = cache
    do = dh_t * act_c
    dc = dc_t + dh_t * o * dact(act_c)       # c_t reaches the loss via h_t and via c_{t+1}
    di = dc * g
    df = dc * c_prev
    dg = dc * i
    dc_prev = dc * f                         # the "constant error carousel": scaled by f only
    # sigmoid' = s (1 - s), tanh' = 1 - tanh^2, relu' = (relu > 0): all from the stored outputs
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * dact(g), do * o * (1 - o)], axis=1)
    dx_t = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x_t
    dW_hh = da.T @ h_prev
    return (dx_t, dh_prev, dc_prev, dW_ih, dW_hh, *bias_gradients(da))


def forward(x: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
            h0: np.ndarray, c0: np.ndarray, activation: str = "tanh", keep_cache: bool = True):
    """The whole sequence, one ``step_forward`` per time step.

    Parameters
    ----------
    x : ndarray, shape (B, T, D)
    W_ih : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_ih, b_hh : ndarray, shape (4H,)
    h0, c0 : ndarray, shape (B, H)
    activation : {"tanh", "relu"}
    keep_cache : bool
        False (inference): the step caches are dropped and None is returned for them.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    h_T, c_T : ndarray, shape (B, H)
    caches : list of T StepCache, for ``backward``, or None (``keep_cache=False``)
    """
    return _sequence.forward(step_forward, x, (h0, c0), (W_ih, W_hh, b_ih, b_hh, activation), keep_cache)


def backward(dh_seq: np.ndarray, caches: list, dh_T: np.ndarray, dc_T: np.ndarray) -> dict:
    """Backpropagation through time (the loop and its two paths into h_t: ``_sequence.backward``).

    Parameters
    ----------
    dh_seq : ndarray, shape (B, T, H)
    caches : list of T StepCache
        From ``forward``.
    dh_T, dc_T : ndarray, shape (B, H)

    Returns
    -------
    dict
        "dx" (B, T, D), "dh0", "dc0" (B, H), "dW_ih" (4H, D), "dW_hh" (4H, H), "db_ih", "db_hh" (4H,).
    """
    return _sequence.backward(step_backward, dh_seq, caches, (dh_T, dc_T))
