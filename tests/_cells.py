"""Shared helpers for the tests: random cells and a uniform way to call them."""
import numpy as np

import rnncore as rc

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "peephole": 4}
CELLS = tuple(GATES)
HAS_C = {"lstm", "peephole"}


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


def forward(cell, p, backend):
    """Run the functional forward; returns (h_seq, h_T, c_T or None, cache)."""
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    if cell.startswith("rnn"):
        h_seq, h_T, cache = rc.rnn_forward(*w, h0=p["h0"], nonlinearity=cell[4:], backend=backend)
        return h_seq, h_T, None, cache
    if cell == "gru":
        h_seq, h_T, cache = rc.gru_forward(*w, h0=p["h0"], backend=backend)
        return h_seq, h_T, None, cache
    if cell == "lstm":
        h_seq, (h_T, c_T), cache = rc.lstm_forward(*w, h0=p["h0"], c0=p["c0"], backend=backend)
        return h_seq, h_T, c_T, cache
    h_seq, (h_T, c_T), cache = rc.peephole_lstm_forward(*w, p["w_peep"], h0=p["h0"], c0=p["c0"], backend=backend)
    return h_seq, h_T, c_T, cache


def backward(cell, dh_seq, cache, dh_T=None, dc_T=None):
    if cell.startswith("rnn"):
        return rc.rnn_backward(dh_seq, cache, dh_T)
    if cell == "gru":
        return rc.gru_backward(dh_seq, cache, dh_T)
    if cell == "lstm":
        return rc.lstm_backward(dh_seq, cache, dh_T, dc_T)
    return rc.peephole_lstm_backward(dh_seq, cache, dh_T, dc_T)


def grad_name(param):
    return "d" + param
