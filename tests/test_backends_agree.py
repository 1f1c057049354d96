"""The NumPy reference and the Numba CPU kernels give the same numbers."""
import numpy as np
import pytest

import rnncore as rc
from _cells import CELLS, HAS_C, backward, forward, make_params

TOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(3, 7, 5, 6), (1, 1, 1, 1), (5, 30, 2, 17)])
def test_cpu_matches_numpy(cell, dtype, shape):
    B, T, D, H = shape
    # contracting weights (spectral radius < 1): in an expanding network float32
    # rounding differences grow with T and no two summation orders agree
    p = make_params(cell, B, T, D, H, dtype=dtype, seed=11, scale=0.8 / np.sqrt(max(H, D)))
    rng = np.random.default_rng(12)
    outs = {be: forward(cell, p, be) for be in ("numpy", "cpu")}
    dh_seq = rng.standard_normal((B, T, H)).astype(dtype)
    dh_T = rng.standard_normal((B, H)).astype(dtype)
    dc_T = rng.standard_normal((B, H)).astype(dtype) if cell in HAS_C else None
    tol = TOL[dtype]
    ref, cpu = outs["numpy"], outs["cpu"]
    for name, a, b in [("h_seq", ref[0], cpu[0]), ("h_T", ref[1], cpu[1])] + (
            [("c_T", ref[2], cpu[2])] if cell in HAS_C else []):
        assert b.dtype == dtype, f"{name} came back as {b.dtype}"
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=f"{cell} {name}")
    g_ref = backward(cell, dh_seq, ref[3], dh_T, dc_T)
    g_cpu = backward(cell, dh_seq, cpu[3], dh_T, dc_T)
    assert set(g_ref) == set(g_cpu)
    for k in g_ref:
        assert g_cpu[k].dtype == dtype, f"{k} came back as {g_cpu[k].dtype}"
        assert g_cpu[k].shape == g_ref[k].shape
        # gradients sum over B*T terms: scale the tolerance by their size
        scale = max(1.0, float(np.abs(g_ref[k]).max()))
        np.testing.assert_allclose(g_cpu[k], g_ref[k], rtol=tol, atol=tol * scale, err_msg=f"{cell} {k}")


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_step_functions_build_the_sequence(cell):
    """The single-step teaching functions, chained by hand, give the sequence result."""
    p = make_params(cell, seed=5)
    h_seq = forward(cell, p, "cpu")[0]
    h = p["h0"]
    c = p.get("c0")
    args = (p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    for t in range(p["x"].shape[1]):
        x_t = p["x"][:, t]
        if cell == "lstm":
            h, c, _ = rc.lstm_step_forward(x_t, h, c, *args)
        elif cell == "gru":
            h, _ = rc.gru_step_forward(x_t, h, *args)
        else:
            h, _ = rc.rnn_step_forward(x_t, h, *args)
        np.testing.assert_allclose(h, h_seq[:, t], rtol=1e-12, atol=1e-12)


def test_zero_initial_state_is_the_default():
    p = make_params("lstm", seed=6)
    x, w = p["x"], (p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    B, H = p["h0"].shape
    a = rc.lstm_forward(x, *w)[0]
    b = rc.lstm_forward(x, *w, h0=np.zeros((B, H)), c0=np.zeros((B, H)))[0]
    np.testing.assert_array_equal(a, b)


def test_backward_twice_from_one_cache():
    """A cache can be reused: backward does not consume or corrupt it."""
    p = make_params("gru", seed=7)
    out = forward("gru", p, "cpu")
    dh = np.ones_like(out[0])
    g1 = backward("gru", dh, out[3])
    g2 = backward("gru", dh, out[3])
    for k in g1:
        np.testing.assert_array_equal(g1[k], g2[k])


def test_long_sequence_float32_stays_close():
    """T=500: the fast float32 tanh does not drift from the reference."""
    p = make_params("lstm", B=2, T=500, D=3, H=8, dtype=np.float32, seed=8)
    a = forward("lstm", p, "numpy")[0]
    b = forward("lstm", p, "cpu")[0]
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
