"""Attention pooling: the NumPy reference (rnncore.reference.attention) and the AttentionPooling layer.

Gradients against central differences (float64) and against PyTorch autograd; masking;
bad input; the layer inside a Sequential model (gradients, summary, weights, training).
"""
import numpy as np
import pytest
import torch

from rnncore.gradcheck import check_gradients, numeric_gradient
from rnncore.layers import GRU, AttentionPooling, Bidirectional, Dense, Embedding
from rnncore.models import Sequential
from rnncore.reference import attention as att

B, T, H, A = 4, 7, 5, 6


def make(seed=0, dtype=np.float64, masked=True):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((B, T, H)).astype(dtype)
    W = (rng.standard_normal((A, H)) * 0.7).astype(dtype)
    b = (rng.standard_normal(A) * 0.3).astype(dtype)
    v = rng.standard_normal(A).astype(dtype)
    mask = np.ones((B, T), dtype=bool)
    if masked:
        mask[1, 4:] = False       # post-padding
        mask[2, :3] = False       # pre-padding
        mask[3, [1, 5]] = False   # holes
    return h, W, b, v, mask


def assert_gradient(numeric, analytic, name):
    # relative 1e-6 with an absolute floor: an entry near 0 (a masked step, a saturated unit)
    # has a central difference of pure rounding noise, about 1e-10, so rel_error alone would fail it
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def torch_attention(h, W, b, v, mask):
    """The same pooling written with PyTorch operations; autograd gives its gradients."""
    u = torch.tanh(h @ W.T + b)
    e = (u @ v).masked_fill(~mask, float("-inf"))
    alpha = torch.softmax(e, dim=1)
    return (alpha[..., None] * h).sum(dim=1), alpha


def torch_run(h, W, b, v, mask, dcontext, dalpha=None):
    ts = [torch.from_numpy(a.copy()).requires_grad_(True) for a in (h, W, b, v)]
    context, alpha = torch_attention(*ts, torch.from_numpy(mask))
    loss = (context * torch.from_numpy(dcontext)).sum()
    if dalpha is not None:
        loss = loss + (alpha * torch.from_numpy(dalpha)).sum()
    loss.backward()
    return context.detach().numpy(), alpha.detach().numpy(), [t.grad.numpy() for t in ts]


# ----------------------------------------------------------------------------- the reference
@pytest.mark.parametrize("masked", [False, True])
def test_gradients_match_central_differences(masked):
    h, W, b, v, mask = make(1, masked=masked)
    dcontext = np.random.default_rng(2).standard_normal((B, H))
    _, _, cache = att.forward(h, W, b, v, mask)
    dh, dW, db, dv = att.backward(dcontext, cache)
    errors = check_gradients(lambda: att.forward(h, W, b, v, mask)[0], dict(h=h, W=W, b=b, v=v),
                             dict(h=dh, W=dW, b=db, v=dv), df=dcontext, verbose=False)
    assert max(errors.values()) < 1e-6, errors


def test_gradient_through_alpha_matches_central_differences():
    # a loss that also reads the weights (e.g. a penalty on them): backward's dalpha argument
    h, W, b, v, mask = make(3)
    rng = np.random.default_rng(4)
    dcontext, dalpha = rng.standard_normal((B, H)), rng.standard_normal((B, T))

    def loss():
        context, alpha, _ = att.forward(h, W, b, v, mask)
        return np.sum(context * dcontext) + np.sum(alpha * dalpha)

    _, _, cache = att.forward(h, W, b, v, mask)
    grads = att.backward(dcontext, cache, dalpha=dalpha)
    for name, x, g in zip("hWbv", (h, W, b, v), grads):
        assert_gradient(numeric_gradient(loss, x), g, name)


