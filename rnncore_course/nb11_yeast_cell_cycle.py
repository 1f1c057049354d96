"""Checks for ``solutions/11_yeast_cell_cycle_exercises.ipynb``.

The checks hold no copy of the answers: the timing rule is checked on exact
sinusoids whose peak is known, the grouped split by the properties a split must
have, and the bootstrap interval against the normal approximation of the paired
difference (and against the wider interval an unpaired resampling gives).
"""
import numpy as np

from . import exercise_check

# the cdc15 sampling times (minutes): irregular, as in notebook 11
_T_CDC15 = np.array([10, 30, 50, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200,
                     210, 220, 230, 240, 250, 270, 290], dtype=float)


def _sinusoids(rng, n, t, P):
    phase = rng.uniform(0, 1, n)                      # peak time, in cycles
    amp = rng.uniform(0.3, 2.0, n)
    offset = rng.uniform(-1.5, 1.5, n)
    values = offset[:, None] + amp[:, None] * np.cos(2 * np.pi * (t[None, :] / P - phase[:, None]))
    return values, phase, amp


def _cycle_gap(a, b):
    d = np.abs(np.asarray(a, float) - b) % 1.0
    return np.minimum(d, 1 - d)


@exercise_check
def check_peak_phase(peak_phase):
    """peak_phase(values (N, T) with NaN, t (T,), period) -> (phase (N,) in cycles, amplitude (N,))."""
    rng = np.random.default_rng(1101)
    P = 115.0
    values, phase, amp = _sinusoids(rng, 40, _T_CDC15, P)
    out = peak_phase(values, _T_CDC15, P)
    assert out is not None and len(out) == 2, "return a tuple (phase, amplitude)"
    got_phase, got_amp = (np.asarray(v, float) for v in out)
    assert got_phase.shape == (40,) and got_amp.shape == (40,), \
        f"phase and amplitude must have shape (N,) = (40,), got {got_phase.shape} and {got_amp.shape}"
    assert np.all(np.isfinite(got_phase)), "the phase contains NaN or inf on a series without gaps"
    if np.max(_cycle_gap(got_phase / (2 * np.pi), phase)) < 1e-6:
        raise AssertionError("the phase is in radians: return it in cycles, atan2(c, b) / (2 pi), in [0, 1)")
    if np.max(_cycle_gap(got_phase, -phase)) < 1e-6:
        raise AssertionError("the phase runs backwards: the peak of b cos(theta) + c sin(theta) is at "
                             "theta = atan2(c, b), not atan2(-c, b)")
    if np.max(_cycle_gap(got_phase, phase)) > 1e-6 and np.max(_cycle_gap(got_phase, phase)) < 0.2:
        raise AssertionError("the phase is close but not exact on noise-free sinusoids with an offset: "
                             "include the constant a in the fit (columns 1, cos, sin)")
    assert np.max(_cycle_gap(got_phase, phase)) < 1e-6, \
        "the phase of exact sinusoids is wrong: fit a + b cos(2 pi t / P) + c sin(2 pi t / P) by least " \
        "squares and take atan2(c, b) / (2 pi)"
    assert np.all((got_phase >= 0) & (got_phase < 1)), "return the phase in [0, 1): take it modulo 1"
    assert np.allclose(got_amp, amp, rtol=1e-6), "the amplitude of a + b cos + c sin is sqrt(b^2 + c^2)"
    # missing points are left out of the fit, not set to 0
    gappy = values.copy()
    gappy[rng.random(gappy.shape) < 0.3] = np.nan
    gappy[:, :3] = values[:, :3]
    got_phase, got_amp = (np.asarray(v, float) for v in peak_phase(gappy, _T_CDC15, P))
    assert np.all(np.isfinite(got_phase)), "a series with gaps gives NaN: fit on the observed points only"
    assert np.max(_cycle_gap(got_phase, phase)) < 1e-6 and np.allclose(got_amp, amp, rtol=1e-6), \
        "right without gaps, wrong with gaps: leave the missing points out of the fit (do not set them to 0)"


