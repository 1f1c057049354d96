"""Peephole LSTM (Gers & Schmidhuber 2000; Gers, Schraudolph & Schmidhuber 2002).

The gates also look at the cell state through diagonal weights w_ci, w_cf, w_co:

    i_t = sigmoid(a_i + w_ci * c_{t-1})
    f_t = sigmoid(a_f + w_cf * c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(a_o + w_co * c_t)        # the output gate sees the *new* cell
    h_t = o_t * tanh(c_t)

with a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh split as in ``lstm``.
``w_peep`` is (3, H): rows w_ci, w_cf, w_co. Seed 003 writes full matrices
W_ci c_{t-1}; the published peepholes are diagonal (elementwise), and the
output gate uses c_t.
"""
import numpy as np

from .activations import sigmoid


def step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_peep):
    """One time step. Returns h_t, c_t (B, H) and the cache for ``step_backward``."""
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
    cache = (x_t, h_prev, c_prev, c_t, i, f, g, o, tanh_c, W_ih, W_hh, w_peep)
    return h_t, c_t, cache


def step_backward(dh_t, dc_t, cache):
    """Backward through one step.

    Returns dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh, dw_peep (3, H).
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
    db = da.sum(axis=0)
    return da @ W_ih, da @ W_hh, dc_prev, da.T @ x_t, da.T @ h_prev, db, db.copy(), dw_peep


def forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0):
    """Whole sequence. x (B, T, D) -> h_seq (B, T, H), h_T, c_T (B, H), caches."""
    B, T, _ = x.shape
    h_seq = np.empty((B, T, h0.shape[1]), dtype=x.dtype)
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, cache = step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh, w_peep)
        h_seq[:, t] = h
        caches.append(cache)
    return h_seq, h, c, caches


def backward(dh_seq, caches, dh_T, dc_T):
    """Backpropagation through time for the peephole LSTM."""
    B, T, H = dh_seq.shape
    W_ih = caches[0][9]
    dx = np.empty((B, T, W_ih.shape[1]), dtype=dh_seq.dtype)
    names = ("dW_ih", "dW_hh", "db_ih", "db_hh", "dw_peep")
    grads = {k: 0 for k in names}
    dh_next, dc_next = dh_T, dc_T
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, *dparams = step_backward(dh_seq[:, t] + dh_next, dc_next, caches[t])
        for k, d in zip(names, dparams):
            grads[k] = grads[k] + d
    return {"dx": dx, "dh0": dh_next, "dc0": dc_next, **grads}
