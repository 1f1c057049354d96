"""Decoupled weight decay (``weight_decay=``, ``AdamW``) against Keras 3 (torch backend, set by conftest.py).

Keras applies ``variable -= variable * weight_decay * learning_rate`` to every trainable variable
after clipping and before the optimiser's own update (``BaseOptimizer._apply_weight_decay``).
The tests check one step by hand, many steps of every optimiser against Keras' optimisers on the
same quadratic, and two epochs of a recurrent model trained by both.
"""
import numpy as np
import pytest

import keras
from keras import layers as kl

from rnncore import layers as L
from rnncore import optimizers
from rnncore.models import Sequential


def test_one_step_by_hand():
    # SGD, lr 0.1, decay 0.5: p <- p - p * 0.5 * 0.1, then p <- p - 0.1 g
    p = np.array([1.0, -2.0, 4.0])
    g = np.array([0.5, 0.0, -1.0])
    optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(p, g)])
    np.testing.assert_allclose(p, np.array([1.0, -2.0, 4.0]) * 0.95 - 0.1 * g, rtol=1e-15)
    # with a zero gradient, Adam's update is zero and only the decay acts
    q = np.array([1.0, -2.0])
    opt = optimizers.AdamW(0.01, weight_decay=0.1)
    for _ in range(3):
        opt.apply_gradients([(q, np.zeros(2))])
    np.testing.assert_allclose(q, np.array([1.0, -2.0]) * (1 - 0.001) ** 3, rtol=1e-15)
    # decay after clipping: the clipped gradient moves, the decay is not clipped
    r = np.array([10.0, 0.0])
    optimizers.SGD(1.0, weight_decay=0.5, clipnorm=1.0).apply_gradients([(r, np.array([0.0, 100.0]))])
    np.testing.assert_allclose(r, [5.0, -1.0], rtol=1e-15)


def _keras_quadratic(kopt, A, w0, steps):
    w = keras.Variable(w0.astype("float32"))
    tA = keras.ops.convert_to_tensor(A.astype("float32"))
    for _ in range(steps):
        g = keras.ops.matmul(tA, w.value)               # gradient of 0.5 w^T A w
        kopt.apply_gradients([(g, w)])
    return keras.ops.convert_to_numpy(w.value)


@pytest.mark.parametrize("name,ours,theirs", [
    ("sgd", lambda: optimizers.SGD(0.05, weight_decay=0.3),
     lambda: keras.optimizers.SGD(0.05, weight_decay=0.3)),
    ("momentum", lambda: optimizers.SGD(0.05, momentum=0.9, weight_decay=0.3),
     lambda: keras.optimizers.SGD(0.05, momentum=0.9, weight_decay=0.3)),
    # a large epsilon: Keras divides by sqrt(v + eps), PyTorch by sqrt(v) + eps; only Keras' form passes
    ("rmsprop", lambda: optimizers.RMSprop(0.01, epsilon=0.1, weight_decay=0.5),
     lambda: keras.optimizers.RMSprop(0.01, epsilon=0.1, weight_decay=0.5)),
    ("adam", lambda: optimizers.Adam(0.02, weight_decay=0.5),
     lambda: keras.optimizers.Adam(0.02, weight_decay=0.5)),
    ("adamw_default", lambda: optimizers.AdamW(0.02), lambda: keras.optimizers.AdamW(0.02)),
    ("adamw_clipnorm", lambda: optimizers.AdamW(0.02, weight_decay=1.0, clipnorm=0.5),
     lambda: keras.optimizers.AdamW(0.02, weight_decay=1.0, clipnorm=0.5)),
    ("adagrad", lambda: optimizers.Adagrad(0.05, weight_decay=0.5),
     lambda: keras.optimizers.Adagrad(0.05, weight_decay=0.5)),
])
def test_optimizers_with_weight_decay_match_keras(name, ours, theirs):
    rng = np.random.default_rng(7)
    A = rng.standard_normal((6, 6))
    A = A @ A.T / 6 + 0.1 * np.eye(6)
    w0 = rng.standard_normal(6).astype("float32")
    w = w0.copy()
    opt = ours()
    for _ in range(40):
        opt.apply_gradients([(w, (A.astype("float32") @ w))])
    expected = _keras_quadratic(theirs(), A, w0, 40)
    np.testing.assert_allclose(w, expected, rtol=1e-4, atol=1e-5, err_msg=name)   # float32, 40 steps
    # and the decay made a difference that the tolerance can see
    plain = w0.copy()
    cfg = {k: v for k, v in opt.get_config().items() if k != "name"}
    cfg["weight_decay"] = None
    no_decay = (optimizers.Adam if isinstance(opt, optimizers.AdamW) else type(opt))(**cfg)
    for _ in range(40):
        no_decay.apply_gradients([(plain, (A.astype("float32") @ plain))])
    assert np.max(np.abs(plain - w)) > 1e-3


@pytest.mark.parametrize("opt", ["sgd", "adamw"])
def test_training_with_weight_decay_as_keras(opt):
    keras.utils.set_random_seed(3)
    km = keras.Sequential([keras.Input((5, 3)), kl.GRU(4, return_sequences=True), kl.Flatten(),
                           kl.Dense(3, activation="softmax")])
    rm = Sequential([L.Input((5, 3)), L.GRU(4, return_sequences=True), L.Flatten(),
                     L.Dense(3, activation="softmax")], backend="numpy")
    rm.set_weights(km.get_weights())
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 5, 3)).astype("float32")
    y = rng.integers(0, 3, 9)
    if opt == "sgd":
        km.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2),
                   loss="sparse_categorical_crossentropy")
        rm.compile(optimizer=optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2),
                   loss="sparse_categorical_crossentropy")
    else:
        km.compile(optimizer=keras.optimizers.AdamW(0.01, weight_decay=0.5), loss="sparse_categorical_crossentropy")
        rm.compile(optimizer="adamw", loss="sparse_categorical_crossentropy")
        rm.optimizer.learning_rate, rm.optimizer.weight_decay = 0.01, 0.5
    hk = km.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-4, rtol=0)
    for a, b in zip(km.get_weights(), rm.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=0)


def test_weight_decay_shrinks_weights_in_training():
    # the same run with and without decay: the decayed weights have the smaller norm
    def trained(wd):
        m = Sequential([L.Input((5, 3)), L.GRU(4), L.Dense(1)], seed=0, backend="numpy")
        m.compile(optimizer=optimizers.Adam(0.01, weight_decay=wd), loss="mse")
        rng = np.random.default_rng(0)
        m.fit(rng.standard_normal((16, 5, 3)), rng.standard_normal((16, 1)), epochs=5, batch_size=4, verbose=0)
        return np.sqrt(sum(np.sum(w.astype(np.float64) ** 2) for w in m.get_weights()))
    assert trained(2.0) < 0.95 * trained(None)


def test_weight_decay_errors():
    with pytest.raises(TypeError, match="weight_decay must be a number"):
        optimizers.Adam(weight_decay="0.1")
    with pytest.raises(ValueError, match="weight_decay must be in"):
        optimizers.SGD(weight_decay=-0.1)
    with pytest.raises(ValueError, match="AdamW: weight_decay must be a number"):
        optimizers.AdamW(weight_decay=None)
    assert isinstance(optimizers.get("adamw"), optimizers.AdamW) and optimizers.get("adamw").weight_decay == 0.004
    assert "weight_decay=0.1" in repr(optimizers.SGD(weight_decay=0.1))
