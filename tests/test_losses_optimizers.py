"""Losses (values, gradients, stability), activations, optimisers (vs torch.optim), clipping, initialisers, utils."""
import numpy as np
import pytest
import torch

from rnncore import activations, initializers, losses, optimizers
from rnncore.gradcheck import numeric_gradient, rel_error
from rnncore.utils import pad_sequences, to_categorical

# ----------------------------------------------------------------------------- losses
def _targets(name, shape, rng):
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, shape[-1], shape[:-1])
    if name == "categorical_crossentropy":
        return to_categorical(rng.integers(0, shape[-1], shape[:-1]), shape[-1], dtype="float64")
    if name == "binary_crossentropy":
        return (rng.random(shape) > 0.5).astype(np.float64)
    if name == "poisson":
        return rng.poisson(2.0, shape).astype(np.float64)
    return rng.standard_normal(shape)


_LOSS_CASES = [(n, fl) for n in losses.LOSSES for fl in (False, True) if not fl or losses.get(n).fuses_with]


@pytest.mark.parametrize("name,from_logits", _LOSS_CASES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4)])
def test_loss_gradient_matches_finite_differences(name, from_logits, shape):
    rng = np.random.default_rng(0)
    loss = losses.get(name)
    loss.from_logits = from_logits
    y_true = loss.check(_targets(name, shape, rng), np.zeros(shape))
    z = rng.standard_normal(shape)
    pred = z if from_logits else activations.get(loss.fuses_with or "linear").forward(z)
    if name == "poisson":
        pred = np.exp(z)                           # a rate is positive
    if name in ("mean_absolute_error",):
        pred = pred + 0.01 * np.sign(pred)         # stay away from the kink
    per, grad = loss.per_position(y_true, pred)
    _, dpred = losses.reduce(per, grad)
    num = numeric_gradient(lambda: losses.reduce(*loss.per_position(y_true, pred))[0], pred)
    assert rel_error(num, dpred) < 1e-6


def test_loss_values_match_formulas():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    y = np.array([0, 2])
    expected = -np.mean(np.log([0.7, 0.8]))
    assert np.isclose(losses.get("sparse_categorical_crossentropy")(y, p), expected)
    assert np.isclose(losses.get("categorical_crossentropy")(to_categorical(y, 3), p), expected)
    assert np.isclose(losses.get("mse")([[1.0], [2.0]], [[0.0], [0.0]]), 2.5)
    q, t = np.array([[0.9], [0.3]]), np.array([[1.0], [0.0]])
    assert np.isclose(losses.get("binary_crossentropy")(t, q), -np.mean(np.log([0.9, 0.7])))
    # Poisson: rate - k log(rate), the negative log-likelihood without log(k!)
    assert np.isclose(losses.get("poisson")([[3.0], [0.0]], [[2.0], [0.5]]),
                      np.mean([2.0 - 3.0 * np.log(2.0 + 1e-7), 0.5]))


def test_logits_forms_are_stable_and_agree():
    z = np.array([[1000.0, -1000.0, 0.0], [3.0, 1.0, -2.0]])
    y = to_categorical([1, 0], 3, dtype="float64")
    cce = losses.CategoricalCrossentropy(from_logits=True)
    per, grad = cce.per_position(y, z)
    assert np.all(np.isfinite(per)) and np.all(np.isfinite(grad))
    assert np.isclose(per[0], 2000.0)
    # moderate logits: logits form == probability form
    probs = activations.get("softmax").forward(z[1:])
    assert np.isclose(cce.per_position(y[1:], z[1:])[0][0],
                      losses.CategoricalCrossentropy().per_position(y[1:], probs)[0][0])
    bce = losses.BinaryCrossentropy(from_logits=True)
    per, grad = bce.per_position(np.array([[1.0], [0.0]]), np.array([[-800.0], [800.0]]))
    assert np.allclose(per, 800.0) and np.all(np.isfinite(grad))
    # probabilities of exactly 0 and 1: clipped, finite
    assert np.isfinite(losses.get("binary_crossentropy")([[1.0], [0.0]], [[0.0], [1.0]]))


