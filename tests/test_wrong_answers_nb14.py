"""The checks of notebook 14's exercises reject known-wrong answers and say where to look."""
import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from _exercises import assert_rejects
from rnncore_course import nb14_motif_grammar as nb14

IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "W": "AT", "S": "CG", "R": "AG"}


def _sites(seq, cons, stop=1):
    W = len(cons)
    return [s for s in range(len(seq) - W + stop) if all(b in IUPAC[c] for b, c in zip(seq[s:s + W], cons))]


def test_find_sites_wrong_answers():
    literal = lambda seq, cons: [s for s in range(len(seq) - len(cons) + 1) if seq[s:s + len(cons)] == cons]
    misses_last = lambda seq, cons: _sites(seq, cons, stop=0)
    assert_rejects(nb14.check_find_sites, literal, "IUPAC")
    assert_rejects(nb14.check_find_sites, misses_last, "last base")


def _grammar(order="ebox_first", gap_from="end", inclusive=True):
    def call(seq, spacing=(8, 10)):
        lo, hi = spacing
        for e in _sites(seq, "CAGSTG"):
            for g in _sites(seq, "WGATAR"):
                gap = (g - (e + 6) if order == "ebox_first" else e - (g + 6)) if gap_from == "end" else g - e
                if lo <= gap <= hi if inclusive else lo <= gap < hi:
                    return 1
        return 0
    return call


def test_grammar_call_wrong_answers():
    assert_rejects(nb14.check_grammar_call, _grammar(order="gata_first"), "positive", "END")
    assert_rejects(nb14.check_grammar_call, _grammar(gap_from="start"), "END of the E-box")
    assert_rejects(nb14.check_grammar_call, _grammar(inclusive=False), "both ends of spacing")
    either = lambda seq, spacing=(8, 10): max(_grammar()(seq, spacing), _grammar(order="gata_first")(seq, spacing))
    assert_rejects(nb14.check_grammar_call, either, "UPSTREAM")


def _bootstrap(kind):
    def boot(y, a, b, n_boot=2000, seed=0):
        y, a, b = map(np.asarray, (y, a, b))
        rng = np.random.default_rng(seed)
        n, d = len(y), []
        for _ in range(n_boot):
            i = rng.permutation(n) if kind == "no_replacement" else rng.integers(0, n, n)
            j = rng.integers(0, n, n) if kind == "unpaired" else i
            d.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[j], b[j]))
        diff = roc_auc_score(y, a) - roc_auc_score(y, b)
        if kind == "mean":
            diff = float(np.mean(d))
        return diff, *np.percentile(d, [2.5, 97.5])
    return boot


def test_paired_bootstrap_wrong_answers():
    assert_rejects(nb14.check_paired_bootstrap, _bootstrap("unpaired"), "SAME")
    assert_rejects(nb14.check_paired_bootstrap, _bootstrap("no_replacement"), "WITH replacement")
    assert_rejects(nb14.check_paired_bootstrap, _bootstrap("mean"), "point estimate")


def test_auroc_wrong_answers():
    def negatives(y, s):                                   # rank sum of the negatives
        y = np.asarray(y).astype(bool)
        r = rankdata(s)
        n_pos, n_neg = y.sum(), (~y).sum()
        return (r[~y].sum() - n_neg * (n_neg + 1) / 2) / (n_pos * n_neg)

    def ordinal(y, s):                                     # ties broken by order, not averaged
        y = np.asarray(y).astype(bool)
        r = rankdata(s, method="ordinal")
        n_pos, n_neg = y.sum(), (~y).sum()
        return (r[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)

    assert_rejects(nb14.check_auroc, negatives, "POSITIVES")
    assert_rejects(nb14.check_auroc, ordinal, "tie")
