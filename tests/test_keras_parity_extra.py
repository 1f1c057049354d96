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
