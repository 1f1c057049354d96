"""Every layer's backward against central differences; masking semantics; Keras-quality errors."""
import numpy as np
import pytest

from rnncore import layers as L
from rnncore.layers.recurrent import ReversedRun
from rnncore.utils import check_layer_gradients

# Constant inputs shared by the tests (never drawn from during a test, so -k selection changes nothing)
X = np.random.default_rng(0).standard_normal((3, 5, 2))
MASK = np.ones((3, 5), bool)
MASK[0, 3:] = False      # post-padding
MASK[1, :2] = False      # pre-padding
MASK[2, 1] = False       # a hole


def _f64(layer, backend="numpy"):
    layer.dtype = np.float64
    layer.seed = 1
    if hasattr(layer, "backend"):
        layer.backend = backend
    for sub in (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)):
        if sub is not None:
            sub.dtype = np.float64
    return layer


RECURRENT = {
    "rnn_relu_seq": lambda: L.SimpleRNN(3, activation="relu", return_sequences=True),
    "rnn_tanh": lambda: L.SimpleRNN(3),
    "lstm": lambda: L.LSTM(3),
    "lstm_relu": lambda: L.LSTM(3, activation="relu"),
    "lstm_seq_back": lambda: L.LSTM(3, return_sequences=True, go_backwards=True),
    "gru_seq": lambda: L.GRU(3, return_sequences=True),
    "gru_nobias": lambda: L.GRU(3, use_bias=False),
    "gru_relu_seq": lambda: L.GRU(3, activation="relu", return_sequences=True),
    "bi_lstm_relu": lambda: L.Bidirectional(L.LSTM(2, activation="relu")),
    "bi_lstm_seq": lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)),
    "bi_gru_mul": lambda: L.Bidirectional(L.GRU(3), merge_mode="mul"),
    "bi_rnn_ave": lambda: L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode="ave"),
}


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_recurrent_layer_gradients(kind, masked):
    layer = _f64(RECURRENT[kind]())
    errors = check_layer_gradients(layer, X.copy(), mask=MASK if masked else None, h=1e-5)
    assert max(errors.values()) < 1e-5, errors


@pytest.mark.parametrize("kind", ["lstm", "gru_seq", "bi_lstm_seq", "rnn_relu_seq", "lstm_relu", "gru_relu_seq"])
def test_cpu_backend_matches_numpy_backend(kind):
    """The numpy path is checked against finite differences above; the Numba path must agree with it."""
    results = []
    for backend in ("numpy", "cpu"):
        layer = _f64(RECURRENT[kind](), backend=backend)
        layer.build((5, 2))
        out = layer.forward(X, mask=MASK)
        dx = layer.backward(np.ones_like(out))
        results.append((out, dx, layer.grads))
    (o1, d1, g1), (o2, d2, g2) = results
    np.testing.assert_allclose(o2, o1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d2, d1, rtol=1e-10, atol=1e-12)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=1e-9, atol=1e-11, err_msg=k)


OTHER = {
    "dense_softmax_3d": (lambda: L.Dense(4, activation="softmax"), X),
    "dense_tanh": (lambda: L.Dense(4, activation="tanh"), X[:, 0]),
    "dense_sigmoid": (lambda: L.Dense(2, activation="sigmoid"), X[:, 0]),
    "activation_relu": (lambda: L.Activation("relu"), X + 0.01),
    "conv_same_relu": (lambda: L.Conv1D(4, 3, padding="same", activation="relu"), X),
    "conv_valid_stride": (lambda: L.Conv1D(3, 2, strides=2), X),
    "maxpool": (lambda: L.MaxPooling1D(2), X),
    "maxpool_same": (lambda: L.MaxPooling1D(2, padding="same"), X),
    "global_max": (lambda: L.GlobalMaxPooling1D(), X),
    "global_avg": (lambda: L.GlobalAveragePooling1D(), X),
    "flatten": (lambda: L.Flatten(), X),
    "masking": (lambda: L.Masking(0.0), X),
    "time_distributed": (lambda: L.TimeDistributed(L.Dense(3, activation="sigmoid")), X),
}


