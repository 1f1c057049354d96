"""The Keras code of the five source blog posts (quoted in ``tests/seed_snippets``) runs on rnncore with
only the imports changed, and gives Keras' numbers.

Each test runs a post's code twice: under Keras 3 (``tensorflow.keras`` imports read as ``keras``;
the unused ``import tensorflow as tf`` dropped) and under rnncore (``keras.*`` imports read as
``rnncore.*``). What a post leaves undefined (a data loader, ``X_train``, ...) is defined first,
as small synthetic data of the shape the code implies. The code is cut just before
``model.compile``: rnncore's model then takes the Keras model's initial weights
(``set_weights(keras_model.get_weights())``), and both run the rest. Loss histories,
metrics and predictions must agree. Where a post trains on more than one batch, the comparison
adds ``shuffle=False`` to its ``fit`` (a named edit): the two libraries shuffle with different
random generators.
"""
import random
import re
import warnings

import keras
import numpy as np
import pytest

from rnncore import utils
from rnncore.utils import set_random_seed
from seed_snippets import SNIPPETS


@pytest.fixture(autouse=True)
def _restore_global_seeds(monkeypatch):
    """set_random_seed changes process-wide state (as Keras'); put it back for the tests that follow."""
    monkeypatch.setattr(utils, "_SEED_SOURCE", utils._SEED_SOURCE)
    np_state, py_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(np_state)
    random.setstate(py_state)


def to_keras(code):
    code = re.sub(r"^from tensorflow\.keras\.", "from keras.", code, flags=re.M)
    return re.sub(r"^import tensorflow as tf\n", "", code, flags=re.M)


def to_rnncore(code):
    """The only change a user makes: the imports."""
    code = re.sub(r"^from (?:tensorflow\.)?keras\.(models|layers|utils) import", r"from rnncore.\1 import",
                  to_keras(code), flags=re.M)
    assert "keras" not in code
    return code


def edit(code, old, new):
    """One named change to a snippet (it must occur exactly once)."""
    assert code.count(old) == 1, old
    return code.replace(old, new)


def run(code, name, ns):
    exec(compile(code, name, "exec"), ns)
    return ns


def run_both(stem, defined=None, edits=()):
    """Run a post's code in Keras and in rnncore from the same initial weights; returns both namespaces."""
    code = SNIPPETS[stem].code
    for old, new in edits:
        code = edit(code, old, new)
    cut = code.index("model.compile(") if "model.compile(" in code else len(code)
    head, tail = code[:cut], code[cut:]
    keras.utils.set_random_seed(0)          # also seeds NumPy: a post's np.random data is the same in both
    k = run(to_keras(head), f"keras_{stem}", dict(defined or {}))
    set_random_seed(0)
    with warnings.catch_warnings():         # the Keras code runs as written: no warning
        warnings.simplefilter("error")
        r = run(to_rnncore(head), f"rnncore_{stem}", dict(defined or {}))
    r["model"].set_weights(k["model"].get_weights())
    if tail:
        run(to_keras(tail), f"keras_{stem}", k)
        run(to_rnncore(tail), f"rnncore_{stem}", r)
    return k, r


def assert_same_model(k, r):
    """Same layers, parameter counts and summary totals as Keras."""
    km, rm = k["model"], r["model"]
    assert [type(a).__name__ for a in km.layers] == [type(b).__name__ for b in rm.layers]
    assert [a.count_params() for a in km.layers] == [b.count_params() for b in rm.layers]
    lines = []
    rm.summary(print_fn=lines.append)
    assert f"Total params: {km.count_params():,}" in "\n".join(lines)


def assert_same_history(k, r, rtol):
    hk, hr = k["model"].history.history, r["model"].history.history
    assert set(hk) == set(hr)
    for key in hk:
        np.testing.assert_allclose(hr[key], hk[key], rtol=rtol, atol=1e-6, err_msg=key)
    return hr


def test_snippets_are_quoted_with_their_source():
    assert sorted(SNIPPETS) == ["000", "001", "002", "003", "004"]
    for stem, s in SNIPPETS.items():
        assert s.source.startswith(stem + "_") and s.title and s.section
        assert "from keras." in s.code or "from tensorflow.keras." in s.code


def test_seed_000_lstm_classifier_on_gene_expression(capsys):
    """LSTM(relu) + softmax Dense on one-hot gene-expression classes."""
    def load_gene_expression_data():
        """The post's loader is undefined. Stand-in: 32 samples x 12 time points x 5 genes as Python lists
        (one batch of 32, so fit's shuffling changes nothing), 3 classes, integer labels."""
        g = np.random.default_rng(0)
        X = g.standard_normal((32, 12, 5))
        y = (X[:, :, 0].mean(1) > 0).astype(int) + (X[:, :, 1].mean(1) > 0)
        return [x.tolist() for x in X], y.tolist()

    k, r = run_both("000", {"load_gene_expression_data": load_gene_expression_data})
    assert_same_model(k, r)
    assert r["model"].layers[0].activation == "relu"
    hist = assert_same_history(k, r, rtol=1e-4)
    assert r["model"].history.epoch == list(range(10)) and set(hist) == {"loss", "accuracy"}
    assert hist["loss"][-1] < hist["loss"][0]           # 10 Adam steps (one batch per epoch)
    assert "Epoch 10/10" in capsys.readouterr().err     # verbose=1 (the default): a progress bar per epoch
    X, y = r["X"], r["y"]
    p = r["model"].predict(X)
    np.testing.assert_allclose(p, k["model"].predict(X, verbose=0), atol=1e-5)
    assert r["model"].evaluate(X, y)[0] == pytest.approx(-np.mean(np.sum(y * np.log(p), axis=1)), rel=1e-4)


