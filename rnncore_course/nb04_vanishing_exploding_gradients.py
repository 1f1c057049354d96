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
        out = np.asarray(out)
        assert out.shape == W.shape, f"the result has shape {out.shape}, expected {W.shape}"
        got = _spectral_radius(out)
        if abs(got - rho) > 1e-8:
            eig = np.linalg.eigvals(W)
            if abs(got - rho * _spectral_radius(W) / np.linalg.norm(W, 2)) < 1e-8:
                hint = ("you divided by the largest singular value (np.linalg.norm(W, 2)); the spectral radius is the "
                        "largest |eigenvalue|")
            elif abs(got - rho * _spectral_radius(W) / abs(np.max(eig.real))) < 1e-8:
                hint = ("the eigenvalues are complex: take their modulus, np.abs(np.linalg.eigvals(W)), not the "
                        "real part")
            elif abs(got * rho - _spectral_radius(W) ** 2) < 1e-8 * rho:
                hint = "the factor is upside down: multiply by rho / rho(W)"
            else:
                hint = "multiply W by rho / max|eigenvalue of W|"
            raise AssertionError(f"the result has spectral radius {got:.6g}, expected {rho} ({H}x{H} W): {hint}")
        assert_close(out, W * (rho / _spectral_radius(W)), f"the scaled {H}x{H} matrix (rho = {rho}): "
                     "its spectral radius is right but it is not a multiple of W")


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
        if not np.allclose(out.T @ out, gain**2 * np.eye(H), atol=1e-10):
            if np.allclose(out.T @ out, np.eye(H), atol=1e-10):
                raise AssertionError(f"W.T @ W is I, not gain**2 * I (gain = {gain}): multiply Q by gain")
            raise AssertionError(f"W.T @ W is not gain**2 * I (H={H}, gain={gain}): the columns are not orthogonal "
                                 "with norm gain; return (a multiple of) the Q of np.linalg.qr")
        expected = orthogonal_reference(H, np.random.default_rng(seed), gain)
        if not np.allclose(out, expected, atol=1e-10):
            if np.allclose(np.abs(out), np.abs(expected), atol=1e-10):
                flipped = ~np.isclose(out, expected, atol=1e-10).all(axis=0)
                raise AssertionError(f"right up to signs (H={H}): columns {np.flatnonzero(flipped).tolist()} have "
                                     "the wrong sign; multiply column j of Q (not row j) by np.sign(R[j, j])")
            raise AssertionError(f"the matrix (H={H}, gain={gain}) is orthogonal but not the expected one: draw "
                                 "A = rng.standard_normal((H, H)) exactly once and take Q from np.linalg.qr(A)")


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


def _norms_through_powers(dh_T, W_hh, d_last, T):
    """Norms of dL/dh_t when only the last state's factor (1 - h_T**2) = d_last differs from 1.

    With h_t = 0 elsewhere every other Jacobian is W_hh alone, so dL/dh_(T-k) = (dh_T * d_last) @ W_hh^k.
    """
    g = dh_T * d_last
    norms = np.empty(T + 1)
    norms[T] = np.linalg.norm(dh_T, axis=1).mean()
    for k in range(1, T + 1):
        norms[T - k] = np.linalg.norm(g @ np.linalg.matrix_power(W_hh, k - 1) @ W_hh, axis=1).mean()
    return norms


@exercise_check
def check_hidden_grad_norms(hidden_grad_norms):
    """hidden_grad_norms(h_seq, W_hh, dh_T) -> (T+1,) mean ||dL/dh_t|| for t = 0..T."""
    rng = np.random.default_rng(404)
    # probes: hidden states set by hand, so that one ingredient at a time matters
    B, T, H = 3, 5, 4
    dh_T = rng.standard_normal((B, H))
    S = rng.standard_normal((H, H))
    W_sym = (S + S.T) / (2 * np.sqrt(H))
    W_asym = rng.standard_normal((H, H)) / np.sqrt(H) + np.triu(np.ones((H, H)), 1)
    zeros = np.zeros((B, T, H))
    last = zeros.copy()
    last[:, T - 1] = rng.uniform(-0.9, 0.9, (B, H))
    probes = [
        (zeros, W_sym, np.ones((B, H)), "with h_t = 0 every factor 1 - h_t**2 is 1 and dL/dh_(T-k) = dh_T @ W_hh^k: "
         "norms[t] must be the norm at step t, from norms[0] (h0, farthest back) to norms[T] = mean ||dh_T||"),
        (zeros, W_asym, np.ones((B, H)), "with h_t = 0 the only ingredient is W_hh, and a symmetric W_hh passed: "
         "you multiply by W_hh.T; in batch-first rows g_(t-1) = (g_t * (1 - h_t**2)) @ W_hh"),
        (last, W_asym, 1 - last[:, T - 1] ** 2, "only the last state h_T = h_seq[:, T-1] is nonzero, so only the "
         "first step back has a factor 1 - h_T**2: check that the factor is there and that step t uses h_t = "
         "h_seq[:, t-1] (the state the gradient arrives at, not the one before)"),
    ]
    for h_seq, W_hh, d_last, message in probes:
        out = hidden_grad_norms(h_seq, W_hh, dh_T)
        assert out is not None, "hidden_grad_norms returned None; return the array of norms"
        out = np.asarray(out, dtype=float)
        assert out.shape == (T + 1,), f"the result has shape {out.shape}, expected (T + 1,) = ({T + 1},)"
        expected = _norms_through_powers(dh_T, W_hh, d_last, T)
        assert np.allclose(out[T], expected[T]), "norms[T] must be the mean norm of dh_T (the gradient you were given)"
        if not np.allclose(out, expected, rtol=1e-6, atol=1e-10):
            bad = np.flatnonzero(~np.isclose(out, expected, rtol=1e-6, atol=1e-10))
            raise AssertionError(f"norms at t = {bad.tolist()} wrong: {message}")
    for B, T, D, H, scale in [(3, 6, 2, 4, 0.6), (2, 12, 3, 5, 1.5), (1, 1, 2, 3, 1.0)]:
        x = rng.standard_normal((B, T, D))
        W_ih = rng.standard_normal((H, D)) * 0.5
        W_hh = rng.standard_normal((H, H)) * scale / np.sqrt(H)
        b_ih, b_hh = rng.standard_normal(H) * 0.1, rng.standard_normal(H) * 0.1
        dh_T = rng.standard_normal((B, H))
        h_seq, _, _ = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, backend="numpy")
        out = np.asarray(hidden_grad_norms(h_seq, W_hh, dh_T))
        expected = grad_norms_reference(x, W_ih, W_hh, b_ih, b_hh, dh_T)
        assert_close(out, expected, f"the norms (B={B}, T={T}) of a real RNN; index t is the norm of dL/dh_t, "
                     "t = 0 is h0")