@pytest.mark.parametrize("kind", list(OTHER))
def test_other_layer_gradients(kind):
    make, x = OTHER[kind]
    errors = check_layer_gradients(_f64(make()), x.copy())
    assert max(errors.values()) < 1e-6, errors


def test_embedding_and_dropout_gradients():
    rng = np.random.default_rng(1)
    emb = _f64(L.Embedding(5, 3, mask_zero=True))
    ids = rng.integers(0, 5, (2, 4))
    assert check_layer_gradients(emb, ids)["embeddings"] < 1e-8
    assert np.array_equal(emb.compute_mask(ids, None), ids != 0)
    drop = _f64(L.Dropout(0.5))
    drop.build((4,))
    x = rng.standard_normal((200, 4))
    y = drop.forward(x, training=True)
    dx = drop.backward(np.ones_like(y))
    kept = y != 0
    assert 0.35 < kept.mean() < 0.65 and np.allclose(y[kept], 2 * x[kept]) and np.allclose(dx[kept], 2)
    assert np.array_equal(drop.forward(x, training=False), x)


# ----------------------------------------------------------------------------- masking semantics
@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_mask_equals_running_the_valid_steps_alone(cls):
    layer = _f64(cls(4, return_sequences=True))
    layer.build((5, 2))
    seq = layer.forward(X, mask=MASK)
    for b in range(3):
        valid = np.flatnonzero(MASK[b])
        alone = layer.forward(X[b:b + 1, valid])[0]
        np.testing.assert_allclose(seq[b, valid], alone, atol=1e-12)
        # masked steps repeat the last valid output (zeros before the first)
        for t in np.flatnonzero(~MASK[b]):
            before = valid[valid < t]
            expected = alone[len(before) - 1] if len(before) else np.zeros(4)
            np.testing.assert_allclose(seq[b, t], expected, atol=1e-12)
    last = cls(4)
    last.dtype, last.backend = np.float64, "numpy"
    last.build((5, 2))
    last.set_weights(layer.get_weights())
    h = last.forward(X, mask=MASK)
    for b in range(3):
        np.testing.assert_allclose(h[b], layer.forward(X[b:b + 1, MASK[b]])[0, -1], atol=1e-12)


def test_bidirectional_reverses_only_the_valid_part():
    bi = _f64(L.Bidirectional(L.GRU(3, return_sequences=True)))
    bi.build((5, 2))
    out = bi.forward(X, mask=MASK)
    back = bi.backward_layer          # a copy with go_backwards=True, outputs in processing order
    assert back.go_backwards and not bi.forward_layer.go_backwards
    for b in range(3):
        valid = np.flatnonzero(MASK[b])
        rev = back.forward(X[b:b + 1, valid])[0][::-1]   # plain run on the reversed valid steps
        np.testing.assert_allclose(out[b, valid, 3:], rev, atol=1e-12)
        # Keras: with return_sequences, masked steps output zeros from both directions
        assert np.all(out[b, ~MASK[b]] == 0)
    # the same data pre-padded or post-padded gives the same final states
    seqs = [X[0, :3], X[1, 2:]]
    post = np.zeros((2, 5, 2))
    pre = np.zeros((2, 5, 2))
    for i, s in enumerate(seqs):
        post[i, :len(s)] = s
        pre[i, 5 - len(s):] = s
    model_layer = _f64(L.Bidirectional(L.LSTM(3)))
    model_layer.build((5, 2))
    a = model_layer.forward(post, mask=np.any(post != 0, -1))
    c = model_layer.forward(pre, mask=np.any(pre != 0, -1))
    np.testing.assert_allclose(a, c, atol=1e-12)


