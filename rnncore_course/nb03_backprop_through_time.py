"""Checks for ``solutions/03_backprop_through_time_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference (``backend="numpy"``) for the ReLU Elman RNN, or,
for truncated BPTT, with central differences of the truncated loss. A failure
names the gradient, and the time step, to look at.
"""
import numpy as np

from rnncore import functional as F
from rnncore.gradcheck import numeric_gradient
from rnncore.reference import rnn as ref_rnn
from . import assert_close, blaming, elman_params, exercise_check

_PARAM_GRADS = ("dW_ih", "dW_hh", "db_ih", "db_hh")


def _problem(rng, B, T, D, H):
    x = rng.standard_normal((B, T, D))
    W_ih = rng.standard_normal((H, D)) * 0.5
    W_hh = rng.standard_normal((H, H)) * 0.4
    b_ih = rng.standard_normal(H) * 0.2 + 0.1     # a positive shift keeps most ReLUs active
    b_hh = rng.standard_normal(H) * 0.2
    h0 = np.abs(rng.standard_normal((B, H))) * 0.5
    return x, W_ih, W_hh, b_ih, b_hh, h0


def _get(result, key, what):
    assert isinstance(result, dict), f"{what} must return a dict, got {type(result).__name__}"
    assert key in result, f"the dict returned by {what} has no key {key!r}"
    return result[key]


def _close(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


# What each gradient of one step is made of, for the message when it alone is wrong.
_STEP_HINTS = {
    "dx_t": "dx_t = da @ W_ih",
    "dh_prev": "dh_prev = da @ W_hh (not W_hh.T)",
    "dW_ih": "dW_ih = da.T @ x_t, shape (H, D)",
    "dW_hh": "dW_hh = da.T @ h_prev (h_{t-1}, not h_t), shape (H, H)",
    "db": "db = da summed over the batch",
}


@exercise_check
def check_relu_step_backward(relu_step_backward):
    """relu_step_backward(dh_t, x_t, h_prev, h_t, W_ih, W_hh) -> (dx_t, dh_prev, dW_ih, dW_hh, db)."""
    rng = np.random.default_rng(303)
    names = ("dx_t", "dh_prev", "dW_ih", "dW_hh", "db")
    for B, D, H in [(3, 4, 5), (1, 2, 6)]:
        x, W_ih, W_hh, b_ih, b_hh, h0 = _problem(rng, B, 1, D, H)
        h0 = np.maximum(h0 - 0.3, 0.0)            # h_prev is a ReLU output too: some units are off
        assert (h0 == 0).any(), "internal: need inactive units in h_prev"
        h_t, cache = ref_rnn.step_forward(x[:, 0], h0, W_ih, W_hh, b_ih, b_hh, "relu")
        assert (h_t == 0).any() and (h_t > 0).any(), "internal: need active and inactive units"
        dh_t = rng.standard_normal((B, H))
        out = relu_step_backward(dh_t, x[:, 0], h0, h_t, W_ih, W_hh)
        assert isinstance(out, tuple) and len(out) == 5, "return a tuple (dx_t, dh_prev, dW_ih, dW_hh, db)"
        expected = dict(zip(names, ref_rnn.step_backward(dh_t, cache)[:5]))
        got = dict(zip(names, out))
        wrong = [n for n in names if not _close(got[n], expected[n])]
        if not wrong:
            continue
        # db is the batch sum of da = dh_t * relu'(a_t): when it is wrong, da is, and every gradient with it
        if "db" in wrong:
            if _close(got["db"], dh_t.sum(0)):
                raise AssertionError("da is missing the ReLU derivative: da = dh_t * (h_t > 0)")
            if _close(got["db"], (dh_t * (h0 > 0)).sum(0)):
                raise AssertionError("da uses the mask of h_prev; the ReLU derivative is at step t: (h_t > 0)")
            raise AssertionError("da = dh_t * (h_t > 0) is wrong (db, its batch sum, is wrong)")
        n = wrong[0]
        assert_close(got[n], expected[n], f"{n} (da is right; look at {_STEP_HINTS[n]})")


@exercise_check
def check_relu_rnn_backward(relu_rnn_backward):
    """relu_rnn_backward(dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh) -> dict of gradients."""
    rng = np.random.default_rng(304)
    for B, T, D, H in [(2, 6, 3, 4), (3, 1, 2, 5), (1, 9, 4, 3)]:
        x, W_ih, W_hh, b_ih, b_hh, h0 = _problem(rng, B, T, D, H)
        h_seq, _, cache = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, h0, nonlinearity="relu", backend="numpy")
        dh_seq = rng.standard_normal((B, T, H))
        dh_T = rng.standard_normal((B, H))
        with blaming(relu_rnn_backward, "relu_step_backward", check_relu_step_backward):
            got = relu_rnn_backward(dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh)
            exp = F.rnn_backward(dh_seq, cache, dh_T)
            dx = _get(got, "dx", "relu_rnn_backward")
            assert np.shape(dx) == (B, T, D), f"dx has shape {np.shape(dx)}, expected (B, T, D) = {(B, T, D)}"
            # going backwards in time, the first wrong dx[:, t] tells which path into h_t is wrong
            for t in reversed(range(T)):
                if _close(dx[:, t], exp["dx"][:, t]):
                    continue
                if t == T - 1:
                    raise AssertionError(f"dx[:, {t}] (the last step) is wrong: there, dL/dh_t = dh_seq[:, t] + dh_T")
                raise AssertionError(f"dx[:, {t}] is wrong while the steps after it are right: the gradient into "
                                     f"h_{t} is dh_seq[:, {t}] plus the dh_prev that step {t + 1} sends back")
            hints = {"dh0": "dh0 is the dh_prev of step 0",
                     "dW_hh": "dW_hh uses h_{t-1}: h_seq[:, t-1], and h0 at t = 0",
                     "dW_ih": "dW_ih sums da_t.T @ x_t over the steps",
                     "db_ih": "db_ih sums da_t over the batch and the steps",
                     "db_hh": "db_hh equals db_ih (a separate array)"}
            for key in ("dh0", *_PARAM_GRADS):
                assert_close(_get(got, key, "relu_rnn_backward"), exp[key], f"{key} (B={B}, T={T}; {hints[key]})")


