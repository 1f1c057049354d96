"""rnncore's Keras-style API against Keras 3 itself (torch backend, set by conftest.py).

Each test builds the same architecture in both, copies Keras' initial weights into rnncore with
``set_weights(keras_model.get_weights())`` and checks that predictions (1e-5), parameter counts,
and weights and loss history after two epochs of SGD and of Adam (``shuffle=False``, 1e-4)
are Keras'. Shapes are tiny so the whole file runs in seconds (recurrent kernels: the NumPy
reference backend, which test_backends_agree.py ties to the Numba ones).

Keras is a test dependency (``pip install -e ".[test]"``): the import below fails loudly
instead of skipping when it is missing.
"""
import numpy as np
import pytest

import keras
from keras import layers as kl

from rnncore import layers as L
from rnncore import losses
from rnncore.models import Sequential
from rnncore.optimizers import SGD, Adam

T, D = 5, 3


def _data(seed, n=8, kind="float", classes=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, T, D)).astype("float32")
    if classes is None:
        y = rng.standard_normal((n, 1)).astype("float32")
    else:
        y = rng.integers(0, classes, n)
    return x, y


def _pair(keras_layers, rnncore_layers, input_shape=(T, D), input_dtype="float32", seed=0):
    """A Keras model and the same rnncore model holding Keras' initial weights."""
    keras.utils.set_random_seed(seed)
    km = keras.Sequential([keras.Input(input_shape, dtype=input_dtype)] + keras_layers)
    rm = Sequential([L.Input(input_shape)] + rnncore_layers, backend="numpy")
    rm.set_weights(km.get_weights())
    return km, rm


def _assert_same_weights(km, rm, atol):
    kw, rw = km.get_weights(), rm.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in rw]
    for a, b in zip(kw, rw):
        np.testing.assert_allclose(b, a, atol=atol, rtol=0)


# ----------------------------------------------------------------------------- layers: same predictions
RECURRENT = {
    "simple_rnn_tanh": (lambda: kl.SimpleRNN(4), lambda: L.SimpleRNN(4)),
    "simple_rnn_relu_seq": (lambda: kl.SimpleRNN(4, activation="relu", return_sequences=True),
                            lambda: L.SimpleRNN(4, activation="relu", return_sequences=True)),
    "lstm_tanh": (lambda: kl.LSTM(4), lambda: L.LSTM(4)),
    "lstm_relu_seq": (lambda: kl.LSTM(4, activation="relu", return_sequences=True),
                      lambda: L.LSTM(4, activation="relu", return_sequences=True)),
    "lstm_go_backwards_seq": (lambda: kl.LSTM(4, go_backwards=True, return_sequences=True),
                              lambda: L.LSTM(4, go_backwards=True, return_sequences=True)),
    "lstm_no_bias": (lambda: kl.LSTM(4, use_bias=False), lambda: L.LSTM(4, use_bias=False)),
    "gru_tanh": (lambda: kl.GRU(4), lambda: L.GRU(4)),
    "gru_relu_seq": (lambda: kl.GRU(4, activation="relu", return_sequences=True),
                     lambda: L.GRU(4, activation="relu", return_sequences=True)),
}
for mode in ("concat", "sum", "ave", "mul"):
    RECURRENT[f"bidirectional_lstm_{mode}"] = (
        lambda m=mode: kl.Bidirectional(kl.LSTM(3), merge_mode=m),
        lambda m=mode: L.Bidirectional(L.LSTM(3), merge_mode=m))
    RECURRENT[f"bidirectional_gru_seq_{mode}"] = (
        lambda m=mode: kl.Bidirectional(kl.GRU(3, return_sequences=True), merge_mode=m),
        lambda m=mode: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode=m))

