"""recurrent_dropout (SimpleRNN, LSTM, GRU, Bidirectional): Keras 3's semantics, hand-written backward.

Keras draws one mask per sequence (per batch row, over the units, the same at every step, values 0
or 1/(1-rate)) and, for the LSTM and GRU, one per gate once ``recurrent_dropout`` > 0 (their cells
switch to ``implementation=1``: the input-dropout mask is then per gate too). The tests give both
libraries the same masks: rnncore's are read back from ``layer.dropout_masks`` and put into Keras by
replacing its cell's ``get_dropout_mask`` / ``get_recurrent_dropout_mask``.
"""
import numpy as np
import pytest

import keras
from keras import layers as kl

from rnncore import layers as L
from rnncore.gradcheck import check_gradients
from rnncore.models import Sequential
from rnncore.optimizers import SGD

B, T, D, H = 4, 5, 3, 4
MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 1, 1, 0]], bool)
CELLS = ["SimpleRNN", "LSTM", "GRU"]


def _inject(kcell, masks):
    """Make a Keras cell use rnncore's masks (a list of per-gate masks where Keras keeps a list)."""
    def conv(m):
        return keras.ops.convert_to_tensor(m[0]) if len(m) == 1 else [keras.ops.convert_to_tensor(a) for a in m]
    if masks["input"] is not None:
        kcell.get_dropout_mask = lambda step_input: conv(masks["input"])
    if masks["recurrent"] is not None:
        kcell.get_recurrent_dropout_mask = lambda step_input: conv(masks["recurrent"])


def _keras_and_rnncore(cls, **kw):
    keras.utils.set_random_seed(0)
    k = getattr(kl, cls)(H, **kw)
    k.build((None, T, D))
    r = getattr(L, cls)(H, backend="numpy", seed=5, **kw)
    r.build((T, D))
    r.set_weights([keras.ops.convert_to_numpy(w) for w in k.weights])
    return k, r


# ----------------------------------------------------------------------------- the hand-written backward
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("cls", CELLS)
def test_gradients_match_central_differences(cls, go_backwards, masked):
    """float64, fixed masks: dx, the weights' and the initial states' gradients of the per-step path
    (through every output and the final states) against central differences."""
    rng = np.random.default_rng(1)
    layer = getattr(L, cls)(H, dropout=0.3, recurrent_dropout=0.4, return_sequences=True, return_state=True,
                            go_backwards=go_backwards, dtype="float64", seed=2, backend="numpy")
    layer.build((T, D))
    x = rng.standard_normal((B, T, D))
    s0 = [rng.standard_normal((B, H)) for _ in range(2 if cls == "LSTM" else 1)]
    mask = MASK if masked else None
    layer(x, training=True, mask=mask, initial_state=s0)
    m = layer.dropout_masks
    assert m["recurrent"].shape == ((4 if cls == "LSTM" else 3 if cls == "GRU" else 1), B, H)
    assert 0 < np.count_nonzero(m["recurrent"]) < m["recurrent"].size       # some units dropped, not all
    layer.set_dropout_masks(m["input"], m["recurrent"])
    out = layer.forward(x, training=True, mask=mask, initial_state=s0)
    douts = [rng.standard_normal(o.shape) for o in out]

    def f():
        o = layer.forward(x, training=True, mask=mask, initial_state=s0)
        return sum(float((a * b).sum()) for a, b in zip(o, douts))

    f()
    dx = layer.backward(douts)
    inputs = {"x": x, **layer.params, **{f"s0_{i}": s for i, s in enumerate(s0)}}
    analytic = {"x": dx, **layer.grads, **{f"s0_{i}": g for i, g in enumerate(layer.initial_state_grads)}}
    errors = check_gradients(f, inputs, analytic, verbose=False)
    assert max(errors.values()) < 1e-6, errors


# ----------------------------------------------------------------------------- Keras: the same numbers
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("cls", CELLS)
def test_training_forward_is_keras_with_the_same_masks(cls, masked):
    k, r = _keras_and_rnncore(cls, dropout=0.25, recurrent_dropout=0.4, return_sequences=True, return_state=True)
    x = np.random.default_rng(3).standard_normal((B, T, D)).astype("float32")
    mask = MASK if masked else None
    r_out = r(x, training=True, mask=mask)
    _inject(k.cell, r.dropout_masks)
    k_out = k(x, training=True, mask=None if mask is None else keras.ops.convert_to_tensor(mask))
    assert len(r_out) == len(k_out)
    for a, b in zip(r_out, k_out):
        np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), atol=2e-6, rtol=0)
    # the masks matter: without them (inference) the output is another one
    assert np.abs(r(x, training=False, mask=mask)[0] - r_out[0]).max() > 1e-3


def test_bidirectional_training_forward_is_keras():
    keras.utils.set_random_seed(0)
    k = kl.Bidirectional(kl.GRU(H, recurrent_dropout=0.3, return_sequences=True))
    k.build((None, T, D))
    r = L.Bidirectional(L.GRU(H, recurrent_dropout=0.3, return_sequences=True, backend="numpy"), seed=4)
    r.build((T, D))
    r.set_weights([keras.ops.convert_to_numpy(w) for w in k.weights])
    x = np.random.default_rng(4).standard_normal((B, T, D)).astype("float32")
    r_out = r(x, training=True, mask=MASK)
    _inject(k.forward_layer.cell, r.forward_layer.dropout_masks)
    _inject(k.backward_layer.cell, r.backward_layer.dropout_masks)
    assert not np.array_equal(r.forward_layer.dropout_masks["recurrent"], r.backward_layer.dropout_masks["recurrent"])
    k_out = k(x, training=True, mask=keras.ops.convert_to_tensor(MASK))
    np.testing.assert_allclose(r_out, keras.ops.convert_to_numpy(k_out), atol=2e-6, rtol=0)


