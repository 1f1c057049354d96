"""The notebook-4 checks reject known-wrong answers and say where to look.

Each wrong answer is a right one with one classic slip (a singular value for an eigenvalue, a missing sign
correction or gain, a transposed Jacobian, a missing tanh factor, a wrong time index); the check must raise
ExerciseFailed with a message that names the slip.
"""
import numpy as np

from _exercises import assert_accepts, rejects_each
from rnncore.initializers import Orthogonal
from rnncore_course import nb04_vanishing_exploding_gradients as nb


def rho_of(W):
    return np.max(np.abs(np.linalg.eigvals(W)))


def test_spectral_radius_check_passes_a_right_answer():
    assert_accepts(nb.check_scale_to_spectral_radius, lambda W, rho: W * (rho / rho_of(W)))


def scale_in_place(W, rho):
    W *= rho / rho_of(W)
    return W


test_spectral_radius_check_names_the_slip = rejects_each(nb.check_scale_to_spectral_radius, [
    (lambda W, rho: W * (rho / np.linalg.norm(W, 2)), "largest singular value"),
    (lambda W, rho: W * (rho / np.max(np.linalg.eigvals(W).real)), "modulus"),
    (lambda W, rho: W * (rho_of(W) / rho), "upside down"),
    (scale_in_place, "in place"),
], regex=True)


def orthogonal(H, rng, gain=1.0, fix="columns", use_gain=True):
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    s = np.sign(np.diag(R))
    Q = {"columns": Q * s, "rows": s[:, None] * Q, "none": Q}[fix]
    return gain * Q if use_gain else Q


def test_orthogonal_check_passes_a_right_answer():
    assert_accepts(nb.check_orthogonal_init, orthogonal,
                   lambda H, rng, gain=1.0: Orthogonal(gain)((H, H), rng, dtype=np.float64))


test_orthogonal_check_names_the_slip = rejects_each(nb.check_orthogonal_init, [
    (lambda H, rng, gain=1.0: orthogonal(H, rng, gain, fix="none"), r"signs.*np.sign\(R\[j, j\]\)"),
    (lambda H, rng, gain=1.0: orthogonal(H, rng, gain, fix="rows"), r"column j of Q \(not row j\)"),
    (lambda H, rng, gain=1.0: orthogonal(H, rng, gain, use_gain=False), "multiply Q by gain"),
    (lambda H, rng, gain=1.0: orthogonal(H, np.random.default_rng(rng.integers(1 << 30)), gain), "exactly once"),
], regex=True)


def grad_norms(h_seq, W_hh, dh_T, transpose=False, tanh_factor=True, shift=0, reverse=False):
    B, T, H = h_seq.shape
    norms = np.empty(T + 1)
    g = dh_T
    norms[T] = np.linalg.norm(g, axis=1).mean()
    for t in range(T, 0, -1):
        h_t = h_seq[:, max(t - 1 - shift, 0)]
        d = (1 - h_t ** 2) if tanh_factor else 1.0
        g = (g * d) @ (W_hh.T if transpose else W_hh)
        norms[t - 1] = np.linalg.norm(g, axis=1).mean()
    return norms[::-1] if reverse else norms


def test_grad_norms_check_passes_a_right_answer():
    assert_accepts(nb.check_hidden_grad_norms, grad_norms)


test_grad_norms_check_names_the_slip = rejects_each(nb.check_hidden_grad_norms, [
    (lambda h, W, d: grad_norms(h, W, d, transpose=True), r"W_hh.T"),                   # transposed Jacobian
    (lambda h, W, d: grad_norms(h, W, d, tanh_factor=False), r"factor 1 - h_T\*\*2"),   # missing term
    (lambda h, W, d: grad_norms(h, W, d, shift=1), r"h_seq\[:, t-1\]"),                 # h_(t-1) for h_t
    (lambda h, W, d: grad_norms(h, W, d, reverse=True), r"norms\[T\] must be"),         # norms in the wrong order
], regex=True)