def test_go_backwards_without_mask_reverses_time():
    fwd = _f64(L.LSTM(3, return_sequences=True))
    fwd.build((5, 2))
    bwd = _f64(L.LSTM(3, return_sequences=True, go_backwards=True))
    bwd.build((5, 2))
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(bwd.forward(X), fwd.forward(X[:, ::-1]), atol=1e-12)


def test_unit_forget_bias_and_seeds():
    a, b = L.LSTM(4, seed=3), L.LSTM(4, seed=3)
    a.build((5, 2))
    b.build((5, 2))
    assert all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))
    assert list(a.params) == ["kernel", "recurrent_kernel", "bias"]          # Keras' names and order
    assert a.params["kernel"].dtype == np.float32 and a.params["kernel"].shape == (2, 16)
    assert a.params["bias"].shape == (16,)                                    # one bias, as Keras
    assert np.all(a.params["bias"][4:8] == 1) and np.all(a.params["bias"][:4] == 0)
    U = a.params["recurrent_kernel"].astype(np.float64)                       # (H, 4H)
    assert np.allclose(U @ U.T, np.eye(4), atol=1e-5)     # orthogonal recurrent kernel
    c = L.LSTM(4, seed=3, unit_forget_bias=False)
    c.build((5, 2))
    assert np.all(c.params["bias"] == 0)


def test_seedless_layers_follow_set_random_seed(monkeypatch):
    """As Keras: after utils.set_random_seed(s), layers built without seed= get the same weights in every run."""
    from rnncore import utils
    monkeypatch.setattr(utils, "_SEED_SOURCE", None)
    state = np.random.get_state()

    def build_two(seed):
        utils.set_random_seed(seed)
        pair = L.Bidirectional(L.GRU(3)), L.Dropout(0.5)
        pair[0].build((5, 2))
        pair[1].build((5, 2))
        return pair[0].get_weights(), pair[1].forward(np.ones((4, 5, 2)), training=True)

    try:
        (w1, d1), (w2, d2), (w3, _) = build_two(1), build_two(1), build_two(2)
        assert all(np.array_equal(a, b) for a, b in zip(w1, w2)) and np.array_equal(d1, d2)
        assert not np.array_equal(w1[0], w3[0])
        assert not np.array_equal(w1[0], w1[4])          # the backward copy gets its own weights
    finally:
        np.random.set_state(state)


# ----------------------------------------------------------------------------- Keras-quality errors
def test_misuse_errors():
    lstm = L.LSTM(4)
    lstm.build((10, 1))
    with pytest.raises(ValueError, match=r"LSTM expects input of shape \(batch, time, features\), got a 2-D array "
                                         r"of shape \(32, 10\); add a feature axis with X\[\.\.\., None\]"):
        lstm.forward(np.zeros((32, 10), np.float32))
    with pytest.raises(ValueError, match="built for 1 features"):
        lstm.forward(np.zeros((2, 10, 3), np.float32))
    with pytest.raises(ValueError, match="input_shape must be \\(time, features\\)"):
        L.GRU(3, input_shape=(10,)).build((10,))
    with pytest.raises(TypeError, match="input_shape must be a tuple"):
        L.LSTM(3, input_shape=10)
    for cls in (L.SimpleRNN, L.LSTM, L.GRU):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: activation must be one of 'tanh', 'relu', "
                                             "got 'sigmoid'"):
            cls(3, activation="sigmoid")
    with pytest.raises(ValueError, match="unknown activation 'swish'.*'relu'"):
        L.Dense(3, activation="swish")
    with pytest.raises(TypeError, match=r"Bidirectional: layer must be a layer instance, got the class LSTM; "
                                        r"write Bidirectional\(LSTM\(\.\.\.\)\)"):
        L.Bidirectional(L.LSTM)
    with pytest.raises(TypeError, match="unexpected keyword argument.*'unit'"):
        L.Dense(3, unit=4)
    with pytest.raises(ValueError, match="LSTM: units must be an integer >= 1, got 0"):
        L.LSTM(0)
    with pytest.raises(TypeError, match="LSTM.. got unexpected keyword argument.*'kernel_regularizer'"):
        L.LSTM(3, kernel_regularizer="l2")
    with pytest.raises(ValueError, match=r"LSTM: recurrent_dropout must be in \[0, 1\)"):
        L.LSTM(3, recurrent_dropout=1.5)