@pytest.mark.parametrize("cls", CELLS)
def test_sgd_training_is_keras_with_the_same_masks(cls):
    """Embedding-free model: masked inputs -> RNN(dropout, recurrent_dropout) -> Dense; two epochs of SGD
    (two batches each) with the masks fixed in both libraries: loss history and weights agree."""
    keras.utils.set_random_seed(0)
    km = keras.Sequential([keras.Input((T, D)), kl.Masking(0.0), getattr(kl, cls)(H, dropout=0.2, recurrent_dropout=0.3),
                           kl.Dense(1)])
    rm = Sequential([L.Input((T, D)), L.Masking(0.0), getattr(L, cls)(H, dropout=0.2, recurrent_dropout=0.3, seed=7),
                     L.Dense(1)], backend="numpy")
    rm.set_weights(km.get_weights())
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2 * B, T, D)).astype("float32")
    x[1, 3:] = 0.0                        # padded steps
    x[6, :2] = 0.0
    y = rng.standard_normal((2 * B, 1)).astype("float32")
    r_rnn = rm.layers[1]
    r_rnn(x[:B], training=True)          # draw masks once, then fix them in both
    masks = r_rnn.dropout_masks
    r_rnn.set_dropout_masks(masks["input"], masks["recurrent"])
    _inject(km.layers[1].cell, masks)
    km.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    rm.compile(optimizer=SGD(0.1), loss="mse")
    hk = km.fit(x, y, epochs=2, batch_size=B, shuffle=False, verbose=0).history
    hr = rm.fit(x, y, epochs=2, batch_size=B, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hr["loss"], hk["loss"], atol=1e-5, rtol=0)
    for a, b in zip(km.get_weights(), rm.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=0)
    # and one train_on_batch step more
    lk = km.train_on_batch(x[:B], y[:B])
    lr = rm.train_on_batch(x[:B], y[:B])
    np.testing.assert_allclose(np.ravel(lr)[0], np.ravel(lk)[0], atol=1e-5)
    for a, b in zip(km.get_weights(), rm.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=0)


# ----------------------------------------------------------------------------- the rest of the contract
@pytest.mark.parametrize("cls", CELLS)
def test_inference_is_unchanged_and_every_backend_trains_the_same(cls):
    x = np.random.default_rng(6).standard_normal((B, T, D))
    plain = getattr(L, cls)(H, dtype="float64", seed=1)
    drop = getattr(L, cls)(H, recurrent_dropout=0.5, dtype="float64", seed=1)
    plain.build((T, D))
    drop.build((T, D))
    drop.set_weights(plain.get_weights())
    np.testing.assert_array_equal(drop(x, training=False), plain(x, training=False))
    outs = []
    for backend in ("numpy", "cpu"):
        layer = getattr(L, cls)(H, recurrent_dropout=0.5, dtype="float64", seed=1, backend=backend)
        layer.build((T, D))
        layer.set_weights(plain.get_weights())
        outs.append(layer(x, training=True))
    np.testing.assert_array_equal(outs[0], outs[1])       # the same seeded masks, the same per-step path


def test_masks_are_drawn_once_per_sequence_from_the_seeded_generator():
    x = np.ones((200, T, D))
    a, b = (L.LSTM(8, dropout=0.3, recurrent_dropout=0.5, seed=9, dtype="float64") for _ in range(2))
    for layer in (a, b):
        layer.build((T, D))
    a(x, training=True)
    b(x, training=True)
    ma, mb = a.dropout_masks, b.dropout_masks
    np.testing.assert_array_equal(ma["recurrent"], mb["recurrent"])
    assert ma["input"].shape == (4, 200, D) and ma["recurrent"].shape == (4, 200, 8)
    assert set(np.unique(ma["recurrent"])) == {0.0, 2.0}
    assert set(np.unique(ma["input"])) == {0.0, 1 / 0.7}
    assert abs(np.mean(ma["recurrent"] == 0) - 0.5) < 0.03
    a(x, training=True)                   # a new batch, new masks
    assert not np.array_equal(a.dropout_masks["recurrent"], ma["recurrent"])
    s = L.SimpleRNN(3, recurrent_dropout=0.2, seed=1)
    s.build((T, D))
    s(x, training=True)
    assert s.dropout_masks["input"] is None and s.dropout_masks["recurrent"].shape == (1, 200, 3)


def test_bad_masks_and_rates_raise_naming_the_argument():
    layer = L.GRU(H, recurrent_dropout=0.2)
    layer.build((T, D))
    with pytest.raises(ValueError, match=r"GRU: recurrent_mask must have shape \(3, batch, features\)"):
        layer.set_dropout_masks(recurrent_mask=np.ones((B, H)))
    with pytest.raises(ValueError, match="GRU: input_mask given but the layer's dropout is 0"):
        layer.set_dropout_masks(input_mask=np.ones((3, B, D)))
    layer.set_dropout_masks(recurrent_mask=np.ones((3, B, H)))
    with pytest.raises(ValueError, match=r"recurrent_mask set by set_dropout_masks has shape \(3, 4, 4\), "
                                         r"but this batch needs \(3, 2, 4\)"):
        layer(np.ones((2, T, D)), training=True)
    with pytest.raises(ValueError, match=r"LSTM: recurrent_dropout must be in \[0, 1\), got 1.0"):
        L.LSTM(3, recurrent_dropout=1.0)
    with pytest.raises(TypeError, match="SimpleRNN: recurrent_dropout must be a number"):
        L.SimpleRNN(3, recurrent_dropout="0.2")
