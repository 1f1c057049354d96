"""rnncore.dynamics: fixed points, Jacobians and stability, checked against known answers."""
import numpy as np
import pytest
from scipy.optimize import brentq

from rnncore import dynamics as dyn
from rnncore.gradcheck import numeric_gradient


def _random_cell(cell, H=5, D=3, seed=0, scale=0.8):
    rng = np.random.default_rng(seed)
    G = 1 if cell == "rnn" else 3
    return (rng.standard_normal((G * H, D)) * scale, rng.standard_normal((G * H, H)) * scale / np.sqrt(H) * 2,
            rng.standard_normal(G * H) * 0.3, rng.standard_normal(G * H) * 0.3), rng.standard_normal(D)


def _fd_jacobian(f, h, eps=1e-6):
    J = np.zeros((len(h), len(h)))
    for j in range(len(h)):
        e = np.zeros_like(h)
        e[j] = eps
        J[:, j] = (f(h + e) - f(h - e)) / (2 * eps)
    return J


@pytest.mark.parametrize("cell,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh")])
def test_jacobian_matches_finite_differences(cell, nonlinearity):
    params, x = _random_cell(cell)
    rng = np.random.default_rng(1)
    for _ in range(3):
        h = rng.uniform(-0.9, 0.9, 5)
        J = dyn.jacobian(h, *params, x=x, cell=cell, nonlinearity=nonlinearity)
        J_fd = _fd_jacobian(lambda hh: dyn.step(hh, *params, x=x, cell=cell, nonlinearity=nonlinearity), h)
        np.testing.assert_allclose(J, J_fd, atol=1e-8)
    # a batch of states gives one Jacobian per state
    hs = rng.uniform(-0.9, 0.9, (4, 5))
    Jb = dyn.jacobian(hs, *params, x=x, cell=cell, nonlinearity=nonlinearity)
    assert Jb.shape == (4, 5, 5)
    np.testing.assert_allclose(Jb[2], dyn.jacobian(hs[2], *params, x=x, cell=cell, nonlinearity=nonlinearity))


def test_tanh_jacobian_formula():
    params, x = _random_cell("rnn", seed=3)
    W_ih, W_hh, b_ih, b_hh = params
    h = np.linspace(-0.5, 0.5, 5)
    F = np.tanh(W_ih @ x + b_ih + W_hh @ h + b_hh)
    np.testing.assert_allclose(dyn.step(h, *params, x=x), F, atol=1e-14)
    np.testing.assert_allclose(dyn.jacobian(h, *params, x=x), np.diag(1 - F**2) @ W_hh, atol=1e-14)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_speed_gradient_matches_finite_differences(cell):
    params, x = _random_cell(cell, seed=5)
    h = np.random.default_rng(2).uniform(-0.8, 0.8, 5)
    q, g = dyn.speed(h, *params, x=x, cell=cell, grad=True)
    F = dyn.step(h, *params, x=x, cell=cell)
    assert q == pytest.approx(0.5 * np.sum((F - h) ** 2), rel=1e-14)
    g_fd = numeric_gradient(lambda: dyn.speed(h, *params, x=x, cell=cell), h)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-9)
    # batched speed agrees with the single-state one
    qs, gs = dyn.speed(np.stack([h, -h]), *params, x=x, cell=cell, grad=True)
    assert qs[0] == pytest.approx(q) and np.allclose(gs[0], g)


def test_finds_all_nine_fixed_points_of_a_two_unit_network():
    # h -> tanh(2 h) in each of two uncoupled units: per unit the fixed points are 0 (unstable,
    # slope 2) and +-a with tanh(2a) = a (stable, slope 2(1 - a^2) < 1). Together 3 x 3 = 9 points:
    # 4 stable (+-a, +-a), 4 saddles (one unit at 0), 1 unstable (origin).
    a = brentq(lambda s: np.tanh(2 * s) - s, 0.5, 1.0)
    W_hh, zeros = 2.0 * np.eye(2), np.zeros(2)
    inits = np.random.default_rng(0).uniform(-1.2, 1.2, (300, 2))
    fps = dyn.find_fixed_points(np.zeros((2, 1)), W_hh, zeros, zeros, inits)
    assert len(fps) == 9
    assert fps.summary() == {"stable": 4, "saddle": 4, "unstable": 1}
    expected = {(i, j) for i in (-a, 0.0, a) for j in (-a, 0.0, a)}
    for p in fps.points:
        assert min(np.max(np.abs(p - np.array(e))) for e in expected) < 1e-6
    assert np.all(fps.q < 1e-10)
    stable = fps.points[fps.stable]
    np.testing.assert_allclose(np.sort(np.abs(stable), axis=None), np.full(8, a), atol=1e-6)
    # eigenvalues at the stable points: both 2(1 - a^2)
    np.testing.assert_allclose(np.abs(fps.eigvals[fps.stable]), 2 * (1 - a**2), atol=1e-6)
    # at the origin: both 2
    origin = [k for k, kind in enumerate(fps.kind) if kind == "unstable"][0]
    np.testing.assert_allclose(fps.eigvals[origin], [2, 2], atol=1e-8)
    assert fps.counts.sum() == fps.n_converged <= fps.n_inits == 300