OTHER = {
    "dense_tanh": (lambda: [kl.Flatten(), kl.Dense(3, activation="tanh")],
                   lambda: [L.Flatten(), L.Dense(3, activation="tanh")]),
    "dense_3d_softmax": (lambda: [kl.Dense(3, activation="softmax")], lambda: [L.Dense(3, activation="softmax")]),
    "conv1d_valid_stride": (lambda: [kl.Conv1D(4, 2, strides=2, activation="relu")],
                            lambda: [L.Conv1D(4, 2, strides=2, activation="relu")]),
    "conv1d_same": (lambda: [kl.Conv1D(4, 3, padding="same")], lambda: [L.Conv1D(4, 3, padding="same")]),
    "max_pooling": (lambda: [kl.MaxPooling1D(2)], lambda: [L.MaxPooling1D(2)]),
    "max_pooling_same_stride": (lambda: [kl.MaxPooling1D(3, strides=2, padding="same")],
                                lambda: [L.MaxPooling1D(3, strides=2, padding="same")]),
    "global_max_pooling": (lambda: [kl.GlobalMaxPooling1D()], lambda: [L.GlobalMaxPooling1D()]),
    "global_average_pooling": (lambda: [kl.GlobalAveragePooling1D()], lambda: [L.GlobalAveragePooling1D()]),
}


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_recurrent_layers_predict_as_keras(kind):
    make_k, make_r = RECURRENT[kind]
    km, rm = _pair([make_k()], [make_r()])
    x, _ = _data(1)
    assert rm.count_params() == km.count_params()
    np.testing.assert_allclose(rm.predict(x), km.predict(x, verbose=0), atol=1e-5, rtol=0)
    # and back: Keras takes rnncore's weights (after a perturbation, so the copy is not a no-op)
    rng = np.random.default_rng(2)
    rm.set_weights([w + 0.1 * rng.standard_normal(w.shape).astype(w.dtype) for w in rm.get_weights()])
    km.set_weights(rm.get_weights())
    np.testing.assert_allclose(rm.predict(x), km.predict(x, verbose=0), atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", list(OTHER))
def test_other_layers_predict_as_keras(kind):
    make_k, make_r = OTHER[kind]
    km, rm = _pair(make_k(), make_r())
    x, _ = _data(1)
    assert rm.count_params() == km.count_params()
    np.testing.assert_allclose(rm.predict(x), km.predict(x, verbose=0), atol=1e-5, rtol=0)


def test_the_cpu_kernels_predict_as_keras():
    km, rm = _pair([kl.Bidirectional(kl.LSTM(3)), kl.Dense(1)], [L.Bidirectional(L.LSTM(3)), L.Dense(1)])
    rm.compile(optimizer="sgd", loss="mse", backend="cpu")
    x, _ = _data(1)
    np.testing.assert_allclose(rm.predict(x), km.predict(x, verbose=0), atol=1e-5, rtol=0)


def _padded(seed, pre):
    """Sequences of lengths 5, 3, 1, 4 padded with zeros (pre or post)."""
    x, _ = _data(seed, n=4)
    for i, n in enumerate((5, 3, 1, 4)):
        if pre:
            x[i, :T - n] = 0
        else:
            x[i, n:] = 0
    return x


@pytest.mark.parametrize("pre", [False, True])
@pytest.mark.parametrize("kind", ["lstm_seq", "gru", "bidirectional_lstm_seq", "bidirectional_gru"])
def test_masking_as_keras(kind, pre):
    """Masked steps are skipped; Bidirectional(return_sequences=True) outputs zeros there (Keras'
    zero_output_for_mask), a plain layer repeats the last valid output."""
    seq = kind.endswith("_seq")
    cell_k, cell_r = (kl.LSTM, L.LSTM) if "lstm" in kind else (kl.GRU, L.GRU)
    inner_k, inner_r = cell_k(3, return_sequences=seq), cell_r(3, return_sequences=seq)
    if kind.startswith("bidirectional"):
        inner_k, inner_r = kl.Bidirectional(inner_k), L.Bidirectional(inner_r)
    km, rm = _pair([kl.Masking(0.0), inner_k], [L.Masking(0.0), inner_r])
    x = _padded(3, pre)
    np.testing.assert_allclose(rm.predict(x), km.predict(x, verbose=0), atol=1e-5, rtol=0)


def test_embedding_with_mask_zero_as_keras():
    km, rm = _pair([kl.Embedding(6, 3, mask_zero=True), kl.GRU(4), kl.Dense(2, activation="softmax")],
                   [L.Embedding(6, 3, mask_zero=True), L.GRU(4), L.Dense(2, activation="softmax")],
                   input_shape=(T,), input_dtype="int32")
    ids = np.array([[1, 2, 3, 4, 5], [0, 0, 2, 3, 1], [4, 4, 0, 0, 0]])
    assert rm.count_params() == km.count_params()
    np.testing.assert_allclose(rm.predict(ids), km.predict(ids, verbose=0), atol=1e-5, rtol=0)


def test_summary_counts_equal_keras():
    km, rm = _pair([kl.LSTM(4, return_sequences=True), kl.Bidirectional(kl.GRU(3)), kl.Dense(2)],
                   [L.LSTM(4, return_sequences=True), L.Bidirectional(L.GRU(3)), L.Dense(2)])
    lines = []
    rm.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert f"Total params: {km.count_params():,}" in text
    for klayer, rlayer in zip(km.layers, rm.layers):
        assert rlayer.count_params() == klayer.count_params()
        assert f"{rlayer.count_params():,}" in next(line for line in lines if f"({type(rlayer).__name__})" in line)


# ----------------------------------------------------------------------------- training: same weights and history
TRAINED = {
    "simple_rnn": (lambda: [kl.SimpleRNN(4), kl.Dense(1)], lambda: [L.SimpleRNN(4), L.Dense(1)], "mse", None),
    "lstm_relu": (lambda: [kl.LSTM(4, activation="relu"), kl.Dense(1)],
                  lambda: [L.LSTM(4, activation="relu"), L.Dense(1)], "mse", None),
    "gru_seq": (lambda: [kl.GRU(4, return_sequences=True), kl.Flatten(), kl.Dense(1)],
                lambda: [L.GRU(4, return_sequences=True), L.Flatten(), L.Dense(1)], "mse", None),
    "bidirectional_lstm": (lambda: [kl.Bidirectional(kl.LSTM(3)), kl.Dense(3, activation="softmax")],
                           lambda: [L.Bidirectional(L.LSTM(3)), L.Dense(3, activation="softmax")],
                           "sparse_categorical_crossentropy", 3),
    "conv_pool_dense": (lambda: [kl.Conv1D(4, 2, activation="relu"), kl.MaxPooling1D(2), kl.Flatten(),
                                 kl.Dense(1, activation="sigmoid")],
                        lambda: [L.Conv1D(4, 2, activation="relu"), L.MaxPooling1D(2), L.Flatten(),
                                 L.Dense(1, activation="sigmoid")], "binary_crossentropy", 2),
}


@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("kind", list(TRAINED))
def test_training_as_keras(kind, opt):
    make_k, make_r, loss, classes = TRAINED[kind]
    km, rm = _pair(make_k(), make_r())
    x, y = _data(4, classes=classes)
    if opt == "sgd":
        km.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"])
        rm.compile(optimizer=SGD(0.1), loss=loss, metrics=["accuracy"])
    else:
        km.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=["accuracy"])
        rm.compile(optimizer=Adam(0.01), loss=loss, metrics=["accuracy"])
    hk = km.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(hr["accuracy"], hk["accuracy"], atol=1e-6, rtol=0)
    _assert_same_weights(km, rm, 1e-4)
    ek = km.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    er = rm.evaluate(x, y, batch_size=3, return_dict=True)
    np.testing.assert_allclose([er["loss"], er["accuracy"]], [ek["loss"], ek["accuracy"]], atol=1e-5)


