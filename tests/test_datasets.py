"""Tests for rnncore.datasets: shipped real data, synthetic tasks and simulators."""

import numpy as np
import pytest
from scipy.signal import find_peaks

from rnncore import datasets as ds
from rnncore.encoding import kmer_counts


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def splice():
    return ds.load_splice()


def test_splice_shapes_and_class_counts(splice):
    assert splice.X.shape == (3190, 60, 4) and splice.X.dtype == np.float32
    assert splice.y.shape == (3190,)
    assert splice.classes == ("EI", "IE", "N")
    counts = dict(zip(splice.classes, np.bincount(splice.y)))
    assert counts == {"EI": 767, "IE": 768, "N": 1655}
    assert len(splice.names) == len(splice.sequences) == 3190
    assert all(len(s) == 60 for s in splice.sequences)
    np.testing.assert_allclose(splice.X.sum(-1), 1.0)          # ambiguity spread, no loss


def test_splice_ambiguity_codes_are_kept(splice):
    ambiguous = [s for s in splice.sequences if set(s) - set("ACGT")]
    assert len(ambiguous) == 15
    assert set("".join(ambiguous)) - set("ACGT") == {"D", "N", "S", "R"}


def test_splice_consensus_dinucleotides(splice):
    seqs = np.array(splice.sequences)
    ei, ie, n = (seqs[splice.y == k] for k in range(3))
    # 1-based positions 31-32 are python [30:32]; 29-30 are [28:30]
    gt_donor = np.mean([s[30:32] == "GT" for s in ei])
    ag_acceptor = np.mean([s[28:30] == "AG" for s in ie])
    assert gt_donor > 0.95 and ag_acceptor > 0.95
    assert np.mean([s[30:32] == "GT" for s in n]) < 0.5       # the negatives lack it
    # the one-hot agrees with the text
    G, T = 2, 3
    assert np.mean((splice.X[splice.y == 0, 30, G] == 1) & (splice.X[splice.y == 0, 31, T] == 1)) \
        == pytest.approx(gt_donor)


def test_splice_string_encoding():
    s = ds.load_splice(encoding="string")
    assert s.X.shape == (3190,) and len(s.X[0]) == 60
    with pytest.raises(ValueError, match="encoding"):
        ds.load_splice(encoding="kmer")


def test_yeast_cell_cycle():
    d = ds.load_yeast_cell_cycle()
    assert d.X.shape == (800, 73) and d.mask.shape == (800, 73)
    assert len(d.genes) == 800 and d.genes[0] == "YAL022C"
    counts = dict(zip(d.classes, np.bincount(d.y)))
    assert counts == {"G1": 300, "M": 196, "G2": 120, "M/G1": 113, "S": 71}
    sizes = {k: sl.stop - sl.start for k, sl in d.experiments.items()}
    assert sizes == {"alpha": 18, "cdc15": 24, "cdc28": 17, "elu": 14}
    assert all(c.startswith("alpha") for c in np.array(d.columns)[d.experiments["alpha"]])
    np.testing.assert_array_equal(d.times["alpha"], np.arange(0, 126, 7))
    np.testing.assert_array_equal(np.isnan(d.X), ~d.mask)
    alpha_missing = ~d.mask[:, d.experiments["alpha"]]
    assert alpha_missing.any(axis=1).sum() == 187
    # first row of the CSV: YAL022C, M, alpha0 = -0.36; cdc28_140 is NA
    assert d.classes[d.y[0]] == "M" and d.X[0, 0] == pytest.approx(-0.36)
    assert np.isnan(d.X[0, d.columns.index("cdc28_140")])


def test_lynx():
    d = ds.load_lynx()
    assert d.years.shape == d.counts.shape == (114,)
    np.testing.assert_array_equal(d.years, np.arange(1821, 1935))
    assert d.counts.dtype.kind == "i" and d.counts.min() > 0
    assert d.counts[:3].tolist() == [269, 321, 585]
    # the famous ~10-year cycle: dominant period of the log series is 9-11 years
    x = np.log(d.counts) - np.log(d.counts).mean()
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x))
    assert 9 <= 1 / freqs[1:][power[1:].argmax()] <= 11.5


