"""Checks for ``solutions/14_motif_grammar_exercises.ipynb``.

The checks compare the learner's functions with rnncore's own references and
with properties the answer must have, never with a copy of the answer: the
simulator's planted positions and labels (:func:`rnncore.datasets.planted_motifs`)
and :func:`rnncore.datasets.consensus_hits` for the motif scan and the grammar
rule; :func:`sklearn.metrics.roc_auc_score` and a brute-force pair count for the
AUROC; for the paired bootstrap, its point estimate, the zero-width interval of
two identical models, and the narrow interval of two nearly identical ones.
"""
import itertools

import numpy as np
from sklearn.metrics import roc_auc_score

from rnncore.datasets import consensus_hits, planted_motifs
from rnncore.encoding import one_hot_dna
from . import exercise_check


def _brute_auroc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    total = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in itertools.product(pos, neg))
    return total / (len(pos) * len(neg))


@exercise_check
def check_find_sites(find_sites):
    """find_sites(seq: str, consensus: IUPAC str) -> sorted list of 0-based start positions."""
    got = find_sites("TTAGATAACC", "WGATAR")
    assert got is not None, "find_sites returned None: return the list of start positions"
    got = [int(g) for g in got]
    assert got == [2], (f"find_sites('TTAGATAACC', 'WGATAR') gave {got}, expected [2]: the consensus "
                        "uses IUPAC codes (W = A or T, R = A or G), compare each base with the set it allows")
    got = [int(g) for g in find_sites("CCCAGGTG", "CAGSTG")]
    assert got == [2], (f"find_sites('CCCAGGTG', 'CAGSTG') gave {got}, expected [2]: a site that ends at "
                        "the last base counts (there are len(seq) - len(consensus) + 1 start positions)")
    got = [int(g) for g in find_sites("AGATAGATAA", "WGATAR")]
    assert got == [0, 4], f"find_sites('AGATAGATAA', 'WGATAR') gave {got}, expected [0, 4] (overlapping sites all count)"
    data = planted_motifs(40, seed=1401)
    for cons, col in (("CAGSTG", 0), ("WGATAR", 1)):
        want = consensus_hits(one_hot_dna(data.sequences), cons)
        for i, s in enumerate(data.sequences):
            got = [int(g) for g in find_sites(s, cons)]
            assert got == [int(p) for p in np.flatnonzero(want[i])], \
                f"find_sites(sequence {i}, {cons!r}) gave {got}, expected {np.flatnonzero(want[i]).tolist()}"
            assert data.positions[i, col] in got


@exercise_check
def check_grammar_call(grammar_call):
    """grammar_call(seq: str, spacing=(lo, hi)) -> 1 if an E-box is followed by a GATA site at a gap in [lo, hi], else 0."""
    hint = " (grammar_call uses your find_sites: if check_find_sites fails, fix that first)"
    for spacing, seed in (((8, 10), 1402), ((3, 5), 1403), ((20, 30), 1404)):
        data = planted_motifs(120, spacing=spacing, max_gap=60 if spacing[1] > 10 else 40, seed=seed)
        calls = np.array([int(grammar_call(s, spacing=spacing)) for s in data.sequences])
        for k, want in (("positive", 1), ("wrong_order", 0), ("wrong_spacing", 0)):
            sel = data.kind == k
            wrong = np.flatnonzero(sel & (calls != want))
            if len(wrong) == 0:
                continue
            i = wrong[0]
            where = {"positive": "positives are called 0: the gap is the number of bases between the END of "
                                 "the E-box and the START of the GATA site, and both ends of spacing are allowed",
                     "wrong_order": "a GATA site UPSTREAM of the E-box is called 1: the E-box must come first",
                     "wrong_spacing": "sites at a gap outside spacing are called 1: check the gap and the "
                                      "range test"}[k]
            raise AssertionError(f"{len(wrong)} of {sel.sum()} {k.replace('_', '-')} sequences (spacing="
                                 f"{spacing}) are wrong, e.g. one with gap {data.gap[i]}: {where}" + hint)


