"""Bad input gets a clear ValueError/TypeError naming what was expected."""
import numpy as np
import pytest

import rnncore as rc
from _cells import HOST_BACKENDS, make_params


def lstm_args(**over):
    p = make_params("lstm")
    args = dict(x=p["x"], W_ih=p["W_ih"], W_hh=p["W_hh"], b_ih=p["b_ih"], b_hh=p["b_hh"])
    args.update(over)
    return args


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("over, exc, match", [
    (dict(x=np.zeros((4, 3))), ValueError, r"\(B, T, D\).*x\[None\]"),
    (dict(x=np.zeros((2, 0, 3))), ValueError, "empty sequence"),
    (dict(x=np.zeros((2, 4, 3), dtype=np.int64)), TypeError, "float32 or float64.*astype"),
    (dict(x=np.full((2, 4, 3), np.nan)), ValueError, "x contains NaN"),
    (dict(W_ih=np.zeros((16, 5))), ValueError, r"W_ih must have shape \(G\*H, D\) = \(16, 3\)"),
    (dict(W_hh=np.zeros((12, 4))), ValueError, r"W_hh must have shape \(G\*H, H\) with G=4"),
    (dict(b_ih=np.zeros(12)), ValueError, r"b_ih must have shape"),
    (dict(W_ih=np.zeros((16, 3), dtype=np.float32)), TypeError, "W_ih has dtype float32 but x has dtype float64"),
    (dict(x="ACGT"), TypeError, "float32 or float64"),
])
def test_lstm_forward_rejects(backend, over, exc, match):
    with pytest.raises(exc, match=match):
        rc.lstm_forward(**lstm_args(**over), backend=backend)


def test_unknown_backend_and_nonlinearity():
    p = make_params("rnn_tanh")
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match="unknown backend 'gpu'.*'numpy', 'cpu', 'cuda'"):
        rc.rnn_forward(*w, backend="gpu")
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        rc.rnn_forward(*w, nonlinearity="sigmoid")


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_unknown_activation(backend):
    """LSTM/GRU take activation 'tanh' or 'relu' (Keras' name; the RNN's is nonlinearity, as PyTorch)."""
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'; expected one of 'tanh', 'relu'"):
        rc.lstm_forward(**lstm_args(), activation="sigmoid", backend=backend)
    p = make_params("gru")
    with pytest.raises(ValueError, match="unknown activation 'softplus'; expected one of 'tanh', 'relu'"):
        rc.gru_forward(p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], activation="softplus", backend=backend)
    with pytest.raises(ValueError, match="unknown activation None"):
        rc.lstm_forward(**lstm_args(), activation=None, backend=backend)


def test_initial_state_shape():
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(2, 4\)"):
        rc.lstm_forward(**lstm_args(), h0=np.zeros((3, 4)))


def test_backward_checks():
    p = make_params("gru")
    _, _, cache = rc.gru_forward(p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match=r"dh_seq must have shape \(B, T, H\) = \(2, 4, 4\)"):
        rc.gru_backward(np.zeros((2, 4, 5)), cache)
    with pytest.raises(ValueError, match="pass it to gru_backward"):
        rc.lstm_backward(np.zeros((2, 4, 4)), cache)
    with pytest.raises(TypeError, match="Cache returned by gru_forward"):
        rc.gru_backward(np.zeros((2, 4, 4)), {"h": 1})
    with pytest.raises(ValueError, match="dh_seq contains NaN"):
        rc.gru_backward(np.full((2, 4, 4), np.nan), cache)


def test_peephole_weights_shape():
    p = make_params("peephole")
    with pytest.raises(ValueError, match=r"w_peep must have shape \(3, H\)"):
        rc.peephole_lstm_forward(p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], np.zeros((4, 4)))


def test_float32_upstream_gradient_cast():
    """A float64 upstream gradient for a float32 cache is accepted and cast, not an error."""
    p = make_params("rnn_tanh", dtype=np.float32)
    h_seq, _, cache = rc.rnn_forward(p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    g = rc.rnn_backward(np.ones(h_seq.shape), cache)
    assert g["dW_hh"].dtype == np.float32


def test_step_cache_remembers_its_activation():
    """A relu step cache gives relu gradients by default, and refuses a different activation."""
    from rnncore.reference import gru as ref_gru, lstm as ref_lstm
    rng = np.random.default_rng(5)
    B, D, H = 2, 3, 4
    x_t, h, c = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    for mod, G in ((ref_lstm, 4), (ref_gru, 3)):
        W = [rng.standard_normal((G * H, D)), rng.standard_normal((G * H, H)),
             rng.standard_normal(G * H), rng.standard_normal(G * H)]
        state = (h, c) if mod is ref_lstm else (h,)
        douts = tuple(rng.standard_normal((B, H)) for _ in state)
        out = {}
        for act in ("tanh", "relu"):
            *_, cache = mod.step_forward(x_t, *state, *W, activation=act)
            assert cache.activation == act
            out[act] = mod.step_backward(*douts, cache)
            explicit = mod.step_backward(*douts, cache, activation=act)
            assert all(np.array_equal(a, b) for a, b in zip(out[act], explicit))
            other = "tanh" if act == "relu" else "relu"
            with pytest.raises(ValueError, match=f"made with activation='{act}'"):
                mod.step_backward(*douts, cache, activation=other)
        assert not np.allclose(out["tanh"][0], out["relu"][0])   # the default really followed the cache


def test_step_caches_are_named_tuples_that_unpack_to_their_arrays():
    """Every cell's step cache names its fields, unpacks to exactly them, and records its activation."""
    from rnncore.reference import gru as ref_gru, lstm as ref_lstm, peephole as ref_peep, rnn as ref_rnn
    rng = np.random.default_rng(6)
    B, D, H = 2, 3, 4
    x_t, h, c = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def weights(G):
        return (rng.standard_normal((G * H, D)), rng.standard_normal((G * H, H)),
                rng.standard_normal(G * H), rng.standard_normal(G * H))

    caches = {
        "rnn": ref_rnn.step_forward(x_t, h, *weights(1), "relu")[-1],
        "gru": ref_gru.step_forward(x_t, h, *weights(3), activation="relu")[-1],
        "lstm": ref_lstm.step_forward(x_t, h, c, *weights(4), activation="relu")[-1],
        "peephole": ref_peep.step_forward(x_t, h, c, *weights(4), rng.standard_normal((3, H)))[-1],
    }
    for cell, cache in caches.items():
        assert cache._fields[:2] == ("x_t", "h_prev") and cache._fields[-2:] in (("W_ih", "W_hh"),
                                                                                  ("W_hh", "w_peep"))
        assert len(tuple(cache)) == len(cache._fields)          # the activation is not among the arrays
        assert cache.x_t is x_t and cache.W_ih.shape[1] == D
        assert cache.activation == ("tanh" if cell == "peephole" else "relu"), cell
    assert caches["lstm"]._fields == ("x_t", "h_prev", "c_prev", "i", "f", "g", "o", "act_c", "W_ih", "W_hh")
    import copy
    import pickle
    for cache in (copy.deepcopy(caches["gru"]), pickle.loads(pickle.dumps(caches["gru"]))):
        assert cache.activation == "relu" and np.array_equal(cache.hn, caches["gru"].hn)
    with pytest.raises(ValueError, match="made with nonlinearity='relu'"):
        ref_rnn.step_backward(np.ones((B, H)), caches["rnn"], nonlinearity="tanh")
    with pytest.raises(ValueError, match="nonlinearity"):
        ref_rnn.step_forward(x_t, h, *weights(1), "sigmoid")
