"""The NumPy reference and the Numba CPU kernels give the same numbers."""
import numpy as np
import pytest

import rnncore as rc
from _cells import CELLS, HAS_C, HOST_BACKENDS, backward, forward, make_params, split

# Backends and CPUs differ in the last bits (BLAS kernels, FMA or not, the float32
# tanh approximation), never by more than these; one backend on one machine gives
# the same bits every time (tests/test_determinism.py).
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


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru", "lstm_relu", "gru_relu"])
def test_step_functions_build_the_sequence(cell):
    """The single-step teaching functions, chained by hand, give the sequence result."""
    p = make_params(cell, seed=5)
    kind, act = split(cell)
    h_seq = forward(cell, p, "cpu")[0]
    h = p["h0"]
    c = p.get("c0")
    args = (p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    for t in range(p["x"].shape[1]):
        x_t = p["x"][:, t]
        if kind == "lstm":
            h, c, _ = rc.lstm_step_forward(x_t, h, c, *args, activation=act)
        elif kind == "gru":
            h, _ = rc.gru_step_forward(x_t, h, *args, activation=act)
        else:
            h, _ = rc.rnn_step_forward(x_t, h, *args)
        np.testing.assert_allclose(h, h_seq[:, t], rtol=1e-12, atol=1e-12)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_relu_lstm_one_step_by_hand(backend):
    """Keras' LSTM(activation='relu'), one step written out with NumPy: relu replaces tanh in
    g_t and in h_t = o_t * relu(c_t); i, f, o stay sigmoid. The backward of dc0 and db by hand too."""
    rng = np.random.default_rng(31)
    B, D, H = 3, 2, 4
    x = rng.standard_normal((B, 1, D))
    W_ih, W_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H) * 0.5, rng.standard_normal(4 * H) * 0.5
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    a = x[:, 0] @ W_ih.T + b_ih + h0 @ W_hh.T + b_hh
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.maximum(a[:, 2 * H:3 * H], 0.0)
    c = f * c0 + i * g
    h = o * np.maximum(c, 0.0)
    # the draw exercises both sides of both relus
    assert (a[:, 2 * H:3 * H] < 0).any() and (a[:, 2 * H:3 * H] > 0).any() and (c < 0).any() and (c > 0).any()
    h_seq, (h_T, c_T), cache = rc.lstm_forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, activation="relu", backend=backend)
    np.testing.assert_allclose(h_seq[:, 0], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_T, h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_T, c, rtol=1e-12, atol=1e-14)
    # backward for L = sum(dh * h_T) + sum(dc * c_T)
    dh, dc_in = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    grads = rc.lstm_backward(None, cache, dh_T=dh, dc_T=dc_in)
    dc = dc_in + dh * o * (c > 0)                   # relu'(c_t) = 1 where c_t > 0
    da = np.concatenate([dc * g * i * (1 - i), dc * c0 * f * (1 - f),
                         dc * i * (a[:, 2 * H:3 * H] > 0), dh * np.maximum(c, 0) * o * (1 - o)], axis=1)
    np.testing.assert_allclose(grads["dc0"], dc * f, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["db_ih"], da.sum(0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["dW_hh"], da.T @ h0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["dh0"], da @ W_hh, rtol=1e-12, atol=1e-14)
    # and it is not the tanh cell
    assert np.abs(rc.lstm_forward(x, W_ih, W_hh, b_ih, b_hh, h0, c0, backend=backend)[0][:, 0] - h).max() > 0.1


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_relu_gru_one_step_by_hand(backend):
    """Keras' GRU(activation='relu'), one step: n_t = relu(W_in x + b_in + r * (W_hn h + b_hn))."""
    rng = np.random.default_rng(32)
    B, D, H = 3, 2, 4
    x = rng.standard_normal((B, 1, D))
    W_ih, W_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H) * 0.5, rng.standard_normal(3 * H) * 0.5
    h0 = rng.standard_normal((B, H))
    gi, gh = x[:, 0] @ W_ih.T + b_ih, h0 @ W_hh.T + b_hh
    r, z = _sigmoid(gi[:, :H] + gh[:, :H]), _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    a_n = gi[:, 2 * H:] + r * gh[:, 2 * H:]
    assert (a_n < 0).any() and (a_n > 0).any()
    h = (1 - z) * np.maximum(a_n, 0) + z * h0
    h_seq, h_T, cache = rc.gru_forward(x, W_ih, W_hh, b_ih, b_hh, h0, activation="relu", backend=backend)
    np.testing.assert_allclose(h_T, h, rtol=1e-12, atol=1e-14)
    dh = rng.standard_normal((B, H))
    grads = rc.gru_backward(None, cache, dh_T=dh)
    da_n = dh * (1 - z) * (a_n > 0)
    np.testing.assert_allclose(grads["db_ih"][2 * H:], da_n.sum(0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["db_hh"][2 * H:], (da_n * r).sum(0), rtol=1e-12, atol=1e-14)


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


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(3, 7, 5, 6), (2, 1, 3, 4), (2, 2, 3, 4), (64, 9, 8, 64)])
def test_inference_forward_without_cache(cell, backend, shape):
    """keep_cache=False: the same outputs, bit for bit, and no cache. (64, 9, 8, 64) cuts
    the batch into several chunks; T = 1 and 2 are the edges of the CPU LSTM's two-slot
    cell buffer. (Bit for bit on one machine: see tests/test_determinism.py.)"""
    B, T, D, H = shape
    for dtype in (np.float64, np.float32):
        p = make_params(cell, B, T, D, H, dtype=dtype, seed=7)
        *kept, cache = forward(cell, p, backend)
        *inferred, none = forward(cell, p, backend, keep_cache=False)
        assert cache is not None and none is None
        for a, b in zip(kept, inferred):
            if a is not None:
                assert b.dtype == dtype
                np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="keep_cache=False"):
        backward(cell, np.zeros((B, T, H), dtype), none)
    with pytest.raises(TypeError, match="keep_cache must be True or False"):
        forward(cell, p, backend, keep_cache="no")
