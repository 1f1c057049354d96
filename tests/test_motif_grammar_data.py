"""The motif-grammar simulator follows the TAL1-GATA1 composite element it cites, and its split is clean."""
import re

import numpy as np
import pytest

from rnncore import datasets as ds

WGATAR = re.compile(r"[AT]GATA[AG]")
EBOX = re.compile(r"CAG[CG]TG")


@pytest.fixture(scope="module")
def data():
    return ds.planted_motifs(1500, L=100, spacing=(8, 10), margin=3, max_gap=40, seed=3)


def _site(data, i, which):
    p = data.positions[i, which]
    w = len(data.consensus[which])
    return data.sequences[i][p:p + w]


def test_every_planted_site_matches_its_consensus(data):
    assert data.consensus == ("CAGSTG", "WGATAR")
    for i in range(len(data.y)):
        assert WGATAR.fullmatch(_site(data, i, 1)), f"GATA site {_site(data, i, 1)} of sequence {i}"
        assert EBOX.fullmatch(_site(data, i, 0)), f"E-box {_site(data, i, 0)} of sequence {i}"
    # both E-box variants and all four WGATAR variants occur
    assert {_site(data, i, 0) for i in range(200)} == {"CAGGTG", "CAGCTG"}
    assert {_site(data, i, 1) for i in range(200)} == {"AGATAA", "AGATAG", "TGATAA", "TGATAG"}


def test_exactly_one_site_of_each_per_sequence(data):
    # the background holds no second E-box or GATA site: the same two words in every sequence
    for s in data.sequences:
        assert len([m for m in range(len(s)) if WGATAR.match(s, m)]) == 1
        assert len([m for m in range(len(s)) if EBOX.match(s, m)]) == 1
    ha = ds.consensus_hits(data.X, "EBOX")
    hb = ds.consensus_hits(data.X, "GATA")
    np.testing.assert_array_equal(ha.argmax(1), data.positions[:, 0])
    np.testing.assert_array_equal(hb.argmax(1), data.positions[:, 1])


def test_positives_have_the_ebox_upstream_at_the_stated_spacing(data):
    pos = data.kind == "positive"
    assert np.array_equal(data.y == 1, pos) and pos.mean() == 0.5
    gap = data.positions[:, 1] - (data.positions[:, 0] + 6)       # end of E-box to start of GATA
    np.testing.assert_array_equal(gap[pos], data.gap[pos])
    assert set(gap[pos]) == {8, 9, 10}


def test_negatives_break_the_grammar(data):
    order = data.kind == "wrong_order"
    spacing = data.kind == "wrong_spacing"
    assert order.sum() + spacing.sum() == 750 and abs(order.sum() - spacing.sum()) <= 1
    # wrong order: GATA upstream of the E-box at the positives' spacing
    gap_rev = data.positions[order, 0] - (data.positions[order, 1] + 6)
    assert set(gap_rev) == {8, 9, 10}
    # wrong spacing: E-box upstream, but the gap is outside 8-10 by more than the margin of 3
    gap = data.positions[spacing, 1] - (data.positions[spacing, 0] + 6)
    assert np.all((gap >= 0) & ((gap < 5) | (gap > 13))) and gap.max() <= 40
    assert gap.min() == 0 and gap.max() == 40


def test_rule_that_knows_the_grammar_is_exact_and_kmer_counts_are_balanced(data):
    e = ds.consensus_hits(data.X, "EBOX").argmax(1)
    g = ds.consensus_hits(data.X, "GATA").argmax(1)
    rule = (g - (e + 6) >= 8) & (g - (e + 6) <= 10)
    np.testing.assert_array_equal(rule, data.y == 1)
    # the sites themselves are equally frequent in both classes
    from rnncore.encoding import kmer_counts
    K = kmer_counts(data.X, 2).astype(float)
    diff = np.abs(K[data.y == 1].mean(0) - K[data.y == 0].mean(0)) / K.std(0)
    assert diff.max() < 0.15


def test_determinism_from_seed():
    a = ds.planted_motifs(50, seed=7)
    b = ds.planted_motifs(50, seed=7)
    c = ds.planted_motifs(50, seed=8)
    assert a.sequences == b.sequences and np.array_equal(a.y, b.y) and np.array_equal(a.X, b.X)
    assert a.sequences != c.sequences


def test_bad_arguments():
    with pytest.raises(ValueError, match="spacing"):
        ds.planted_motifs(10, spacing=(5, 2))
    with pytest.raises(ValueError, match="L=30 is too short"):
        ds.planted_motifs(10, L=30)
    with pytest.raises(ValueError, match="first"):
        ds.planted_motifs(10, first="XYZ!")
    with pytest.raises(ValueError, match="negatives"):
        ds.planted_motifs(10, negatives="none")


def test_split_keeps_duplicates_together_and_classes_balanced(data):
    tr, va, te = ds.split_motifs(data.sequences, data.y, val_size=0.2, test_size=0.2, seed=0)
    assert len(np.intersect1d(tr, va)) == len(np.intersect1d(tr, te)) == len(np.intersect1d(va, te)) == 0
    assert len(tr) + len(va) + len(te) == len(data.y)
    seqs = np.array(data.sequences)
    assert not set(seqs[tr]) & set(seqs[te]) and not set(seqs[tr]) & set(seqs[va]) \
        and not set(seqs[va]) & set(seqs[te])
    assert abs(len(te) - 300) <= 2 and abs(data.y[te].mean() - 0.5) < 0.01
    # duplicated sequences (as real data has) never cross the split
    dup_seqs = data.sequences[:300] + data.sequences[:300] + data.sequences[:100]
    dup_y = np.concatenate([data.y[:300], data.y[:300], data.y[:100]])
    for seed in range(5):
        tr, va, te = ds.split_motifs(dup_seqs, dup_y, seed=seed)
        s = np.array(dup_seqs)
        assert not set(s[tr]) & set(s[te]) and not set(s[tr]) & set(s[va]) and not set(s[va]) & set(s[te])
    a = ds.split_motifs(data.sequences, data.y, seed=4)
    b = ds.split_motifs(data.sequences, data.y, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    with pytest.raises(ValueError, match="two labels"):
        ds.split_motifs(["ACGT", "ACGT"], [0, 1])
