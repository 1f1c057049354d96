"""Peephole LSTM (Gers & Schmidhuber 2000; Gers, Schraudolph & Schmidhuber 2002).

The gates also look at the cell state through diagonal weights w_ci, w_cf, w_co:

    i_t = sigmoid(a_i + w_ci * c_{t-1})
    f_t = sigmoid(a_f + w_cf * c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(a_o + w_co * c_t)        # the output gate sees the *new* cell
    h_t = o_t * tanh(c_t)

with a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh split as in ``lstm``.
``w_peep`` is (3, H): rows w_ci, w_cf, w_co. Some write-ups use full matrices
W_ci c_{t-1}; the published peepholes are diagonal (elementwise), and the
output gate looks at c_t, not c_{t-1}.
Shapes: x_t (B, D), h, c (B, H), W_ih (4H, D), W_hh (4H, H), b_ih, b_hh (4H,), w_peep (3, H).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _sequence
from .activations import RecordsActivation, bias_gradients, sigmoid


class _Arrays(NamedTuple):
    x_t: np.ndarray        # (B, D)
    h_prev: np.ndarray     # (B, H)
    c_prev: np.ndarray     # (B, H)
    c_t: np.ndarray        # (B, H) the output-gate peephole's input
    i: np.ndarray          # (B, H) input gate
    f: np.ndarray          # (B, H) forget gate
    g: np.ndarray          # (B, H) candidate tanh(a_g)
    o: np.ndarray          # (B, H) output gate
    tanh_c: np.ndarray     # (B, H) tanh(c_t)
    W_ih: np.ndarray       # (4H, D)
    W_hh: np.ndarray       # (4H, H)
    w_peep: np.ndarray     # (3, H)


class StepCache(RecordsActivation, _Arrays):
    """What ``step_backward`` needs from one forward step; ``.activation`` is always "tanh"."""


# The docstrings below repeat the other cells' wording with this cell's shapes: each module reads on its own.
def step_forward(x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_ih: np.ndarray,
                 W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray, w_peep: np.ndarray):
    """One time step of the peephole LSTM.

    Parameters
    ----------
    x_t : ndarray, shape (B, D)
    h_prev, c_prev : ndarray, shape (B, H)
    W_ih : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_ih, b_hh : ndarray, shape (4H,)
    w_peep : ndarray, shape (3, H)
        Rows w_ci, w_cf, w_co.

    Returns
    -------
    h_t, c_t : ndarray, shape (B, H)
    cache : StepCache
        Fields x_t, h_prev, c_prev, c_t, i, f, g, o, tanh_c, W_ih, W_hh, w_peep.
    """
    H = h_prev.shape[1]
    w_ci, w_cf, w_co = w_peep
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, :H] + w_ci * c_prev)
    f = sigmoid(a[:, H:2 * H] + w_cf * c_prev)
    g = np.tanh(a[:, 2 * H:3 * H])
    c_t = f * c_prev + i * g
    o = sigmoid(a[:, 3 * H:] + w_co * c_t)
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = StepCache(x_t, h_prev, c_prev, c_t, i, f, g, o, tanh_c, W_ih, W_hh, w_peep, activation="tanh")
    return h_t, c_t, cache


def step_backward(dh_t: np.ndarray, dc_t: np.ndarray, cache: StepCache):
    """Backward through one step.

    Parameters
    ----------
    dh_t : ndarray, shape (B, H)
        dL/dh_t.
    dc_t : ndarray, shape (B, H)
        dL/dc_t through step t+1 only.
    cache : StepCache
        From ``step_forward``.

    Returns
    -------
    dx_t : ndarray, shape (B, D)
    dh_prev, dc_prev : ndarray, shape (B, H)
    dW_ih : ndarray, shape (4H, D)
    dW_hh : ndarray, shape (4H, H)
    db_ih, db_hh : ndarray, shape (4H,)
    dw_peep : ndarray, shape (3, H)
    """
    x_t, h_prev, c_prev, c_t, i, f, g, o, tanh_c, W_ih, W_hh, w_peep = cache
    w_ci, w_cf, w_co = w_peep
    da_o = dh_t * tanh_c * o * (1 - o)
    # c_t reaches the loss through h_t, through c_{t+1}, and through the output-gate peephole
    dc = dc_t + dh_t * o * (1 - tanh_c**2) + da_o * w_co
    da_i = dc * g * i * (1 - i)
    da_f = dc * c_prev * f * (1 - f)
    da_g = dc * i * (1 - g**2)
    dc_prev = dc * f + da_i * w_ci + da_f * w_cf
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    dw_peep = np.stack([(da_i * c_prev).sum(0), (da_f * c_prev).sum(0), (da_o * c_t).sum(0)])
    return (da @ W_ih, da @ W_hh, dc_prev, da.T @ x_t, da.T @ h_prev, *bias_gradients(da), dw_peep)


def forward(x: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
            w_peep: np.ndarray, h0: np.ndarray, c0: np.ndarray, keep_cache: bool = True):
    """The whole sequence, one ``step_forward`` per time step.

    Parameters
    ----------
    x : ndarray, shape (B, T, D)
    W_ih : ndarray, shape (4H, D)
    W_hh : ndarray, shape (4H, H)
    b_ih, b_hh : ndarray, shape (4H,)
    w_peep : ndarray, shape (3, H)
    h0, c0 : ndarray, shape (B, H)
    keep_cache : bool
        False (inference): the step caches are dropped and None is returned for them.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    h_T, c_T : ndarray, shape (B, H)
    caches : list of T StepCache, for ``backward``, or None (``keep_cache=False``)
    """
    return _sequence.forward(step_forward, x, (h0, c0), (W_ih, W_hh, b_ih, b_hh, w_peep), keep_cache)


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
        "dx" (B, T, D), "dh0", "dc0" (B, H), "dW_ih" (4H, D), "dW_hh" (4H, H),
        "db_ih", "db_hh" (4H,), "dw_peep" (3, H).
    """
    return _sequence.backward(step_backward, dh_seq, caches, (dh_T, dc_T), _sequence.PARAM_GRADS + ("dw_peep",))
