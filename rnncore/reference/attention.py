"""Additive (Bahdanau-style) attention pooling over a sequence of states, NumPy reference.

A recurrent layer with ``return_sequences=True`` gives one state per position,
h (B, T, H). Attention pooling scores every position with a small one-layer
network, turns the scores into weights that sum to 1 over the valid positions,
and returns the weighted mean of the states:

    u_t     = tanh(W h_t + b)                     (B, T, A)  a hidden layer of A units
    e_t     = v^T u_t                             (B, T)     one score per position
    alpha_t = exp(e_t) / sum_{s valid} exp(e_s)   (B, T)     0 exactly where mask is False
    context = sum_t alpha_t h_t                   (B, H)

There is no query: the same learned vector v asks every sequence "which position
matters?" (Bahdanau et al. 2015 score a decoder state against each encoder state;
pooling with a learned query is the form of Yang et al. 2016 and of most "attention
over RNN states" classifiers in genomics). Shapes: h (B, T, H), mask (B, T) bool,
W (A, H) (PyTorch's ``nn.Linear(H, A).weight`` layout), b (A,), v (A,).

Backward, from dL/dcontext (B, H) (and optionally dL/dalpha (B, T)):

    dalpha_t = h_t . dcontext (+ the given dL/dalpha)   context is linear in alpha
    dh_t     = alpha_t dcontext                         ... and in h (the first path into h)
    de_t     = alpha_t (dalpha_t - sum_s alpha_s dalpha_s)   the softmax Jacobian; 0 where masked
    dv       = sum_{b,t} de_t u_t
    da_t     = de_t v * (1 - u_t^2)                     through the tanh
    dW       = sum_{b,t} da_t h_t^T,   db = sum_{b,t} da_t
    dh_t    += W^T da_t                                 the second path into h: through the score
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

# matmul(a, b) is a @ b with the same bits at any BLAS thread count (NumPy's @ is not: rnncore/_linalg.py);
# AttentionPooling runs this code
from .._linalg import matmul
from .._validation import FLOAT_DTYPES


class Cache(NamedTuple):
    """What ``backward`` needs from ``forward``."""
    h: np.ndarray          # (B, T, H) the states
    mask: np.ndarray       # (B, T) bool, True at valid steps
    u: np.ndarray          # (B, T, A) tanh(W h_t + b)
    alpha: np.ndarray      # (B, T) the attention weights
    W: np.ndarray          # (A, H)
    v: np.ndarray          # (A,)


# ----------------------------------------------------------------------------- input checks
def _float(name, a, dtype=None):
    if a is None:
        raise TypeError(f"{name} is required, got None")
    arr = np.asarray(a)
    if arr.dtype not in FLOAT_DTYPES:
        hint = f"; convert with {name}.astype(np.float64)" if arr.dtype.kind in "iub" else ""
        raise TypeError(f"{name} must be float32 or float64, got {arr.dtype}{hint}")
    if dtype is not None and arr.dtype != dtype:
        raise TypeError(f"{name} has dtype {arr.dtype} but h has dtype {dtype}; all arrays must share one dtype")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return np.ascontiguousarray(arr)


def check_mask(mask, B, T):
    """``mask`` as a (B, T) bool array (None: every step valid); every row needs a valid step.

    Raises
    ------
    TypeError
        For a mask that is not boolean (or integer 0/1).
    ValueError
        For a wrong shape, or a row with no valid step (its softmax would divide by zero).
    """
    if mask is None:
        return np.ones((B, T), dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind not in "iu" or not np.isin(m, (0, 1)).all():
            raise TypeError(f"mask must be a boolean array (True at valid steps), got dtype {m.dtype}"
                            + (" with values other than 0 and 1" if m.dtype.kind in "iu" else ""))
        m = m.astype(bool)
    if m.shape != (B, T):
        raise ValueError(f"mask must have shape (batch, time) = {(B, T)}, got {m.shape}")
    empty = np.flatnonzero(~m.any(axis=1))
    if empty.size:
        raise ValueError(f"mask: row(s) {empty[:5].tolist()}{' ...' if empty.size > 5 else ''} have no valid step, "
                         "so there is nothing to attend to (the softmax would be 0/0); drop such sequences")
    return m


def check_inputs(h, W, b, v, mask=None):
    """Validate the arguments of :func:`forward`; returns them as contiguous arrays and the bool mask."""
    h = _float("h", h)
    if h.ndim != 3 or 0 in h.shape:
        raise ValueError(f"h must be the states of a sequence, shape (B, T, H) (a recurrent layer with "
                         f"return_sequences=True), non-empty, got shape {h.shape}")
    B, T, H = h.shape
    W = _float("W", W, h.dtype)
    if W.ndim != 2 or W.shape[1] != H or W.shape[0] == 0:
        raise ValueError(f"W must have shape (A, H) = (attention units, {H}), got {W.shape}")
    A = W.shape[0]
    b = _float("b", b, h.dtype)
    if b.shape != (A,):
        raise ValueError(f"b must have shape (A,) = ({A},), got {b.shape}")
    v = _float("v", v, h.dtype)
    if v.shape != (A,):
        raise ValueError(f"v must have shape (A,) = ({A},), got {v.shape}")
    return h, W, b, v, check_mask(mask, B, T)


# ----------------------------------------------------------------------------- the two halves
def masked_softmax(e: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Softmax over time of the scores at valid steps; exactly 0 at masked ones.

    Parameters
    ----------
    e : ndarray, shape (B, T)
    mask : ndarray of bool, shape (B, T), at least one True per row

    Returns
    -------
    alpha : ndarray, shape (B, T), each row sums to 1 over its valid steps
    """
    # the maximum over the valid steps only: a huge score at a masked step must not
    # push the valid ones to exp(-inf) = 0
    e_max = np.max(np.where(mask, e, -np.inf), axis=1, keepdims=True)
    p = np.where(mask, np.exp(np.where(mask, e - e_max, 0.0)), 0.0).astype(e.dtype, copy=False)
    return p / p.sum(axis=1, keepdims=True)