@exercise_check
def check_grouped_split(grouped_split):
    """grouped_split(groups (N,), test_fraction, seed) -> (train_idx, test_idx)."""
    rng = np.random.default_rng(1102)
    groups = np.array([f"Y{g:03d}" for g in rng.integers(0, 150, 400)])
    for frac, seed in [(0.25, 0), (0.2, 1), (0.5, 7)]:
        out = grouped_split(groups, frac, seed)
        assert out is not None and len(out) == 2, "return a tuple (train_idx, test_idx)"
        tr, te = (np.asarray(v) for v in out)
        assert tr.dtype.kind in "iu" and te.dtype.kind in "iu", "return integer index arrays (row numbers)"
        both = np.intersect1d(tr, te)
        assert len(both) == 0, f"row {both[0]} is in both train and test"
        assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(len(groups))), \
            "every row must be in exactly one of train and test"
        crossing = set(groups[tr]) & set(groups[te])
        assert not crossing, f"gene {sorted(crossing)[0]} has rows on both sides: choose which *genes* go to " \
                             "test (e.g. shuffle np.unique(groups)), then take all their rows"
        got = len(te) / len(groups)
        assert abs(got - frac) < 0.08, f"test_fraction={frac} but {got:.2f} of the rows are in test: " \
                                       "is the fraction applied to the test side?"
    a = np.sort(np.asarray(grouped_split(groups, 0.25, 0)[1]))
    b = np.sort(np.asarray(grouped_split(groups, 0.25, 1)[1]))
    assert not np.array_equal(a, b), "seeds 0 and 1 give the same split: shuffle with the seed"


def _correct_vectors(rng, n=400):
    a = (rng.random(n) < 0.85).astype(int)
    flip = rng.random(n) < 0.08                        # b differs from a on 8% of the genes: strongly paired
    b = np.where(flip, 1 - a, a)
    return a, b


@exercise_check
def check_paired_bootstrap_ci(paired_bootstrap_ci):
    """paired_bootstrap_ci(correct_a (N,), correct_b (N,), n_boot, seed) -> (low, high)."""
    rng = np.random.default_rng(1103)
    for _ in range(3):
        a, b = _correct_vectors(rng)
        out = paired_bootstrap_ci(a, b, 4000, 0)
        assert out is not None and len(out) == 2, "return a tuple (low, high)"
        low, high = float(out[0]), float(out[1])
        assert low < high, f"low = {low:.4f} must be below high = {high:.4f}"
        d = a - b
        centre, se = d.mean(), d.std(ddof=1) / np.sqrt(len(d))
        unpaired_se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        assert abs((low + high) / 2 - centre) < 0.6 * se + 0.002, \
            f"the interval ({low:.3f}, {high:.3f}) is not centred near the observed difference " \
            f"{centre:+.3f}: bootstrap mean(a) - mean(b), the difference of the two models"
        width, expected = high - low, 2 * 1.96 * se
        if width > 1.4 * expected and abs(width - 2 * 1.96 * unpaired_se) < 0.3 * 2 * 1.96 * unpaired_se:
            raise AssertionError(f"the interval is {width:.3f} wide, as wide as an unpaired bootstrap "
                                 f"(expected about {expected:.3f}): resample the same genes for both models "
                                 "(one index array per replicate), not a and b separately")
        assert width > 0.75 * expected, \
            f"the interval is {width:.3f} wide, expected about {expected:.3f}: a 95% interval takes the " \
            "2.5th and 97.5th percentiles of the bootstrap differences"
        assert width < 1.3 * expected, \
            f"the interval is {width:.3f} wide, expected about {expected:.3f}: a 95% interval takes the " \
            "2.5th and 97.5th percentiles of the bootstrap differences"
    a, b = _correct_vectors(rng)
    assert np.allclose(paired_bootstrap_ci(a, b, 500, 3), paired_bootstrap_ci(a, b, 500, 3)), \
        "the same seed must give the same interval: draw from np.random.default_rng(seed)"