@pytest.mark.parametrize("with_dalpha", [False, True])
def test_matches_pytorch_autograd(with_dalpha):
    h, W, b, v, mask = make(5)
    rng = np.random.default_rng(6)
    dcontext = rng.standard_normal((B, H))
    dalpha = rng.standard_normal((B, T)) if with_dalpha else None
    t_context, t_alpha, t_grads = torch_run(h, W, b, v, mask, dcontext, dalpha)
    context, alpha, cache = att.forward(h, W, b, v, mask)
    np.testing.assert_allclose(context, t_context, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(alpha, t_alpha, rtol=1e-12, atol=1e-15)
    for name, g, tg in zip(("dh", "dW", "db", "dv"), att.backward(dcontext, cache, dalpha), t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12, err_msg=name)


def test_float32_matches_float64_and_keeps_its_dtype():
    h, W, b, v, mask = make(7)
    dcontext = np.random.default_rng(8).standard_normal((B, H))
    c64, a64, cache64 = att.forward(h, W, b, v, mask)
    g64 = att.backward(dcontext, cache64)
    args32 = [a.astype(np.float32) for a in (h, W, b, v)]
    c32, a32, cache32 = att.forward(*args32, mask)
    g32 = att.backward(dcontext.astype(np.float32), cache32)
    assert c32.dtype == a32.dtype == np.float32 and all(g.dtype == np.float32 for g in g32)
    np.testing.assert_allclose(c32, c64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a32, a64, rtol=1e-5, atol=1e-6)
    for g, ref in zip(g32, g64):
        np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-5)


def test_masked_steps_get_no_weight_and_no_gradient():
    h, W, b, v, mask = make(9)
    context, alpha, cache = att.forward(h, W, b, v, mask)
    assert np.all(alpha[~mask] == 0.0)                         # exactly 0, not merely small
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-14)
    assert np.all(alpha[mask] > 0)
    dh, *_ = att.backward(np.ones((B, H)), cache)
    assert np.all(dh[~mask] == 0.0)
    # whatever sits at a masked step (huge states, whose score is huge) changes nothing
    h2 = h.copy()
    h2[~mask] = 1e3 * np.sign(v @ W)[None]
    context2, alpha2, _ = att.forward(h2, W, b, v, mask)
    np.testing.assert_array_equal(alpha2, alpha)
    np.testing.assert_allclose(context2, context, rtol=1e-14)
    # a sample pooled on its own valid steps, without any mask, gives the same result
    keep = mask[3]
    c3, a3, _ = att.forward(h[3:4, keep], W, b, v)
    np.testing.assert_allclose(c3[0], context[3], rtol=1e-13)
    np.testing.assert_allclose(a3[0], alpha[3, keep], rtol=1e-13)


def test_no_mask_is_all_valid_and_large_scores_do_not_overflow():
    h, W, b, v, _ = make(10, masked=False)
    c_none, a_none, _ = att.forward(h, W, b, v)
    c_all, a_all, _ = att.forward(h, W, b, v, np.ones((B, T), dtype=bool))
    np.testing.assert_array_equal(c_none, c_all)
    _, alpha, _ = att.forward(h, W, b, 1e4 * v)              # scores of order 1e4: exp would overflow
    assert np.isfinite(alpha).all() and np.allclose(alpha.sum(axis=1), 1.0)
    np.testing.assert_array_equal(att.forward(h, W, b, v, np.ones((B, T), dtype=np.int64))[1], a_none)


def test_masked_softmax_is_the_softmax_of_the_valid_steps():
    rng = np.random.default_rng(11)
    e = rng.standard_normal((3, 6))
    mask = rng.random((3, 6)) < 0.6
    mask[:, 0] = True
    alpha = att.masked_softmax(e, mask)
    for i in range(3):
        p = np.exp(e[i, mask[i]]) / np.exp(e[i, mask[i]]).sum()
        np.testing.assert_allclose(alpha[i, mask[i]], p, rtol=1e-14)
        assert np.all(alpha[i, ~mask[i]] == 0)