def forward(h: np.ndarray, W: np.ndarray, b: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None):
    """Attention pooling of the states ``h``.

    Parameters
    ----------
    h : ndarray, shape (B, T, H), float32 or float64
    W : ndarray, shape (A, H)
    b : ndarray, shape (A,)
    v : ndarray, shape (A,)
    mask : ndarray of bool, shape (B, T), optional
        True at valid steps (default: all); every row needs at least one.

    Returns
    -------
    context : ndarray, shape (B, H)
    alpha : ndarray, shape (B, T)
        The attention weights: >= 0, 0 at masked steps, summing to 1 over each row.
    cache : Cache
        Fields h, mask, u, alpha, W, v.
    """
    h, W, b, v, mask = check_inputs(h, W, b, v, mask)
    u = np.tanh(matmul(h, W.T) + b)               # (B, T, A); matmul is h @ W.T (see the imports)
    e = matmul(u, v)                              # (B, T)
    alpha = masked_softmax(e, mask)
    context = np.einsum("bt,bth->bh", alpha, h)
    return context, alpha, Cache(h, mask, u, alpha, W, v)


def backward(dcontext: np.ndarray, cache: Cache, dalpha: np.ndarray | None = None):
    """Gradients of the loss with respect to h and the three parameters.

    Parameters
    ----------
    dcontext : ndarray, shape (B, H)
        dL/dcontext.
    cache : Cache
        From ``forward``.
    dalpha : ndarray, shape (B, T), optional
        dL/dalpha when the loss also reads the weights directly (e.g. a penalty on them).

    Returns
    -------
    dh : ndarray, shape (B, T, H)
        Exactly 0 at masked steps (they get no weight and no score gradient).
    dW : ndarray, shape (A, H)
    db : ndarray, shape (A,)
    dv : ndarray, shape (A,)
    """
    h, mask, u, alpha, W, v = cache
    B, T, H = h.shape
    dcontext = _float("dcontext", dcontext, h.dtype)
    if dcontext.shape != (B, H):
        raise ValueError(f"dcontext must have shape (B, H) = {(B, H)}, got {dcontext.shape}")
    dalpha_all = np.einsum("bth,bh->bt", h, dcontext)                   # context is linear in alpha
    if dalpha is not None:
        dalpha = _float("dalpha", dalpha, h.dtype)
        if dalpha.shape != (B, T):
            raise ValueError(f"dalpha must have shape (B, T) = {(B, T)}, got {dalpha.shape}")
        dalpha_all = dalpha_all + dalpha
    dh = alpha[:, :, None] * dcontext[:, None, :]                    # path 1: h_t weighted by alpha_t
    # softmax Jacobian: de_t = alpha_t (dalpha_t - sum_s alpha_s dalpha_s); alpha = 0 where masked
    de = alpha * (dalpha_all - np.sum(alpha * dalpha_all, axis=1, keepdims=True))
    dv = np.einsum("bt,bta->a", de, u)
    da = de[:, :, None] * v * (1 - u * u)                            # (B, T, A), through the tanh
    A = W.shape[0]
    dW = matmul(da.reshape(-1, A).T, h.reshape(-1, H))
    db = da.sum(axis=(0, 1))
    dh = dh + matmul(da, W)                                          # path 2: h_t through its score
    return dh, dW, db, dv
