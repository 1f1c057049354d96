"""The splits of the biology notebooks never let a gene or a time block cross sides.

Notebook 11 splits the yeast genes with ``rnncore.datasets.real.yeast_gene_splits``;
notebook 12 splits series into time blocks with ``rnncore.datasets.ecology.time_block_split``.
"""
import numpy as np
import pytest

from rnncore.datasets import load_yeast_cell_cycle
from rnncore.datasets.ecology import time_block_split
from rnncore.datasets.real import yeast_gene_splits


def _check_gene_split(genes, splits, n):
    genes = np.asarray(genes)
    for tr, va, te in splits:
        parts = [set(genes[tr]), set(genes[va]), set(genes[te])]
        assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
        assert len(np.concatenate([tr, va, te])) == n and len(set(np.concatenate([tr, va, te]))) == n


def test_yeast_gene_splits_keep_genes_on_one_side():
    data = load_yeast_cell_cycle()
    splits = yeast_gene_splits(data.genes, data.y, n_folds=5, n_repeats=2, seed=0)
    assert len(splits) == 10
    _check_gene_split(data.genes, splits, len(data.y))
    # within a repeat, the test folds partition the genes: every gene is tested exactly once
    for r in range(2):
        tests = np.concatenate([te for _, _, te in splits[5 * r:5 * r + 5]])
        assert np.array_equal(np.sort(tests), np.arange(len(data.y)))
    # stratified: every phase in every part, in roughly its overall proportion
    overall = np.bincount(data.y) / len(data.y)
    for tr, va, te in splits:
        for part in (tr, va, te):
            frac = np.bincount(data.y[part], minlength=5) / len(part)
            assert np.all(np.abs(frac - overall) < 0.06)
    # the repeats are different reshufflings
    assert not np.array_equal(splits[0][2], splits[5][2])


def test_yeast_gene_splits_group_duplicated_genes():
    # a gene measured twice (two rows) must never be split across train / val / test
    rng = np.random.default_rng(0)
    genes = np.array([f"g{i}" for i in rng.integers(0, 120, 300)])
    y = np.array([int(g[1:]) % 3 for g in genes])
    splits = yeast_gene_splits(genes, y, n_folds=4, seed=3)
    _check_gene_split(genes, splits, len(y))


def test_yeast_gene_splits_bad_input():
    with pytest.raises(ValueError, match="n_folds"):
        yeast_gene_splits(["a", "b"], [0, 1], n_folds=1)
    with pytest.raises(ValueError, match="same length"):
        yeast_gene_splits(["a", "b"], [0, 1, 1])
    with pytest.raises(ValueError, match="val_fraction"):
        yeast_gene_splits(["a", "b"], [0, 1], val_fraction=0.7)


@pytest.mark.parametrize("n, n_test, n_val, n_train", [(103, 20, 10, None), (988, 200, 100, 400), (50, 5, 0, None)])
def test_time_blocks_do_not_overlap_and_come_in_order(n, n_test, n_val, n_train):
    t = np.arange(11, 11 + n)
    train, val, test = time_block_split(t, n_test, n_val, n_train=n_train)
    assert test.sum() == n_test and val.sum() == n_val
    assert not np.any(train & val) and not np.any(train & test) and not np.any(val & test)
    assert t[test].min() == t[-n_test]                        # the test block is the last one
    if n_val:
        assert t[train].max() < t[val].min() and t[val].max() < t[test].min()
    assert t[train].max() < t[test].min()
    if n_train is not None:
        assert train.sum() == n_train and t[train].max() == t[~test & ~val].max()
    else:
        assert train.sum() == n - n_test - n_val


def test_time_block_split_bad_input():
    with pytest.raises(ValueError, match="increasing"):
        time_block_split(np.array([3, 2, 1]), 1, 0)
    with pytest.raises(ValueError, match="no training"):
        time_block_split(np.arange(10), 8, 2)
