"""Checks for ``solutions/04_vanishing_exploding_gradients_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with a reference: NumPy's eigenvalues, rnncore's ``initializers.Orthogonal``
and rnncore's ``rnn_backward``.
"""
import numpy as np

from rnncore import functional as F
from rnncore.initializers import Orthogonal
from . import assert_close, exercise_check


def _spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


@exercise_check
def check_scale_to_spectral_radius(scale_to_spectral_radius):
    """scale_to_spectral_radius(W, rho) -> W * rho / rho(W)."""
    rng = np.random.default_rng(401)
    for H, rho in [(5, 0.9), (8, 1.0), (3, 2.5), (16, 0.5)]:
        W = rng.standard_normal((H, H))
        W_copy = W.copy()
        out = scale_to_spectral_radius(W, rho)
        assert out is not None, "scale_to_spectral_radius returned None; return the scaled matrix"
        assert np.array_equal(W, W_copy), "do not change W in place; return a new matrix"
        assert_close(out, W * rho / _spectral_radius(W), f"the scaled {H}x{H} matrix (rho = {rho})")
        got = _spectral_radius(np.asarray(out))
        assert abs(got - rho) < 1e-8, f"the result has spectral radius {got:.6g}, expected {rho}"


def orthogonal_reference(H, rng, gain=1.0):
    """rnncore's Orthogonal initialiser: sign-corrected QR of one standard normal (H, H) draw."""
    return Orthogonal(gain)((H, H), rng, dtype=np.float64)


@exercise_check
def check_orthogonal_init(orthogonal_init):
    """orthogonal_init(H, rng, gain) -> gain * Q, Q from the sign-corrected QR of rng.standard_normal((H, H))."""
    for H, gain, seed in [(4, 1.0, 0), (7, 1.0, 1), (5, 0.9, 2), (32, 1.2, 3)]:
        out = orthogonal_init(H, np.random.default_rng(seed), gain)
        assert out is not None, "orthogonal_init returned None; return the matrix"
        out = np.asarray(out)
        assert out.shape == (H, H), f"the matrix has shape {out.shape}, expected ({H}, {H})"
        assert np.allclose(out.T @ out, gain**2 * np.eye(H), atol=1e-10), \
            f"W.T @ W is not gain**2 * I (H={H}, gain={gain}): the columns are not orthogonal with norm gain"
        expected = orthogonal_reference(H, np.random.default_rng(seed), gain)
        assert_close(out, expected, f"the matrix (H={H}, gain={gain}); draw A = rng.standard_normal((H, H)) "
                     "once, and fix the signs with np.sign(np.diag(R))")


def grad_norms_reference(x, W_ih, W_hh, b_ih, b_hh, dh_T):
    """||dL/dh_t|| for t = 0..T (batch mean), with L = sum(dh_T * h_T), via rnncore on suffixes."""
    B, T, _ = x.shape
    h_seq, _, _ = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, backend="numpy")
    norms = np.empty(T + 1)
    norms[T] = np.linalg.norm(dh_T, axis=1).mean()
    for s in range(T):
        h_start = np.zeros((B, W_hh.shape[0])) if s == 0 else h_seq[:, s - 1]
        _, _, cache = F.rnn_forward(x[:, s:], W_ih, W_hh, b_ih, b_hh, h_start, backend="numpy")
        dh_start = F.rnn_backward(None, cache, dh_T)["dh0"]       # dL/dh_{s} in 0..T numbering
        norms[s] = np.linalg.norm(dh_start, axis=1).mean()
    return norms


@exercise_check
def check_hidden_grad_norms(hidden_grad_norms):
    """hidden_grad_norms(h_seq, W_hh, dh_T) -> (T+1,) mean ||dL/dh_t|| for t = 0..T."""
    rng = np.random.default_rng(404)
    for B, T, D, H, scale in [(3, 6, 2, 4, 0.6), (2, 12, 3, 5, 1.5), (1, 1, 2, 3, 1.0)]:
        x = rng.standard_normal((B, T, D))
        W_ih = rng.standard_normal((H, D)) * 0.5
        W_hh = rng.standard_normal((H, H)) * scale / np.sqrt(H)
        b_ih, b_hh = rng.standard_normal(H) * 0.1, rng.standard_normal(H) * 0.1
        dh_T = rng.standard_normal((B, H))
        h_seq, _, _ = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, backend="numpy")
        out = hidden_grad_norms(h_seq, W_hh, dh_T)
        assert out is not None, "hidden_grad_norms returned None; return the array of norms"
        out = np.asarray(out)
        assert out.shape == (T + 1,), f"the result has shape {out.shape}, expected (T + 1,) = ({T + 1},)"
        expected = grad_norms_reference(x, W_ih, W_hh, b_ih, b_hh, dh_T)
        assert_close(out[T], expected[T], "norms[T] (the gradient you were given)")
        assert_close(out, expected, f"the norms (B={B}, T={T}); index t is the norm of dL/dh_t, t = 0 is h0")
