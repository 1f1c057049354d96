"""Shared helpers for the tests: random cells and a uniform way to call them."""
import numpy as np

import rnncore as rc
from rnncore._validation import BACKENDS

# The backends these tests run on every cell; "cuda" (in the simulator, slow) has tests/test_cuda.py.
HOST_BACKENDS = tuple(b for b in BACKENDS if b != "cuda")

# "<cell>_relu": the relu variant (the RNN's nonlinearity, the LSTM/GRU activation)
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "lstm_relu": 4, "gru": 3, "gru_relu": 3, "peephole": 4}
CELLS = tuple(GATES)
HAS_C = {"lstm", "lstm_relu", "peephole"}


def split(cell):
    """'lstm_relu' -> ('lstm', 'relu'); 'gru' -> ('gru', 'tanh')."""
    kind, _, act = cell.partition("_")
    return kind, act or "tanh"


def make_params(cell, B=2, T=4, D=3, H=4, dtype=np.float64, seed=0, scale=0.5):
    """Random inputs, weights and initial states for ``cell`` as a dict of arrays."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    p = {
        "x": rng.standard_normal((B, T, D)),
        "W_ih": rng.standard_normal((G * H, D)) * scale,
        "W_hh": rng.standard_normal((G * H, H)) * scale,
        "b_ih": rng.standard_normal(G * H) * 0.2,
        "b_hh": rng.standard_normal(G * H) * 0.2,
        "h0": rng.standard_normal((B, H)) * 0.5,
    }
    if cell in HAS_C:
        p["c0"] = rng.standard_normal((B, H)) * 0.5
    if cell == "peephole":
        p["w_peep"] = rng.standard_normal((3, H)) * 0.5
    return {k: a.astype(dtype) for k, a in p.items()}


def forward(cell, p, backend, keep_cache=True):
    """Run the functional forward; returns (h_seq, h_T, c_T or None, cache)."""
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    kind, act = split(cell)
    kw = dict(backend=backend, keep_cache=keep_cache)
    if kind == "rnn":
        h_seq, h_T, cache = rc.rnn_forward(*w, h0=p["h0"], nonlinearity=act, **kw)
        return h_seq, h_T, None, cache
    if kind == "gru":
        h_seq, h_T, cache = rc.gru_forward(*w, h0=p["h0"], activation=act, **kw)
        return h_seq, h_T, None, cache
    if kind == "lstm":
        h_seq, (h_T, c_T), cache = rc.lstm_forward(*w, h0=p["h0"], c0=p["c0"], activation=act, **kw)
        return h_seq, h_T, c_T, cache
    h_seq, (h_T, c_T), cache = rc.peephole_lstm_forward(*w, p["w_peep"], h0=p["h0"], c0=p["c0"], **kw)
    return h_seq, h_T, c_T, cache


def backward(cell, dh_seq, cache, dh_T=None, dc_T=None, **kw):
    kind = split(cell)[0]
    if kind == "rnn":
        return rc.rnn_backward(dh_seq, cache, dh_T, **kw)
    if kind == "gru":
        return rc.gru_backward(dh_seq, cache, dh_T, **kw)
    if kind == "lstm":
        return rc.lstm_backward(dh_seq, cache, dh_T, dc_T, **kw)
    return rc.peephole_lstm_backward(dh_seq, cache, dh_T, dc_T, **kw)


def grad_name(param):
    return "d" + param


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def relu_inputs(cell, p):
    """Every value a relu receives in the forward pass of a relu ``cell`` (empty for tanh cells).

    Written out again from the equations, independently of rnncore: RNN a_t; LSTM a_g and
    c_t (h_t = o_t relu(c_t)); GRU the candidate's pre-activation.
    """
    kind, act = split(cell)
    if act != "relu":
        return np.empty(0)
    x, W_ih, W_hh, b_ih, b_hh = (p[k] for k in ("x", "W_ih", "W_hh", "b_ih", "b_hh"))
    h, c, H = p["h0"], p.get("c0"), p["h0"].shape[1]
    seen = []
    for t in range(x.shape[1]):
        gi, gh = x[:, t] @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        if kind == "rnn":
            seen.append(gi + gh)
            h = np.maximum(gi + gh, 0)
        elif kind == "lstm":
            a = gi + gh
            i, f, a_g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), a[:, 2 * H:3 * H], _sigmoid(a[:, 3 * H:])
            c = f * c + i * np.maximum(a_g, 0)
            seen += [a_g, c]
            h = o * np.maximum(c, 0)
        else:
            r, z = _sigmoid(gi[:, :H] + gh[:, :H]), _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            a_n = gi[:, 2 * H:] + r * gh[:, 2 * H:]
            seen.append(a_n)
            h = (1 - z) * np.maximum(a_n, 0) + z * h
    return np.concatenate([s.ravel() for s in seen])


def make_params_off_kinks(cell, *args, seed=0, margin=1e-4, **kw):
    """``make_params``, re-drawn (seed, seed + 1, ...) until no relu input lies within ``margin``
    of 0: finite differences across relu's kink do not approximate the derivative."""
    for s in range(seed, seed + 100):
        p = make_params(cell, *args, seed=s, **kw)
        inputs = relu_inputs(cell, p)
        if inputs.size == 0 or np.abs(inputs).min() > margin:
            return p
    raise RuntimeError(f"no draw of {cell} parameters keeps the relu inputs {margin} away from 0")