# ---------------------------------------------------------------- tasks
TASKS = [
    lambda s: ds.adding_problem(8, 20, seed=s),
    lambda s: ds.copy_task(8, 15, seed=s),
    lambda s: ds.parity(8, 12, seed=s),
    lambda s: ds.sine_continuation(8, 30, 5, seed=s),
    lambda s: ds.flip_flop(8, 40, seed=s),
    lambda s: ds.context_integration(8, 30, seed=s),
    lambda s: tuple(ds.lotka_volterra(T=30, seed=s).values())[:3],
    lambda s: tuple(ds.logistic_growth(T=30, seed=s).values()),
    lambda s: (ds.planted_motifs(20, seed=s).X,),
]


@pytest.mark.parametrize("make", TASKS)
def test_same_seed_same_data(make):
    a, b, c = make(3), make(3), make(4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert any(not np.array_equal(u, w) for u, w in zip(a, c))


def test_adding_problem_target_is_sum_of_marked():
    X, y = ds.adding_problem(50, 30, seed=0)
    assert X.shape == (50, 30, 2) and y.shape == (50,)
    np.testing.assert_array_equal(X[:, :, 1].sum(1), 2)
    assert np.all(X[:, :15, 1].sum(1) == 1)                    # one marker in each half
    np.testing.assert_allclose((X[:, :, 0] * X[:, :, 1]).sum(1), y, rtol=1e-6)


def test_copy_task_layout():
    X, y = ds.copy_task(5, T_delay=12, n_symbols=6, seq_len=4, seed=1)
    T = 12 + 2 * 4
    assert X.shape == (5, T, 8) and y.shape == (5, T)
    tokens = X.argmax(-1)
    np.testing.assert_array_equal(y[:, -4:], tokens[:, :4])        # recall = the input
    np.testing.assert_array_equal(y[:, :-4], 0)
    assert np.all(tokens[:, 4 + 12 - 1] == 7)                       # delimiter
    assert np.all((tokens[:, :4] >= 1) & (tokens[:, :4] <= 6))


def test_parity():
    X, y = ds.parity(20, 9, seed=0)
    np.testing.assert_array_equal(y, X[:, :, 0].sum(1) % 2)
    X, y = ds.parity(20, 9, seed=0, target="running")
    np.testing.assert_array_equal(y, np.cumsum(X[:, :, 0], 1) % 2)


def test_sine_continuation_is_continuous():
    X, y = ds.sine_continuation(10, 40, 5, seed=0)
    assert X.shape == (10, 40, 1) and y.shape == (10, 5)
    # the continuation starts close to where the input stopped (slow sines)
    assert np.all(np.abs(y[:, 0] - X[:, -1, 0]) < 2 * np.pi * 0.1 * 1.5 + 1e-6)


def test_flip_flop_targets_hold_last_pulse():
    X, y = ds.flip_flop(10, 100, n_bits=3, p_flip=0.1, seed=0)
    assert X.shape == y.shape == (10, 100, 3)
    assert set(np.unique(X)) <= {-1.0, 0.0, 1.0}
    for n in range(10):
        for b in range(3):
            held = 0.0
            for t in range(100):                 # the slow, obvious definition
                if X[n, t, b] != 0:
                    held = X[n, t, b]
                assert y[n, t, b] == held


def test_context_integration_follows_relevant_stream():
    X, y, info = ds.context_integration(400, 200, seed=0, return_info=True)
    assert X.shape == (400, 200, 4) and y.shape == (400,)
    np.testing.assert_array_equal(X[:, :, 2:].argmax(-1), info.context[:, None] * np.ones(200))
    relevant = X[np.arange(400), :, info.context].mean(1)
    irrelevant = X[np.arange(400), :, 1 - info.context].mean(1)
    # with 200 steps the relevant stream's sample mean mostly has the target's sign ...
    assert np.mean(np.sign(relevant) == y) > 0.8
    # ... while the irrelevant stream is unrelated to the target
    assert abs(np.mean(np.sign(irrelevant) == y) - 0.5) < 0.1


# ---------------------------------------------------------------- ecology
def test_lotka_volterra_counts_and_cycles():
    b = ds.lotka_volterra(T=400, dt=0.25, seed=0)
    assert b.counts.shape == b.rates.shape == (400, 2)
    assert b.counts.dtype == np.int64 and b.counts.min() >= 0
    # closed orbits: the LV invariant is conserved by the integrator
    a, be, d, g = (b.params[k] for k in ("alpha", "beta", "delta", "gamma"))
    x, y = b.rates.T
    V = d * x - g * np.log(x) + be * y - a * np.log(y)
    assert np.ptp(V) < 1e-4
    # the prey peaks before the predator peaks
    px, _ = find_peaks(x)
    py, _ = find_peaks(y)
    assert len(px) >= 3 and 0 < (py[0] - px[0]) < np.diff(px).mean() / 2
    # Poisson noise: counts scatter around the rates with variance ~ mean
    resid = (b.counts - b.rates) / np.sqrt(b.rates)
    assert abs(resid.mean()) < 0.15 and 0.8 < resid.std() < 1.2


def test_logistic_growth_saturates():
    b = ds.logistic_growth(T=200, dt=0.25, r=0.5, K=500, n0=5, seed=1)
    assert b.counts.min() >= 0 and b.counts.dtype == np.int64
    assert b.rates[0] == pytest.approx(5) and b.rates[-1] == pytest.approx(500, rel=1e-3)
    # the closed form solves dN/dt = r N (1 - N/K)
    dN = np.gradient(b.rates, b.t)
    np.testing.assert_allclose(dN, 0.5 * b.rates * (1 - b.rates / 500), atol=0.5)
    with pytest.raises(ValueError, match="noise"):
        ds.logistic_growth(noise="gaussian")


# ---------------------------------------------------------------- motifs
@pytest.fixture(scope="module")
def motifs():
    return ds.planted_motifs(2000, L=100, spacing=(5, 15), seed=0)


def test_motif_layout(motifs):
    assert motifs.X.shape == (2000, 100, 4) and motifs.y.shape == (2000,)
    assert motifs.y.mean() == 0.5
    wa = len(motifs.pwms["A"])
    gap = motifs.positions[:, 1] - motifs.positions[:, 0] - wa
    pos = motifs.kind == "positive"
    assert np.all((gap[pos] >= 5) & (gap[pos] <= 15))
    assert np.all(motifs.positions[motifs.kind == "wrong_order", 1]
                  < motifs.positions[motifs.kind == "wrong_order", 0])
    ws = gap[motifs.kind == "wrong_spacing"]
    assert np.all((ws < 5 - 3) | (ws > 15 + 3))
    np.testing.assert_allclose(motifs.pwms["A"].sum(1), 1.0)


def test_bag_of_kmers_cannot_see_order_but_ordered_features_can(motifs):
    K = kmer_counts(motifs.X, 3).astype(float)
    y = motifs.y
    # class means of every 3-mer count are nearly equal (same motifs in both classes)
    sd = K.std(0)
    diff = np.abs(K[y == 1].mean(0) - K[y == 0].mean(0)) / sd
    assert diff.max() < 0.2
    # a nearest-centroid classifier on k-mer counts is near chance on held-out data
    tr, te = np.arange(1000), np.arange(1000, 2000)
    mu = np.stack([K[tr][y[tr] == c].mean(0) for c in (0, 1)])
    pred = (((K[te, None] - mu) / sd) ** 2).sum(-1).argmin(1)
    kmer_acc = np.mean(pred == y[te])
    assert kmer_acc < 0.6
    # an ordered feature (best PWM hits, then "is B 5-15 nt after A?") separates them
    sa = ds.pwm_scan(motifs.X, motifs.pwms["A"]).argmax(1)
    sb = ds.pwm_scan(motifs.X, motifs.pwms["B"]).argmax(1)
    gap = sb - sa - len(motifs.pwms["A"])
    ordered_acc = np.mean(((gap >= 5) & (gap <= 15)) == y)
    assert ordered_acc > 0.99 and ordered_acc > kmer_acc + 0.3


# ---------------------------------------------------------------- repressilator
def _periods(t, x, prominence):
    peaks, _ = find_peaks(x, prominence=prominence)
    return np.diff(t[peaks])


def test_repressilator_ode_oscillates_with_constant_period():
    b = ds.repressilator_ode(t_end=150, dt=0.05)
    assert b.protein.shape == b.mrna.shape == (3001, 3)
    periods = _periods(b.t, b.protein[:, 0], prominence=10)[3:]     # skip the transient
    assert len(periods) >= 10
    assert periods.std() / periods.mean() < 0.02
    assert 5 < periods.mean() < 15
    # the three proteins peak one after another (lacI -> tetR -> cI is the ring order)
    last = b.t > 100
    first_peak = [b.t[last][find_peaks(b.protein[last, i], prominence=10)[0][0]] for i in range(3)]
    assert len(set(np.round(first_peak, 1))) == 3


def test_repressilator_gillespie_counts_oscillate():
    b = ds.repressilator_gillespie(t_end=300, dt=0.1, seed=0)
    assert b.protein.shape == (3001, 3) and b.protein.dtype == np.int64
    assert b.protein.min() >= 0 and b.mrna.min() >= 0
    periods = _periods(b.t, b.protein[:, 0] / b.params["omega_p"], prominence=40)
    periods = periods[periods > 3]
    assert len(periods) >= 15
    med = np.median(periods)
    assert 7 < med < 14                                   # near the ODE period (~8.7)
    q75, q25 = np.percentile(periods, [75, 25])
    assert (q75 - q25) / med < 0.4                        # noisy but regular
    # same seed, same events: a shorter run reproduces the start of this one
    again = ds.repressilator_gillespie(t_end=50, dt=0.1, seed=0)
    np.testing.assert_array_equal(b.protein[:len(again.t)], again.protein)
    other = ds.repressilator_gillespie(t_end=50, dt=0.1, seed=1)
    assert not np.array_equal(other.protein, again.protein)


def test_one_seed_rule_int_none_or_generator():
    """Every random task takes seed = None | int | Generator (rnncore._random.as_generator)."""
    from rnncore._random import as_generator
    gen = np.random.default_rng(5)
    assert as_generator(gen) is gen                                   # the caller's stream continues
    np.testing.assert_array_equal(as_generator(7).random(3), np.random.default_rng(7).random(3))
    assert not np.array_equal(as_generator(None).random(3), as_generator(None).random(3))
    for bad, err in ((1.5, TypeError), ("1", TypeError), (True, TypeError), (-1, ValueError)):
        with pytest.raises(err, match="seed"):
            as_generator(bad)
    # a shared Generator gives two different, reproducible draws
    a1, _ = ds.adding_problem(4, 10, seed=np.random.default_rng(1))
    g = np.random.default_rng(1)
    b1, _ = ds.adding_problem(4, 10, seed=g)
    b2, _ = ds.adding_problem(4, 10, seed=g)
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(b1, b2)


def test_gillespie_takes_the_seed_rule():
    """The stochastic repressilator draws from a numpy Generator passed into its Numba kernel
    (no np.random.seed inside compiled code): an int seed is MT19937 seeded as np.random.seed
    seeds it (the trajectories of earlier versions), a shared Generator advances, and a bad
    seed is a clear error."""
    by_int = ds.repressilator_gillespie(t_end=20, dt=0.1, seed=3)
    _, key, pos, *_ = np.random.RandomState(3).get_state()
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
    gen = np.random.Generator(bits)
    by_gen = ds.repressilator_gillespie(t_end=20, dt=0.1, seed=gen)
    np.testing.assert_array_equal(by_gen.protein, by_int.protein)
    np.testing.assert_array_equal(by_gen.mrna, by_int.mrna)
    assert not np.array_equal(ds.repressilator_gillespie(t_end=20, dt=0.1, seed=gen).protein, by_int.protein)
    for bad, err in ((-1, ValueError), (1.5, TypeError)):
        with pytest.raises(err, match="seed"):
            ds.repressilator_gillespie(t_end=1, seed=bad)
    again = ds.repressilator_gillespie(t_end=20, dt=0.1, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(again.protein, ds.repressilator_gillespie(t_end=20, dt=0.1,
                                                                            seed=np.random.default_rng(3)).protein)


def test_int_seeds_for_scikit_learn_splitters():
    """Splits built on scikit-learn's random_state take the seed rule too: an int is used as it is
    (seed + r per repeat), a Generator gives an int drawn from its stream."""
    from rnncore._random import as_int_seed
    assert as_int_seed(7) == 7 and isinstance(as_int_seed(np.int64(7)), int)
    assert as_int_seed(np.random.default_rng(0)) == as_int_seed(np.random.default_rng(0))
    with pytest.raises(ValueError, match="seed"):
        as_int_seed(-1)
    seqs = [f"{'ACGT'[i % 4]}{i:03d}" for i in range(40)]
    y = np.arange(40) % 2
    a = ds.sequence_group_splits(seqs, y, n_splits=4, seed=np.random.default_rng(2))
    b = ds.sequence_group_splits(seqs, y, n_splits=4, seed=as_int_seed(np.random.default_rng(2)))
    for (tr_a, te_a), (tr_b, te_b) in zip(a, b):
        np.testing.assert_array_equal(te_a, te_b)
    tr, va, te = ds.split_motifs(seqs, y, seed=np.random.default_rng(4))
    np.testing.assert_array_equal(te, ds.split_motifs(seqs, y, seed=4)[2])
