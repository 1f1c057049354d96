"""Keras parity for what tests/test_keras_parity.py does not cover: ``return_state=True`` with a
mask that hides steps, and ``weighted_metrics``. Keras 3 (torch backend, set by conftest.py) is
the reference; its gradients come from torch autograd through the Keras layer.
"""
import numpy as np
import pytest
import torch

import keras
from keras import layers as kl

from rnncore import layers as L
from rnncore.models import Sequential
from rnncore.optimizers import SGD

B, T, D, H = 5, 6, 3, 4
# post-padding, pre-padding, a gap, full, and one sample with no valid step at all
MASK = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1],
                 [0, 0, 0, 0, 0, 0]], bool)


def _grads_of_keras(k, x, mask, initial_state, douts):
    """Outputs of the Keras layer and the gradients of sum(out * dout) w.r.t. x, its weights, the initial states."""
    xt = torch.tensor(x, requires_grad=True)
    s0 = None if initial_state is None else [torch.tensor(s, requires_grad=True) for s in initial_state]
    out = k(xt, mask=torch.tensor(mask), initial_state=s0)
    loss = sum((o * torch.tensor(d)).sum() for o, d in zip(out, douts))
    loss.backward()
    return ([o.detach().numpy() for o in out], xt.grad.numpy(), [w.value.grad.numpy() for w in k.trainable_weights],
            None if s0 is None else [s.grad.numpy() for s in s0])


@pytest.mark.parametrize("with_initial_state", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_return_state_with_a_mask_is_keras(cls, return_sequences, go_backwards, with_initial_state):
    """The final states are each sample's state after its last valid step (its initial state when
    none is valid), as in Keras; so are the gradients through the outputs and the states."""
    kw = dict(return_state=True, return_sequences=return_sequences, go_backwards=go_backwards)
    keras.utils.set_random_seed(0)
    k = getattr(kl, cls)(H, **kw)
    k.build((None, T, D))
    r = getattr(L, cls)(H, backend="numpy", **kw)
    r.build((T, D))
    r.set_weights([keras.ops.convert_to_numpy(w) for w in k.weights])
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, D)).astype("float32")
    n_states = 2 if cls == "LSTM" else 1
    s0 = [rng.standard_normal((B, H)).astype("float32") for _ in range(n_states)] if with_initial_state else None
    r_out = r(x, mask=MASK, initial_state=s0, training=True)
    assert len(r_out) == 1 + n_states
    douts = [rng.standard_normal(o.shape).astype("float32") for o in r_out]
    k_out, k_dx, k_grads, k_ds0 = _grads_of_keras(k, x, MASK, s0, douts)
    for a, b in zip(r_out, k_out):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    dx = r.backward(douts)
    np.testing.assert_allclose(dx, k_dx, atol=1e-5, rtol=0)
    for name, kg in zip(r.grads, k_grads):
        np.testing.assert_allclose(r.grads[name], kg, atol=1e-5, rtol=0, err_msg=name)
    if with_initial_state:
        for a, b in zip(r.initial_state_grads, k_ds0):
            np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    # the masked sample: its final states are its initial states (zeros without them)
    for s, s_init in zip(r_out[1:], s0 or [np.zeros((B, H), "float32")] * n_states):
        np.testing.assert_array_equal(s[4], s_init[4])


