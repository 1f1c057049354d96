"""Tests for rnncore.encoding: one-hot with ambiguity codes, padding, windows, k-mers."""

import numpy as np
import pytest

from rnncore.encoding import (IUPAC_DNA, decode_dna, kmer_counts, kmer_names, one_hot_dna,
                              one_hot_protein, pad_sequences, pad_sequences_with_mask,
                              reverse_complement,
                              sequence_mask, sliding_windows)


# ---------------------------------------------------------------- one-hot DNA
def test_one_hot_dna_shapes_and_values():
    X = one_hot_dna(["ACGT", "TTGA"])
    assert X.shape == (2, 4, 4) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0], np.eye(4))
    np.testing.assert_array_equal(X[1].argmax(1), [3, 3, 2, 0])
    assert one_hot_dna("ACG").shape == (3, 4)                  # one string -> (L, 4)
    assert one_hot_dna("AC", dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("code", sorted(IUPAC_DNA))
def test_ambiguity_codes_spread_mass_evenly(code):
    row = one_hot_dna(code)[0]
    bases = IUPAC_DNA[code]
    assert row.sum() == pytest.approx(1.0)
    expected = np.array([1.0 / len(bases) if b in bases else 0.0 for b in "ACGT"])
    np.testing.assert_allclose(row, expected)


def test_n_and_r_by_hand_and_case_and_u():
    np.testing.assert_allclose(one_hot_dna("N")[0], [0.25] * 4)
    np.testing.assert_allclose(one_hot_dna("R")[0], [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(one_hot_dna("acgu"), one_hot_dna("ACGT"))


def test_unknown_character_names_char_and_position():
    with pytest.raises(ValueError, match=r"'X' at position 2 of sequence 1"):
        one_hot_dna(["ACGT", "ACXT"])
    with pytest.raises(ValueError, match="position 1"):
        one_hot_dna("A-C")


def test_unequal_lengths_suggest_padding_or_pad_with_maxlen():
    with pytest.raises(ValueError, match="pad_sequences"):
        one_hot_dna(["ACGT", "AC"])
    X = one_hot_dna(["ACGT", "AC"], maxlen=3)
    assert X.shape == (2, 3, 4)
    np.testing.assert_array_equal(X[1, 2], 0)                  # padded row is zero
    np.testing.assert_array_equal(X[0].argmax(1), [0, 1, 2])   # truncated at the end


def test_type_errors():
    with pytest.raises(TypeError):
        one_hot_dna(["ACGT", 5])
    with pytest.raises(TypeError):
        one_hot_dna(42)


def test_one_hot_protein():
    X = one_hot_protein(["ACDEFGHIKLMNPQRSTVWY"])
    np.testing.assert_array_equal(X[0], np.eye(20))
    amb = one_hot_protein("XBZJ")
    np.testing.assert_allclose(amb.sum(1), 1.0)
    np.testing.assert_allclose(amb[0], 0.05)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    assert amb[1, aa.index("D")] == amb[1, aa.index("N")] == 0.5
    assert amb[2, aa.index("E")] == amb[2, aa.index("Q")] == 0.5
    assert amb[3, aa.index("I")] == amb[3, aa.index("L")] == 0.5
    with pytest.raises(ValueError, match="'O' at position 1"):
        one_hot_protein("AOC")


# ------------------------------------------------------ decode / complement
def test_decode_round_trip_including_ambiguity():
    seqs = ["ACGTNRYSWKMBDHV", "TTTTAAAACCCCGGG"]
    assert decode_dna(one_hot_dna(seqs)) == seqs
    assert decode_dna(one_hot_dna("acgu")) == "ACGT"
    # probabilities (not one-hot) decode to their most likely base
    assert decode_dna(np.array([[0.1, 0.6, 0.2, 0.1]])) == "C"
    # padded rows are skipped
    assert decode_dna(one_hot_dna(["AC", "ACG"], maxlen=3)) == ["AC", "ACG"]


def test_reverse_complement_string_and_onehot_agree():
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgR") == "Ycgt"
    assert reverse_complement(["GATA", "CACGTG"]) == ["TATC", "CACGTG"]
    s = "GATTACARYKM"
    np.testing.assert_array_equal(reverse_complement(one_hot_dna(s)),
                                  one_hot_dna(reverse_complement(s)))
    assert reverse_complement(reverse_complement(s)) == s
    with pytest.raises(ValueError):
        reverse_complement("AC-G")


# -------------------------------------------------------- padding and masks
def test_pad_sequences_is_keras_pre_padding():
    seqs = [[1, 2, 3], [4], [5, 6]]
    np.testing.assert_array_equal(pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, padding="post"),
                                  [[1, 2, 3], [4, 0, 0], [5, 6, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[1, 2], [0, 4], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=0), np.zeros((3, 0)))   # not s[-0:], the whole
    assert pad_sequences(seqs).dtype == np.int32                                        # Keras' default dtype
    np.testing.assert_array_equal(pad_sequences([[1.5]], maxlen=2, value=-1.0, dtype="float32"), [[-1.0, 1.5]])


def test_utils_pad_sequences_is_the_same_function():
    from rnncore import utils
    assert utils.pad_sequences is pad_sequences


def test_pad_sequences_matches_keras():
    from keras.utils import pad_sequences as keras_pad     # a test dependency: not installed is a failure
    rng = np.random.default_rng(7)
    seqs = [rng.integers(1, 9, L).tolist() for L in (3, 0, 5, 1, 7)]
    for kw in ({}, {"maxlen": 4}, {"maxlen": 4, "padding": "post"}, {"maxlen": 4, "truncating": "post"},
               {"maxlen": 6, "value": -1, "padding": "post", "truncating": "post"}):
        np.testing.assert_array_equal(pad_sequences(seqs, **kw), keras_pad(seqs, **kw), err_msg=str(kw))


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_pad_mask_round_trip(padding):
    rng = np.random.default_rng(0)
    lengths = [5, 1, 3, 7]
    seqs = [rng.standard_normal((L, 4)) for L in lengths]
    padded, mask = pad_sequences_with_mask(seqs, padding=padding)
    assert padded.shape == (4, 7, 4) and padded.dtype == np.float64
    assert mask.shape == (4, 7) and mask.dtype == bool
    np.testing.assert_array_equal(mask, sequence_mask(lengths, 7, padding=padding))
    np.testing.assert_array_equal(mask.sum(1), lengths)
    for n, s in enumerate(seqs):
        np.testing.assert_array_equal(padded[n][mask[n]], s)      # real steps recovered
        np.testing.assert_array_equal(padded[n][~mask[n]], 0.0)   # the rest is padding
    np.testing.assert_array_equal(pad_sequences_with_mask(seqs, maxlen=3)[1].sum(1), [3, 1, 3, 3])


def test_sequence_mask_by_hand_and_errors():
    np.testing.assert_array_equal(sequence_mask([2, 0, 3]),
                                  [[1, 1, 0], [0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError):
        sequence_mask([1.5, 2.0])
    with pytest.raises(ValueError):
        pad_sequences([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=-1)
    with pytest.raises(ValueError, match="empty"):
        pad_sequences_with_mask([])


# ---------------------------------------------------------------- windows
def test_sliding_windows_line_up_with_series():
    series = np.arange(20.0)
    X, y = sliding_windows(series, window=5, horizon=3, stride=2)
    N = (20 - 5 - 3) // 2 + 1
    assert X.shape == (N, 5, 1) and y.shape == (N, 3)
    for i in range(N):
        s = 2 * i
        np.testing.assert_array_equal(X[i, :, 0], series[s:s + 5])
        np.testing.assert_array_equal(y[i], series[s + 5:s + 8])
    # the last target is the last usable value
    assert y[-1, -1] <= series[-1]


def test_sliding_windows_multivariate():
    series = np.stack([np.arange(10.0), -np.arange(10.0)], axis=1)   # (T, 2)
    X, y = sliding_windows(series, window=4)
    assert X.shape == (6, 4, 2) and y.shape == (6, 1, 2)
    np.testing.assert_array_equal(y[:, 0], series[4:])
    np.testing.assert_array_equal(X[:, -1] + 1 * np.array([1, -1]), y[:, 0])
    with pytest.raises(ValueError, match="too short"):
        sliding_windows(np.arange(3), window=3)
    with pytest.raises(ValueError, match="window"):
        sliding_windows(np.arange(10), window=0)


# ---------------------------------------------------------------- k-mers
def test_kmer_counts_by_hand():
    names = kmer_names(2)
    assert len(names) == 16 and names[:5] == ["AA", "AC", "AG", "AT", "CA"]
    c = kmer_counts(["AACGA", "ANAA"], 2)
    assert c.shape == (2, 16)
    expected = {"AA": 1, "AC": 1, "CG": 1, "GA": 1}
    assert {names[j]: v for j, v in enumerate(c[0]) if v} == expected
    assert {names[j]: v for j, v in enumerate(c[1]) if v} == {"AA": 1}   # N breaks k-mers
    np.testing.assert_array_equal(kmer_counts(one_hot_dna(["AACGA"]), 2), c[:1])
    np.testing.assert_allclose(kmer_counts(["AACGA"], 2, normalize=True).sum(), 1.0)
