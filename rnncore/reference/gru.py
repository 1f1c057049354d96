"""GRU, NumPy reference (PyTorch's gate order r, z, n).

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = act(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

``act`` is tanh (the standard cell) or relu (Keras' ``GRU(activation='relu')``);
the gates r, z stay sigmoid. The reset gate multiplies W_hn h + b_hn, so the
input and recurrent projections are kept apart.
Shapes: W_ih (3H, D), W_hh (3H, H), biases (3H,).
"""
import numpy as np

from .activations import ACTIVATIONS, StepCache, cache_activation, sigmoid


def step_forward(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, activation="tanh"):
    """One time step. Returns h_t (B, H) and the cache for ``step_backward``.

    activation : "tanh" or "relu"; the cache records it for ``step_backward``.
    """
    act, _ = ACTIVATIONS[activation]
    H = h_prev.shape[1]
    gi = x_t @ W_ih.T + b_ih        # (B, 3H) input projections
    gh = h_prev @ W_hh.T + b_hh     # (B, 3H) recurrent projections
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]              # W_hn h + b_hn, needed again in backward
    n = act(gi[:, 2 * H:] + r * hn)
    h_t = (1 - z) * n + z * h_prev
    cache = StepCache((x_t, h_prev, r, z, n, hn, W_ih, W_hh), activation)
    return h_t, cache


def step_backward(dh_t, cache, activation=None):
    """Backward through one step (``activation``: by default the one the cache records).

    Returns dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh.
    """
    _, dact = ACTIVATIONS[cache_activation(cache, activation)]        # act'(a) from the output n = act(a)
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


def forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="tanh"):
    """Whole sequence. x (B, T, D) -> h_seq (B, T, H), h_T (B, H), (caches, activation)."""
    B, T, _ = x.shape
    h_seq = np.empty((B, T, h0.shape[1]), dtype=x.dtype)
    h, caches = h0, []
    for t in range(T):
        h, cache = step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh, activation)
        h_seq[:, t] = h
        caches.append(cache)
    return h_seq, h, (caches, activation)


def backward(dh_seq, data, dh_T):
    """Backpropagation through time; see ``rnn.backward`` for the two gradient paths."""
    caches, activation = data
    B, T, H = dh_seq.shape
    W_ih = caches[0][6]
    dx = np.empty((B, T, W_ih.shape[1]), dtype=dh_seq.dtype)
    names = ("dW_ih", "dW_hh", "db_ih", "db_hh")
    grads = {k: 0 for k in names}
    dh_next = dh_T
    for t in reversed(range(T)):
        dx[:, t], dh_next, *dparams = step_backward(dh_seq[:, t] + dh_next, caches[t], activation)
        for k, d in zip(names, dparams):
            grads[k] = grads[k] + d
    return {"dx": dx, "dh0": dh_next, **grads}
