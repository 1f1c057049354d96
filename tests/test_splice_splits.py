"""Splice-junction data: deduplication and splits that keep identical sequences together."""

import numpy as np
import pytest

from rnncore import datasets as ds


@pytest.fixture(scope="module")
def raw():
    return ds.load_splice(encoding="string")


@pytest.fixture(scope="module")
def deduped():
    return ds.load_splice(encoding="string", dedupe=True)


def test_raw_file_has_duplicates_and_one_conflict(raw):
    assert len(raw.sequences) == 3190
    assert len(set(raw.sequences)) == 3005
    labels = {}
    for s, c in zip(raw.sequences, raw.y.tolist()):
        labels.setdefault(s, set()).add(c)
    conflicting = [s for s, cs in labels.items() if len(cs) > 1]
    assert len(conflicting) == 1
    assert labels[conflicting[0]] == {raw.classes.index("IE"), raw.classes.index("N")}


def test_dedupe_counts(raw, deduped):
    # 3,005 distinct sequences minus the one carrying two labels
    assert len(deduped.sequences) == len(deduped.y) == len(deduped.X) == 3004
    assert len(set(deduped.sequences)) == 3004
    assert dict(zip(deduped.classes, np.bincount(deduped.y).tolist())) == {"EI": 679, "IE": 672, "N": 1653}
    assert len(deduped.conflicting) == 1 and deduped.conflicting[0] not in deduped.sequences
    # every kept row is the first copy of its sequence in the file, with the file's label
    for r, s, c in zip(deduped.rows, deduped.sequences, deduped.y):
        assert raw.sequences[r] == s and raw.y[r] == c
        assert raw.sequences.index(s) == r
    onehot = ds.load_splice(dedupe=True)
    assert onehot.X.shape == (3004, 60, 4)
    np.testing.assert_array_equal(onehot.y, deduped.y)


def test_dedupe_drops_conflicts_and_keeps_first_copy():
    seqs = ["acgt", "ACGT", "TTTT", "GGGG", "gggg", "CCCC"]
    y = [0, 0, 1, 2, 1, 2]
    keep, conflicting = ds.dedupe_splice(seqs, y)
    assert keep.tolist() == [0, 2, 5]                    # GGGG has labels 2 and 1: dropped entirely
    assert conflicting == ["GGGG"]
    with pytest.raises(ValueError, match="y"):
        ds.dedupe_splice(seqs, y[:3])


def _assert_no_sequence_crosses(seqs, train, test):
    seqs = np.asarray(seqs)
    assert len(np.intersect1d(train, test)) == 0
    assert not set(seqs[train]) & set(seqs[test]), "a sequence is on both sides of the split"


@pytest.mark.parametrize("dedupe", [False, True])
def test_group_splits_never_share_a_sequence(dedupe):
    d = ds.load_splice(encoding="string", dedupe=dedupe)
    splits = ds.sequence_group_splits(d.sequences, d.y, n_splits=5, n_repeats=2, seed=0)
    assert len(splits) == 10
    n = len(d.y)
    overall = np.bincount(d.y, minlength=3) / n
    for r in range(2):
        tests = [te for _, te in splits[5 * r:5 * r + 5]]
        # within a repeat the folds partition the rows
        np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(n))
    for train, test in splits:
        assert len(train) + len(test) == n
        _assert_no_sequence_crosses(d.sequences, train, test)
        assert abs(len(test) / n - 0.2) < 0.01
        # stratified: each class's share in the test fold within 1 point of the whole set
        np.testing.assert_allclose(np.bincount(d.y[test], minlength=3) / len(test), overall, atol=0.01)
    # the two repeats differ
    assert not np.array_equal(splits[0][1], splits[5][1])


def test_holdout_carves_validation_without_crossing(raw):
    splits = ds.sequence_group_splits(raw.sequences, raw.y, n_splits=5, seed=3)
    train, test = splits[0]
    seqs = np.asarray(raw.sequences)
    tr, va = ds.sequence_group_holdout(seqs[train], raw.y[train], test_size=0.15, seed=1)
    _assert_no_sequence_crosses(seqs[train], tr, va)
    assert abs(len(va) / len(train) - 1 / 7) < 0.01    # round(1 / 0.15) = 7 folds
    overall = np.bincount(raw.y[train], minlength=3) / len(train)
    np.testing.assert_allclose(np.bincount(raw.y[train][va], minlength=3) / len(va), overall, atol=0.015)


def test_a_plain_split_of_the_raw_file_leaks():
    # why the grouping matters: ignoring it puts copies of training windows in the test set
    from sklearn.model_selection import train_test_split

    d = ds.load_splice(encoding="string")
    seqs = np.asarray(d.sequences)
    train, test = train_test_split(np.arange(len(seqs)), test_size=0.2, stratify=d.y, random_state=0)
    assert np.isin(seqs[test], seqs[train]).sum() > 30


def test_split_arguments_are_checked(raw):
    with pytest.raises(ValueError, match="n_splits"):
        ds.sequence_group_splits(raw.sequences, raw.y, n_splits=1)
    with pytest.raises(ValueError, match="n_repeats"):
        ds.sequence_group_splits(raw.sequences, raw.y, n_repeats=0)
    with pytest.raises(ValueError, match="test_size"):
        ds.sequence_group_holdout(raw.sequences, raw.y, test_size=0.7)
    with pytest.raises(ValueError, match="y"):
        ds.sequence_group_splits(raw.sequences, raw.y[:10])