@exercise_check
def check_paired_bootstrap(paired_bootstrap):
    """paired_bootstrap(y, scores_a, scores_b, n_boot, seed) -> (diff, lo, hi) of AUROC(a) - AUROC(b)."""
    rng = np.random.default_rng(1405)
    n = 300
    y = rng.integers(0, 2, n)
    y[:2] = 0, 1
    s_a = y + rng.standard_normal(n)
    s_b = y + 1.5 * rng.standard_normal(n)
    out = paired_bootstrap(y, s_a, s_b, n_boot=300, seed=0)
    assert out is not None and len(out) == 3, "return a tuple (diff, lo, hi)"
    diff, lo, hi = map(float, out)
    want = roc_auc_score(y, s_a) - roc_auc_score(y, s_b)
    assert abs(diff - want) < 1e-9, (f"diff is {diff:.4f}, expected AUROC(a) - AUROC(b) on the full "
                                     f"test set = {want:.4f} (the point estimate is not a bootstrap mean)")
    assert lo <= diff <= hi, f"the interval [{lo:.4f}, {hi:.4f}] does not contain the estimate {diff:.4f}"
    assert hi - lo > 0.02, (f"the interval [{lo:.4f}, {hi:.4f}] is (almost) zero width: resample the n test "
                            "sequences WITH replacement (rng.integers(0, n, n)), not a permutation of them")
    assert hi - lo < 0.3, f"the interval [{lo:.4f}, {hi:.4f}] is far too wide for n = {n}"
    same = tuple(map(float, paired_bootstrap(y, s_a, s_a.copy(), n_boot=50, seed=1)))
    assert same == (0.0, 0.0, 0.0), (f"two identical models gave {same}, expected (0, 0, 0): each resample "
                                     "must score BOTH models on the SAME resampled sequences (paired)")
    near = s_a + 0.05 * rng.standard_normal(n)
    _, lo2, hi2 = map(float, paired_bootstrap(y, s_a, near, n_boot=200, seed=2))
    assert hi2 - lo2 < 0.03, (f"two nearly identical models gave an interval of width {hi2 - lo2:.3f}: a paired "
                              "bootstrap cancels the shared test-set noise; draw one index set per resample "
                              "and use it for both models")
    again = tuple(map(float, paired_bootstrap(y, s_a, s_b, n_boot=300, seed=0)))
    assert again == (diff, lo, hi), "the same seed must give the same interval: draw from np.random.default_rng(seed)"


@exercise_check
def check_auroc(auroc):
    """auroc(y_true (N,) of 0/1, scores (N,)) -> float."""
    rng = np.random.default_rng(1406)
    got = auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert got is not None, "auroc returned None: return a number"
    if abs(float(got) - 0.25) < 1e-12:
        raise AssertionError("auroc([0,0,1,1], [0.1,0.4,0.35,0.8]) gave 0.25 = 1 - AUROC: use the rank "
                             "sum of the POSITIVES (y == 1)")
    assert abs(float(got) - 0.75) < 1e-12, f"auroc([0,0,1,1], [0.1,0.4,0.35,0.8]) should be 0.75 " \
                                           f"(3 of the 4 positive-negative pairs are ordered right), got {float(got):.4g}"
    got = float(auroc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9])))
    assert abs(got - 0.875) < 1e-12, (f"with a tie: expected 0.875 (a tied pair counts 1/2), got {got:.4g}: "
                                      "tied scores get the average of their ranks (scipy.stats.rankdata)")
    for n in (30, 200, 7):
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = np.round(rng.standard_normal(n) + y, 1)          # rounding makes ties
        got = float(auroc(y, s))
        want = _brute_auroc(y, s)
        assert abs(got - want) < 1e-9, f"AUROC (n={n}) is {got:.6f}, expected {want:.6f}"
    y = rng.integers(0, 2, 5000)
    s = rng.standard_normal(5000) + y
    assert abs(float(auroc(y, s)) - roc_auc_score(y, s)) < 1e-9, "AUROC of 5000 scores differs from the reference"
