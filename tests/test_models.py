"""Sequential: whole-model gradient checks, training on small real tasks, fit/evaluate/predict/summary,
callbacks, save/load, reproducibility, Keras-quality errors (the source posts' Keras code: test_seed_examples)."""
import re

import numpy as np
import pytest

from rnncore import layers as L
from rnncore import optimizers
from rnncore.callbacks import EarlyStopping, LambdaCallback
from rnncore.gradcheck import numeric_gradient, rel_error
from rnncore.models import Sequential
from rnncore.utils import to_categorical

def _model_gradcheck(model, x, y, tol=1e-6):
    model.compile(optimizer="sgd", loss=model._loss_name)
    _, grads = model.loss_and_gradients(x, y)
    for layer in model.layers:
        for k, p in layer.params.items():
            num = numeric_gradient(lambda: model.loss_and_gradients(x, y)[0], p, h=1e-4)
            err = rel_error(num, grads[f"{layer.name}/{k}"])
            assert err < tol, f"{layer.name}/{k}: {err:.2e}"


def test_whole_model_gradient_masked_bilstm_gru_softmax():
    """Masking -> BiLSTM(seq) -> GRU -> Dense(softmax) with categorical cross-entropy (fused logits path)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 2))
    x[0, 3:] = 0.0       # post-padding
    x[1, :2] = 0.0       # pre-padding
    y = to_categorical([0, 2, 1], 3, dtype="float64")
    model = Sequential([L.Masking(0.0, input_shape=(5, 2)), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                        L.GRU(3), L.Dense(3, activation="softmax")], seed=0, dtype="float64", backend="numpy")
    model._loss_name = "categorical_crossentropy"
    _model_gradcheck(model, x, y)


def test_whole_model_gradient_sequence_output_with_masked_loss():
    """Per-step labels: SimpleRNN(seq) -> Dense(sigmoid) on 3-D input, masked steps excluded from the loss."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 3))
    x[1, 2:] = 0.0
    y = (rng.random((2, 4, 1)) > 0.5).astype(np.float64)
    model = Sequential([L.Masking(input_shape=(4, 3)), L.SimpleRNN(3, return_sequences=True),
                        L.Dense(1, activation="sigmoid")], seed=1, dtype="float64", backend="numpy")
    model._loss_name = "binary_crossentropy"
    _model_gradcheck(model, x, y)
    # the loss of masked steps is ignored: changing their targets changes nothing
    y2 = y.copy()
    y2[1, 2:] = 1 - y2[1, 2:]
    assert model.evaluate(x, y) == pytest.approx(model.evaluate(x, y2), abs=1e-15)


def test_whole_model_gradient_conv_pool_bilstm_danq_style():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 4))
    y = rng.integers(0, 2, (2,))
    model = Sequential([L.Conv1D(3, 3, activation="relu", padding="same", input_shape=(8, 4)),
                        L.MaxPooling1D(2), L.Dropout(0.2), L.Bidirectional(L.LSTM(2, return_sequences=True)),
                        L.Flatten(), L.Dense(2, activation="softmax")], seed=2, dtype="float64", backend="numpy")
    model._loss_name = "sparse_categorical_crossentropy"
    _model_gradcheck(model, x, y)