@pytest.mark.parametrize("cls", [L.LSTM, L.GRU])
def test_gated_layers_run_keras_relu_activation(cls):
    """Keras' LSTM(50, activation='relu') / GRU(..., activation='relu'): no warning, and the layer
    really runs the relu cell (the functional API's activation='relu'), not tanh."""
    import warnings

    import rnncore.functional as F
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = _f64(cls(4, activation="relu", return_sequences=True))
        layer.build((5, 2))
        out = layer.forward(X)
    assert layer.activation == "relu"
    fwd = F.lstm_forward if cls is L.LSTM else F.gru_forward
    w = layer.cell.torch_weights()
    np.testing.assert_allclose(out, fwd(X, *w, activation="relu", backend="numpy")[0], rtol=1e-12, atol=1e-14)
    assert np.abs(out - fwd(X, *w, backend="numpy")[0]).max() > 1e-3


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_recurrent_layers_refuse_keras_linear_activation(cls):
    """Keras reads activation=None as linear: refused with a message, never silently tanh."""
    with pytest.raises(ValueError, match="linear"):
        cls(4, activation=None)
    if cls is not L.SimpleRNN:
        with pytest.raises(ValueError, match="recurrent_activation must be 'sigmoid'"):
            cls(4, recurrent_activation=None)


# ----------------------------------------------------------------------------- structure: cells, wrappers, state
def test_rnn_layer_over_a_cell_equals_the_named_layer():
    """LSTM(units) is RNN(LSTMCell(units)), as in Keras."""
    named = _f64(L.LSTM(3, return_sequences=True))
    named.build((5, 2))
    generic = _f64(L.RNN(L.LSTMCell(3), return_sequences=True))
    generic.build((5, 2))
    generic.set_weights(named.get_weights())
    np.testing.assert_array_equal(generic.forward(X, mask=MASK), named.forward(X, mask=MASK))
    with pytest.raises(TypeError, match="cell must be a SimpleRNNCell, LSTMCell or GRUCell instance"):
        L.RNN(L.LSTMCell)


def test_params_and_grads_cannot_be_replaced():
    """Assigning to a layer's (or a wrapper's) params/grads raises instead of being silently ignored."""
    for layer in (L.Dense(2), L.LSTM(2), L.Bidirectional(L.GRU(2)), L.TimeDistributed(L.Dense(2))):
        layer.build((5, 2))
        with pytest.raises(AttributeError, match="params"):
            layer.params = {}
        with pytest.raises(AttributeError, match="grads"):
            layer.grads = {}
    bi = L.Bidirectional(L.GRU(2))
    bi.build((5, 2))
    with pytest.raises(TypeError):            # a read-only view: an entry cannot be replaced either
        bi.params["forward_kernel"] = np.zeros((2, 6))
    assert list(bi.params) == [f"{d}_{k}" for d in ("forward", "backward")
                               for k in ("kernel", "recurrent_kernel", "bias")]


