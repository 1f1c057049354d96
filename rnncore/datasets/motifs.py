"""Planted transcription-factor sites where ORDER and SPACING carry the label.

Real enhancers often need two factors bound in a particular arrangement (the
"motif grammar"). The model here is the TAL1-GATA1 composite element of
erythroid genes (Wadman et al., EMBO J 16:3145, 1997): an E-box bound by the
TAL1/E47 heterodimer (``CAGGTG`` or ``CAGCTG``, IUPAC ``CAGSTG``) about 9 bp
upstream of a GATA site (``WGATAR``) bound by GATA1 (the paper gives the
element as ``CTG n7-8 WGATAR``: 7-8 bases after the E-box half-site ``CTG``,
so the gap from the end of a 6-bp E-box to the GATA site is 7-8 bp for its
consensus and about 9 bp in the sites usually quoted; the simulator makes the
gap a parameter).

This simulator makes that arrangement the whole signal: every sequence,
positive or negative, contains exactly one E-box and exactly one GATA site
(on the strand read), so a bag-of-k-mers model sees the same words in both
classes; only a model that tracks order and distance can separate them.

* positive:       E-box ... GATA with a gap (end of E-box to start of GATA) in ``spacing``
* wrong order:    GATA ... E-box with a gap in ``spacing``
* wrong spacing:  E-box ... GATA with a gap outside ``spacing`` by more than ``margin``

Every planted site matches its IUPAC consensus exactly (each ambiguous
position drawn uniformly from the bases it allows), and the background is
redrawn until it holds no other match of either consensus.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..encoding import IUPAC_DNA, one_hot_dna
from .._random import SeedLike, as_generator
from ._base import Bunch

__all__ = ["CONSENSUS", "pwm_from_consensus", "sample_from_pwm", "pwm_scan", "consensus_hits",
           "planted_motifs", "split_motifs"]

# Consensus sites of factor families (IUPAC).
CONSENSUS = {
    "GATA": "WGATAR",      # GATA zinc-finger factors (GATA1-6)
    "EBOX": "CAGSTG",      # CAGGTG/CAGCTG: the E-box of TAL1/E47 in the TAL1-GATA1 composite element
    "EBOX_MYC": "CACGTG",  # the CACGTG E-box of MYC/MAX and CLOCK/BMAL1
    "AP1": "TGASTCA",      # AP-1 (FOS/JUN) TPA response element
}


def pwm_from_consensus(consensus: str, strength: float = 0.85) -> np.ndarray:
    """A position weight matrix from an IUPAC consensus string.

    At each position, ``strength`` of the probability goes to the bases the
    code allows (split evenly) and the rest is spread over all four bases, so
    sampled sites are mostly, but not always, consensus: like real binding
    sites.

    Returns
    -------
    pwm : ndarray (len(consensus), 4), rows sum to 1, columns ACGT
    """
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    core = one_hot_dna(consensus.upper(), dtype=np.float64)       # ambiguity spreads
    return strength * core + (1.0 - strength) * 0.25


def sample_from_pwm(pwm: np.ndarray, size: int, seed: SeedLike = None) -> np.ndarray:
    """Sample ``size`` sites from a position weight matrix.

    Parameters
    ----------
    pwm : ndarray, shape (W, 4)
        Base probabilities per position (rows sum to 1), columns A, C, G, T.
    size : int
        Number of sites, N.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`).

    Returns
    -------
    ndarray of int, shape (N, W)
        Base codes 0..3 = A, C, G, T.
    """
    rng = as_generator(seed)
    cum = np.cumsum(pwm, axis=1)                                      # (W, 4)
    u = rng.random((size, len(pwm), 1))
    return np.minimum((u > cum[None]).sum(-1), 3)


def pwm_scan(X: np.ndarray, pwm: np.ndarray, background: float = 0.25) -> np.ndarray:
    """Log-odds score of a PWM at every start position.

    Parameters
    ----------
    X : ndarray (N, L, 4) one-hot DNA
    pwm : ndarray (W, 4)

    Returns
    -------
    scores : ndarray (N, L - W + 1); ``scores.argmax(1)`` is the best site
    """
    logodds = np.log(np.asarray(pwm) / background)                    # (W, 4)
    W = len(logodds)
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(X, dtype=float), W, axis=1)
    # win: (N, L-W+1, 4, W)
    return np.einsum("nlcw,wc->nl", win, logodds)


def consensus_hits(X: np.ndarray, consensus: str) -> np.ndarray:
    """Where an IUPAC consensus matches exactly, at every start position.

    Parameters
    ----------
    X : ndarray (N, L, 4) one-hot DNA (columns ACGT)
    consensus : str, a key of ``CONSENSUS`` or an IUPAC string of length W

    Returns
    -------
    hits : ndarray (N, L - W + 1) bool; ``hits[i, s]`` when ``X[i, s:s + W]`` matches
    """
    cons = CONSENSUS.get(consensus, consensus)
    allowed = one_hot_dna(cons.upper(), dtype=np.float64) > 0           # (W, 4)
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[2] != 4:
        raise ValueError(f"X must be one-hot DNA of shape (N, L, 4), got {X.shape}")
    W = len(allowed)
    win = np.lib.stride_tricks.sliding_window_view(X > 0, W, axis=1)   # (N, L-W+1, 4, W)
    # a window matches when each of its W bases is one the code allows
    ok = (win & allowed.T[None, None]).any(axis=2)                       # (N, L-W+1, W)
    return ok.all(axis=2)


def _sample_sites(consensus, size, rng):
    """``size`` exact matches of an IUPAC consensus, int codes (size, W)."""
    allowed = one_hot_dna(consensus.upper(), dtype=np.float64)          # rows spread over allowed bases
    return sample_from_pwm(allowed, size, rng)


def planted_motifs(n: int = 1000, L: int = 100, spacing: tuple[int, int] = (8, 10), negatives: str = "both",
                   margin: int = 3, max_gap: int = 40, first: str = "EBOX", second: str = "GATA", gc: float = 0.5,
                   seed: SeedLike = None, dtype: npt.DTypeLike = np.float32) -> Bunch:
    """Sequences labelled by the order and spacing of two planted sites.

    Parameters
    ----------
    n : int
        Number of sequences; half positive (``n // 2``), half negative.
    L : int
        Sequence length.
    spacing : (int, int)
        Inclusive range of the gap (bases between the end of the first site
        and the start of the second) in positives and wrong-order negatives.
    negatives : {"both", "order", "spacing"}
        Which kinds of negatives to make ("both": half of each).
    margin : int
        Wrong-spacing gaps lie outside ``[spacing[0] - margin, spacing[1] + margin]``
        (a gap just outside the range would be a near-positive).
    max_gap : int
        Largest wrong-spacing gap; wrong-spacing gaps are uniform over
        ``0..max_gap`` minus the excluded band.
    first, second : str
        The sites of a positive, upstream then downstream: keys of
        ``CONSENSUS`` or IUPAC consensus strings (default E-box, then GATA).
    gc : float
        GC content of the i.i.d. background.
    seed : int, None or numpy.random.Generator

    Returns
    -------
    Bunch with
        X : ndarray (n, L, 4) one-hot
        y : ndarray (n,) int64, 1 = positive
        sequences : list of n str
        positions : ndarray (n, 2) int64, 0-based start of the ``first`` and of the ``second`` site
        gap : ndarray (n,) int64, start of the downstream site minus end of the upstream one
        kind : ndarray (n,) str, "positive", "wrong_order" or "wrong_spacing"
        consensus : (first consensus, second consensus)
        pwms : dict, ``"A"`` (first) and ``"B"`` (second): PWMs of the consensus (strength 0.97)
        spacing : the spacing range used
    """
    if negatives not in ("both", "order", "spacing"):
        raise ValueError(f"negatives must be 'both', 'order' or 'spacing', got {negatives!r}")
    cons_a = CONSENSUS.get(first, first).upper()
    cons_b = CONSENSUS.get(second, second).upper()
    for name, c in (("first", cons_a), ("second", cons_b)):
        if not c or set(c) - set(IUPAC_DNA):
            raise ValueError(f"{name}={c!r} is neither a key of CONSENSUS {sorted(CONSENSUS)} "
                             "nor an IUPAC consensus string")
    lo, hi = spacing
    if not 0 <= lo <= hi:
        raise ValueError(f"spacing must be (min_gap, max_gap) with 0 <= min_gap <= max_gap, got {spacing}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    wa, wb = len(cons_a), len(cons_b)
    wrong_gaps = np.array([g for g in range(max_gap + 1) if not lo - margin <= g <= hi + margin])
    if negatives != "order" and len(wrong_gaps) == 0:
        raise ValueError(f"no wrong-spacing gap in 0..max_gap={max_gap} outside "
                         f"[{lo - margin}, {hi + margin}]: raise max_gap or lower margin")
    need = wa + wb + max(hi, max_gap if negatives != "order" else hi)
    if need > L:
        raise ValueError(f"L={L} is too short: the longest arrangement needs {need} bases")
    rng = as_generator(seed)

    n_pos = n // 2
    n_neg = n - n_pos
    if negatives == "both":
        neg_kinds = ["wrong_order"] * (n_neg // 2) + ["wrong_spacing"] * (n_neg - n_neg // 2)
    else:
        neg_kinds = ["wrong_" + negatives] * n_neg
    kind = np.array(["positive"] * n_pos + neg_kinds)
    kind = kind[rng.permutation(n)]

    gap = np.where(kind == "wrong_spacing", rng.choice(wrong_gaps if len(wrong_gaps) else [0], n),
                   rng.integers(lo, hi + 1, n)).astype(np.int64)
    positions = np.zeros((n, 2), dtype=np.int64)
    for i in range(n):
        up_w, down_w = (wb, wa) if kind[i] == "wrong_order" else (wa, wb)
        start = rng.integers(0, L - (up_w + gap[i] + down_w) + 1)
        down = start + up_w + gap[i]
        positions[i] = (down, start) if kind[i] == "wrong_order" else (start, down)

    p_bg = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    sites_a = _sample_sites(cons_a, n, rng)
    sites_b = _sample_sites(cons_b, n, rng)
    codes = np.empty((n, L), dtype=np.int64)
    redo = np.arange(n)
    for _ in range(1000):
        # redraw the background of every sequence that holds a match other than the two planted sites
        codes[redo] = rng.choice(4, size=(len(redo), L), p=p_bg)
        for i in redo:
            pa, pb = positions[i]
            codes[i, pa:pa + wa] = sites_a[i]
            codes[i, pb:pb + wb] = sites_b[i]
        onehot = np.eye(4, dtype=bool)[codes[redo]]
        ha, hb = consensus_hits(onehot, cons_a), consensus_hits(onehot, cons_b)
        bad = (ha.sum(1) != 1) | (hb.sum(1) != 1)
        redo = redo[bad]
        if len(redo) == 0:
            break
    else:
        raise RuntimeError("could not draw backgrounds free of extra sites; the consensus strings "
                           "are too degenerate for this L")

    sequences = ["".join("ACGT"[c] for c in row) for row in codes]
    X = np.eye(4, dtype=dtype)[codes]
    y = (kind == "positive").astype(np.int64)
    return Bunch(X=X, y=y, sequences=sequences, positions=positions, gap=gap, kind=kind,
                 consensus=(cons_a, cons_b),
                 pwms={"A": pwm_from_consensus(cons_a, 0.97), "B": pwm_from_consensus(cons_b, 0.97)},
                 spacing=(lo, hi))


def split_motifs(sequences: Sequence[str], y: npt.ArrayLike, val_size: float = 0.2, test_size: float = 0.2,
                 seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/validation/test indices with no sequence in two parts.

    Identical sequences form one group and the whole group goes to one part,
    so no test sequence was seen in training (a simulator rarely repeats a
    100-bp sequence, real data often does). Groups are shuffled within each
    class and cut by size, so each part keeps the class balance.

    Parameters
    ----------
    sequences : sequence of str, length N
    y : array_like (N,) of int labels
    val_size, test_size : float, fractions of N
    seed : None, int or numpy.random.Generator
        The shuffle of the groups (:func:`rnncore._random.as_generator`).

    Returns
    -------
    train, val, test : ndarrays of indices into the N sequences, sorted
    """
    y = np.asarray(y)
    if len(sequences) != len(y):
        raise ValueError(f"sequences ({len(sequences)}) and y ({len(y)}) differ in length")
    if not (0 < val_size and 0 < test_size and val_size + test_size < 1):
        raise ValueError(f"val_size and test_size must be positive with a sum below 1, "
                         f"got {val_size}, {test_size}")
    _, group = np.unique(np.asarray(list(sequences), dtype=str), return_inverse=True)
    group = group.ravel()
    n_groups = group.max() + 1
    size = np.bincount(group, minlength=n_groups)
    label = np.zeros(n_groups, dtype=y.dtype)
    label[group] = y
    if np.any(label[group] != y):
        raise ValueError("one sequence carries two labels: drop it before splitting")
    rng = as_generator(seed)
    part = np.empty(n_groups, dtype=np.int64)                   # 0 train, 1 val, 2 test
    for c in np.unique(y):
        groups = rng.permutation(np.flatnonzero(label == c))
        cum = np.cumsum(size[groups]) / size[groups].sum()
        part[groups] = np.where(cum <= test_size + 1e-12, 2,
                                np.where(cum <= test_size + val_size + 1e-12, 1, 0))
    parts = {"train": np.flatnonzero(part[group] == 0), "val": np.flatnonzero(part[group] == 1),
             "test": np.flatnonzero(part[group] == 2)}
    return tuple(np.sort(np.array(parts[k], dtype=np.int64)) for k in ("train", "val", "test"))