@pytest.mark.parametrize("change,error,match", [
    (lambda a: {**a, "h": a["h"][0]}, ValueError, "h must be the states of a sequence, shape \\(B, T, H\\)"),
    (lambda a: {**a, "h": a["h"][:, :0]}, ValueError, "non-empty"),
    (lambda a: {**a, "h": a["h"].astype(np.int64)}, TypeError, "h must be float32 or float64"),
    (lambda a: {**a, "W": a["W"].astype(np.float32)}, TypeError, "W has dtype float32 but h has dtype float64"),
    (lambda a: {**a, "W": a["W"].T}, ValueError, "W must have shape \\(A, H\\)"),
    (lambda a: {**a, "b": a["b"][:-1]}, ValueError, "b must have shape \\(A,\\)"),
    (lambda a: {**a, "v": a["v"][None]}, ValueError, "v must have shape \\(A,\\)"),
    (lambda a: {**a, "v": None}, TypeError, "v is required"),
    (lambda a: {**a, "mask": a["mask"][:, :-1]}, ValueError, "mask must have shape \\(batch, time\\)"),
    (lambda a: {**a, "mask": a["mask"].astype(float)}, TypeError, "mask must be a boolean array"),
    (lambda a: {**a, "mask": 2 * a["mask"].astype(int)}, TypeError, "values other than 0 and 1"),
    (lambda a: {**a, "mask": np.where(np.arange(B)[:, None] == 2, False, a["mask"])}, ValueError,
     "row\\(s\\) \\[2\\] have no valid step"),
    (lambda a: {**a, "h": np.where(np.isnan(a["h"]) | (np.arange(T)[None, :, None] == 0), np.nan, a["h"])},
     ValueError, "h contains NaN"),
])
def test_bad_input_is_a_clear_error(change, error, match):
    h, W, b, v, mask = make(12)
    args = change(dict(h=h, W=W, b=b, v=v, mask=mask))
    with pytest.raises(error, match=match):
        att.forward(**args)


def test_backward_checks_its_gradient():
    h, W, b, v, mask = make(13)
    _, _, cache = att.forward(h, W, b, v, mask)
    with pytest.raises(ValueError, match="dcontext must have shape \\(B, H\\)"):
        att.backward(np.ones((B, H + 1)), cache)
    with pytest.raises(TypeError, match="dcontext has dtype float32"):
        att.backward(np.ones((B, H), dtype=np.float32), cache)
    with pytest.raises(ValueError, match="dalpha must have shape \\(B, T\\)"):
        att.backward(np.ones((B, H)), cache, dalpha=np.ones((B, T + 1)))


# ----------------------------------------------------------------------------- the layer
V = 5     # tokens 1..4, 0 = padding


def tokens(seed, n=6, L=9):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, V, (n, L))
    x[1, 6:] = 0        # padded sequences: Embedding(mask_zero=True) masks them
    x[3, 2:] = 0
    return x


def attention_model(dtype="float64", backend="numpy", seed=0, **kw):
    return Sequential([Embedding(V, 3, mask_zero=True, input_shape=(9,)),
                       Bidirectional(GRU(4, return_sequences=True)),
                       AttentionPooling(6, **kw), Dense(1, activation="sigmoid")],
                      seed=seed, backend=backend, dtype=dtype)


@pytest.mark.parametrize("use_bias", [True, False])
def test_layer_gradients_through_the_model_match_central_differences(use_bias):
    model = attention_model(use_bias=use_bias)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = tokens(20), np.array([0, 1, 1, 0, 1, 0])
    _, grads = model.loss_and_gradients(x, y)
    layer = model.layers[2]
    assert list(layer.grads) == list(layer.params) == (["kernel", "bias", "scale"] if use_bias
                                                       else ["kernel", "scale"])
    rnn = model.layers[1]
    checked = [(layer, k) for k in layer.params] + [(rnn, "forward_kernel"), (rnn, "backward_recurrent_kernel")]
    for owner, k in checked:
        num = numeric_gradient(lambda: model.loss_and_gradients(x, y)[0], owner.params[k])
        assert_gradient(num, grads[f"{owner.name}/{k}"], f"{owner.name}/{k}")


def test_layer_matches_pytorch_forward_and_backward():
    h, W, b, v, mask = make(21)
    layer = AttentionPooling(A, dtype="float64")
    layer.build((T, H))
    layer.set_weights([W.T.copy(), b.copy(), v.copy()])
    dcontext = np.random.default_rng(22).standard_normal((B, H))
    out = layer.forward(h, mask=mask)
    dh = layer.backward(dcontext)
    t_context, t_alpha, (t_dh, t_dW, t_db, t_dv) = torch_run(h, W, b, v, mask, dcontext)
    np.testing.assert_allclose(out, t_context, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.attention_weights, t_alpha, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dh, t_dh, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], t_dW.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], t_db, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["scale"], t_dv, rtol=1e-10, atol=1e-12)


