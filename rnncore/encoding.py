"""Sequence encodings for recurrent networks: one-hot DNA/protein, padding, windows.

Shapes follow the rest of rnncore: ``N`` sequences, ``L`` (or ``T``) positions,
``D`` features per position. Every encoder returns a batch-first array
``(N, L, D)`` that can go straight into ``rnncore.lstm_forward`` and friends.

Ambiguity codes (IUPAC) are not errors in real data: the UCI splice set holds
``N``, ``D``, ``S`` and ``R``. Instead of dropping such sequences we spread the
probability mass evenly over the bases the code stands for, so every row of a
one-hot matrix still sums to 1 (``N`` -> 0.25 each, ``R`` -> A and G 0.5 each).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "DNA_ALPHABET",
    "PROTEIN_ALPHABET",
    "IUPAC_DNA",
    "one_hot_dna",
    "one_hot_protein",
    "decode_dna",
    "reverse_complement",
    "pad_sequences",
    "pad_sequences_with_mask",
    "sequence_mask",
    "sliding_windows",
    "kmer_counts",
    "kmer_names",
]

DNA_ALPHABET = "ACGT"
PROTEIN_ALPHABET = "ACDEFGHIKLMNPQRSTVWY"

# IUPAC nucleotide codes -> the bases they stand for. U (RNA) is read as T.
IUPAC_DNA = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}

# Protein ambiguity codes: X any residue, B = D/N, Z = E/Q, J = I/L.
IUPAC_PROTEIN = {aa: aa for aa in PROTEIN_ALPHABET}
IUPAC_PROTEIN.update({"X": PROTEIN_ALPHABET, "B": "DN", "Z": "EQ", "J": "IL"})

# Complement of every IUPAC code (the complement of a set of bases).
_COMPLEMENT = {
    "A": "T", "C": "G", "G": "C", "T": "A", "U": "A",
    "R": "Y", "Y": "R", "S": "S", "W": "W", "K": "M", "M": "K",
    "B": "V", "V": "B", "D": "H", "H": "D", "N": "N",
}
_COMPLEMENT.update({k.lower(): v.lower() for k, v in list(_COMPLEMENT.items())})
_COMPLEMENT_TABLE = str.maketrans(_COMPLEMENT)


# ---------------------------------------------------------------------------
# one-hot encoding
# ---------------------------------------------------------------------------
def _as_list_of_str(seqs, what="seqs"):
    """Accept one string or an iterable of strings; return (list, was_single)."""
    if isinstance(seqs, str):
        return [seqs], True
    if isinstance(seqs, np.ndarray) and seqs.dtype.kind in "US":
        seqs = seqs.tolist()
    try:
        seqs = list(seqs)
    except TypeError:
        raise TypeError(f"{what} must be a string or a list of strings, "
                        f"got {type(seqs).__name__}") from None
    for i, s in enumerate(seqs):
        if not isinstance(s, str):
            raise TypeError(f"{what}[{i}] must be a string, got {type(s).__name__}")
    return seqs, False


def _lookup_table(alphabet, codes):
    """Build a (256, len(alphabet)) table: byte value -> probability row.

    ``codes`` maps a letter to the alphabet letters it stands for; the mass is
    spread evenly over those. Rows of letters we do not know stay all-NaN so
    they can be reported.
    """
    alphabet = alphabet.upper()
    if len(set(alphabet)) != len(alphabet):
        raise ValueError(f"alphabet must not repeat letters, got {alphabet!r}")
    table = np.full((256, len(alphabet)), np.nan)
    index = {c: i for i, c in enumerate(alphabet)}
    for letter, bases in codes.items():
        cols = [index[b] for b in bases if b in index]
        if not cols:
            continue
        row = np.zeros(len(alphabet))
        row[cols] = 1.0 / len(cols)
        table[ord(letter.upper())] = row
        table[ord(letter.lower())] = row
    # a letter of a custom alphabet always encodes itself
    for c, i in index.items():
        row = np.zeros(len(alphabet))
        row[i] = 1.0
        table[ord(c)] = row
        table[ord(c.lower())] = row
    return table


def _encode(seqs, table, maxlen, padding, truncating, dtype, kind):
    seqs, single = _as_list_of_str(seqs)
    if len(seqs) == 0:
        raise ValueError("seqs is empty: need at least one sequence")
    lengths = [len(s) for s in seqs]
    if maxlen is None:
        if len(set(lengths)) > 1:
            raise ValueError(
                f"sequences have unequal lengths (min {min(lengths)}, max {max(lengths)}); "
                "pass maxlen= to pad/truncate, or encode one at a time and use "
                "rnncore.encoding.pad_sequences_with_mask")
        maxlen = lengths[0]
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    if int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer, got {maxlen!r}")
    maxlen = int(maxlen)

    out = np.zeros((len(seqs), maxlen, table.shape[1]), dtype=dtype)
    for n, s in enumerate(seqs):
        try:
            codes = np.frombuffer(s.encode("ascii"), dtype=np.uint8)
        except UnicodeEncodeError:
            pos = next(i for i, c in enumerate(s) if ord(c) > 127)
            raise ValueError(f"unknown {kind} character {s[pos]!r} at position {pos} "
                             f"of sequence {n}") from None
        rows = table[codes]                                   # (L_i, A)
        bad = np.isnan(rows[:, 0])
        if bad.any():
            pos = int(np.argmax(bad))
            raise ValueError(f"unknown {kind} character {s[pos]!r} at position {pos} "
                             f"of sequence {n}; expected one of "
                             f"{''.join(sorted(set(c.upper() for c in _letters(table))))}")
        if len(rows) > maxlen:
            rows = rows[:maxlen] if truncating == "post" else rows[len(rows) - maxlen:]
        if padding == "post":
            out[n, :len(rows)] = rows
        else:
            out[n, maxlen - len(rows):] = rows
    return out[0] if single else out


def _letters(table):
    return [chr(i) for i in range(256) if not np.isnan(table[i, 0]) and chr(i).isupper()]


_DNA_TABLE = _lookup_table(DNA_ALPHABET, IUPAC_DNA)
_PROTEIN_TABLE = _lookup_table(PROTEIN_ALPHABET, IUPAC_PROTEIN)


def one_hot_dna(seqs: str | Sequence[str], alphabet: str = DNA_ALPHABET, dtype: npt.DTypeLike = np.float32,
                maxlen: int | None = None, padding: str = "post", truncating: str = "post") -> np.ndarray:
    """One-hot encode DNA/RNA sequences, spreading IUPAC ambiguity codes.

    Parameters
    ----------
    seqs : str or list of str
        ``N`` sequences. Lower case is accepted; ``U`` is read as ``T``.
        Ambiguity codes (``N R Y S W K M B D H V``) spread mass evenly over the
        bases they stand for, so each encoded row sums to 1.
    alphabet : str, default "ACGT"
        Column order of the encoding.
    dtype : numpy dtype, default float32
    maxlen : int, optional
        Pad (with all-zero rows) or truncate every sequence to this length.
        Without it, all sequences must have the same length.
    padding, truncating : {"post", "pre"}
        Where to pad / cut when ``maxlen`` is given (as in ``pad_sequences_with_mask``).

    Returns
    -------
    X : ndarray, shape (N, L, 4)
        ``(L, 4)`` when ``seqs`` is a single string. Padded rows are all zero;
        build the matching mask with ``sequence_mask``.

    Raises
    ------
    ValueError
        On an unknown character (naming it and its position) or on unequal
        lengths without ``maxlen``.

    Examples
    --------
    >>> one_hot_dna("ACGN")
    array([[1.  , 0.  , 0.  , 0.  ],
           [0.  , 1.  , 0.  , 0.  ],
           [0.  , 0.  , 1.  , 0.  ],
           [0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """
    table = _DNA_TABLE if alphabet == DNA_ALPHABET else _lookup_table(alphabet, IUPAC_DNA)
    return _encode(seqs, table, maxlen, padding, truncating, dtype, "DNA")


def one_hot_protein(seqs: str | Sequence[str], alphabet: str = PROTEIN_ALPHABET,
                    dtype: npt.DTypeLike = np.float32, maxlen: int | None = None, padding: str = "post",
                    truncating: str = "post") -> np.ndarray:
    """One-hot encode protein sequences over the 20 standard amino acids.

    Parameters
    ----------
    seqs : str or list of str
        ``N`` sequences in one-letter code (lower case accepted).
        ``X`` spreads mass over all 20 residues (0.05 each), ``B`` over D/N,
        ``Z`` over E/Q, ``J`` over I/L.
    alphabet : str, default "ACDEFGHIKLMNPQRSTVWY"
        Column order of the encoding.
    dtype, maxlen, padding, truncating
        As in :func:`one_hot_dna`.

    Returns
    -------
    X : ndarray, shape (N, L, 20)
        ``(L, 20)`` for a single string.
    """
    table = (_PROTEIN_TABLE if alphabet == PROTEIN_ALPHABET
             else _lookup_table(alphabet, IUPAC_PROTEIN))
    return _encode(seqs, table, maxlen, padding, truncating, dtype, "protein")


# IUPAC letter for each subset of ACGT, indexed by bitmask A=1, C=2, G=4, T=8.
_MASK_TO_IUPAC = np.array(list("-ACMGRSVTWYHKDBN"))


def decode_dna(onehot: npt.ArrayLike, tol: float = 1e-6) -> str | list[str]:
    """Turn one-hot (or probability) rows back into DNA letters.

    A row that is a valid encoding of an IUPAC code (equal mass on a subset of
    ACGT) decodes to that code, so ``decode_dna(one_hot_dna(s)) == s.upper()``
    with U read as T. Any other row (e.g. a softmax output) decodes to its most
    likely base. All-zero rows are padding and are skipped.

    Parameters
    ----------
    onehot : array_like, shape (L, 4) or (N, L, 4)
        Columns in "ACGT" order.

    Returns
    -------
    str, or list of N str
    """
    x = np.asarray(onehot, dtype=np.float64)
    if x.ndim not in (2, 3) or x.shape[-1] != 4:
        raise ValueError(f"onehot must have shape (L, 4) or (N, L, 4), got {x.shape}")
    single = x.ndim == 2
    x = x[None] if single else x
    support = x > tol
    mask = support @ np.array([1, 2, 4, 8])                       # (N, L)
    k = support.sum(-1)
    uniform = np.all(~support | (np.abs(x - 1.0 / np.maximum(k, 1)[..., None]) < 1e-3), axis=-1)
    argmax = np.array([1, 2, 4, 8])[x.argmax(-1)]
    mask = np.where(uniform | (k == 0), mask, argmax)
    letters = _MASK_TO_IUPAC[mask]
    out = ["".join(row[m != 0]) for row, m in zip(letters, mask)]
    return out[0] if single else out


def reverse_complement(seq: str | Sequence[str] | npt.ArrayLike):
    """Reverse complement of DNA given as text or as one-hot.

    Parameters
    ----------
    seq : str, list of str, or array_like of shape (..., L, 4)
        Text may hold IUPAC codes (R<->Y, K<->M, B<->V, D<->H; S, W, N map to
        themselves) and keeps its case. One-hot columns must be in "ACGT" order,
        so the complement is the reversed column order (A<->T, C<->G).

    Returns
    -------
    Same type and shape as ``seq``.
    """
    if isinstance(seq, str):
        bad = set(seq) - set(_COMPLEMENT)
        if bad:
            c = sorted(bad)[0]
            raise ValueError(f"cannot complement character {c!r} at position {seq.index(c)}")
        return seq.translate(_COMPLEMENT_TABLE)[::-1]
    if isinstance(seq, (list, tuple)) and all(isinstance(s, str) for s in seq):
        return [reverse_complement(s) for s in seq]
    x = np.asarray(seq)
    if x.ndim < 2 or x.shape[-1] != 4:
        raise ValueError("reverse_complement expects a string, a list of strings, or a "
                         f"one-hot array of shape (..., L, 4); got shape {x.shape}")
    # ACGT reversed is TGCA: flipping the channel axis complements every base
    return x[..., ::-1, ::-1].copy()


# ---------------------------------------------------------------------------
# padding and masks
# ---------------------------------------------------------------------------
def _check_side(name, value):
    if value not in ("post", "pre"):
        raise ValueError(f"{name} must be 'post' or 'pre', got {value!r}")


def pad_sequences(sequences: Sequence[npt.ArrayLike], maxlen: int | None = None, dtype: npt.DTypeLike = "int32",
                  padding: str = "pre", truncating: str = "pre", value: float = 0.0) -> np.ndarray:
    """Pad a list of variable-length sequences into one array, as ``keras.utils.pad_sequences``.

    Keras' signature and defaults: pad and truncate at the front ("pre"), so the
    real steps end at the last time step, where a recurrent layer's final state is
    read. ``rnncore.utils.pad_sequences`` is this function. For padding at the end
    together with the mask of real steps, use :func:`pad_sequences_with_mask`.

    Parameters
    ----------
    sequences : list of array_like
        ``N`` sequences, each ``(L_i,)`` (token ids, say) or ``(L_i, D)`` (one-hot rows);
        all with the same trailing shape.
    maxlen : int, optional
        Output length ``T``; default the longest sequence.
    dtype : numpy dtype, default "int32"
        As in Keras: pass ``dtype="float32"`` for real-valued sequences.
    padding : {"pre", "post"}
        Pad at the start ("pre") or at the end ("post").
    truncating : {"pre", "post"}
        Sequences longer than ``maxlen`` lose their start ("pre") or end ("post").
    value : scalar
        Fill value of the padded positions.

    Returns
    -------
    padded : ndarray, shape (N, T) or (N, T, D)
    """
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    arrays = _as_sequence_list(sequences)
    if maxlen is None:
        T = max((len(a) for a in arrays), default=0)
    elif isinstance(maxlen, bool) or int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer, got {maxlen!r}")
    else:
        T = int(maxlen)
    trailing = arrays[0].shape[1:] if arrays else ()
    out = np.full((len(arrays), T) + trailing, value, dtype=dtype)
    for n, a in enumerate(arrays):
        if a.shape[1:] != trailing:
            raise ValueError(f"sequences[{n}] has feature shape {a.shape[1:]}, expected {trailing} "
                             "like sequences[0]")
        a = a[:T] if truncating == "post" else a[max(len(a) - T, 0):]
        if len(a) == 0:
            continue
        if padding == "post":
            out[n, :len(a)] = a
        else:
            out[n, T - len(a):] = a
    return out


def pad_sequences_with_mask(sequences: Sequence[npt.ArrayLike], maxlen: int | None = None, padding: str = "post",
                            truncating: str = "post", value: float = 0.0,
                            dtype: npt.DTypeLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pad as :func:`pad_sequences`, at the end by default, and return the mask of real steps.

    For models that read every step (a per-position loss, an explicit mask): padding
    at the end keeps position t of every sequence at index t.

    Parameters
    ----------
    sequences : list of array_like
        ``N`` sequences, each ``(L_i,)`` or ``(L_i, D)``.
    maxlen : int, optional
        Output length ``T``; default the longest sequence.
    padding, truncating : {"post", "pre"}
        As in :func:`pad_sequences`, but "post" by default.
    value : scalar
        Fill value of the padded positions.
    dtype : numpy dtype, optional
        Default: the common dtype of the inputs (floats stay floats, ints stay ints).

    Returns
    -------
    padded : ndarray, shape (N, T) or (N, T, D)
    mask : ndarray of bool, shape (N, T)
        True at real (not padded) steps: ``sequence_mask(lengths, T, padding)`` with the
        lengths after truncation.
    """
    arrays = _as_sequence_list(sequences)
    if not arrays:
        raise ValueError("sequences is empty: need at least one sequence")
    if dtype is None:
        dtype = np.result_type(*arrays)
    padded = pad_sequences(arrays, maxlen, dtype, padding, truncating, value)
    T = padded.shape[1]
    lengths = np.array([min(len(a), T) for a in arrays])
    return padded, sequence_mask(lengths, T, padding=padding)


def _as_sequence_list(sequences):
    """A list of arrays, each (L_i,) or (L_i, D); a clear error for anything else."""
    if isinstance(sequences, np.ndarray) and sequences.dtype != object:
        sequences = list(sequences)
    if not isinstance(sequences, (list, tuple, np.ndarray)):
        raise TypeError(f"sequences must be a list of arrays, got {type(sequences).__name__}")
    arrays = [np.asarray(s) for s in sequences]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(f"sequences[{i}] is a scalar; each sequence must be (L_i,) or (L_i, D)")
    return arrays


def sequence_mask(lengths: npt.ArrayLike, maxlen: int | None = None, padding: str = "post") -> np.ndarray:
    """Boolean mask of real time steps.

    Parameters
    ----------
    lengths : array_like of int, shape (N,)
    maxlen : int, optional
        Number of time steps ``T``; default ``max(lengths)``.
    padding : {"post", "pre"}
        Where the padding sits: with "post" the first ``lengths[n]`` steps are
        real, with "pre" the last ``lengths[n]``.

    Returns
    -------
    mask : ndarray of bool, shape (N, T)
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (lengths.size and lengths.dtype.kind not in "iu"):
        raise ValueError(f"lengths must be a 1-D array of ints, got shape {lengths.shape} "
                         f"dtype {lengths.dtype}")
    if np.any(lengths < 0):
        raise ValueError("lengths must be non-negative")
    _check_side("padding", padding)
    T = int(lengths.max()) if maxlen is None and lengths.size else int(maxlen or 0)
    steps = np.arange(T)
    if padding == "post":
        return steps[None, :] < lengths[:, None]
    return steps[None, :] >= (T - lengths)[:, None]


# ---------------------------------------------------------------------------
# time-series windows
# ---------------------------------------------------------------------------
def sliding_windows(series: npt.ArrayLike, window: int, horizon: int = 1,
                    stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a time series into (input window, future values) pairs.

    Window ``i`` starts at ``s = i * stride``:
    ``X[i] = series[s : s + window]`` and
    ``y[i] = series[s + window : s + window + horizon]``,
    i.e. ``y`` holds the ``horizon`` values that directly follow the window.
    The number of windows is ``N = (T - window - horizon) // stride + 1``.

    Parameters
    ----------
    series : array_like, shape (T,) or (T, D)
    window : int
        Input length (time steps the network sees).
    horizon : int, default 1
        How many future steps to predict.
    stride : int, default 1
        Step between the starts of consecutive windows.

    Returns
    -------
    X : ndarray, shape (N, window, D)
        ``D = 1`` for a 1-D series (the feature axis is added so ``X`` feeds
        an RNN directly).
    y : ndarray, shape (N, horizon) for a 1-D series, (N, horizon, D) for a
        2-D series. Use ``y[:, 0]`` for one-step-ahead targets.
    """
    x = np.asarray(series)
    if x.ndim not in (1, 2):
        raise ValueError(f"series must have shape (T,) or (T, D), got {x.shape}")
    for name, v in (("window", window), ("horizon", horizon), ("stride", stride)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    T = x.shape[0]
    if T < window + horizon:
        raise ValueError(f"series of length {T} is too short for window={window} + "
                         f"horizon={horizon}")
    x2 = x[:, None] if x.ndim == 1 else x
    N = (T - window - horizon) // stride + 1
    starts = np.arange(N) * stride
    X = x2[starts[:, None] + np.arange(window)]                     # (N, window, D)
    y = x2[starts[:, None] + window + np.arange(horizon)]           # (N, horizon, D)
    if x.ndim == 1:
        y = y[..., 0]
    return X, y


# ---------------------------------------------------------------------------
# bag of k-mers
# ---------------------------------------------------------------------------
def kmer_names(k: int, alphabet: str = DNA_ALPHABET) -> list[str]:
    """All k-mers over ``alphabet``, in the column order of :func:`kmer_counts`.

    Parameters
    ----------
    k : int
        Word length.
    alphabet : str, default "ACGT"

    Returns
    -------
    list of str, length ``len(alphabet)**k``
        Lexicographic in the order of ``alphabet`` ("AA", "AC", ... for k = 2).
    """
    names = [""]
    for _ in range(k):
        names = [p + c for p in names for c in alphabet]
    return names


def _dna_codes(seqs):
    """Integer codes (N, Lmax), 0..3 for ACGT and -1 for anything else / padding."""
    if isinstance(seqs, np.ndarray) and seqs.dtype.kind in "fiub":
        x = seqs[None] if seqs.ndim == 2 else seqs
        if x.ndim != 3 or x.shape[-1] != 4:
            raise ValueError(f"one-hot input must be (L, 4) or (N, L, 4), got {seqs.shape}")
        codes = x.argmax(-1)
        # only clean one-hot rows count; ambiguous and padded rows break k-mers
        codes[~np.isclose(x.max(-1), 1.0)] = -1
        return codes
    seqs, _ = _as_list_of_str(seqs)
    lut = np.full(256, -1)
    for i, c in enumerate("ACGT"):
        lut[ord(c)] = lut[ord(c.lower())] = i
    lut[ord("U")] = lut[ord("u")] = 3
    Lmax = max((len(s) for s in seqs), default=0)
    codes = np.full((len(seqs), Lmax), -1)
    for n, s in enumerate(seqs):
        codes[n, :len(s)] = lut[np.frombuffer(s.encode("ascii", "replace"), dtype=np.uint8)]
    return codes


def kmer_counts(seqs: str | Sequence[str] | np.ndarray, k: int, normalize: bool = False) -> np.ndarray:
    """Bag-of-k-mers features: how often each DNA k-mer occurs, order ignored.

    This is the classic baseline for motif tasks: it sees *which* words occur
    but not *where* or in *which order*.

    Parameters
    ----------
    seqs : str, list of str, or one-hot array (N, L, 4)
        k-mers that touch an ambiguity code or padding are skipped.
    k : int
        Word length (``4**k`` features; keep k <= 8).
    normalize : bool
        Divide each row by its number of counted k-mers (frequencies).

    Returns
    -------
    counts : ndarray, shape (N, 4**k)
        Float if ``normalize`` else int64; columns follow ``kmer_names(k)``.
    """
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= 12:
        raise ValueError(f"k must be an integer in 1..12, got {k!r}")
    codes = _dna_codes(seqs)
    N, L = codes.shape
    n_feat = 4 ** k
    counts = np.zeros((N, n_feat), dtype=np.int64)
    if L >= k:
        win = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)   # (N, L-k+1, k)
        valid = np.all(win >= 0, axis=-1)
        idx = win @ (4 ** np.arange(k - 1, -1, -1))                         # base-4 number
        rows = np.broadcast_to(np.arange(N)[:, None], idx.shape)
        flat = rows[valid] * n_feat + idx[valid]
        counts = np.bincount(flat, minlength=N * n_feat).reshape(N, n_feat)
    if normalize:
        total = counts.sum(1, keepdims=True)
        return counts / np.maximum(total, 1)
    return counts