def test_loss_errors_are_helpful():
    with pytest.raises(ValueError, match="'mse'.*'binary_crossentropy'"):
        losses.get("crossentropy")
    with pytest.raises(ValueError, match="to_categorical"):
        losses.get("categorical_crossentropy").check(np.array([0, 1]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one-hot"):
        losses.get("sparse_categorical_crossentropy").check(np.eye(3)[:2], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        losses.get("sparse_categorical_crossentropy").check(np.array([0, 3]), np.zeros((2, 3)))


def test_reduce_with_mask_ignores_masked_positions():
    per = np.array([[1.0, 2.0, 100.0]])
    grad = np.ones((1, 3, 1))
    loss, d = losses.reduce(per, grad, mask=np.array([[1, 1, 0]]))
    assert loss == 1.5 and d[0, 2, 0] == 0 and d[0, 0, 0] == 0.5


def test_reduce_divides_weighted_sums_by_the_number_of_positions():
    """Keras' sum_over_batch_size: sum(w * loss) / n; with a mask, n counts the valid positions only."""
    per = np.array([[1.0, 2.0, 100.0], [3.0, 4.0, 5.0]])
    grad = np.ones((2, 3, 1))
    loss, d = losses.reduce(per, grad, sample_weight=np.array([2.0, 0.5]))
    assert loss == pytest.approx((2 * 103 + 0.5 * 12) / 6, rel=1e-15) and d[0, 0, 0] == pytest.approx(2 / 6)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    loss, d = losses.reduce(per, grad, sample_weight=np.array([2.0, 0.5]), mask=mask)
    assert loss == pytest.approx((2 * 3 + 0.5 * 3) / 3, rel=1e-15) and d[0, 2, 0] == 0 and d[1, 0, 0] == 0.5 / 3
    assert losses.reduce(per, grad, mask=np.zeros((2, 3)))[0] == 0.0


@pytest.mark.parametrize("name,kw", [("binary_crossentropy", {"label_smoothing": 0.2}),
                                     ("categorical_crossentropy", {"label_smoothing": 0.3}),
                                     ("categorical_crossentropy", {})])
def test_smoothed_and_unnormalised_cross_entropy_gradients(name, kw):
    """Label smoothing, and Keras' division of y_pred by its row sum, are differentiated through."""
    rng = np.random.default_rng(3)
    loss = type(losses.get(name))(**kw)
    y_true = loss.check(_targets(name, (4, 3), rng), np.zeros((4, 3)))
    pred = rng.uniform(0.05, 0.9, (4, 3))            # rows do not sum to one
    per, grad = loss.per_position(y_true, pred)
    num = numeric_gradient(lambda: losses.reduce(*loss.per_position(y_true, pred))[0], pred)
    assert rel_error(num, losses.reduce(per, grad)[1]) < 1e-6
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        type(losses.get(name))(label_smoothing=1.5)


# ----------------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ["linear", "relu", "tanh", "sigmoid", "softplus", "exponential", "softmax"])
def test_activation_backward(name):
    rng = np.random.default_rng(1)
    act = activations.get(name)
    a = rng.standard_normal((3, 4)) + 0.05
    dy = rng.standard_normal((3, 4))
    y = act.forward(a)
    num = numeric_gradient(lambda: act.forward(a), a, dy)
    assert rel_error(num, act.backward(dy, a, y)) < 1e-7


def test_activation_errors_and_stability():
    with pytest.raises(ValueError, match="'relu'.*'softmax'"):
        activations.get("gelu")
    assert np.all(np.isfinite(activations.get("softmax").forward(np.array([[1e4, -1e4]]))))
    assert np.all(np.isfinite(activations.get("sigmoid").forward(np.array([-1e4, 1e4]))))


# ----------------------------------------------------------------------------- optimisers
@pytest.mark.parametrize("name,ours,theirs", [
    ("sgd", lambda: optimizers.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", lambda: optimizers.SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01, epsilon=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    ("adam", lambda: optimizers.Adam(0.01, epsilon=1e-8), lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-8)),
])
def test_optimizers_match_torch(name, ours, theirs):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    w0 = rng.standard_normal(5)
    w = w0.copy()
    opt = ours()
    tw = torch.tensor(w0, requires_grad=True)
    topt = theirs([tw])
    tA = torch.from_numpy(A)
    for _ in range(20):
        opt.apply_gradients([(w, A @ w)])
        topt.zero_grad()
        (0.5 * tw @ tA @ tw).backward()
        topt.step()
    # Adam/RMSprop differ only in where epsilon sits (Keras vs PyTorch form)
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_compiled_update_gives_the_numpy_forms_bits(dtype, monkeypatch):
    """Adam updates C-contiguous arrays in one compiled loop (rnncore.cpu.optim), whatever
    the layout of their gradients; other arrays take the NumPy form in Adam.update. Both must
    give the same bits: the same parameters, not C-contiguous, go the NumPy way. Gradients from 1e-25 to 1e25 (float32:
    squares that underflow to subnormals or zero, and overflow to inf), and exact zeros; the learning
    rate, epsilon and betas changed between steps."""
    from rnncore.cpu import optim
    calls = []
    compiled = optim.adam_update
    monkeypatch.setattr(optim, "adam_update", lambda *a: calls.append(a[0].size) or compiled(*a))
    rng = np.random.default_rng(7)
    shapes = [(8, 24), (24, 24), (24,), (24, 1), (3, 1)]
    P = [rng.standard_normal(s).astype(dtype) for s in shapes]
    P[1] = np.asfortranarray(P[1])   # Fortran order, as the Orthogonal initializer's recurrent kernels
    P_numpy = []
    for p in P:                      # every second column of a wider array: not C-contiguous
        q = np.empty(p.shape[:-1] + (2 * p.shape[-1],), dtype=dtype)[..., ::2]
        q[...] = p
        assert not q.flags.c_contiguous
        P_numpy.append(q)
    fused, numpy_form = optimizers.Adam(1e-3), optimizers.Adam(1e-3)
    for step in range(12):
        G = [(rng.standard_normal(s) * 10.0 ** rng.integers(-25, 26)).astype(dtype) for s in shapes]
        G[step % len(G)][...] = 0.0
        # transposed views, as the recurrent layers' kernel gradients are: the compiled way too
        G[:2] = [np.ascontiguousarray(g.T).T for g in G[:2]]
        assert not G[0].flags.c_contiguous
        for opt in (fused, numpy_form):   # changed between steps (a schedule, a callback): no stale constants
            if step == 4:
                opt.learning_rate = 5e-4
            elif step == 7:
                opt.epsilon = 1e-4
            elif step == 9:
                opt.beta_1, opt.beta_2 = 0.8, 0.99
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            fused.apply_gradients(list(zip(P, G)))
            assert len(calls) == (step + 1) * len(shapes)        # every array the compiled way
            numpy_form.apply_gradients(list(zip(P_numpy, G)))
            assert len(calls) == (step + 1) * len(shapes)        # none of these
    for p, q, s, r in zip(P, P_numpy, fused.state, numpy_form.state):
        assert p.tobytes() == np.ascontiguousarray(q).tobytes(), "parameters differ between the two forms"
        assert s["m"].tobytes() == np.ascontiguousarray(r["m"]).tobytes()
        assert s["v"].tobytes() == np.ascontiguousarray(r["v"]).tobytes()


def test_clipping():
    g = np.array([3.0, 4.0])
    h = np.array([0.0, 12.0])
    assert np.allclose(optimizers.clip_by_norm([g], 1.0)[0], [0.6, 0.8])
    assert np.allclose(optimizers.clip_by_value([g], 3.5)[0], [3.0, 3.5])
    out = optimizers.clip_by_global_norm([g, h], 6.5)          # joint norm 13
    assert np.allclose(out[0], g / 2) and np.allclose(out[1], h / 2)
    tg = [torch.tensor(g.copy(), requires_grad=True), torch.tensor(h.copy(), requires_grad=True)]
    for t, v in zip(tg, (g, h)):
        t.grad = torch.tensor(v.copy())
    torch.nn.utils.clip_grad_norm_(tg, 6.5)
    assert np.allclose(out[1], tg[1].grad.numpy())
    # the optimiser applies it: one SGD step with lr=1 moves by at most clipnorm
    w = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(w, g * 100)])
    assert np.isclose(np.linalg.norm(w), 1.0)
    w = np.zeros(2)
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(w, g)])
    assert np.allclose(w, [-0.5, -0.5])