def test_seed_001_lstm_sigmoid_on_random_data_reports_keras_accuracy_zero(capsys):
    """LSTM(relu) + sigmoid Dense trained with binary cross-entropy on uniform noise targets.

    Keras compares ``y_true == (y_pred > 0.5)`` without thresholding ``y_true``: no target of
    ``np.random.rand`` is exactly 0 or 1, so the accuracy is 0 in every epoch, in Keras and here.
    """
    k, r = run_both("001", edits=[("batch_size=32)", "batch_size=32, shuffle=False)")])
    assert_same_model(k, r)
    hist = assert_same_history(k, r, rtol=1e-4)
    assert hist["accuracy"] == [0.0] * 10
    # y is independent of X: the loss goes down to the cross-entropy of predicting y's mean
    y = r["y"]
    m = y.mean()
    floor = -np.mean(y * np.log(m) + (1 - y) * np.log(1 - m))
    assert hist["loss"][-1] < hist["loss"][0] and abs(hist["loss"][-1] - floor) < 5e-3
    assert "Epoch 10/10" in capsys.readouterr().err


def test_seed_002_model_definition_only():
    """The model is only defined (no compile, no data): summary and predict work before any data."""
    k, r = run_both("002")
    assert_same_model(k, r)
    x = np.random.default_rng(0).standard_normal((7, 10, 1)).astype("float32")
    np.testing.assert_allclose(r["model"].predict(x), k["model"].predict(x, verbose=0), atol=1e-5)
    with pytest.raises(RuntimeError, match="compile the model"):
        r["model"].fit(x, np.zeros((7, 1)))


def test_seed_003_lstm_regression_of_counts(capsys):
    """LSTM + Dense(1) trained with MSE for 100 epochs, then predict on X_test."""
    # Undefined in the post: time_steps, num_features, X_train, y_train, X_test. Stand-in: 10 time points
    # of 3 measurements (32 training samples: one batch); the target sums the first measurement over the
    # last 3 time points.
    g = np.random.default_rng(1)
    X_train = g.standard_normal((32, 10, 3)).astype("float32")
    y_train = X_train[:, -3:, 0].sum(axis=1, keepdims=True)
    X_test = g.standard_normal((16, 10, 3)).astype("float32")
    y_test = X_test[:, -3:, 0].sum(axis=1, keepdims=True)
    k, r = run_both("003", dict(time_steps=10, num_features=3, X_train=X_train, y_train=y_train, X_test=X_test))
    assert_same_model(k, r)
    hist = assert_same_history(k, r, rtol=1e-3)
    assert len(hist["loss"]) == 100 and set(hist) == {"loss"} and hist["loss"][-1] < 0.1 * hist["loss"][0]
    assert "Epoch 100/100" in capsys.readouterr().err
    np.testing.assert_allclose(r["predictions"], k["predictions"], atol=1e-3)
    assert np.mean((r["predictions"] - y_test) ** 2) < np.var(y_test)    # better than predicting the mean


def test_seed_004_simple_rnn_fails_as_in_keras_then_runs_when_corrected(capsys):
    """The post's code does not run under Keras either:

    1. its X has shape (1, 20), so ``X.shape[2]`` raises NumPy's IndexError before any layer is built;
    2. with a feature axis, X (1, 20, 1), its one-hot y (1, 20) does not suit
       'sparse_categorical_crossentropy' (rnncore names the fix);
    3. with loss='categorical_crossentropy' it trains, as in Keras.
    """
    with pytest.raises(IndexError, match="tuple index out of range"):
        run(to_keras(SNIPPETS["004"].code), "keras_004", {})
    with pytest.raises(IndexError, match="tuple index out of range"):
        run(to_rnncore(SNIPPETS["004"].code), "rnncore_004", {})
    features = ("\nmodel = Sequential()", "\nX = X[..., None]\nmodel = Sequential()")
    with_features = edit(SNIPPETS["004"].code, *features)
    with pytest.raises(ValueError, match="target.shape=torch.Size\\(\\[1, 20\\]\\)"):
        run(to_keras(with_features), "keras_004", {})
    with pytest.raises(ValueError, match=r"integer targets of shape \(1, 20\) do not match the model output of "
                                         r"shape \(1, 20\).*targets look one-hot: use "
                                         r"loss='categorical_crossentropy'"):
        run(to_rnncore(with_features), "rnncore_004", {})
    capsys.readouterr()
    k, r = run_both("004", edits=[features, ("loss='sparse_categorical_crossentropy'",
                                             "loss='categorical_crossentropy'")])
    out, err = capsys.readouterr()
    assert out == "" and err == ""                     # verbose=0: silent
    assert_same_model(k, r)
    hist = assert_same_history(k, r, rtol=1e-4)
    assert len(hist["loss"]) == 100 and set(hist) == {"loss", "accuracy"}
    p = r["model"].predict(r["X"])
    np.testing.assert_allclose(p, k["model"].predict(k["X"], verbose=0), atol=1e-5)
    assert p.argmax() == r["y"].argmax() == 1