def test_inference_keeps_no_cache_and_restores_the_state():
    layer = _f64(L.Bidirectional(L.LSTM(3)))
    layer.build((5, 2))
    with L.inference(layer):
        assert not layer.forward_layer.keep_cache and not layer.backward_layer.cell.keep_cache
        out = layer.forward(X)
        with pytest.raises(TypeError, match="keep_cache=False"):
            layer.backward(np.ones_like(out))
    assert layer.forward_layer.keep_cache and layer.keep_cache
    np.testing.assert_array_equal(layer.forward(X), out)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_return_state_gives_the_final_states_and_their_gradients(cls):
    import rnncore.functional as F
    layer = _f64(cls(3, return_sequences=True, return_state=True))
    layer.build((5, 2))
    out = layer.forward(X)
    n_states = 2 if cls is L.LSTM else 1
    assert isinstance(out, list) and len(out) == 1 + n_states
    np.testing.assert_array_equal(out[1], out[0][:, -1])            # h_T is the last output
    if cls is L.LSTM:
        _, (_, c_T), _ = F.lstm_forward(X, *layer.cell.torch_weights(), backend="numpy")
        np.testing.assert_allclose(out[2], c_T, rtol=1e-12)
    # the gradients of a loss on the final states match finite differences
    rng = np.random.default_rng(2)
    w = [rng.standard_normal(o.shape) for o in out]

    def loss():
        return sum(float((o * wi).sum()) for o, wi in zip(layer.forward(X), w))

    loss()
    layer.backward(w)
    from rnncore.gradcheck import numeric_gradient, rel_error
    k = layer.params["kernel"]
    assert rel_error(numeric_gradient(lambda: np.array(loss()), k, np.array(1.0)), layer.grads["kernel"]) < 1e-6
    # an initial state is used, and its gradient is returned
    h0 = [np.full((3, 3), 0.5) + 0.1 * i for i in range(n_states)]
    assert not np.allclose(layer.forward(X, initial_state=h0)[0], out[0])

    def loss0():
        return np.array(sum(float((o * wi).sum()) for o, wi in zip(layer.forward(X, initial_state=h0), w)))

    loss0()
    layer.backward(w)
    for s0, g0 in zip(h0, layer.initial_state_grads):
        assert rel_error(numeric_gradient(loss0, s0, np.array(1.0)), g0) < 1e-6
    with pytest.raises(ValueError, match="initial_state must be a list of"):
        layer.forward(X, initial_state=[np.zeros((3, 3))] * (n_states + 1))


def test_dropout_draws_one_mask_per_sequence():
    """Keras' LSTM(dropout=p): the same input features are dropped at every time step of a sequence."""
    layer = _f64(L.LSTM(3, dropout=0.5, return_sequences=True))
    layer.build((5, 2))
    x = np.ones((64, 5, 2))
    out = layer.forward(x, training=True)
    keep = layer._keep                       # (B, 1, D): one mask per sequence, broadcast over time
    assert keep.shape == (64, 1, 2) and set(np.unique(keep)) <= {0.0, 2.0} and 0 < (keep == 0).mean() < 1
    clean = _f64(L.LSTM(3, return_sequences=True))
    clean.build((5, 2))
    clean.set_weights(layer.get_weights())
    np.testing.assert_allclose(out, clean.forward(x * keep), rtol=1e-12)
    np.testing.assert_array_equal(layer.forward(x, training=False), clean.forward(x))


def test_dense_on_sequences_passes_the_mask_on():
    dense = _f64(L.Dense(2))
    dense.build((5, 2))
    assert dense.forward(X).shape == (3, 5, 2)
    assert dense.compute_mask(X, MASK) is MASK
    td = _f64(L.TimeDistributed(L.Dense(2)))
    td.build((5, 2))
    td.set_weights(dense.get_weights())
    np.testing.assert_allclose(td.forward(X), dense.forward(X), rtol=1e-12)


