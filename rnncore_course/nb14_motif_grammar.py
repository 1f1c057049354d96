"""Checks for ``solutions/14_motif_grammar_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with a reference: a brute-force pair count and :func:`rnncore.baselines.auroc`
for the AUROC, :func:`rnncore.encoding.kmer_counts` for the bag of k-mers, and
a direct loop for the fraction of saliency that falls on the planted motifs.
"""
import itertools

import numpy as np

from rnncore.baselines import auroc as _auroc
from rnncore.encoding import kmer_counts as _kmer_counts
from . import assert_close, exercise_check


def motif_saliency_fraction_reference(saliency, positions, widths):
    """Per sequence: share of the saliency mass inside the two motif windows."""
    saliency = np.asarray(saliency, dtype=np.float64)
    out = np.zeros(len(saliency))
    for i, row in enumerate(saliency):
        inside = np.zeros(row.shape[0], bool)
        for start, w in zip(positions[i], widths):
            inside[start:start + w] = True
        out[i] = row[inside].sum() / row.sum()
    return out


def _brute_auroc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    total = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in itertools.product(pos, neg))
    return total / (len(pos) * len(neg))


@exercise_check
def check_auroc(auroc):
    """auroc(y_true (N,) of 0/1, scores (N,)) -> float."""
    rng = np.random.default_rng(1401)
    got = auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert got is not None, "auroc returned None: return a number"
    assert abs(float(got) - 0.75) < 1e-12, f"auroc([0,0,1,1], [0.1,0.4,0.35,0.8]) should be 0.75 " \
                                           f"(3 of the 4 positive-negative pairs are ordered right), got {float(got):.4g}"
    got = float(auroc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9])))
    assert abs(got - 0.875) < 1e-12, f"with a tie: expected 0.875 (a tied pair counts 1/2), got {got:.4g}"
    for n in (30, 200, 7):
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = np.round(rng.standard_normal(n) + y, 1)          # rounding makes ties
        got = float(auroc(y, s))
        want = _brute_auroc(y, s)
        assert abs(got - want) < 1e-9, f"AUROC (n={n}) is {got:.6f}, expected {want:.6f}"
        assert abs(want - _auroc(y, s)) < 1e-12
    y = rng.integers(0, 2, 5000)
    s = rng.standard_normal(5000) + y
    assert abs(float(auroc(y, s)) - _auroc(y, s)) < 1e-9, "AUROC of 5000 scores differs from the reference"


@exercise_check
def check_kmer_counts(kmer_counts):
    """kmer_counts(seq: str over ACGT, k) -> (4**k,) counts, k-mers in lexicographic order of ACGT."""
    rng = np.random.default_rng(1402)
    got = kmer_counts("ACGTA", 1)
    assert got is not None, "kmer_counts returned None: return the (4**k,) counts"
    assert_close(got, [2, 1, 1, 1], "kmer_counts('ACGTA', 1)")
    want = np.zeros(16)
    want[[1, 6, 11]] = 1                                          # AC, CG, GT
    assert_close(kmer_counts("ACGT", 2), want, "kmer_counts('ACGT', 2) (AC is column 1, CG 6, GT 11)")
    for L, k in [(100, 3), (20, 2), (50, 4), (3, 4)]:
        seq = "".join(rng.choice(list("ACGT"), size=L))
        got = np.asarray(kmer_counts(seq, k))
        assert got.shape == (4 ** k,), f"kmer_counts of k={k} has shape {got.shape}, expected ({4 ** k},)"
        assert_close(got, _kmer_counts([seq], k)[0], f"kmer_counts of a {L}-nt sequence, k={k}")


@exercise_check
def check_motif_saliency_fraction(motif_saliency_fraction):
    """motif_saliency_fraction(saliency (N, L) >= 0, positions (N, 2), widths (2,)) -> (N,)."""
    rng = np.random.default_rng(1403)
    sal = np.ones((1, 10))
    got = motif_saliency_fraction(sal, np.array([[0, 5]]), (2, 3))
    assert got is not None, "motif_saliency_fraction returned None: return the (N,) fractions"
    assert_close(got, [0.5], "uniform saliency over 10 positions with motifs covering 2 + 3 of them")
    for N, L, widths in [(6, 100, (6, 6)), (1, 40, (4, 7)), (20, 60, (6, 7))]:
        sal = rng.random((N, L)) ** 3
        positions = np.stack([rng.integers(0, L - widths[0], N), rng.integers(0, L - widths[1], N)], axis=1)
        got = motif_saliency_fraction(sal, positions, widths)
        assert np.asarray(got).shape == (N,), f"result has shape {np.asarray(got).shape}, expected ({N},)"
        assert_close(got, motif_saliency_fraction_reference(sal, positions, widths),
                     f"fractions (N={N}, L={L}, widths={widths})")
    # overlapping motif windows must not be counted twice
    sal = np.ones((1, 10))
    assert_close(motif_saliency_fraction(sal, np.array([[2, 4]]), (4, 4)), [0.6],
                 "overlapping windows [2, 6) and [4, 8): 6 of 10 positions, each counted once")
