"""Checks for ``solutions/19_attention_exercises.ipynb``.

Each answer is compared with :mod:`rnncore.reference.attention` on fresh random inputs with
padded sequences (steps masked at the end, at the start, and in the middle), and on inputs
chosen to catch the usual mistakes: huge scores (a softmax without its maximum subtracted
overflows), a huge score at a masked step (a maximum taken over masked steps too wipes out
the valid ones), and one gradient at a time, so the message names the line to look at.
"""
import numpy as np

from rnncore.reference import attention as _ref
from . import assert_close, blame_earlier, exercise_check


def _inputs(seed, B=4, T=7, H=5, A=3):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((B, T, H))
    W = rng.standard_normal((A, H)) * 0.8          # A != H: a transposed W fails loudly
    b = rng.standard_normal(A) * 0.3
    v = rng.standard_normal(A)
    mask = np.ones((B, T), dtype=bool)
    mask[1, 4:] = False        # padding at the end
    mask[2, :3] = False        # ... at the start
    mask[3, [1, 5]] = False    # ... and holes
    return h, W, b, v, mask


@exercise_check
def check_masked_softmax(masked_softmax):
    """masked_softmax(e (B, T), mask (B, T) bool) -> alpha (B, T)."""
    rng = np.random.default_rng(1901)
    _, _, _, _, mask = _inputs(1901)
    e = rng.standard_normal(mask.shape)
    alpha = masked_softmax(e.copy(), mask)
    assert alpha is not None, "masked_softmax returned None: return alpha, shape (B, T)"
    alpha = np.asarray(alpha)
    assert alpha.shape == e.shape, f"alpha has shape {alpha.shape}, expected {e.shape} (one weight per step)"
    assert np.all(alpha[~mask] == 0), (
        "alpha must be exactly 0 at masked steps (mask False): padding gets no attention; "
        "set exp(e) to 0 there before normalising")
    assert np.allclose(alpha.sum(axis=1), 1.0), (
        f"each row of alpha must sum to 1 over its valid steps, got sums {np.round(alpha.sum(axis=1), 4)}: "
        "divide by the sum over the valid steps only, after zeroing the masked ones")
    assert_close(alpha, _ref.masked_softmax(e, mask), "alpha (exp(e_t) / sum of exp(e_s) over the valid s)")

    big = 1000.0 * e                                 # exp(1000) overflows to inf
    with np.errstate(all="ignore"):
        alpha_big = np.asarray(masked_softmax(big, mask))
    assert np.isfinite(alpha_big).all(), (
        "scores of size 1000 give inf/NaN: exp overflows. Subtract each row's maximum (over its valid "
        "steps) before exp; the softmax does not change")
    assert_close(alpha_big, _ref.masked_softmax(big, mask), "alpha for scores of size 1000")

    trap = e.copy()
    trap[~mask] = 1e4                                # a huge score where nothing may be attended
    with np.errstate(all="ignore"):
        alpha_trap = np.asarray(masked_softmax(trap, mask))
    assert np.isfinite(alpha_trap).all() and np.allclose(alpha_trap, _ref.masked_softmax(e, mask)), (
        "a huge score at a masked step changes alpha (or makes it NaN): take the maximum over the VALID "
        "steps only (e.g. np.where(mask, e, -np.inf).max(axis=1)); what sits at padding must not matter")


@exercise_check
def check_attention_forward(attention_forward):
    """attention_forward(h (B, T, H), W (A, H), b (A,), v (A,), mask (B, T)) -> (context (B, H), alpha (B, T))."""
    h, W, b, v, mask = _inputs(1902)
    out = attention_forward(h.copy(), W.copy(), b.copy(), v.copy(), mask.copy())
    assert out is not None and len(out) == 2, "return a pair (context, alpha)"
    context, alpha = (np.asarray(o) for o in out)
    ref_context, ref_alpha, _ = _ref.forward(h, W, b, v, mask)
    B, T, H = h.shape
    assert alpha.shape == (B, T), f"alpha has shape {alpha.shape}, expected (B, T) = {(B, T)}"
    assert context.shape == (B, H), f"context has shape {context.shape}, expected (B, H) = {(B, H)}"
    assert np.all(alpha[~mask] == 0), "alpha must be exactly 0 at masked steps: use your masked_softmax"
    assert np.allclose(alpha.sum(axis=1), 1.0), (
        "each row of alpha must sum to 1: the softmax runs over time (axis 1), once per sequence, not over the batch")
    if not np.allclose(alpha, ref_alpha):
        blame = blame_earlier(attention_forward, "masked_softmax", check_masked_softmax)
        assert blame is None, blame
        u = h @ W.T + b
        no_tanh = _ref.masked_softmax(u @ v, mask)
        assert not np.allclose(alpha, no_tanh), "the scores need the tanh: u_t = tanh(W h_t + b), e_t = v . u_t"
        raise AssertionError("alpha differs from the reference: the scores are e_t = v . tanh(W h_t + b), with W of "
                             "shape (A, H) applied to each h_t (h @ W.T + b), then the masked softmax over t")
    assert_close(context, ref_context, "context (the weighted sum over t of alpha_t h_t; check the axes of the sum)")


@exercise_check
def check_attention_backward(attention_backward):
    """attention_backward(dcontext (B, H), h, W, b, v, mask) -> (dh (B, T, H), dW (A, H), db (A,), dv (A,))."""
    h, W, b, v, mask = _inputs(1903)
    dcontext = np.random.default_rng(1904).standard_normal((h.shape[0], h.shape[2]))
    out = attention_backward(dcontext.copy(), h.copy(), W.copy(), b.copy(), v.copy(), mask.copy())
    assert out is not None and len(out) == 4, "return four gradients (dh, dW, db, dv)"
    dh, dW, db, dv = (np.asarray(o) for o in out)
    _, _, cache = _ref.forward(h, W, b, v, mask)
    r_dh, r_dW, r_db, r_dv = _ref.backward(dcontext, cache)
    for name, got, ref in (("dh", dh, r_dh), ("dW", dW, r_dW), ("db", db, r_db), ("dv", dv, r_dv)):
        assert got.shape == ref.shape, (f"{name} has shape {got.shape}, expected {ref.shape}"
                                        + (" (W is (A, H): sum da_t h_t^T, not h_t da_t^T)" if name == "dW" else ""))
    blame = blame_earlier(attention_backward, "attention_forward", check_attention_forward)
    assert blame is None, blame
    assert np.allclose(dv, r_dv), (
        "dv is wrong, so the score gradient de_t is: through the softmax, de_t = alpha_t * (dalpha_t - "
        "sum_s alpha_s dalpha_s) with dalpha_t = h_t . dcontext; then dv = sum over b, t of de_t u_t")
    assert np.allclose(db, r_db), (
        "dv is right but db is not: look at the step through the tanh, da_t = de_t * v * (1 - u_t**2) "
        "(u_t = tanh(...) itself, so its derivative is 1 - u_t**2), and db = sum over b, t of da_t")
    assert np.allclose(dW, r_dW), "db is right but dW is not: dW = sum over b, t of outer(da_t, h_t), shape (A, H)"
    assert np.all(dh[~mask] == 0), "dh must be exactly 0 at masked steps (their alpha is 0, and so is their de)"
    assert np.allclose(dh, r_dh), (
        "dW, db, dv are right but dh is not: h_t reaches the loss by two paths, the weighted sum "
        "(alpha_t * dcontext) and its own score (da_t @ W); add both")
