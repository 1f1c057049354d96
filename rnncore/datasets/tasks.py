"""Synthetic sequence tasks for recurrent networks.

Each task probes one ability: remembering over a long delay (adding, copy),
non-linear integration (parity), dynamics (sine continuation), holding discrete
memories (flip-flop) and context-dependent integration (Mante et al. 2013).

Every function takes ``seed`` (int, None or ``numpy.random.Generator``) and is
deterministic for a fixed int seed. Inputs are batch-first ``(n, T, D)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._random import SeedLike, as_generator
from ._base import Bunch

__all__ = ["adding_problem", "copy_task", "parity", "sine_continuation", "flip_flop",
           "context_integration"]

# Each task's docstring lists all its parameters, seed and dtype included, in the same words: help() on
# one task is complete on its own.


def _check_pos_int(**kw):
    for name, v in kw.items():
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


def adding_problem(n: int, T: int, seed: SeedLike = None, dtype: npt.DTypeLike = np.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Channel 0 holds random numbers in [0, 1); channel 1 marks exactly two
    steps with 1, one in the first half and one in the second half. The target
    is the sum of the two marked numbers, so the network must remember the
    first one over ~T/2 steps. Always predicting 1 gives MSE about 0.167.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int, >= 2
        Sequence length.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).

    Returns
    -------
    X : ndarray (n, T, 2)
    y : ndarray (n,)
    """
    _check_pos_int(n=n, T=T)
    if T < 2:
        raise ValueError(f"T must be >= 2 for the adding problem, got {T}")
    rng = as_generator(seed)
    values = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    markers = np.zeros((n, T))
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(dtype)
    y = (values[np.arange(n), first] + values[np.arange(n), second]).astype(dtype)
    return X, y


def copy_task(n: int, T_delay: int, n_symbols: int = 8, seq_len: int = 10, seed: SeedLike = None,
              dtype: npt.DTypeLike = np.float32):
    """The copy-memory task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016).

    Input: ``seq_len`` symbols drawn from ``1..n_symbols``, then ``T_delay - 1``
    blanks (0), then the delimiter ``n_symbols + 1`` ("now recall"), then
    ``seq_len`` blanks. Target: blanks everywhere except the last ``seq_len``
    steps, which repeat the symbols. Total length ``T = T_delay + 2 * seq_len``.
    Predicting blanks then random symbols gives cross-entropy
    ``seq_len * log(n_symbols) / T``.

    Parameters
    ----------
    n : int
        Number of sequences.
    T_delay : int
        Steps between the last symbol and the delimiter, plus one.
    n_symbols : int
        Size of the symbol alphabet (tokens 1..n_symbols).
    seq_len : int
        Number of symbols to remember.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).

    Returns
    -------
    X : ndarray (n, T, n_symbols + 2), one-hot of the input tokens
    y : ndarray (n, T) int64, target token per step (0 = blank)
    """
    _check_pos_int(n=n, T_delay=T_delay, n_symbols=n_symbols, seq_len=seq_len)
    rng = as_generator(seed)
    T = T_delay + 2 * seq_len
    symbols = rng.integers(1, n_symbols + 1, size=(n, seq_len))
    tokens = np.zeros((n, T), dtype=np.int64)
    tokens[:, :seq_len] = symbols
    tokens[:, seq_len + T_delay - 1] = n_symbols + 1          # delimiter
    y = np.zeros((n, T), dtype=np.int64)
    y[:, -seq_len:] = symbols
    X = np.eye(n_symbols + 2, dtype=dtype)[tokens]
    return X, y


def parity(n: int, T: int, seed: SeedLike = None, target: str = "final", dtype: npt.DTypeLike = np.float32):
    """Parity (XOR) of a bit string, the textbook hard case for gradient descent.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Bits per sequence.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).
    target : {"final", "running"}
        ``"final"``: one label per sequence, the parity of all ``T`` bits.
        ``"running"``: the parity of the bits seen so far, at every step
        (much easier: the error signal is local in time).

    Returns
    -------
    X : ndarray (n, T, 1) of 0/1
    y : ndarray (n,) int64 for "final", (n, T) int64 for "running"
    """
    _check_pos_int(n=n, T=T)
    if target not in ("final", "running"):
        raise ValueError(f"target must be 'final' or 'running', got {target!r}")
    rng = as_generator(seed)
    bits = rng.integers(0, 2, size=(n, T))
    running = np.cumsum(bits, axis=1) % 2
    y = running[:, -1] if target == "final" else running
    return bits[..., None].astype(dtype), y.astype(np.int64)


