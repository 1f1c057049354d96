"""Checks for ``solutions/16_protein_secondary_structure_exercises.ipynb``.

The checks test properties rather than re-implementing the answers: the masked loss
must equal rnncore's (unmasked) cross-entropy on the real residues alone, ignore
whatever sits at padded positions, and have the gradient its own finite differences
give; the window features are read block by block; Q3 and the per-state correlations
are compared with scikit-learn on the real residues.
"""
import numpy as np

from rnncore.gradcheck import numeric_gradient, rel_error
from rnncore.losses import SparseCategoricalCrossentropy
from . import assert_close, exercise_check


def _padded_batch(rng, B=4, T=9, K=3):
    lengths = rng.integers(2, T + 1, B)
    lengths[0] = T
    mask = np.arange(T)[None, :] < lengths[:, None]
    logits = rng.standard_normal((B, T, K))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y = rng.integers(0, K, (B, T))
    return probs, y, mask


@exercise_check
def check_masked_cross_entropy(masked_cross_entropy):
    """masked_cross_entropy(probs (B, T, K), y (B, T), mask (B, T)) -> (loss, dprobs (B, T, K))."""
    rng = np.random.default_rng(1601)
    probs, y, mask = _padded_batch(rng)
    out = masked_cross_entropy(probs, y, mask)
    assert out is not None and len(out) == 2, "return a pair (loss, dprobs)"
    loss, dprobs = out
    assert np.ndim(loss) == 0, f"the loss is one number, got shape {np.shape(loss)}"
    assert np.shape(dprobs) == probs.shape, f"dprobs has shape {np.shape(dprobs)}, expected {probs.shape}"
    plain = SparseCategoricalCrossentropy()

    full = np.ones_like(mask)
    assert_close(masked_cross_entropy(probs, y, full)[0], plain(y, probs),
                 "the loss with nothing masked (it should be the mean of -log p[true class] over all "
                 "B*T positions: check the sign and what you divide by)")

    changed = probs.copy()
    changed[~mask] = rng.dirichlet(np.ones(3), size=int((~mask).sum()))
    y_changed = np.where(mask, y, (y + 1) % 3)
    assert np.isclose(masked_cross_entropy(changed, y_changed, mask)[0], loss), \
        "the loss changes when only padded positions change: padded steps (mask False) must not count"

    real = plain(y[mask][None, :], probs[mask][None, :, :])
    assert np.isclose(loss, real), (
        f"loss {float(loss):.6f}, but the mean of -log p over the real residues is {real:.6f}: "
        "divide by the number of real residues (mask.sum()), not by B or B*T")

    assert np.all(np.asarray(dprobs)[~mask] == 0), "dprobs must be exactly 0 at padded positions"
    num = numeric_gradient(lambda: masked_cross_entropy(probs, y, mask)[0], probs)
    err = rel_error(num, np.asarray(dprobs))
    assert err < 1e-6, (
        f"dprobs disagrees with finite differences of your own loss (relative error {err:.2g}); "
        "d(-log p_y)/dp_y = -1/p_y, divided by the same count as the loss, and 0 for the other classes")


@exercise_check
def check_window_features(window_features):
    """window_features(idx (L,) ints in 0..19, window odd) -> (L, window * 21) one-hot blocks."""
    rng = np.random.default_rng(1602)
    for L, window in [(7, 3), (20, 13), (1, 5), (4, 9)]:
        idx = rng.integers(0, 20, L)
        X = window_features(idx, window)
        assert X is not None, "window_features returned None: return the (L, window * 21) array"
        X = np.asarray(X)
        assert X.shape == (L, window * 21), f"shape {X.shape} for L={L}, window={window}; expected ({L}, {window * 21})"
        blocks = X.reshape(L, window, 21)
        assert np.allclose(blocks.sum(-1), 1), (
            "every block of 21 must hold exactly one 1: the residue there, or symbol 20 for "
            "'beyond the end of the chain' (are the off-end positions left all zero?)")
        half = window // 2
        assert np.array_equal(blocks[:, half, :20].argmax(-1), idx) and np.all(blocks[:, half, :20].sum(-1) == 1), \
            f"block {half} (the middle one) of row i must be residue i itself: is the window centred?"
        for i in range(L):
            for j in range(window):
                k = i + j - half
                expected = idx[k] if 0 <= k < L else 20
                assert blocks[i, j, expected] == 1, (
                    f"row {i}, block {j} should hold {'residue ' + str(k) if expected != 20 else 'symbol 20 (off the end)'}"
                    f" for window={window}, L={L}")


@exercise_check
def check_q3_and_mcc(q3_and_mcc):
    """q3_and_mcc(probs (B, T, 3), y (B, T), mask (B, T)) -> (q3, [C_coil, C_helix, C_strand])."""
    from sklearn.metrics import matthews_corrcoef

    rng = np.random.default_rng(1603)
    for B, T in [(4, 9), (2, 30)]:
        probs, y, mask = _padded_batch(rng, B, T)
        probs[~mask] = [1.0, 0.0, 0.0]          # padding predicted "coil", its label random
        out = q3_and_mcc(probs, y, mask)
        assert out is not None and len(out) == 2, "return a pair (q3, [three correlations])"
        q3, mccs = out
        pred, true = probs.argmax(-1)[mask], y[mask]
        expected_q3 = np.mean(pred == true)
        assert np.isclose(q3, expected_q3), (
            f"Q3 {float(q3):.4f}, expected {expected_q3:.4f}: count only the real residues (mask True)"
            if not np.isclose(q3, np.mean(probs.argmax(-1) == y)) else
            f"Q3 {float(q3):.4f} counts the padded positions too; expected {expected_q3:.4f}")
        assert np.shape(mccs) == (3,), f"give one correlation per state, got shape {np.shape(mccs)}"
        expected = [matthews_corrcoef(true == k, pred == k) for k in range(3)]
        assert_close(mccs, expected, "the per-state Matthews correlations (each state against the other two, "
                     "real residues only)")