def test_a_cell_does_not_run_on_its_own():
    with pytest.raises(TypeError, match=r"runs inside a recurrent layer: RNN\(LSTMCell\(\.\.\.\)\)\(x\)"):
        L.LSTMCell(3)(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_initial_state", [False, True])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_unmasked_go_backwards_is_the_masked_path_bit_for_bit(kind, with_initial_state, dtype):
    """go_backwards without a mask runs a reversed copy of the batch (RNN._sequence_forward's
    shortcut); an all-True mask takes the general packing path. Outputs, final states and
    every gradient must agree to the bit, on the default (cpu) backend."""
    make = {"rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}[kind]
    rng = np.random.default_rng(3)
    B, T, D, H = 5, 7, 3, 4
    x = rng.standard_normal((B, T, D)).astype(dtype)
    n_states = 2 if kind == "lstm" else 1
    init = [rng.standard_normal((B, H)).astype(dtype) for _ in range(n_states)] if with_initial_state else None
    d_out = [rng.standard_normal((B, T, H)).astype(dtype)] + [rng.standard_normal((B, H)).astype(dtype)
                                                              for _ in range(n_states)]
    runs = []
    for mask in (None, np.ones((B, T), bool)):
        layer = make(H, return_sequences=True, return_state=True, go_backwards=True, seed=0)
        layer.dtype = dtype
        layer.build((T, D))
        outs = layer.forward(x, training=True, mask=mask, initial_state=init)
        assert isinstance(layer._seq_cache[1], ReversedRun) == (mask is None)   # the two paths ran
        dx = layer.backward(d_out)
        grads = [layer.grads[k] for k in sorted(layer.grads)]
        runs.append((outs, dx, grads, layer.initial_state_grads))
    (o1, dx1, g1, s1), (o2, dx2, g2, s2) = runs
    for a, b in zip([*o1, dx1, *g1, *s1], [*o2, dx2, *g2, *s2]):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def _windows_by_index(x, size, stride, padding, fill=0.0):
    """The windows of x (B, T, C) gathered with the (T_out, size) index array: (B, T_out, size, C)
    (what Conv1D and MaxPooling1D computed before they gathered tap by tap)."""
    from rnncore.layers.conv import _window_index
    left, right, idx = _window_index(x.shape[1], size, stride, padding)
    xp = np.pad(x, ((0, 0), (left, right), (0, 0)), constant_values=fill)
    return xp[:, idx, :], idx, left, xp.shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size,stride,padding", [(1, 1, "valid"), (3, 1, "valid"), (3, 2, "same"), (2, 3, "valid"),
                                                 (4, 3, "same"), (7, 1, "same")])
def test_conv_and_max_pooling_gather_and_scatter_as_the_window_index(size, stride, padding, dtype):
    """Conv1D's im2col and its backward scatter, and MaxPooling1D's argmax and routing, gather and
    scatter tap by tap (conv._tap): the same bits as the index-array form, written out here,
    including max ties, +0/-0 ties and NaN (np.argmax takes the first NaN)."""
    from rnncore._linalg import matmul
    rng = np.random.default_rng(3)
    x = (np.round(rng.standard_normal((4, 17, 3)) * 2) / 2).astype(dtype)       # ties in most windows
    x[0, ::4, 0] = np.nan
    x[2, :, 2] = np.where(np.arange(17) % 2, 0.0, -0.0)
    conv = L.Conv1D(5, size, strides=stride, padding=padding, dtype=dtype)
    conv.build((17, 3))
    xc = np.nan_to_num(x)
    y = conv.forward(xc, training=True)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx = conv.backward(dy)
    win, idx, left, xp_shape = _windows_by_index(xc, size, stride, padding)
    K, C, F = conv.params["kernel"].shape
    cols = win.reshape(win.shape[0], win.shape[1], K * C)
    assert y.tobytes() == (matmul(cols, conv.params["kernel"].reshape(K * C, F)) + conv.params["bias"]).tobytes()
    dcols = matmul(dy, conv.params["kernel"].reshape(K * C, F).T).reshape(dy.shape[0], dy.shape[1], K, C)
    dxp = np.zeros(xp_shape, dtype)
    for k in range(K):
        dxp[:, idx[:, k], :] += dcols[:, :, k, :]
    assert dx.tobytes() == dxp[:, left:left + 17, :].tobytes()

    pool = L.MaxPooling1D(size, strides=stride, padding=padding, dtype=dtype)
    pool.build((17, 3))
    with np.errstate(invalid="ignore"):
        y = pool.forward(x, training=True)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx = pool.backward(dy)
    win, idx, left, xp_shape = _windows_by_index(x, size, stride, padding, fill=-np.inf)
    arg = np.argmax(win, axis=2)
    assert y.tobytes() == np.take_along_axis(win, arg[:, :, None, :], axis=2)[:, :, 0, :].tobytes()
    dwin = np.zeros(win.shape, dtype)
    np.put_along_axis(dwin, arg[:, :, None, :], dy[:, :, None, :], axis=2)
    dxp = np.zeros(xp_shape, dtype)
    for k in range(size):
        dxp[:, idx[:, k], :] += dwin[:, :, k, :]
    assert dx.tobytes() == dxp[:, left:left + 17, :].tobytes()