# ----------------------------------------------------------------------------- training on small real tasks
def test_learns_sine_continuation():
    t = np.arange(400) * 0.25
    series = np.sin(t)
    T = 10
    X = np.stack([series[i:i + T] for i in range(200)])[..., None].astype(np.float32)
    y = series[T:T + 200, None].astype(np.float32)
    model = Sequential([L.LSTM(8, input_shape=(T, 1)), L.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.Adam(0.02), loss="mean_squared_error", metrics=["mae"])
    before = model.evaluate(X, y)[0]
    hist = model.fit(X, y, epochs=15, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.1 * hist.history["loss"][0]
    assert model.evaluate(X, y)[0] < 0.01 < before


def test_learns_adding_problem():
    r = np.random.default_rng(1)
    N, T = 256, 12
    vals = r.random((N, T))
    marks = np.zeros((N, T))
    for i in range(N):
        marks[i, r.choice(T, 2, replace=False)] = 1
    X = np.stack([vals, marks], -1).astype(np.float32)
    y = (vals * marks).sum(1, keepdims=True)
    model = Sequential([L.GRU(16, input_shape=(T, 2)), L.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.Adam(0.01, global_clipnorm=1.0), loss="mse")
    hist = model.fit(X, y, epochs=30, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.05 < 1 / 6          # 1/6: predicting the mean


# ----------------------------------------------------------------------------- fit / evaluate / predict / summary
def _tiny(seed=0, **kw):
    model = Sequential([L.LSTM(4, input_shape=(6, 2)), L.Dense(3, activation="softmax")], seed=seed, **kw)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X6 = np.random.default_rng(5).random((40, 6, 2)).astype(np.float32)
Y6 = (X6[:, :, 0].sum(1) > 3).astype(int) + (X6[:, 0, 1] > 0.5)


def test_fit_logs_validation_evaluate_predict(capsys):
    model = _tiny()
    hist = model.fit(X6, Y6, epochs=2, batch_size=16, validation_split=0.25, verbose=2)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(hist.history["loss"]) == 2 and hist.epoch == [0, 1]
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Epoch")]
    assert len(lines) == 2 and "val_loss" in lines[0]
    loss, acc = model.evaluate(X6, Y6)
    p = model.predict(X6, batch_size=7)
    assert p.shape == (40, 3) and p.dtype == np.float32 and np.allclose(p.sum(1), 1, atol=1e-5)
    # evaluate's numbers are the accuracy and the cross-entropy of predict's probabilities
    assert acc == pytest.approx(np.mean(p.argmax(1) == Y6), abs=1e-12)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(40), Y6])), rel=1e-5)
    assert model.evaluate(X6, Y6, return_dict=True)["loss"] == pytest.approx(loss)
    hist = model.fit(X6, Y6, epochs=1, validation_data=(X6[:8], Y6[:8]), verbose=0, shuffle=False)
    assert "val_accuracy" in hist.history


def test_summary_matches_keras_layout():
    lines = []
    model = Sequential()
    model.add(L.LSTM(50, input_shape=(10, 1)))
    model.add(L.Dense(1))
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    row = next(line for line in lines if "(LSTM)" in line)
    assert re.search(r"lstm(_\d+)? \(LSTM\)", row) and "(None, 50)" in row and row.split()[-1] == "10,400"
    assert next(line for line in lines if "(Dense)" in line).split()[-1] == "51"
    assert "Total params: 10,451" in text and "Trainable params: 10,451" in text   # Keras: 4*(50*51+50) + 51


def test_parameter_counts_are_keras_formulas():
    """One bias for SimpleRNN and LSTM, (2, 3H) for the GRU (reset_after), as Keras
    (test_keras_parity.py checks the same against Keras itself)."""
    def count(*layers):
        return Sequential(list(layers)).count_params()
    assert count(L.Bidirectional(L.SimpleRNN(4), input_shape=(7, 2)), L.Dense(1)) == 2 * (4 * (2 + 4) + 4) + 9
    assert count(L.Bidirectional(L.GRU(8, return_sequences=True), input_shape=(60, 4)), L.Flatten(),
                 L.Dense(3)) == 2 * 3 * (8 * (4 + 8) + 2 * 8) + 60 * 16 * 3 + 3
    assert count(L.LSTM(5, use_bias=False, input_shape=(3, 2)), L.Dense(1)) == 4 * 5 * (2 + 5) + 6