def test_model_mask_reaches_the_layer():
    model = attention_model()
    x = tokens(23)
    model(x)
    alpha = model.layers[2].attention_weights
    np.testing.assert_array_equal(alpha == 0, x == 0)          # zero weight exactly at the padding
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0)


def test_summary_count_params_and_output_shape(capsys):
    model = attention_model(dtype="float32")
    layer = model.layers[2]
    Hs = 2 * 4                                                 # the Bidirectional's concatenated states
    assert layer.count_params() == Hs * 6 + 6 + 6
    model.summary()
    row = [r for r in capsys.readouterr().out.splitlines() if f" {layer.name} (AttentionPooling)" in r]
    assert len(row) == 1 and "(None, 8)" in row[0] and row[0].rstrip().endswith(str(Hs * 6 + 12))
    assert model.count_params() == 5 * 3 + 2 * (3 * 12 + 4 * 12 + 2 * 12) + (Hs * 6 + 12) + (Hs + 1)
    bare = AttentionPooling()                                  # units default: the state size
    bare.build((T, H))
    assert bare.params["kernel"].shape == (H, H) and bare.count_params() == H * H + 2 * H
    no_bias = AttentionPooling(4, use_bias=False)
    no_bias.build((T, H))
    assert list(no_bias.params) == ["kernel", "scale"] and no_bias.count_params() == H * 4 + 4


def test_weights_round_trip():
    a, b = attention_model(dtype="float32", backend="cpu", seed=1), attention_model(dtype="float32", backend="cpu",
                                                                                       seed=2)
    x = tokens(24)
    assert not np.allclose(a.predict(x), b.predict(x))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    la, lb = a.layers[2], b.layers[2]
    assert [w.shape for w in la.get_weights()] == [(8, 6), (6,), (6,)]
    lb.set_weights([w * 2 for w in la.get_weights()])
    np.testing.assert_array_equal(lb.params["scale"], 2 * la.params["scale"])
    with pytest.raises(ValueError, match="has 3 weight arrays"):
        lb.set_weights(la.get_weights()[:2])


def test_layer_bad_input():
    with pytest.raises(ValueError, match="return_sequences=True"):
        Sequential([GRU(4, input_shape=(9, 4)), AttentionPooling()])
    layer = AttentionPooling(3)
    layer.build((T, H))
    with pytest.raises(ValueError, match="set return_sequences=True"):
        layer.forward(np.ones((B, H)))
    with pytest.raises(ValueError, match=f"states of shape \\(batch, time, {H}\\)"):
        layer.forward(np.ones((B, T, H + 1)))
    with pytest.raises(ValueError, match="no valid step"):
        layer.forward(np.ones((B, T, H), dtype=np.float32), mask=np.zeros((B, T), dtype=bool))
    with pytest.raises(TypeError, match="units must be an integer"):
        AttentionPooling(2.5)
    model = attention_model(dtype="float32", backend="cpu")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.predict(tokens(25))                                 # inference keeps nothing for backward
    with pytest.raises(TypeError, match="no forward pass was kept"):
        model.layers[2].backward(np.ones((6, 8), dtype=np.float32))


def test_trains_in_a_sequential_model_and_attends_to_the_signal():
    # label: does the sequence hold token 4? Attention should find it, wherever it is
    rng = np.random.default_rng(30)
    n, L = 400, 12
    x = rng.integers(1, 4, (n, L))
    y = (rng.random(n) < 0.5).astype(int)
    where = rng.integers(0, L, n)
    x[np.arange(n)[y == 1], where[y == 1]] = 4
    model = Sequential([Embedding(5, 8, input_shape=(L,)), Bidirectional(GRU(8, return_sequences=True)),
                        AttentionPooling(8), Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    first = model.evaluate(x, y, return_dict=True)
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    last = model.evaluate(x, y, return_dict=True)
    assert last["loss"] < 0.2 * first["loss"] and last["accuracy"] > 0.95
    model(x[y == 1])
    alpha = model.layers[2].attention_weights
    on_token = alpha[np.arange(len(alpha)), where[y == 1]]
    assert np.mean(on_token) > 0.8                            # the uniform weight would be 1/L
