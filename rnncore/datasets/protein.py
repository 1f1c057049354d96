"""Protein secondary structure (Qian & Sejnowski 1988), and leakage-free splits by protein.

The UCI "Molecular Biology (Protein Secondary Structure)" set: globular proteins,
one residue per line (``AA label``; label ``_`` coil, ``h`` alpha-helix, ``e``
beta-strand). Each protein starts at a ``<>`` line. Ends are marked ``end`` or
``<end>``, but 15 training proteins have no end marker, so the files are split on
``<>`` alone and the end markers are skipped.

The test set is the authors' own and is kept apart: choices (epochs, sizes) are
made on validation *proteins* carved from the training file with
:func:`protein_split`, which keeps homologous chains (proteins sharing a window
of identical residues) on one side, so validation never scores a near-copy of a
training protein.
"""

from __future__ import annotations

import numpy as np

from .._random import SeedLike, as_generator
from ._base import Bunch, data_path

__all__ = ["load_protein_ss", "homology_groups", "protein_split",
           "SS_CLASSES", "SS_LABELS", "AMINO_ACIDS"]

SS_CLASSES = ("coil", "helix", "strand")
SS_LABELS = ("_", "h", "e")             # the file's letters, in SS_CLASSES order
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"     # the 20 standard residues, alphabetical by one-letter code

_FILES = {"train": "protein-secondary-structure.train", "test": "protein-secondary-structure.test"}


def _read_proteins(name):
    """``[(sequence, structure), ...]`` from one file, split on ``<>`` lines."""
    proteins = []
    residues = labels = None
    with data_path("protein_ss").joinpath(name).open() as f:
        for line_no, line in enumerate(f, 1):
            field = line.strip()
            if field == "<>":
                residues, labels = [], []
                proteins.append((residues, labels))
            elif field in ("", "end", "<end>"):
                continue
            else:
                parts = field.split()
                if residues is None or len(parts) != 2 or parts[1] not in SS_LABELS:
                    raise ValueError(f"{name}, line {line_no}: expected 'AA label' inside a protein, "
                                     f"got {field!r}")
                residues.append(parts[0])
                labels.append(parts[1])
    return [("".join(r), "".join(s)) for r, s in proteins]


def load_protein_ss(subset: str = "train") -> Bunch:
    """Qian & Sejnowski's protein secondary-structure set, one entry per protein.

    Train: 110 proteins, 18,105 residues (coil 54.5%, helix 25.4%, strand 20.1%).
    Test: 17 proteins, 3,520 residues (coil 54.6%). Qian and Sejnowski's window
    network reached Q3 = 64.3% on this test set (J. Mol. Biol. 202:865, 1988).

    Source: UCI Machine Learning Repository, "Molecular Biology (Protein Secondary
    Structure)"; the ``.names`` file shipped beside the data keeps the original
    notice (non-commercial research use).

    Parameters
    ----------
    subset : {"train", "test"}
        Which of the authors' two files.

    Returns
    -------
    Bunch with
        sequences : list of str, one amino-acid string per protein (length L_p)
        structures : list of str, the same length, letters ``_``/``h``/``e``
        y : list of ndarray (L_p,) int64, index into ``classes``
        lengths : ndarray (n_proteins,) int64
        classes : ("coil", "helix", "strand")
    """
    if subset not in _FILES:
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}")
    proteins = _read_proteins(_FILES[subset])
    code = {letter: k for k, letter in enumerate(SS_LABELS)}
    sequences = [seq for seq, _ in proteins]
    structures = [ss for _, ss in proteins]
    y = [np.fromiter((code[c] for c in ss), dtype=np.int64, count=len(ss)) for ss in structures]
    return Bunch(sequences=sequences, structures=structures, y=y,
                 lengths=np.array([len(s) for s in sequences], dtype=np.int64),
                 classes=SS_CLASSES)


def homology_groups(sequences: list[str], k: int = 20) -> np.ndarray:
    """Group ids such that proteins sharing any window of ``k`` identical residues
    (directly or through a chain of such proteins) get the same id.

    An identical 20-residue window between two chains is far beyond chance (20^-20)
    and marks the same protein or a close homologue (e.g. two haemoglobin chains from
    different species). Splitting by these groups keeps them on one side.

    Parameters
    ----------
    sequences : list of str, length n
        Protein sequences (one letter per residue).
    k : int
        Window length (>= 1).

    Returns
    -------
    ndarray of int, shape (n,)
        The group of each protein.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    parent = list(range(len(sequences)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_owner = {}
    for i, seq in enumerate(sequences):
        for start in range(max(len(seq) - k + 1, 1)):
            window = seq[start:start + k]
            j = first_owner.setdefault(window, i)
            if j != i:
                parent[root(i)] = root(j)
    roots = [root(i) for i in range(len(sequences))]
    _, ids = np.unique(roots, return_inverse=True)
    return ids.astype(np.int64)


def protein_split(sequences: list[str], val_fraction: float = 0.2, seed: SeedLike = 0,
                  k: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train_idx, val_idx)`` of a split by protein, homologues kept together.

    Parameters
    ----------
    sequences : list of str
        The proteins (e.g. ``load_protein_ss("train").sequences``).
    val_fraction : float in (0, 1)
        Share of the homology groups put in validation (scikit-learn's
        ``GroupShuffleSplit``, so the residue share varies with protein length).
    seed : None, int or numpy.random.Generator
        Makes the split reproducible.
    k : int
        Window length for :func:`homology_groups`.

    Returns
    -------
    train_idx, val_idx : ndarray of int64, disjoint, together all proteins.
    """
    from sklearn.model_selection import GroupShuffleSplit

    if not 0.0 < float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction!r}")
    groups = homology_groups(sequences, k=k)
    random_state = int(as_generator(seed).integers(2**31 - 1))
    splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=random_state)
    train_idx, val_idx = next(splitter.split(np.zeros(len(sequences)), groups=groups))
    return np.sort(train_idx).astype(np.int64), np.sort(val_idx).astype(np.int64)