def test_set_random_seed_makes_seedless_models_reproducible():
    """keras.utils.set_random_seed: a script without seed= arguments trains the same way every time."""
    import random

    from rnncore import utils
    from rnncore.utils import set_random_seed
    saved = utils._SEED_SOURCE, np.random.get_state(), random.getstate()

    def script(seed):
        set_random_seed(seed)
        x = np.random.rand(16, 6, 2)                   # NumPy's global generator is seeded too
        y = (x[:, :, 0].sum(1) > 3).astype(int)
        model = Sequential([L.LSTM(4, input_shape=(6, 2)), L.Dropout(0.3), L.Dense(2, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=4, verbose=0)   # shuffling and dropout are seeded as well
        return [random.random()] + model.get_weights()

    try:
        a, b, c = script(3), script(3), script(4)
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
        assert not np.array_equal(a[1], c[1])
        set_random_seed(3)
        first, second = L.Dense(4), L.Dense(4)
        first.build((4,)), second.build((4,))
        assert not np.array_equal(first.params["kernel"], second.params["kernel"])  # each layer its own weights
        explicit = [Sequential([L.Dense(2, input_shape=(3,))], seed=5) for _ in range(2)]
        set_random_seed(9)
        explicit[1].build()
        explicit[0].build()
        assert np.array_equal(explicit[0].get_weights()[0], explicit[1].get_weights()[0])  # seed= wins
        with pytest.raises(TypeError, match="integer seed, got 1.5"):
            set_random_seed(1.5)
        with pytest.raises(ValueError, match="non-negative"):
            set_random_seed(-1)
    finally:
        utils._SEED_SOURCE = saved[0]
        np.random.set_state(saved[1])
        random.setstate(saved[2])


def test_reproducible_for_a_seed_and_backends_agree():
    runs = []
    for _ in range(2):
        model = _tiny(seed=7)
        model.fit(X6, Y6, epochs=2, batch_size=8, verbose=0)
        runs.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
    inits = []
    for seed in (7, 7, 8):
        m = _tiny(seed=seed)
        m.build()
        inits.append(m.get_weights()[0])
    assert np.array_equal(inits[0], inits[1]) and not np.array_equal(inits[0], inits[2])
    a, b = _tiny(seed=3, backend="numpy"), _tiny(seed=3)
    b.compile(optimizer="adam", loss="sparse_categorical_crossentropy", backend="cpu")
    np.testing.assert_allclose(a.predict(X6), b.predict(X6), rtol=1e-5, atol=1e-6)
    assert a.layers[0].backend == "numpy" and b.layers[0].backend == "cpu"


def test_save_load_round_trip(tmp_path):
    model = _tiny(seed=1)
    model.fit(X6, Y6, epochs=1, verbose=0)
    path = tmp_path / "w.npz"
    model.save_weights(path)
    fresh = Sequential([L.LSTM(4), L.Dense(3, activation="softmax")])     # unbuilt: shape comes from the file
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(X6), model.predict(X6))
    with np.load(path, allow_pickle=False) as f:
        names = [layer.name for layer in model.layers]
        assert set(f.files) == {f"000.{names[0]}.kernel", f"000.{names[0]}.recurrent_kernel", f"000.{names[0]}.bias",
                                f"001.{names[1]}.kernel", f"001.{names[1]}.bias", "__layers__", "__input_shape__"}
    wrong = Sequential([L.GRU(4, input_shape=(6, 2)), L.Dense(3)])
    with pytest.raises(ValueError, match="layers"):
        wrong.load_weights(path)


def test_early_stopping_stops_and_restores():
    model = _tiny(seed=2)
    model.compile(optimizer=optimizers.SGD(1e-9), loss="sparse_categorical_crossentropy")
    seen = []
    stop = EarlyStopping(monitor="loss", patience=2, min_delta=0.1, restore_best_weights=True)
    hist = model.fit(X6, Y6, epochs=50, verbose=0,
                     callbacks=[stop, LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))])
    assert len(hist.history["loss"]) == 3 and stop.stopped_epoch == 2 and seen == [0, 1, 2]
    with pytest.raises(ValueError, match="validation_split or validation_data"):
        _tiny().fit(X6, Y6, epochs=2, verbose=0, callbacks=[EarlyStopping()])


def test_clipping_through_compile():
    model = _tiny(seed=4)
    model.compile(optimizer=optimizers.SGD(1.0, global_clipnorm=1e-3), loss="sparse_categorical_crossentropy")
    model.build()
    before = model.get_weights()
    model.fit(X6, Y6, epochs=1, batch_size=40, verbose=0)
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.get_weights(), before)))
    assert step == pytest.approx(1e-3, rel=1e-3)


