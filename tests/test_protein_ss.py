"""The protein secondary-structure loader: counts as published, and splits that keep homologues apart."""
import numpy as np
import pytest

from rnncore.datasets import homology_groups, load_protein_ss, protein_split


def test_counts_match_the_data_description():
    train, test = load_protein_ss("train"), load_protein_ss("test")
    assert len(train.sequences) == 110 and train.lengths.sum() == 18105
    assert len(test.sequences) == 17 and test.lengths.sum() == 3520
    # test set: coil 54.6% (the majority-class baseline)
    y_test = np.concatenate(test.y)
    assert round(100 * np.mean(y_test == 0), 1) == 54.6
    y_train = np.concatenate(train.y)
    assert [round(100 * np.mean(y_train == c), 1) for c in range(3)] == [54.5, 25.4, 20.1]
    for data in (train, test):
        for seq, ss, y in zip(data.sequences, data.structures, data.y):
            assert len(seq) == len(ss) == len(y) > 0
            assert set(seq) <= set("ACDEFGHIKLMNPQRSTVWY")


def test_no_test_protein_is_a_homologue_of_a_training_protein():
    train, test = load_protein_ss("train"), load_protein_ss("test")
    groups = homology_groups(train.sequences + test.sequences)
    assert not set(groups[:110]) & set(groups[110:])


def test_homology_groups_join_shared_windows_transitively():
    a = "ACDEFGHIKLMNPQRSTVWY" * 2
    b = a[5:30] + "WWWWWWWWWWWWWWWWWWWWWW"       # shares 25 residues with a
    c = "WWWWWWWWWWWWWWWWWWWW" + "KKKK"           # shares 20 W's with b only
    d = "GGGGGGGGGGGGGGGGGGGGGGGG"
    g = homology_groups([a, b, c, d], k=20)
    assert g[0] == g[1] == g[2] != g[3]
    with pytest.raises(ValueError, match="k must be"):
        homology_groups([a], k=0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_protein_split_keeps_homologues_on_one_side(seed):
    seqs = load_protein_ss("train").sequences
    # no exact duplicate chain, but 110 proteins fall in 99 groups sharing 20-residue windows
    assert len(set(seqs)) == len(seqs)
    groups = homology_groups(seqs)
    assert groups.max() + 1 == 99
    tr, va = protein_split(seqs, val_fraction=0.2, seed=seed)
    assert not set(tr) & set(va) and len(tr) + len(va) == len(seqs)
    assert not set(groups[tr]) & set(groups[va])
    assert not {seqs[i] for i in tr} & {seqs[i] for i in va}
    again = protein_split(seqs, val_fraction=0.2, seed=seed)
    assert np.array_equal(tr, again[0]) and np.array_equal(va, again[1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="subset"):
        load_protein_ss("validation")
    with pytest.raises(ValueError, match="val_fraction"):
        protein_split(["ACDE"], val_fraction=1.5)