def test_optimizer_errors():
    with pytest.raises(ValueError, match="'sgd', 'rmsprop', 'adam'"):
        optimizers.get("nadam")
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        optimizers.Adam(learning_rate=-1)


# ----------------------------------------------------------------------------- initialisers and utils
def test_initializers():
    r = np.random.default_rng(0)
    W = initializers.get("glorot_uniform")((40, 60), r, np.float64, 40, 60)
    assert np.abs(W).max() <= np.sqrt(6 / 100) and W.std() > 0.8 * np.sqrt(2 / 100)
    Q = initializers.get("orthogonal")((8, 32), r, np.float64)
    assert np.allclose(Q @ Q.T, np.eye(8))
    a = initializers.get("glorot_uniform")((3, 4), np.random.default_rng(5))
    b = initializers.get("glorot_uniform")((3, 4), np.random.default_rng(5))
    assert a.dtype == np.float32 and np.array_equal(a, b)
    with pytest.raises(ValueError, match="'orthogonal'"):
        initializers.get("xavier")


def test_to_categorical_and_pad_sequences():
    y = to_categorical([[2], [0], [1]])
    assert y.shape == (3, 3) and y.dtype == np.float32 and np.array_equal(y.argmax(1), [2, 0, 1])
    assert to_categorical(np.array([[0, 1], [1, 1]]), 3).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 5], num_classes=3)
    p = pad_sequences([[1, 2, 3], [4]], maxlen=2)
    assert np.array_equal(p, [[2, 3], [0, 4]])
    p = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], padding="post", dtype="float32")
    assert p.shape == (2, 2, 3) and p[1, 1].sum() == 0


@pytest.mark.parametrize("layer", ["SimpleRNN", "LSTM", "GRU"])
def test_adam_updates_every_array_of_a_recurrent_model_compiled(layer, monkeypatch):
    """A training step of a recurrent model updates all its arrays in the compiled loop: the
    recurrent layers' kernel gradients are transposed views (Keras' layout of PyTorch's), and
    until 2026-12-04 those, the largest arrays, went the slower NumPy way."""
    from rnncore import layers
    from rnncore.cpu import optim
    from rnncore.models import Sequential
    calls = []
    compiled = optim.adam_update
    monkeypatch.setattr(optim, "adam_update", lambda *a: calls.append(a[0].size) or compiled(*a))
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 5, 3)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)
    model = Sequential([getattr(layers, layer)(4, input_shape=(5, 3)), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(1e-3), loss="mse")
    model.train_on_batch(x, y)
    sizes = sorted(p.size for p, _ in model._pairs())
    assert sorted(calls) == sizes, f"updated the compiled way: {sorted(calls)}, the model's arrays: {sizes}"