def _truncated_loss(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k, starts):
    """sum(dh_seq * h_seq) with chunks of k steps, each started from a fixed state ``starts[s]``.

    Truncated BPTT is the exact gradient of this loss: the state entering a chunk is a
    constant (it does not depend on the weights), so no gradient crosses a chunk boundary.
    """
    loss = 0.0
    for s in range(0, x.shape[1], k):
        h_chunk, _, _ = F.rnn_forward(x[:, s:s + k], W_ih, W_hh, b_ih, b_hh, starts[s], backend="numpy")
        loss += np.sum(dh_seq[:, s:s + k] * h_chunk)
    return loss


def _truncated_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k, carry_state=True):
    """Central differences of the truncated loss: dW_ih, dW_hh, db_ih, db_hh."""
    B, T, _ = x.shape
    if carry_state:
        h_seq, _, _ = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, backend="numpy")
        starts = {s: (np.zeros((B, W_hh.shape[0])) if s == 0 else h_seq[:, s - 1].copy()) for s in range(0, T, k)}
    else:
        starts = {s: np.zeros((B, W_hh.shape[0])) for s in range(0, T, k)}
    weights = dict(zip(_PARAM_GRADS, (W_ih.copy(), W_hh.copy(), b_ih.copy(), b_hh.copy())))

    def loss():
        return _truncated_loss(x, dh_seq, *weights.values(), k, starts)

    return {key: numeric_gradient(loss, w) for key, w in weights.items()}


@exercise_check
def check_tbptt_gradients(tbptt_gradients):
    """tbptt_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k) -> dict dW_ih, dW_hh, db_ih, db_hh."""
    rng = np.random.default_rng(305)
    B, T, D, H = 2, 10, 3, 4
    x = rng.standard_normal((B, T, D))
    W_ih, W_hh, b_ih, b_hh = elman_params(rng, D, H)
    dh_seq = rng.standard_normal((B, T, H))
    _, _, full_cache = F.rnn_forward(x, W_ih, W_hh, b_ih, b_hh, backend="numpy")
    full = F.rnn_backward(dh_seq, full_cache)
    for k in (10, 1, 3, 4):     # k = T is full BPTT; 3 and 4 leave a shorter last chunk
        got = tbptt_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k)
        exp = _truncated_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k)
        dW_hh = _get(got, "dW_hh", "tbptt_gradients")
        if not np.allclose(dW_hh, exp["dW_hh"], rtol=1e-5, atol=1e-7) and k < T:
            assert not _close(dW_hh, full["dW_hh"]), (f"with k={k} this is full BPTT: stop the gradient at each "
                                                      "chunk boundary (backward over each chunk alone)")
            no_carry = _truncated_gradients(x, dh_seq, W_ih, W_hh, b_ih, b_hh, k, carry_state=False)
            assert not np.allclose(dW_hh, no_carry["dW_hh"], rtol=1e-5, atol=1e-7), (
                f"with k={k} every chunk starts from zeros: carry the hidden state forward into the next chunk "
                "(only the gradient stops at the boundary)")
        for key in _PARAM_GRADS:
            assert_close(_get(got, key, "tbptt_gradients"), exp[key], f"{key} with k={k}", rtol=1e-5, atol=1e-7)
