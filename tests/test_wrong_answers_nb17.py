"""The checks of notebook 17's exercises reject known-wrong answers, and say where to look."""
from collections import Counter

import numpy as np

import rnncore as rc
from _exercises import assert_rejects_non_answers, rejects_each
from rnncore_course.nb17_sequence_language_models import (check_chunked_forward, check_markov_bits,
                                                          check_sample_with_temperature)


def _markov(train_seqs, test_seqs, V, k, log=np.log2, add=1.0, denom=None, shift=0):
    joint, context = Counter(), Counter()
    ctx_of = lambda s, t: tuple(s[max(t - k - shift, 0):t - shift]) if k else ()
    for s in train_seqs:
        for t in range(k + shift, len(s)):
            joint[ctx_of(s, t), s[t]] += 1
            context[ctx_of(s, t)] += 1
    d = V * add if denom is None else denom
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = [-log(np.float64(joint[ctx_of(s, t), s[t]] + add) / np.float64(context[ctx_of(s, t)] + d))
                for s in test_seqs for t in range(k + shift, len(s))]
    return float(np.mean(bits)) if bits else float("nan")


test_markov_bits_rejects = rejects_each(check_markov_bits, [
    (lambda tr, te, V, k: _markov(tr, te, V, k, log=np.log), "base 2"),
    (lambda tr, te, V, k: _markov(tr, te, V, k, add=0.0), "add-one smoothing"),
    (lambda tr, te, V, k: _markov(tr, te, V, k, denom=1.0), "n\\(context\\) \\+ V"),
    (lambda tr, te, V, k: _markov(tr, te, V, k, shift=1), "t >= k"),      # context one step too early
], regex=True)


def _chunked(x, W_ih, W_hh, b_ih, b_hh, chunk, carry_h=True, carry_c=True, drop_last=False):
    h = c = None
    pieces = []
    stop = x.shape[1] - x.shape[1] % chunk if drop_last and x.shape[1] > chunk else x.shape[1]
    for start in range(0, stop, chunk):
        h_seq, (h_T, c_T), _ = rc.lstm_forward(x[:, start:start + chunk], W_ih, W_hh, b_ih, b_hh, h0=h, c0=c)
        h, c = (h_T if carry_h else None), (c_T if carry_c else None)
        pieces.append(h_seq)
    return np.concatenate(pieces, axis=1)


test_chunked_forward_rejects = rejects_each(check_chunked_forward, [
    (lambda *a: _chunked(*a, carry_h=False, carry_c=False), "reset"),     # state reset every chunk
    (lambda *a: _chunked(*a, carry_c=False), "c_T"),                       # cell state dropped
    (lambda *a: _chunked(*a, drop_last=True), "shorter chunk is missing"),
    (lambda x, *a: _chunked(x[:, ::-1], *a)[:, ::-1], "first chunk"),     # steps read backwards
], regex=True)


def _sample(logits, temperature, rng, scale=None, argmax=False, global_rng=False):
    z = logits / temperature if scale is None else logits * scale(temperature)
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    if argmax:
        return probs.argmax(1)
    u = (np.random.random if global_rng else rng.random)((len(probs), 1))
    return np.minimum((probs.cumsum(1) < u).sum(1), probs.shape[1] - 1)


test_sample_with_temperature_rejects = rejects_each(check_sample_with_temperature, [
    (lambda z, tau, rng: _sample(z, tau, rng, scale=lambda t: t), "divide the logits"),
    (lambda z, tau, rng: _sample(z, tau, rng, scale=lambda t: 1.0), "no effect"),
    (lambda z, tau, rng: _sample(z, tau, rng, argmax=True), "not the most probable"),
    (lambda z, tau, rng: _sample(z, tau, rng, global_rng=True), "rng passed in"),
    (lambda z, tau, rng: _sample(z, tau, rng)[:, None], "one symbol per row"),
], regex=True)


def test_stubs_and_none_fail():
    for check in (check_markov_bits, check_chunked_forward, check_sample_with_temperature):
        assert_rejects_non_answers(check)
