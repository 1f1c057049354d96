"""Elman RNN, NumPy reference.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    h_t = tanh(a_t)            (or relu(a_t))

Shapes: x_t (B, D), h (B, H), W_ih (H, D), W_hh (H, H), b_ih, b_hh (H,).
"""
import numpy as np


def step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, nonlinearity="tanh"):
    """One time step. Returns h_t (B, H) and the cache for ``step_backward``."""
    a_t = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    h_t = np.tanh(a_t) if nonlinearity == "tanh" else np.maximum(a_t, 0)
    cache = (x_t, h_prev, h_t, W_ih, W_hh, nonlinearity)
    return h_t, cache


def step_backward(dh_t, cache):
    """Backward through one step.

    dh_t (B, H) is dL/dh_t. Returns dx_t (B, D), dh_prev (B, H), dW_ih, dW_hh,
    db_ih, db_hh (same shapes as the parameters).
    """
    x_t, h_prev, h_t, W_ih, W_hh, nonlinearity = cache
    if nonlinearity == "tanh":
        da = dh_t * (1 - h_t**2)        # tanh' = 1 - tanh^2, from the output alone
    else:
        da = dh_t * (h_t > 0)           # relu' = 1 where the unit is active
    dx_t = da @ W_ih
    dh_prev = da @ W_hh
    dW_ih = da.T @ x_t
    dW_hh = da.T @ h_prev
    db = da.sum(axis=0)
    return dx_t, dh_prev, dW_ih, dW_hh, db, db.copy()


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="tanh"):
    """Whole sequence. x (B, T, D), h0 (B, H) -> h_seq (B, T, H), h_T (B, H), caches."""
    B, T, _ = x.shape
    h_seq = np.empty((B, T, h0.shape[1]), dtype=x.dtype)
    h, caches = h0, []
    for t in range(T):
        h, cache = step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
        h_seq[:, t] = h
        caches.append(cache)
    return h_seq, h, caches


def backward(dh_seq, caches, dh_T):
    """Backpropagation through time.

    dh_seq (B, T, H) holds dL/dh_t from the layer above at every step; dh_T
    (B, H) is dL/dh_T from whatever consumed the final state. The gradient
    flowing into h_t is the sum of both paths: from above and from step t+1.
    """
    B, T, H = dh_seq.shape
    W_ih = caches[0][3]
    dx = np.empty((B, T, W_ih.shape[1]), dtype=dh_seq.dtype)
    grads = {k: 0 for k in ("dW_ih", "dW_hh", "db_ih", "db_hh")}
    dh_next = dh_T
    for t in reversed(range(T)):
        dx[:, t], dh_next, *dparams = step_backward(dh_seq[:, t] + dh_next, caches[t])
        for k, d in zip(("dW_ih", "dW_hh", "db_ih", "db_hh"), dparams):
            grads[k] = grads[k] + d
    return {"dx": dx, "dh0": dh_next, **grads}
