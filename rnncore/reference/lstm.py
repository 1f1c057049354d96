"""LSTM, NumPy reference (PyTorch's gate order i, f, g, o).

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (B, 4H), split into a_i, a_f, a_g, a_o
    i_t = sigmoid(a_i)   f_t = sigmoid(a_f)   g_t = act(a_g)   o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * act(c_t)

``act`` is tanh (the standard cell, PyTorch's and cuDNN's) or relu (Keras'
``LSTM(activation='relu')``: it replaces tanh in both places; the gates stay sigmoid).
Shapes: x_t (B, D), h, c (B, H), W_ih (4H, D), W_hh (4H, H), b_ih, b_hh (4H,).
"""
import numpy as np

from .activations import ACTIVATIONS, StepCache, cache_activation, sigmoid


def step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, activation="tanh"):
    """One time step. Returns h_t, c_t (B, H) and the cache for ``step_backward``.

    activation : "tanh" or "relu"; the cache records it for ``step_backward``.
    """
    act, _ = ACTIVATIONS[activation]
    H = h_prev.shape[1]
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    g = act(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:4 * H])
    c_t = f * c_prev + i * g
    act_c = act(c_t)                         # tanh(c_t) in the standard cell
    h_t = o * act_c
    cache = StepCache((x_t, h_prev, c_prev, i, f, g, o, act_c, W_ih, W_hh), activation)
    return h_t, c_t, cache


def step_backward(dh_t, dc_t, cache, activation=None):
    """Backward through one step.

    dh_t, dc_t (B, H) are dL/dh_t and dL/dc_t (the latter from step t+1 only);
    ``activation`` defaults to the one the cache records (given, it must agree).
    Returns dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh.
    """
    _, dact = ACTIVATIONS[cache_activation(cache, activation)]        # act'(a) from the output act(a)
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
    db = da.sum(axis=0)
    return dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db, db.copy()


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, activation="tanh"):
    """Whole sequence. x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), (caches, activation)."""
    B, T, _ = x.shape
    h_seq = np.empty((B, T, h0.shape[1]), dtype=x.dtype)
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, cache = step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh, activation)
        h_seq[:, t] = h
        caches.append(cache)
    return h_seq, h, c, (caches, activation)


def backward(dh_seq, data, dh_T, dc_T):
    """Backpropagation through time; see ``rnn.backward`` for the two gradient paths."""
    caches, activation = data
    B, T, H = dh_seq.shape
    W_ih = caches[0][8]
    dx = np.empty((B, T, W_ih.shape[1]), dtype=dh_seq.dtype)
    names = ("dW_ih", "dW_hh", "db_ih", "db_hh")
    grads = {k: 0 for k in names}
    dh_next, dc_next = dh_T, dc_T
    for t in reversed(range(T)):
        dh = dh_seq[:, t] + dh_next
        dx[:, t], dh_next, dc_next, *dparams = step_backward(dh, dc_next, caches[t], activation)
        for k, d in zip(names, dparams):
            grads[k] = grads[k] + d
    return {"dx": dx, "dh0": dh_next, "dc0": dc_next, **grads}