def sine_continuation(n: int, T: int, horizon: int, freq_range: tuple[float, float] = (0.02, 0.1),
                      noise_std: float = 0.0, seed: SeedLike = None, dtype: npt.DTypeLike = np.float32):
    """Continue a sine wave: see ``T`` samples, predict the next ``horizon``.

    Each sequence has its own amplitude (0.5..1.5), frequency (cycles per step,
    uniform in ``freq_range``) and phase, so the network must infer them from
    the input. ``noise_std`` adds Gaussian noise to the inputs only.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Input length.
    horizon : int
        Steps to predict.
    freq_range : (float, float)
        Frequencies in cycles per step, drawn uniformly.
    noise_std : float
        Standard deviation of the input noise.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).

    Returns
    -------
    X : ndarray (n, T, 1)
    y : ndarray (n, horizon), the clean continuation ``s[T : T + horizon]``
    """
    _check_pos_int(n=n, T=T, horizon=horizon)
    rng = as_generator(seed)
    amp = rng.uniform(0.5, 1.5, size=(n, 1))
    freq = rng.uniform(*freq_range, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    t = np.arange(T + horizon)[None, :]
    s = amp * np.sin(2 * np.pi * freq * t + phase)
    X = s[:, :T] + noise_std * rng.standard_normal((n, T))
    return X[..., None].astype(dtype), s[:, T:].astype(dtype)


def flip_flop(n: int, T: int, n_bits: int = 3, p_flip: float = 0.05, seed: SeedLike = None,
              dtype: npt.DTypeLike = np.float32):
    """The n-bit flip-flop task (Sussillo & Barak 2013).

    Each of the ``n_bits`` input channels is 0 most of the time and carries a
    +1 or -1 pulse with probability ``p_flip`` per step. The matching output
    must hold the sign of the most recent pulse on that channel until the next
    one (0 before the first pulse). A trained RNN implements this with
    ``2**n_bits`` fixed points, the classic target for fixed-point analysis.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Sequence length.
    n_bits : int
        Number of channels (bits held).
    p_flip : float in [0, 1]
        Probability of a pulse per step and channel.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).

    Returns
    -------
    X : ndarray (n, T, n_bits) with values in {-1, 0, +1}
    y : ndarray (n, T, n_bits) with values in {-1, 0, +1}
    """
    _check_pos_int(n=n, T=T, n_bits=n_bits)
    if not 0.0 <= p_flip <= 1.0:
        raise ValueError(f"p_flip must be a probability in [0, 1], got {p_flip}")
    rng = as_generator(seed)
    pulse = rng.random((n, T, n_bits)) < p_flip
    sign = rng.choice(np.array([-1.0, 1.0]), size=(n, T, n_bits))
    X = np.where(pulse, sign, 0.0)
    # index of the last pulse at or before t (-1 if none), then look the sign up
    t_idx = np.where(pulse, np.arange(T)[None, :, None], -1)
    last = np.maximum.accumulate(t_idx, axis=1)
    held = np.take_along_axis(X, np.maximum(last, 0), axis=1)
    y = np.where(last >= 0, held, 0.0)
    return X.astype(dtype), y.astype(dtype)


def context_integration(n: int, T: int, coherences: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4),
                        noise_std: float = 1.0, seed: SeedLike = None, dtype: npt.DTypeLike = np.float32,
                        return_info: bool = False):
    """Context-dependent integration (Mante, Sussillo, Shenoy & Newsome 2013).

    Two noisy evidence streams (think "motion" and "colour") are shown at
    once; a one-hot context tells which one matters. Each stream ``k`` has mean
    ``c_k``, a coherence drawn from ``±coherences``, plus white noise of
    standard deviation ``noise_std``. The target is the sign of the relevant
    stream's coherence; the irrelevant stream must be ignored.

    Input channels: 0 = stream 1, 1 = stream 2, 2-3 = one-hot context
    (constant over the trial).

    Parameters
    ----------
    n : int
        Number of trials.
    T : int
        Steps per trial.
    coherences : sequence of float > 0
        Magnitudes of the stream means; each sign is drawn at random.
    noise_std : float
        Standard deviation of the white noise on each stream.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`); an int gives the same data every time.
    dtype : numpy dtype, default float32
        Of ``X`` (and of ``y`` when it is real-valued).
    return_info : bool
        Also return the context and coherences of every trial.

    Returns
    -------
    X : ndarray (n, T, 4)
    y : ndarray (n,) float, +1 or -1
    info : Bunch, only if ``return_info``, with ``context`` (n,) in {0, 1} and
        ``coherence`` (n, 2), the signed means of the two streams
    """
    _check_pos_int(n=n, T=T)
    coherences = np.asarray(coherences, dtype=float)
    if coherences.ndim != 1 or coherences.size == 0 or np.any(coherences <= 0):
        raise ValueError("coherences must be a non-empty list of positive numbers "
                         "(signs are drawn at random)")
    rng = as_generator(seed)
    coh = rng.choice(coherences, size=(n, 2)) * rng.choice(np.array([-1.0, 1.0]), size=(n, 2))
    context = rng.integers(0, 2, size=n)
    streams = coh[:, None, :] + noise_std * rng.standard_normal((n, T, 2))
    ctx = np.broadcast_to(np.eye(2)[context][:, None, :], (n, T, 2))
    X = np.concatenate([streams, ctx], axis=-1).astype(dtype)
    y = np.sign(coh[np.arange(n), context]).astype(dtype)
    if return_info:
        return X, y, Bunch(context=context, coherence=coh)
    return X, y
