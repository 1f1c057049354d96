"""Planted transcription-factor motifs where ORDER and SPACING carry the label.

Real enhancers often need two factors bound in a particular arrangement (the
"motif grammar"). This simulator makes that the whole signal: every sequence,
positive or negative, contains exactly one copy of motif A and one of motif B,
so a bag-of-k-mers model sees the same words in both classes and stays near
chance; only a model that tracks order and distance (an RNN) can separate
them.

* positive:       A ... B with a gap (end of A to start of B) in ``spacing``
* wrong order:    B ... A with a gap in ``spacing``
* wrong spacing:  A ... B with a gap well outside ``spacing``

Motif instances are sampled from position weight matrices (PWMs) built from
IUPAC consensus strings of well-known factor families.
"""

from __future__ import annotations

import numpy as np

from ..encoding import IUPAC_DNA, one_hot_dna
from ._base import Bunch, rng_from

__all__ = ["CONSENSUS", "pwm_from_consensus", "sample_from_pwm", "pwm_scan", "planted_motifs"]

# Consensus sites of three factor families (IUPAC).
CONSENSUS = {
    "GATA": "WGATAR",    # GATA zinc-finger factors (GATA1-6)
    "EBOX": "CACGTG",    # E-box bound by bHLH factors (MYC/MAX, CLOCK/BMAL1)
    "AP1": "TGASTCA",    # AP-1 (FOS/JUN) TPA response element
}


def pwm_from_consensus(consensus, strength=0.85):
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


def sample_from_pwm(pwm, size, rng=None):
    """Sample ``size`` sites from a PWM. Returns int codes (size, len(pwm)), 0..3 = ACGT."""
    rng = rng_from(rng)
    cum = np.cumsum(pwm, axis=1)                                      # (W, 4)
    u = rng.random((size, len(pwm), 1))
    return np.minimum((u > cum[None]).sum(-1), 3)


def pwm_scan(X, pwm, background=0.25):
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


def planted_motifs(n=1000, L=100, motif_a="GATA", motif_b="EBOX", spacing=(5, 15),
                   negatives="both", strength=0.9, gc=0.5, seed=None, dtype=np.float32):
    """Sequences labelled by the order and spacing of two planted motifs.

    Parameters
    ----------
    n : int
        Number of sequences; half positive (``n // 2``), half negative.
    L : int
        Sequence length.
    motif_a, motif_b : str
        Keys of ``CONSENSUS`` or IUPAC consensus strings.
    spacing : (int, int)
        Inclusive range of the gap (bases between the end of the first motif
        and the start of the second) in positives and wrong-order negatives.
    negatives : {"both", "order", "spacing"}
        Which kinds of negatives to make ("both": half of each).
    strength : float
        PWM strength (see ``pwm_from_consensus``).
    gc : float
        GC content of the i.i.d. background.
    seed : int, None or numpy.random.Generator

    Returns
    -------
    Bunch with
        X : ndarray (n, L, 4) one-hot
        y : ndarray (n,) int64, 1 = positive (A then B at the right spacing)
        sequences : list of n str
        positions : ndarray (n, 2) int64, 0-based start of motif A and of motif B
        kind : ndarray (n,) str, "positive", "wrong_order" or "wrong_spacing"
        pwms : dict name -> (W, 4) PWM, for ``"A"`` and ``"B"``
        spacing : the spacing range used
    """
    if negatives not in ("both", "order", "spacing"):
        raise ValueError(f"negatives must be 'both', 'order' or 'spacing', got {negatives!r}")
    cons_a = CONSENSUS.get(motif_a, motif_a)
    cons_b = CONSENSUS.get(motif_b, motif_b)
    for c in (cons_a, cons_b):
        if not c or set(c.upper()) - set(IUPAC_DNA):
            raise ValueError(f"motif {c!r} is neither a key of CONSENSUS {sorted(CONSENSUS)} "
                             "nor an IUPAC consensus string")
    lo, hi = spacing
    if not 0 < lo <= hi:
        raise ValueError(f"spacing must be (min_gap, max_gap) with 0 < min_gap <= max_gap, "
                         f"got {spacing}")
    pwm_a, pwm_b = pwm_from_consensus(cons_a, strength), pwm_from_consensus(cons_b, strength)
    wa, wb = len(pwm_a), len(pwm_b)
    # wrong-spacing gaps start well beyond the positive range
    far_lo = 2 * hi + 5
    if wa + wb + far_lo + 5 > L:
        raise ValueError(f"L={L} is too short: wrong-spacing negatives need at least "
                         f"{wa + wb + far_lo + 5} bases for spacing={spacing}")
    rng = rng_from(seed)

    n_pos = n // 2
    n_neg = n - n_pos
    if negatives == "both":
        neg_kinds = ["wrong_order"] * (n_neg // 2) + ["wrong_spacing"] * (n_neg - n_neg // 2)
    else:
        neg_kinds = ["wrong_" + negatives] * n_neg
    kind = np.array(["positive"] * n_pos + neg_kinds)
    kind = kind[rng.permutation(n)]

    # background: i.i.d. bases with the requested GC content
    p_bg = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    codes = rng.choice(4, size=(n, L), p=p_bg)
    sites_a = sample_from_pwm(pwm_a, n, rng)
    sites_b = sample_from_pwm(pwm_b, n, rng)

    positions = np.zeros((n, 2), dtype=np.int64)
    for i, k in enumerate(kind):
        if k == "wrong_spacing":
            gap = rng.integers(far_lo, L - wa - wb + 1)
        else:
            gap = rng.integers(lo, hi + 1)
        first_w, second_w = (wb, wa) if k == "wrong_order" else (wa, wb)
        start = rng.integers(0, L - (first_w + gap + second_w) + 1)
        second = start + first_w + gap
        pa, pb = (second, start) if k == "wrong_order" else (start, second)
        codes[i, pa:pa + wa] = sites_a[i]
        codes[i, pb:pb + wb] = sites_b[i]
        positions[i] = pa, pb

    sequences = ["".join("ACGT"[c] for c in row) for row in codes]
    X = np.eye(4, dtype=dtype)[codes]
    y = (kind == "positive").astype(np.int64)
    return Bunch(X=X, y=y, sequences=sequences, positions=positions, kind=kind,
                 pwms={"A": pwm_a, "B": pwm_b}, spacing=(lo, hi))