def test_per_position_labelling_with_masking_trains_as_keras():
    """Masking -> LSTM(return_sequences) -> TimeDistributed(Dense softmax): one label per step,
    padded steps excluded from the loss and the accuracy."""
    km, rm = _pair([kl.Masking(0.0), kl.LSTM(4, return_sequences=True),
                    kl.TimeDistributed(kl.Dense(3, activation="softmax"))],
                   [L.Masking(0.0), L.LSTM(4, return_sequences=True),
                    L.TimeDistributed(L.Dense(3, activation="softmax"))])
    x = _padded(5, pre=False)
    y = np.random.default_rng(6).integers(0, 3, (4, T))
    for m in (km, rm):
        m.compile(optimizer="adam" if m is rm else keras.optimizers.Adam(0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hk = km.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(hr["accuracy"], hk["accuracy"], atol=1e-6, rtol=0)
    _assert_same_weights(km, rm, 1e-4)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_sample_and_class_weights_train_as_keras(weighting):
    km, rm = _pair([kl.GRU(3), kl.Dense(1, activation="sigmoid")], [L.GRU(3), L.Dense(1, activation="sigmoid")])
    x, y = _data(7, n=9, classes=2)
    kw = ({"sample_weight": np.linspace(0.2, 3.0, 9).astype("float32")} if weighting == "sample_weight"
          else {"class_weight": {0: 0.5, 1: 3.0}})
    km.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
    rm.compile(optimizer=SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
    hk = km.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0, **kw).history
    hr = rm.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0, **kw).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(hr["accuracy"], hk["accuracy"], atol=1e-6, rtol=0)
    _assert_same_weights(km, rm, 1e-4)


@pytest.mark.parametrize("cell, activation, optimizers, seed, rate", [
    ("LSTM", "softplus", (lambda: keras.optimizers.Adam(0.01), lambda: Adam(0.01)), 8, 2.0),
    ("GRU", "exponential", (lambda: keras.optimizers.SGD(0.05), lambda: SGD(0.05)), 14, 1.5),
])
def test_poisson_count_outputs_train_as_keras(cell, activation, optimizers, seed, rate):
    """A positive output (softplus or exponential) with the Poisson loss, trained as in Keras."""
    km, rm = _pair([getattr(kl, cell)(3), kl.Dense(1, activation=activation)],
                   [getattr(L, cell)(3), L.Dense(1, activation=activation)])
    x, _ = _data(seed)
    y = np.random.default_rng(seed + 1).poisson(rate, (8, 1)).astype("float32")
    keras_opt, our_opt = optimizers
    km.compile(optimizer=keras_opt(), loss="poisson")
    rm.compile(optimizer=our_opt(), loss="poisson")
    hk = km.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    _assert_same_weights(km, rm, 1e-4)


def test_label_smoothing_trains_as_keras():
    km, rm = _pair([kl.SimpleRNN(3), kl.Dense(3, activation="softmax")],
                   [L.SimpleRNN(3), L.Dense(3, activation="softmax")])
    x, y = _data(10, classes=3)
    onehot = np.eye(3, dtype="float32")[y]
    km.compile(optimizer=keras.optimizers.SGD(0.2), loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.2))
    rm.compile(optimizer=SGD(0.2), loss=losses.CategoricalCrossentropy(label_smoothing=0.2))
    hk = km.fit(x, onehot, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    hr = rm.fit(x, onehot, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    _assert_same_weights(km, rm, 1e-4)


# ----------------------------------------------------------------------------- losses and metrics, edge cases
def _keras_value(fn, *args, **kw):
    return float(keras.ops.convert_to_numpy(fn(*args, **kw)))


LOSS_CASES = {
    # probabilities of exactly 0 and 1: Keras clips in float32
    "bce_at_0_and_1": ("binary_crossentropy", {}, [[1.0], [0.0], [1.0]], [[0.0], [1.0], [1.0]]),
    "bce_soft_targets": ("binary_crossentropy", {}, [[0.3, 0.9]], [[0.2, 0.6]]),
    "bce_label_smoothing": ("binary_crossentropy", {"label_smoothing": 0.1}, [[1.0], [0.0]], [[0.9], [0.3]]),
    "bce_from_logits": ("binary_crossentropy", {"from_logits": True}, [[1.0], [0.0]], [[30.0], [-2.5]]),
    # rows that do not sum to one: Keras normalises them first
    "cce_unnormalised": ("categorical_crossentropy", {}, [[0, 1, 0], [1, 0, 0]], [[0.2, 0.5, 0.9], [0.1, 0.1, 0.1]]),
    "cce_with_zero": ("categorical_crossentropy", {}, [[0, 1, 0]], [[0.5, 0.0, 0.5]]),
    "cce_label_smoothing": ("categorical_crossentropy", {"label_smoothing": 0.3}, [[0, 1, 0]], [[0.2, 0.7, 0.1]]),
    "cce_from_logits": ("categorical_crossentropy", {"from_logits": True}, [[0, 0, 1]], [[2.0, -1.0, 40.0]]),
    "sparse_cce": ("sparse_categorical_crossentropy", {}, [1, 2], [[0.2, 0.5, 0.3], [0.0, 0.0, 1.0]]),
    "mse": ("mean_squared_error", {}, [[1.0, 2.0]], [[0.5, -1.0]]),
    "mae": ("mean_absolute_error", {}, [[1.0, 2.0]], [[0.5, -1.0]]),
    "poisson": ("poisson", {}, [[0.0], [3.0]], [[0.0], [2.5]]),
}
_KERAS_LOSSES = {"binary_crossentropy": keras.losses.BinaryCrossentropy,
                 "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
                 "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
                 "mean_squared_error": keras.losses.MeanSquaredError,
                 "mean_absolute_error": keras.losses.MeanAbsoluteError, "poisson": keras.losses.Poisson}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_losses_equal_keras(case, weighted):
    name, kw, y_true, y_pred = LOSS_CASES[case]
    y_true, y_pred = np.array(y_true, "float32"), np.array(y_pred, "float32")
    sw = np.linspace(0.5, 2.0, len(y_pred)).astype("float32") if weighted else None
    expected = _keras_value(_KERAS_LOSSES[name](**kw), y_true, y_pred, sample_weight=sw)
    ours = losses.get(name) if not kw else type(losses.get(name))(**kw)
    assert ours(y_true, y_pred, sample_weight=sw) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_sample_weight_divides_by_the_number_of_samples():
    """Keras: sum(w * loss) / n, not / sum(w) (issue 12's example: 1.0717)."""
    y, p, w = np.array([[1.0], [2.0], [3.0]]), np.array([[2.0], [0.5], [3.5]]), np.array([0.1, 1.3, 0.6])
    expected = _keras_value(keras.losses.MeanSquaredError(), y, p, sample_weight=w)
    assert losses.get("mse")(y, p, sample_weight=w) == pytest.approx(expected, rel=1e-6)
    assert losses.get("mse")(y, p, sample_weight=w) == pytest.approx(np.sum(w * (p - y)[:, 0] ** 2) / 3, rel=1e-12)


METRIC_CASES = {
    "binary_soft_targets": ("binary_accuracy", [[0.3], [1.0], [0.0], [0.5]], [[0.9], [0.7], [0.2], [0.5]]),
    "binary_at_threshold": ("binary_accuracy", [[1.0], [0.0]], [[0.5], [0.5]]),
    "categorical_ties": ("categorical_accuracy", [[0, 1, 0], [1, 0, 0]], [[0.4, 0.4, 0.2], [0.3, 0.3, 0.4]]),
}


@pytest.mark.parametrize("case", list(METRIC_CASES))
def test_metrics_equal_keras(case):
    name, y_true, y_pred = METRIC_CASES[case]
    y_true, y_pred = np.array(y_true, "float32"), np.array(y_pred, "float32")
    metric = getattr(keras.metrics, "".join(part.capitalize() for part in name.split("_")))()
    metric.update_state(y_true, y_pred)
    _, fn = losses.get_metric(name, losses.get("mse"), y_pred.shape[-1])
    assert float(np.mean(fn(y_true, y_pred))) == pytest.approx(float(metric.result()), abs=1e-7)


def test_soft_target_accuracy_in_fit_is_keras():
    """The seed post that trains on np.random.rand targets: Keras reports accuracy 0 (no target is
    exactly 0 or 1), and so does rnncore."""
    km, rm = _pair([kl.LSTM(3), kl.Dense(1, activation="sigmoid")], [L.LSTM(3), L.Dense(1, activation="sigmoid")])
    x, _ = _data(11)
    y = np.random.default_rng(12).random((8, 1)).astype("float32")
    for m in (km, rm):
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hk = km.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0).history
    assert hr["accuracy"] == hk["accuracy"] == [0.0]
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_return_state_and_initial_state_as_keras(cls):
    """An encoder's final states (return_state=True) start a decoder (initial_state=...), as in Keras."""
    keras.utils.set_random_seed(0)
    k_enc = getattr(kl, cls)(4, return_state=True)
    k_dec = getattr(kl, cls)(4, return_sequences=True)
    x, _ = _data(13, n=3)
    x_dec = x[:, ::-1].copy()
    k_out = k_enc(x)
    k_states = k_out[1:]
    k_seq = k_dec(x_dec, initial_state=k_states)
    r_enc = getattr(L, cls)(4, return_state=True, backend="numpy")
    r_dec = getattr(L, cls)(4, return_sequences=True, backend="numpy")
    r_enc.build((T, D))
    r_dec.build((T, D))
    r_enc.set_weights([keras.ops.convert_to_numpy(w) for w in k_enc.weights])
    r_dec.set_weights([keras.ops.convert_to_numpy(w) for w in k_dec.weights])
    r_out = r_enc(x)
    assert len(r_out) == len(k_out) == (3 if cls == "LSTM" else 2)
    for a, b in zip(r_out, k_out):
        np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), atol=1e-5, rtol=0)
    np.testing.assert_allclose(r_dec(x_dec, initial_state=r_out[1:]), keras.ops.convert_to_numpy(k_seq),
                               atol=1e-5, rtol=0)


def test_embedding_and_masked_bidirectional_train_as_keras():
    """Embedding(mask_zero) -> Bidirectional(LSTM(return_sequences)) -> GRU -> softmax: the mask runs
    through every layer while training, with Adam, as in Keras."""
    km, rm = _pair([kl.Embedding(6, 3, mask_zero=True), kl.Bidirectional(kl.LSTM(3, return_sequences=True)),
                    kl.GRU(3), kl.Dense(2, activation="softmax")],
                   [L.Embedding(6, 3, mask_zero=True), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                    L.GRU(3), L.Dense(2, activation="softmax")], input_shape=(T,), input_dtype="int32")
    ids = np.array([[1, 2, 3, 4, 5], [0, 0, 2, 3, 1], [4, 4, 0, 0, 0], [5, 1, 1, 2, 0], [3, 0, 0, 0, 0],
                    [2, 2, 5, 4, 1]])
    y = np.array([0, 1, 1, 0, 1, 0])
    km.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rm.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hk = km.fit(ids, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    hr = rm.fit(ids, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(hr["accuracy"], hk["accuracy"], atol=1e-6, rtol=0)
    _assert_same_weights(km, rm, 1e-4)
