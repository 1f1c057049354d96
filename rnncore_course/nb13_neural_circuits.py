"""Checks for ``solutions/13_neural_circuits_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with the reference: a loop over time for the flip-flop targets, and
:mod:`rnncore.dynamics` for the Jacobian and the speed q(h) of a tanh RNN.
"""
import numpy as np

from rnncore import dynamics as dyn
from . import assert_close, exercise_check


def flip_flop_targets_reference(u):
    """Each channel's output is the sign of its most recent pulse (0 before the first one)."""
    y = np.zeros_like(u, dtype=np.float64)
    state = np.zeros((u.shape[0], u.shape[2]))
    for t in range(u.shape[1]):
        state = np.where(u[:, t] != 0, np.sign(u[:, t]), state)
        y[:, t] = state
    return y


def _pulses(rng, B, T, K, p):
    u = np.zeros((B, T, K))
    on = rng.random((B, T, K)) < p
    u[on] = rng.choice([-1.0, 1.0], size=on.sum())
    return u


def _network(rng, H, D):
    return (rng.standard_normal((H, D)), rng.standard_normal((H, H)) * 1.5 / np.sqrt(H),
            rng.standard_normal(H) * 0.3, rng.standard_normal(H) * 0.3, rng.standard_normal(D))


@exercise_check
def check_flip_flop_targets(flip_flop_targets):
    """flip_flop_targets(u (B, T, K)) -> y (B, T, K)."""
    rng = np.random.default_rng(1301)
    for B, T, K, p in [(4, 30, 3, 0.1), (2, 50, 1, 0.05), (3, 20, 5, 0.5)]:
        u = _pulses(rng, B, T, K, p)
        u[0, 0] = 1.0                      # a pulse at the very first step
        y = flip_flop_targets(u)
        assert y is not None, "flip_flop_targets returned None: return the targets"
        assert_close(y, flip_flop_targets_reference(u), f"targets (B={B}, T={T}, K={K})")
    u = np.zeros((1, 6, 2))
    u[0, 2, 0], u[0, 4, 0], u[0, 3, 1] = 1.0, -1.0, -1.0
    expected = np.array([[0, 0], [0, 0], [1, 0], [1, -1], [-1, -1], [-1, -1]], dtype=float)
    assert_close(flip_flop_targets(u)[0], expected, "targets of the small example in the text")


@exercise_check
def check_rnn_jacobian(rnn_jacobian):
    """rnn_jacobian(h (H,), W_ih, W_hh, b_ih, b_hh, x (D,)) -> J (H, H)."""
    rng = np.random.default_rng(1302)
    for H, D in [(5, 3), (8, 1), (2, 4)]:
        W_ih, W_hh, b_ih, b_hh, x = _network(rng, H, D)
        h = rng.uniform(-0.9, 0.9, H)
        J = rnn_jacobian(h, W_ih, W_hh, b_ih, b_hh, x)
        assert J is not None, "rnn_jacobian returned None: return the Jacobian"
        assert_close(J, dyn.jacobian(h, W_ih, W_hh, b_ih, b_hh, x), f"J (H={H})")


@exercise_check
def check_speed_and_grad(speed_and_grad):
    """speed_and_grad(h (H,), W_ih, W_hh, b_ih, b_hh, x (D,)) -> (q float, grad (H,))."""
    rng = np.random.default_rng(1303)
    for H, D in [(6, 3), (3, 2), (10, 1)]:
        W_ih, W_hh, b_ih, b_hh, x = _network(rng, H, D)
        h = rng.uniform(-0.9, 0.9, H)
        out = speed_and_grad(h, W_ih, W_hh, b_ih, b_hh, x)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (q, grad)"
        q_ref, g_ref = dyn.speed(h, W_ih, W_hh, b_ih, b_hh, x, grad=True)
        assert np.ndim(out[0]) == 0, f"q must be a number, got shape {np.shape(out[0])}"
        assert_close(float(out[0]), q_ref, f"q (H={H})")
        assert_close(out[1], g_ref, f"grad q (H={H})")