# ----------------------------------------------------------------------------- Keras-quality errors
def test_keras_misuse_errors():
    model = Sequential([L.LSTM(4, input_shape=(10, 1)), L.Dense(1)])
    with pytest.raises(RuntimeError, match="compile the model"):
        model.fit(np.zeros((4, 10, 1)), np.zeros(4))
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"LSTM expects input of shape \(batch, time, features\), got a 2-D "
                                         r"array of shape \(32, 10\); add a feature axis with X\[\.\.\., None\]"):
        model.fit(np.zeros((32, 10)), np.zeros(32), verbose=0)
    bad = np.zeros((4, 10, 1))
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf in 1 sample.*sample 2"):
        model.fit(bad, np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match="different numbers of samples"):
        model.fit(np.zeros((4, 10, 1)), np.zeros(5), verbose=0)
    with pytest.raises(ValueError, match=r"expects input of shape \(batch,\) \+ \(10, 1\)"):
        model.predict(np.zeros((2, 10, 3)))
    with pytest.raises(ValueError, match="unknown loss 'mean_square_error'.*'mean_squared_error'"):
        model.compile("adam", "mean_square_error")
    with pytest.raises(ValueError, match="unknown optimizer 'Adamax'.*'adam'"):
        model.compile("Adamax", "mse")
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        model.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        model.compile("adam", "mse", backend="gpu")
    with pytest.raises(TypeError, match=r"forget the parentheses"):
        Sequential().add(L.Dense)
    with pytest.raises(ValueError, match="not been built.*input_shape"):
        Sequential([L.LSTM(3)]).summary()
    clf = Sequential([L.GRU(3, input_shape=(10, 1)), L.Dense(4, activation="softmax")])
    clf.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="to_categorical"):
        clf.fit(np.zeros((4, 10, 1)), np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match="pad_sequences"):
        clf.predict([np.zeros((3, 1)), np.zeros((5, 1))])


# ----------------------------------------------------------------------------- more of the Keras surface
def test_class_weight_reduce_lr_and_embedding_model():
    from rnncore.callbacks import ReduceLROnPlateau
    from rnncore.utils import pad_sequences
    r = np.random.default_rng(3)
    seqs = [r.integers(1, 5, r.integers(2, 7)) for _ in range(24)]
    X = pad_sequences(seqs, maxlen=6)                       # pre-padded token ids, 0 = padding
    y = np.array([int((s == 1).any()) for s in seqs])
    model = Sequential([L.Embedding(5, 3, mask_zero=True, input_shape=(6,)), L.GRU(4),
                        L.Dense(1, activation="sigmoid")], seed=0, dtype="float64")
    model.compile(optimizer=optimizers.SGD(1e-12), loss="binary_crossentropy", metrics=["accuracy"])
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1.0)
    model.fit(X, y, epochs=3, verbose=0, callbacks=[plateau])
    assert model.optimizer.learning_rate == pytest.approx(1e-12 * 0.5 ** 3)
    # class_weight {0: 0, 1: 1}: the positives' gradient, divided (as Keras) by all N samples
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.build()
    w = model.get_weights()
    model.fit(X, y, epochs=1, batch_size=24, verbose=0, shuffle=False, class_weight={0: 0.0, 1: 1.0})
    step_cw = [a - b for a, b in zip(model.get_weights(), w)]
    model.set_weights(w)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    pos = y == 1
    model.fit(X[pos], y[pos], epochs=1, batch_size=24, verbose=0, shuffle=False)
    step_pos = [a - b for a, b in zip(model.get_weights(), w)]
    for a, b in zip(step_cw, step_pos):
        np.testing.assert_allclose(a, b * pos.sum() / len(y), rtol=1e-9, atol=1e-15)
    # a class missing from the dict weighs 1, as Keras
    assert np.array_equal(model._class_weights(y, {1: 2.0}), np.where(y == 1, 2.0, 1.0))
    with pytest.raises(ValueError, match="class_weight or sample_weight, not both"):
        model.fit(X, y, epochs=1, verbose=0, class_weight={1: 2.0}, sample_weight=np.ones(len(y)))