def test_return_state_with_a_mask_runs_on_the_cpu_kernels_as_on_numpy():
    """The LSTM's masked return_state runs the kernels once per group of equal lengths: the CPU
    kernels give the NumPy reference's states and gradients (float64)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, T, D))
    douts = [rng.standard_normal((B, H)) for _ in range(3)]
    results = []
    for backend in ("numpy", "cpu"):
        layer = L.LSTM(H, return_state=True, dtype="float64", seed=3, backend=backend)
        out = layer(x, mask=MASK, training=True)
        dx = layer.backward(douts)
        results.append((out, dx, dict(layer.grads)))
    (o1, dx1, g1), (o2, dx2, g2) = results
    for a, b in zip(o1 + [dx1] + list(g1.values()), o2 + [dx2] + list(g2.values())):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=0)


# ----------------------------------------------------------------------------- weighted_metrics
def _weighted_pair(metrics, weighted_metrics):
    keras.utils.set_random_seed(0)
    km = keras.Sequential([keras.Input((T, D)), kl.GRU(3), kl.Dense(1, activation="sigmoid")])
    rm = Sequential([L.Input((T, D)), L.GRU(3), L.Dense(1, activation="sigmoid")], backend="numpy")
    rm.set_weights(km.get_weights())
    km.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=metrics,
               weighted_metrics=weighted_metrics)
    rm.compile(optimizer=SGD(0.5), loss="binary_crossentropy", metrics=metrics, weighted_metrics=weighted_metrics)
    return km, rm


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight", "split_sample_weight", "split_class_weight",
                                       "weighted_only"])
def test_weighted_metrics_are_keras(weighting):
    """History (names and values, validation included) and evaluate: a metric in both lists is logged
    as accuracy (unweighted) and weighted_accuracy; class weights weigh the training data only."""
    metrics, weighted = (None, ["accuracy", "mse"]) if weighting == "weighted_only" else (["accuracy"],
                                                                                          ["accuracy", "mse"])
    km, rm = _weighted_pair(metrics, weighted)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, T, D)).astype("float32")
    y = rng.integers(0, 2, (10, 1))
    sw = np.linspace(0.2, 3.0, 10).astype("float32")
    kw = {"sample_weight": {"sample_weight": sw, "split_sample_weight": sw, "weighted_only": sw},
          "class_weight": {"class_weight": {0: 0.5, 1: 3.0}, "split_class_weight": {0: 0.5, 1: 3.0}}}
    fit_kw = dict(epochs=2, batch_size=4, shuffle=False, verbose=0)
    for key, values in kw.items():
        if weighting in values:
            fit_kw[key] = values[weighting]
    if weighting.startswith("split"):
        fit_kw["validation_split"] = 0.3
    else:
        fit_kw["validation_data"] = (x[:6], y[:6], sw[:6]) if "sample_weight" in fit_kw else (x[:6], y[:6])
    hk = km.fit(x, y, **fit_kw).history
    hr = rm.fit(x, y, **fit_kw).history
    expected = {"loss", "accuracy", "mse"} | ({"weighted_accuracy"} if metrics else set())
    assert set(hr) == set(hk) == expected | {f"val_{k}" for k in expected}
    for k in hk:
        np.testing.assert_allclose(hr[k], hk[k], atol=1e-5, rtol=0, err_msg=k)
    if metrics:     # the weights matter
        assert not np.allclose(hr["accuracy"], hr["weighted_accuracy"])
    ek = km.evaluate(x, y, sample_weight=sw, batch_size=4, verbose=0, return_dict=True)
    er = rm.evaluate(x, y, sample_weight=sw, batch_size=4, return_dict=True)
    assert set(er) == set(ek)
    for k in ek:
        np.testing.assert_allclose(er[k], ek[k], atol=1e-5, rtol=0, err_msg=k)


def test_weighted_metrics_per_position_with_a_mask():
    """Per-position labels with padding: a weighted metric weighs each valid position by its sample's
    weight (Keras 3.15 raises here, broadcasting (batch,) weights against (batch, time) values), so
    the reference is computed directly."""
    rm = Sequential([L.Input((T, D)), L.Masking(0.0), L.LSTM(4, return_sequences=True),
                     L.TimeDistributed(L.Dense(3, activation="softmax"))], backend="numpy", seed=0)
    rm.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
               weighted_metrics=["accuracy"])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, T, D)).astype("float32")
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    y = rng.integers(0, 3, (4, T))
    sw = np.array([0.5, 2.0, 1.0, 3.0])
    logs = rm.evaluate(x, y, sample_weight=sw, return_dict=True)
    correct = rm.predict(x).argmax(-1) == y
    valid = np.any(x != 0, axis=-1)
    w = sw[:, None] * valid
    assert logs["accuracy"] == pytest.approx(correct[valid].mean())
    assert logs["weighted_accuracy"] == pytest.approx((correct * w).sum() / w.sum())
    assert logs["weighted_accuracy"] != pytest.approx(logs["accuracy"])


def test_weighted_metrics_bad_arguments_name_it():
    rm = Sequential([L.Input((T, D)), L.GRU(3), L.Dense(1)])
    with pytest.raises(ValueError, match="compile: weighted_metrics: unknown metric 'acuracy'"):
        rm.compile(optimizer="sgd", loss="mse", weighted_metrics=["acuracy"])
    with pytest.raises(TypeError, match="compile: weighted_metrics must be a list of names or functions, got 3"):
        rm.compile(optimizer="sgd", loss="mse", weighted_metrics=3)