def test_input_moves_the_fixed_point():
    # contracting map h -> tanh(0.5 h + u): one stable fixed point, solving h = tanh(0.5 h + u)
    u = 0.7
    W_ih, W_hh, b = np.array([[1.0]]), np.array([[0.5]]), np.zeros(1)
    fps = dyn.find_fixed_points(W_ih, W_hh, b, b, np.array([[-1.0], [0.0], [1.0]]), x=np.array([u]))
    h_star = brentq(lambda s: np.tanh(0.5 * s + u) - s, -1, 1)
    assert len(fps) == 1 and fps.kind == ["stable"] and fps.counts[0] == 3
    assert fps.points[0, 0] == pytest.approx(h_star, abs=1e-7)
    assert abs(fps.eigvals[0, 0]) == pytest.approx(0.5 * (1 - h_star**2), abs=1e-7)


def test_gru_fixed_point_is_fixed():
    params, x = _random_cell("gru", H=4, seed=7, scale=0.5)
    inits = np.random.default_rng(3).uniform(-1, 1, (20, 4))
    fps = dyn.find_fixed_points(*params, inits, x=x, cell="gru")
    assert len(fps) >= 1
    for p in fps.points:
        np.testing.assert_allclose(dyn.step(p, *params, x=x, cell="gru"), p, atol=1e-5)


def test_classify():
    assert dyn.classify(np.array([0.5, -0.9 + 0.1j])) == "stable"
    assert dyn.classify(np.array([1.5, 0.2])) == "saddle"
    assert dyn.classify(np.array([1.5, -2.0])) == "unstable"
    assert dyn.classify(np.array([1.0, 0.3])) == "marginal"
    assert dyn.classify(np.array([[0.1, 0.2], [3.0, 0.1]])) == ["stable", "saddle"]


def test_pca_and_sample_states():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 2)) @ np.array([[3.0, 0, 0], [0, 0.5, 0]]) + 1.0
    mean, comps, ratio = dyn.pca(X, 2)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(np.abs(comps[0]), [1, 0, 0], atol=0.05)
    assert ratio[0] > 0.9 and comps[0, 0] > 0
    np.testing.assert_allclose(comps @ comps.T, np.eye(2), atol=1e-12)
    S = dyn.sample_states(X.reshape(50, 10, 3), 7, noise=0.0, rng=1)
    assert S.shape == (7, 3) and all((X == s).all(axis=1).any() for s in S)


def test_bad_input_is_reported():
    W_hh, b = np.eye(3), np.zeros(3)
    with pytest.raises(ValueError, match="cell"):
        dyn.step(np.zeros(3), np.zeros((3, 1)), W_hh, b, b, cell="lstm")
    with pytest.raises(ValueError, match="h must be"):
        dyn.step(np.zeros(4), np.zeros((3, 1)), W_hh, b, b)
    with pytest.raises(ValueError, match="constant input"):
        dyn.step(np.zeros(3), np.zeros((3, 2)), W_hh, b, b, x=np.zeros(3))
    with pytest.raises(ValueError, match="W_hh"):
        dyn.step(np.zeros(3), np.zeros((3, 1)), np.eye(3), b, b, cell="gru")


def test_sample_states_seed_rule():
    """seed= (None | int | Generator) as everywhere; rng= still accepted as its former name."""
    h = np.arange(30.0).reshape(10, 3)
    a = dyn.sample_states(h, 5, noise=0.1, seed=3)
    np.testing.assert_array_equal(a, dyn.sample_states(h, 5, noise=0.1, rng=3))
    np.testing.assert_array_equal(a, dyn.sample_states(h, 5, noise=0.1, seed=np.random.default_rng(3)))
    with pytest.raises(TypeError, match="not both"):
        dyn.sample_states(h, 5, seed=1, rng=1)