def test_cuda_backend_matches_cpu():
    cuda = pytest.importorskip("rnncore.cuda")
    if not cuda.is_available():
        pytest.skip("no CUDA GPU and no simulator")
    X = np.random.default_rng(4).random((4, 3, 2)).astype(np.float32)
    y = X.sum(1)[:, :1]
    weights = []
    for backend in ("cpu", "cuda"):
        model = Sequential([L.Bidirectional(L.GRU(3, return_sequences=True), input_shape=(3, 2)), L.LSTM(2),
                            L.Dense(1)], seed=0, backend=backend)
        model.compile("adam", "mse")
        model.fit(X, y, epochs=1, batch_size=4, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_predict_and_evaluate_keep_no_cache_and_match_a_training_forward():
    """predict/evaluate run in layers.inference(model.layers): same numbers, no cache kept, training still works."""
    from rnncore import layers as L
    from rnncore.models import Sequential
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 12, 3)).astype(np.float32)
    y = rng.standard_normal((40, 1)).astype(np.float32)
    model = Sequential([L.LSTM(64, return_sequences=True, input_shape=(12, 3), seed=1),
                        L.GRU(8, seed=2), L.Dense(1, seed=3)])
    model.compile(optimizer="adam", loss="mse")
    with_cache = model(X)                          # a plain forward keeps what backward needs
    lstm = model.layers[0]
    assert lstm._seq_cache[0] is not None
    pred = model.predict(X, batch_size=40)
    np.testing.assert_array_equal(pred, with_cache)
    assert lstm._seq_cache[0] is None              # nothing kept for backward
    loss_before = model.evaluate(X, y, verbose=0)
    assert all(layer.keep_cache for layer in model.layers) and lstm.cell.keep_cache   # the context is left again
    model.fit(X, y, epochs=3, batch_size=20, verbose=0, shuffle=False)
    assert model.evaluate(X, y, verbose=0) < loss_before


def test_model_checkpoint_keeps_the_best_epochs_weights(tmp_path):
    """ModelCheckpoint(save_best_only=True) saves only at epochs that improve val_loss (Keras' best-weights
    saving); the last file saved holds the best epoch's weights, and loading it reproduces that val_loss."""
    from rnncore.callbacks import ModelCheckpoint
    model = _tiny(seed=4)
    model.compile(optimizer=optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    ckpt = ModelCheckpoint(str(tmp_path / "w_{epoch:02d}.npz"), monitor="val_loss", save_best_only=True)
    val = (X6[:10], Y6[:10])
    hist = model.fit(X6[10:], Y6[10:], epochs=8, batch_size=8, validation_data=val, verbose=0, shuffle=False,
                     callbacks=[ckpt]).history["val_loss"]
    improved = [i + 1 for i in range(len(hist)) if hist[i] < min(hist[:i], default=np.inf)]
    assert sorted(int(f.stem[2:]) for f in tmp_path.glob("w_*.npz")) == improved
    assert ckpt.best == min(hist) and improved[-1] == int(np.argmin(hist)) + 1
    model.load_weights(tmp_path / f"w_{improved[-1]:02d}.npz")
    assert model.evaluate(*val) == pytest.approx(min(hist), rel=1e-6)


@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_is_train_on_batch_over_its_batches(shuffle):
    """fit's loop (x checked once, batches as slices when not shuffled) trains to the same bits as
    train_on_batch on the same batches, and leaves the caller's x and y as they were."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((70, 6, 3)).astype(np.float32)
    y = rng.standard_normal((70, 1)).astype(np.float32)
    x0, y0 = x.copy(), y.copy()

    def model():
        m = Sequential([L.Input((6, 3)), L.LSTM(5), L.Dense(1)], seed=4)
        m.compile(optimizer="adam", loss="mse")
        return m
    a, b = model(), model()
    a.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0)
    for _ in range(2):
        order = b.rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for i in range(0, len(x), 16):
            b.train_on_batch(x[order[i:i + 16]], y[order[i:i + 16]])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
