"""Checks for ``solutions/17_sequence_language_models_exercises.ipynb``.

The checks test properties rather than re-implementing the answers: the Markov model's
bits must give exactly log2(V) for unseen contexts, probabilities over the V next symbols
that sum to 1, and the value worked out by hand on a small example; the chunked forward
pass must equal rnncore's own ``lstm_forward`` over the whole sequence; sampled symbols
must follow the softmax of the logits divided by the temperature (scipy's softmax) and
come from the generator passed in.
"""
import numpy as np

import rnncore as rc
from . import exercise_check


@exercise_check
def check_markov_bits(markov_bits):
    """markov_bits(train_seqs, test_seqs, V, k) -> mean bits per scored symbol (positions t >= k)."""
    bits = markov_bits([np.array([0, 0, 0, 0, 0])], [np.array([1, 2, 3, 1, 2])], 4, 1)
    assert bits is not None, "markov_bits returned None: return the mean bits per symbol (a float)"
    bits = float(bits)
    assert np.isfinite(bits), ("an unseen context gives infinite or undefined bits: add one to every count "
                               "(add-one smoothing), so that P(x | context) = (n(context, x) + 1) / (n(context) + V)")
    if np.isclose(bits, np.log(4)):
        raise AssertionError("an unseen context costs ln(4), not log2(4) = 2: bits use the logarithm in base 2")
    assert np.isclose(bits, 2.0), (f"every context of the test sequence is unseen in training, so each symbol "
                                   f"should cost log2(V) = 2 bits; got {bits:.4f}: with n(context) = 0, add-one smoothing gives the uniform "
                                   f"1/V only when the denominator is n(context) + V")

    rng = np.random.default_rng(1701)
    for V, k in [(4, 1), (4, 2), (3, 0), (5, 3)]:
        train = [rng.integers(0, V, n) for n in (40, 25, 60)]
        context = list(train[0][:k])
        probs = [2.0 ** -float(markov_bits(train, [np.array(context + [x])], V, k)) for x in range(V)]
        assert np.all(np.isfinite(probs)), (
            f"a test sequence of length k + 1 = {k + 1} (V={V}) gave no finite bits: it has one scored symbol, "
            "the one at t = k; score every position t >= k of the test sequences")
        assert np.isclose(sum(probs), 1.0), (
            f"with V={V}, k={k}, the probabilities of the V possible next symbols after context {context} sum to "
            f"{sum(probs):.4f}, not 1: the denominator of add-one smoothing is n(context) + V")

    # worked by hand: transitions 0->1, 1->1, 1->0 twice each; P(0|0) = 1/4, P(1|0) = 3/4
    expected = (2.0 + np.log2(4 / 3)) / 2
    got = float(markov_bits([np.array([0, 1, 1, 0, 1, 1, 0])], [np.array([0, 0, 1])], 2, 1))
    assert np.isclose(got, expected), (
        f"train [0 1 1 0 1 1 0], test [0 0 1], V=2, k=1 should give {expected:.4f} bits per symbol "
        f"(P(0|0) = 1/4, P(1|0) = 3/4), got {got:.4f}: the context of s[t] is s[t-k:t], count every "
        "position t >= k of the training sequences and score positions t >= k of the test sequences")


def _lstm_params(rng, D, H):
    k = 1 / np.sqrt(H)
    return (rng.uniform(-k, k, (4 * H, D)), rng.uniform(-k, k, (4 * H, H)),
            rng.uniform(-k, k, 4 * H), rng.uniform(-k, k, 4 * H))


@exercise_check
def check_chunked_forward(chunked_lstm_forward):
    """chunked_lstm_forward(x (B, T, D), W_ih, W_hh, b_ih, b_hh, chunk) -> h_seq (B, T, H)."""
    rng = np.random.default_rng(1702)
    for B, T, D, H, chunk in [(3, 23, 4, 5, 5), (2, 12, 3, 4, 4), (2, 7, 2, 3, 1), (1, 9, 3, 4, 20)]:
        x = rng.standard_normal((B, T, D))
        params = _lstm_params(rng, D, H)
        expected, _, _ = rc.lstm_forward(x, *params)
        h_seq = chunked_lstm_forward(x, *params, chunk)
        assert h_seq is not None, "chunked_lstm_forward returned None: return h_seq (B, T, H)"
        h_seq = np.asarray(h_seq)
        assert h_seq.shape == expected.shape, (
            f"h_seq has shape {h_seq.shape} for T={T}, chunk={chunk}; expected {expected.shape}"
            + (": the last, shorter chunk is missing" if h_seq.ndim == 3 and h_seq.shape[1] < T else ""))
        wrong = ~np.isclose(h_seq, expected, atol=1e-10).all(axis=(0, 2))
        if wrong.any():
            first = int(np.argmax(wrong))
            assert first >= min(chunk, T), (
                "the first chunk already differs from rc.lstm_forward: start it from the zero state "
                "(h0=None, c0=None) and keep the steps in order")
            raise AssertionError(
                f"h_seq is right for the first {first} steps and wrong from step {first} (a chunk boundary, "
                f"chunk={chunk}) on: the state must be carried across chunks, yours looks reset there. Pass "
                "both h_T and c_T of one chunk as h0 and c0 of the next (the cell state c_T too)")


@exercise_check
def check_sample_with_temperature(sample_next):
    """sample_next(logits (B, V), temperature, rng) -> (B,) symbol indices drawn from softmax(logits / temperature)."""
    from scipy.special import softmax

    rows = np.array([[2.0, 1.0, 0.0, -1.0, 0.5], [-1.0, 0.0, 3.0, 0.0, 1.0]])
    N = 20000
    logits = np.repeat(rows, N, axis=0)                    # N copies of row 0, then N of row 1
    for tau in (0.5, 1.0, 2.0):
        out = sample_next(logits, tau, np.random.default_rng(1703))
        assert out is not None, "sample_next returned None: return one symbol index per row"
        out = np.asarray(out)
        assert out.shape == (2 * N,), f"return one symbol per row of logits: shape {out.shape}, expected {(2 * N,)}"
        assert np.issubdtype(out.dtype, np.integer) and out.min() >= 0 and out.max() < 5, \
            "return integer symbol indices in 0..V-1"
        again = np.asarray(sample_next(logits, tau, np.random.default_rng(1703)))
        assert np.array_equal(out, again), \
            "two calls with generators of the same seed give different samples: draw with the rng passed in"
        for r, row in enumerate(rows):
            freq = np.bincount(out[r * N:(r + 1) * N], minlength=5) / N
            want = softmax(row / tau)
            tol = 5 * np.sqrt(want * (1 - want) / N) + 1e-3
            if np.all(np.abs(freq - want) <= tol):
                continue
            if tau != 1 and np.all(np.abs(freq - softmax(row * tau)) <= tol):
                raise AssertionError(f"at temperature {tau} the samples follow softmax(logits * temperature): "
                                     "divide the logits by the temperature")
            if tau != 1 and np.all(np.abs(freq - softmax(row)) <= tol):
                raise AssertionError(f"at temperature {tau} the samples follow softmax(logits): "
                                     "the temperature has no effect; divide the logits by it")
            raise AssertionError(
                f"at temperature {tau}, row {r}: symbol frequencies {np.round(freq, 3)}, expected "
                f"{np.round(want, 3)} = softmax(logits / temperature) of that row: sample each row from its own "
                "probabilities (not the most probable symbol)")
