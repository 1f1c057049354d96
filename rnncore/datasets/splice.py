"""Leakage-free use of the UCI splice-junction windows: deduplication and grouped splits.

The raw ``splice.data`` holds 3,190 rows but only 3,005 distinct 60-nt
sequences: 125 sequences occur 2 to 5 times, and one of them carries two
labels (IE and N). A random split of the rows puts copies of the same window
on both sides, so a model is partly tested on sequences it was trained on.

:func:`dedupe_splice` keeps one copy of each sequence and drops a sequence
with conflicting labels entirely (3,004 rows remain: EI 679, IE 672, N 1,653).
:func:`sequence_group_splits` and :func:`sequence_group_holdout` split with
the sequence itself as the group, so that identical sequences always land on
the same side, whether or not the data were deduplicated first; the classes
are stratified as far as the groups allow (scikit-learn's
``StratifiedGroupKFold``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedGroupKFold

from .._random import SeedLike, as_int_seed

__all__ = ["dedupe_splice", "sequence_groups", "sequence_group_splits", "sequence_group_holdout"]


def _as_sequences(sequences, y=None):
    seqs = [str(s).upper() for s in sequences]
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(seqs):
            raise ValueError(f"y must be 1-D with one label per sequence ({len(seqs)}), got shape {y.shape}")
    return seqs, y


def dedupe_splice(sequences: Sequence[str], y: npt.ArrayLike) -> np.ndarray:
    """Rows to keep so that every sequence occurs once with one label.

    A sequence seen several times with the same label keeps its first row; a
    sequence seen with two or more different labels is dropped entirely (no
    row of it is kept), since neither label can be trusted.

    Parameters
    ----------
    sequences : sequence of str, length N
        The windows (compared case-insensitively).
    y : array-like (N,)
        Class labels.

    Returns
    -------
    keep : ndarray (M,) int64
        Sorted indices of the rows to keep, ``M <= N``.
    conflicting : list of str
        The sequences dropped because their labels disagree.
    """
    seqs, y = _as_sequences(sequences, y)
    if y is None:
        raise ValueError("dedupe_splice needs the labels y")
    labels, first = {}, {}
    for i, (s, c) in enumerate(zip(seqs, y.tolist())):
        labels.setdefault(s, set()).add(c)
        first.setdefault(s, i)
    conflicting = sorted(s for s, cs in labels.items() if len(cs) > 1)
    bad = set(conflicting)
    keep = np.array(sorted(i for s, i in first.items() if s not in bad), dtype=np.int64)
    return keep, conflicting


def sequence_groups(sequences: Sequence[str]) -> np.ndarray:
    """Group id per row: rows with identical sequences share an id.

    Parameters
    ----------
    sequences : sequence of str, length N

    Returns
    -------
    groups : ndarray (N,) int64
    """
    seqs, _ = _as_sequences(sequences)
    _, groups = np.unique(np.array(seqs), return_inverse=True)
    return groups.astype(np.int64)


def sequence_group_splits(sequences: Sequence[str], y: npt.ArrayLike, n_splits: int = 5, n_repeats: int = 1,
                          seed: SeedLike = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold splits in which identical sequences never cross the split.

    Each repeat is one ``StratifiedGroupKFold(n_splits, shuffle=True)`` with
    groups = sequence identity (:func:`sequence_groups`) and its own seed, so
    ``n_repeats * n_splits`` (train, test) pairs come back; within a repeat the
    test sets are disjoint and cover every row once.

    Parameters
    ----------
    sequences : sequence of str, length N
    y : array-like (N,)
        Class labels, used for stratification.
    n_splits : int, default 5
        Folds per repeat (test size about ``1 / n_splits``).
    n_repeats : int, default 1
    seed : None, int or numpy.random.Generator, default 0
        Repeat ``r`` uses ``random_state = seed + r`` (a Generator or None first gives an int
        seed: :func:`rnncore._random.as_int_seed`).

    Returns
    -------
    list of (train_idx, test_idx)
        Sorted int64 index arrays.
    """
    seqs, y = _as_sequences(sequences, y)
    if y is None:
        raise ValueError("sequence_group_splits needs the labels y")
    if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    seed = as_int_seed(seed)
    groups = sequence_groups(seqs)
    out = []
    for r in range(n_repeats):
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed + r)
        for train, test in cv.split(np.zeros(len(y)), y, groups):
            out.append((np.sort(train).astype(np.int64), np.sort(test).astype(np.int64)))
    return out


def sequence_group_holdout(sequences: Sequence[str], y: npt.ArrayLike, test_size: float = 0.2,
                           seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """One stratified (train, test) split in which identical sequences stay together.

    The test part is one fold of ``StratifiedGroupKFold(round(1 / test_size))``,
    so its size is close to, not exactly, ``test_size``. Use it to carve a
    validation set out of a training set (pass the training rows only).

    Parameters
    ----------
    sequences : sequence of str, length N
    y : array-like (N,)
    test_size : float in (0, 0.5], default 0.2
    seed : None, int or numpy.random.Generator, default 0
        As :func:`sequence_group_splits`.

    Returns
    -------
    train_idx, test_idx : ndarray int64
        Sorted indices into ``sequences``.
    """
    if not 0 < test_size <= 0.5:
        raise ValueError(f"test_size must be in (0, 0.5], got {test_size!r}")
    n_splits = max(2, int(round(1.0 / test_size)))
    return sequence_group_splits(sequences, y, n_splits=n_splits, seed=seed)[0]