def _record_skip_flags(monkeypatch, cls):
    """Wrap cls.backward to record (layer name, skip_input_grad) at every call; returns the list."""
    seen = []
    real = cls.backward

    def spy(self, dout, from_logits=False):
        seen.append((self.name, self.skip_input_grad))
        return real(self, dout, from_logits)

    monkeypatch.setattr(cls, "backward", spy)
    return seen


# Layer.skip_input_grad pinned to False: every layer computes its input gradient
_NEVER_SKIP = property(lambda self: False, lambda self, v: None)


@pytest.mark.parametrize("with_input_layer", [False, True])
def test_a_models_first_recurrent_layer_skips_its_input_gradient_and_trains_the_same(with_input_layer, monkeypatch):
    """An LSTM, a GRU or a bidirectional GRU first (the CPU kernels then skip dx = dA W_ih, in both
    directions): the same weights as when it computes dx; the flag is on for the first layer's
    backward only (and its directions'), and off afterwards, so the layer called directly
    returns dx again."""
    from rnncore.models import Sequential
    rng = np.random.default_rng(5)
    x = rng.standard_normal((48, 12, 3)).astype(np.float32)
    y = x[:, :, 0].mean(axis=1, keepdims=True).astype(np.float32)
    seen = _record_skip_flags(monkeypatch, L.RNN)

    def trained(rnn):
        first = [L.Input((12, 3))] if with_input_layer else []
        m = Sequential(first + [rnn(8, return_sequences=True), L.LSTM(4), L.Dense(1)], seed=1)
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
        return m

    def bigru(units, return_sequences):
        return L.Bidirectional(L.GRU(units, return_sequences=return_sequences))

    for rnn in (L.LSTM, L.GRU, bigru):
        seen.clear()
        skipping = trained(rnn)
        first_layer, second_layer = skipping.layers[:2]
        firsts = ([first_layer.forward_layer.name, first_layer.backward_layer.name]
                  if isinstance(first_layer, L.Bidirectional) else [first_layer.name])
        assert {s for n, s in seen if n in firsts} == {True} and {n for n, _ in seen} >= set(firsts)
        assert {s for n, s in seen if n == second_layer.name} == {False}
        with monkeypatch.context() as mp:          # every layer computes its input gradient
            mp.setattr(L.Layer, "skip_input_grad", _NEVER_SKIP)
            computing = trained(rnn)
        for a, b in zip(skipping.get_weights(), computing.get_weights()):
            assert a.tobytes() == b.tobytes(), rnn.__name__
        assert not first_layer.skip_input_grad
        out = first_layer.forward(x[:4], training=True)
        dx = first_layer.backward(np.ones_like(out))
        assert dx is not None and dx.shape == (4, 12, 3) and np.abs(dx).sum() > 0


