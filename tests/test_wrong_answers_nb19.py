"""The checks of notebook 19's exercises reject known-wrong answers, and say where to look."""
import numpy as np

from _exercises import assert_accepts, assert_rejects, assert_rejects_non_answers, rejects_each
from rnncore_course.nb19_attention import check_attention_backward, check_attention_forward, check_masked_softmax
from rnncore.reference import attention as ref

_softmax = ref.masked_softmax      # under another name: a global `masked_softmax` below is a learner's wrong one


# ----------------------------------------------------------------------------- masked softmax
def softmax_ignores_mask(e, mask):
    p = np.exp(e - e.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def softmax_masks_after_normalising(e, mask):          # zeroed, but the rows no longer sum to 1
    return softmax_ignores_mask(e, mask) * mask


def softmax_without_max(e, mask):                        # exp(1000) overflows
    p = np.exp(e) * mask
    return p / p.sum(axis=1, keepdims=True)


def softmax_max_over_all_steps(e, mask):                 # a huge masked score wipes out the valid ones
    p = np.exp(e - e.max(axis=1, keepdims=True)) * mask
    return p / p.sum(axis=1, keepdims=True)


def softmax_over_batch(e, mask):
    p = np.where(mask, np.exp(e - np.where(mask, e, -np.inf).max(axis=0, keepdims=True)), 0.0)
    return p / p.sum(axis=0, keepdims=True)


test_masked_softmax_rejects = rejects_each(check_masked_softmax, [
    (softmax_ignores_mask, "exactly 0 at masked steps"),
    (softmax_masks_after_normalising, "sum to 1 over its valid steps"),
    (softmax_without_max, "Subtract each row's maximum"),
    (softmax_max_over_all_steps, "maximum over the VALID steps"),
    (softmax_over_batch, "sum to 1"),
])


# ----------------------------------------------------------------------------- forward
def forward_no_mask(h, W, b, v, mask):
    return ref.forward(h, W, b, v)[:2]


def forward_no_tanh(h, W, b, v, mask):
    alpha = _softmax((h @ W.T + b) @ v, mask)
    return np.einsum("bt,bth->bh", alpha, h), alpha


def forward_mean_context(h, W, b, v, mask):              # right weights, but the context ignores them
    _, alpha, _ = ref.forward(h, W, b, v, mask)
    return (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True), alpha


def forward_wrong_scores(h, W, b, v, mask):              # v applied before the tanh
    alpha = _softmax(np.tanh((h @ W.T) @ v + b.sum()), mask)
    return np.einsum("bt,bth->bh", alpha, h), alpha


def forward_context_summed_over_batch(h, W, b, v, mask):
    _, alpha, _ = ref.forward(h, W, b, v, mask)
    return np.broadcast_to(np.einsum("bt,bth->h", alpha, h), (h.shape[0], h.shape[2])), alpha


def forward_context_per_step(h, W, b, v, mask):          # alpha_t h_t, never summed
    _, alpha, _ = ref.forward(h, W, b, v, mask)
    return alpha[..., None] * h, alpha


test_attention_forward_rejects = rejects_each(check_attention_forward, [
    (forward_no_mask, "exactly 0 at masked steps"),
    (forward_no_tanh, "need the tanh"),
    (forward_mean_context, "weighted sum over t"),
    (forward_wrong_scores, "e_t = v . tanh(W h_t + b)"),
    (forward_context_summed_over_batch, "check the axes of the sum"),
    (forward_context_per_step, "context has shape"),
])


def masked_softmax(e, mask):            # a learner's masked_softmax that fails its own check (no maximum)
    p = np.exp(1.0001 * e) * mask
    return p / p.sum(axis=1, keepdims=True)


def forward_on_a_wrong_softmax(h, W, b, v, mask):
    alpha = masked_softmax(np.tanh(h @ W.T + b) @ v, mask)
    return np.einsum("bt,bth->bh", alpha, h), alpha


def test_forward_blames_a_wrong_masked_softmax():
    assert_rejects(check_attention_forward, forward_on_a_wrong_softmax, "fix masked_softmax first")


# ----------------------------------------------------------------------------- backward
def _backward(dcontext, h, W, b, v, mask, softmax_jacobian=True, tanh_grad=lambda u: 1 - u ** 2,
              score_path=True, dW_transposed=False, leak=0.0):
    _, alpha, cache = ref.forward(h, W, b, v, mask)
    u = cache.u
    dalpha = np.einsum("bth,bh->bt", h, dcontext)
    de = alpha * (dalpha - np.sum(alpha * dalpha, axis=1, keepdims=True)) if softmax_jacobian else alpha * dalpha
    dv = np.einsum("bt,bta->a", de, u)
    da = de[:, :, None] * v * tanh_grad(u)
    dW = np.einsum("bta,bth->ah", da, h)
    db = da.sum(axis=(0, 1))
    dh = alpha[:, :, None] * dcontext[:, None, :] + (da @ W if score_path else 0)
    dh = dh + leak * (~mask)[..., None]
    return dh, (dW.T if dW_transposed else dW), db, dv


test_attention_backward_rejects = rejects_each(check_attention_backward, [
    (lambda *a: _backward(*a, softmax_jacobian=False), "through the softmax"),
    (lambda *a: _backward(*a, tanh_grad=lambda u: 1 - u), "1 - u_t**2"),
    (lambda *a: _backward(*a, tanh_grad=lambda u: np.ones_like(u)), "through the tanh"),
    (lambda *a: _backward(*a, score_path=False), "two paths"),
    (lambda *a: _backward(*a, dW_transposed=True), "dW has shape"),
    (lambda *a: _backward(*a, leak=1e-3), "exactly 0 at masked steps"),
])


def test_the_right_answers_pass():
    assert_accepts(check_masked_softmax, ref.masked_softmax)
    assert_accepts(check_attention_forward, lambda h, W, b, v, mask: ref.forward(h, W, b, v, mask)[:2])
    assert_accepts(check_attention_backward, lambda dcontext, h, W, b, v, mask: _backward(dcontext, h, W, b, v, mask))


def test_stubs_and_none_fail():
    for check in (check_masked_softmax, check_attention_forward, check_attention_backward):
        assert_rejects_non_answers(check, "None" if check is check_masked_softmax else "return")
