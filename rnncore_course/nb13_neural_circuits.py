"""Checks for ``solutions/13_neural_circuits_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's own reference: the targets :func:`rnncore.datasets.tasks.flip_flop`
generates with its pulses, and :mod:`rnncore.dynamics` for the Jacobian and the
speed q(h) of a tanh RNN. When an answer is wrong, the check compares it with the
usual slips (a transposed Jacobian, tanh' taken at h, a missing 1/2) to say where
to look.
"""
import numpy as np

from rnncore import dynamics as dyn
from rnncore.datasets.tasks import flip_flop
from . import assert_close, exercise_check


def _points(seed, sizes):
    """For each (H, D) in ``sizes``, H and the arguments (h, W_ih, W_hh, b_ih, b_hh, x) of a random tanh RNN.

    h (H,) is a random state in (-0.9, 0.9), x (D,) a random input; all drawn from one generator seeded ``seed``.
    """
    rng = np.random.default_rng(seed)
    for H, D in sizes:
        W_ih, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H)) * 1.5 / np.sqrt(H)
        b_ih, b_hh, x = rng.standard_normal(H) * 0.3, rng.standard_normal(H) * 0.3, rng.standard_normal(D)
        yield H, (rng.uniform(-0.9, 0.9, H), W_ih, W_hh, b_ih, b_hh, x)


def _first_difference(got, want):
    b, t, k = np.argwhere(~np.isclose(got, want))[0]
    return f"first wrong at sequence {b}, step {t}, channel {k}: expected {want[b, t, k]:+.0f}, got {got[b, t, k]:+.0f}"


@exercise_check
def check_flip_flop_targets(flip_flop_targets):
    """flip_flop_targets(u (B, T, K)) -> y (B, T, K)."""
    for B, T, K, p, seed in [(4, 30, 3, 0.1, 1301), (2, 50, 1, 0.05, 1302), (3, 20, 5, 0.5, 1303)]:
        u, want = flip_flop(B, T, n_bits=K, p_flip=p, seed=seed, dtype=np.float64)
        y = flip_flop_targets(u)
        assert y is not None, "flip_flop_targets returned None: return the targets"
        y = np.asarray(y, float)
        assert y.shape == u.shape, f"the targets must have the shape of u {u.shape}, got {y.shape}"
        if not np.allclose(y, want):
            if np.allclose(y, u):
                raise AssertionError("the targets equal the pulses: each output must *hold* the sign of the "
                                     "last pulse until the next one")
            before = np.cumsum(np.abs(u), axis=1) == 0
            if np.allclose(y[~before], want[~before]):
                raise AssertionError("right after the first pulse, wrong before it: the target is 0 before a "
                                     "channel's first pulse")
            raise AssertionError(f"targets (B={B}, T={T}, K={K}): {_first_difference(y, want)}")


@exercise_check
def check_rnn_jacobian(rnn_jacobian):
    """rnn_jacobian(h (H,), W_ih, W_hh, b_ih, b_hh, x (D,)) -> J (H, H)."""
    for H, args in _points(1302, [(5, 3), (8, 1), (2, 4)]):
        h, W_hh = args[0], args[2]
        J = rnn_jacobian(*args)
        assert J is not None, "rnn_jacobian returned None: return the Jacobian"
        J = np.asarray(J, float)
        want = dyn.jacobian(*args)
        assert J.shape == want.shape, f"J must have shape (H, H) = {want.shape}, got {J.shape}"
        if np.allclose(J, want):
            continue
        F = dyn.step(*args)
        if np.allclose(J, want.T) or np.allclose(J, W_hh * (1 - F**2)[None, :]):
            raise AssertionError("rows and columns are swapped: J[i, j] = dF_i/dh_j, so row i of W_hh is "
                                 "scaled by 1 - F_i^2 (diag(1 - F^2) @ W_hh)")
        if np.allclose(J, (1 - h**2)[:, None] * W_hh):
            raise AssertionError("tanh' is taken at h: the derivative is 1 - F(h)^2, with F(h) the tanh of "
                                 "the pre-activation, not 1 - h^2")
        if np.allclose(J, W_hh):
            raise AssertionError("J equals W_hh: the chain rule needs the derivative of tanh, diag(1 - F^2)")
        assert_close(J, want, f"J (H={H})")


@exercise_check
def check_speed_and_grad(speed_and_grad):
    """speed_and_grad(h (H,), W_ih, W_hh, b_ih, b_hh, x (D,)) -> (q float, grad (H,))."""
    for H, args in _points(1303, [(6, 3), (3, 2), (10, 1)]):
        out = speed_and_grad(*args)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (q, grad)"
        q_ref, g_ref = dyn.speed(*args, grad=True)
        assert np.ndim(out[0]) == 0, f"q must be a number, got shape {np.shape(out[0])}"
        q, g = float(out[0]), np.asarray(out[1], float)
        if abs(q - 2 * q_ref) < 1e-9 * max(1, q_ref):
            raise AssertionError("q is twice the speed: q(h) = 1/2 ||F(h) - h||^2")
        assert_close(q, q_ref, f"q (H={H})")
        if np.allclose(g, g_ref):
            continue
        r = dyn.step(*args) - args[0]
        J = dyn.jacobian(*args)
        if np.allclose(g, (J - np.eye(H)) @ r):
            raise AssertionError("grad uses (J - I) @ r: the gradient needs the transpose, (J - I)^T @ r")
        if np.allclose(g, -g_ref):
            raise AssertionError("grad has the wrong sign: grad q = (J - I)^T (F(h) - h)")
        raise AssertionError(f"grad q (H={H}) is wrong while q is right: if it calls your rnn_jacobian, "
                             "check that first (exercise 2); else compare with (J - I)^T (F(h) - h)")