@pytest.mark.parametrize("below", ["masking", "dropout", "masking_and_dropout"])
@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_the_lowest_layer_with_weights_skips_its_input_gradient_and_trains_the_same(below, rnn, monkeypatch):
    """Layers without weights first (Masking, Dropout, as in notebooks 11 and 16): the recurrent
    layer above them is the lowest with weights, skips its input gradient (masked or not: the
    padded samples go through the masked path), and the layers below it are not run backward.
    The same weights as when every layer computes its input gradient."""
    from rnncore.models import Sequential
    rng = np.random.default_rng(6)
    x = rng.standard_normal((40, 10, 3)).astype(np.float32)
    x[::3, 7:] = 0.0                                   # padded ends: the masked path, and its groups
    x[1::3, 9:] = 0.0
    y = x[:, :, 0].sum(axis=1, keepdims=True).astype(np.float32)
    seen = _record_skip_flags(monkeypatch, L.RNN)
    masking_ran = _record_skip_flags(monkeypatch, L.Masking)
    layer = {"lstm": L.LSTM, "gru": L.GRU}[rnn]

    def trained():
        first = {"masking": [L.Masking(0.0)], "dropout": [L.Dropout(0.2)],
                 "masking_and_dropout": [L.Masking(0.0), L.Dropout(0.2)]}[below]
        m = Sequential([L.Input((10, 3))] + first + [layer(6), L.Dense(1)], seed=2)
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
        return m

    skipping = trained()
    rnn_layer = next(lay for lay in skipping.layers if isinstance(lay, L.RNN))
    assert {s for n, s in seen if n == rnn_layer.name} == {True}
    assert masking_ran == []
    seen.clear()
    with monkeypatch.context() as mp:          # every layer computes its input gradient
        mp.setattr(L.Layer, "skip_input_grad", _NEVER_SKIP)
        computing = trained()
    assert {s for n, s in seen} == {False}
    for a, b in zip(skipping.get_weights(), computing.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert not rnn_layer.skip_input_grad
    xm = x[:4]
    out = rnn_layer.forward(xm, training=True, mask=np.any(xm != 0, axis=-1))
    dx = rnn_layer.backward(np.ones_like(out))
    assert dx is not None and dx.shape == (4, 10, 3) and np.abs(dx).sum() > 0


@pytest.mark.parametrize("with_input_layer", [False, True])
def test_a_models_first_conv_layer_skips_its_input_gradient_and_trains_the_same(with_input_layer, monkeypatch):
    """In a model's backward the first layer (an Input is not kept as a layer) returns None instead
    of the data's gradient, which nobody reads: training gives the same weights as when it computes
    it. Called directly afterwards (a saliency map), the layer computes its input gradient again."""
    from rnncore.models import Sequential
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 20, 4)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.float32)[:, None]

    def model():
        first = [L.Input((20, 4))] if with_input_layer else []
        m = Sequential(first + [L.Conv1D(6, 3, activation="relu"), L.MaxPooling1D(2), L.Conv1D(4, 3, activation="relu"),
                                L.GlobalMaxPooling1D(), L.Dense(1, activation="sigmoid")], seed=0)
        m.compile(optimizer="adam", loss="binary_crossentropy")
        return m

    returned = _record_skip_flags(monkeypatch, L.Conv1D)
    skipping = model()
    skipping.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    first_conv = skipping.layers[0]
    assert isinstance(first_conv, L.Conv1D)
    assert {s for n, s in returned if n == first_conv.name} == {True}
    assert {s for n, s in returned if n != first_conv.name} == {False}
    monkeypatch.setattr(L.Layer, "skip_input_grad", _NEVER_SKIP)
    computing = model()
    computing.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(skipping.get_weights(), computing.get_weights()):
        assert a.tobytes() == b.tobytes()
    monkeypatch.undo()
    assert not first_conv.skip_input_grad
    first_conv.forward(x[:3], training=True)
    dx = first_conv.backward(np.ones((3, 18, 6), np.float32))
    assert dx is not None and dx.shape == (3, 20, 4) and np.abs(dx).sum() > 0
