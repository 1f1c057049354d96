"""Checks for ``solutions/10_splice_sites_exercises.ipynb``.

The exercises are the modelling steps of notebook 10, and the checks test
properties every right answer has rather than comparing with a copy of the
answer:

* the grouped split: a partition of the rows, no sequence on both sides, the
  requested test size, class shares kept (stratified), the seed used;
* the paired bootstrap interval: the observed difference, and a width that
  matches the normal-theory width of a *paired* difference (an unpaired
  bootstrap is much wider when the two models agree on most windows);
* early stopping: scripted training and validation curves with a known best
  epoch and a known stopping point.
"""
import numpy as np

from . import exercise_check


def _call(fn, what, *args, **kwargs):
    """Call the learner's function; an exception becomes a message naming the call."""
    try:
        return fn(*args, **kwargs)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as e:  # noqa: BLE001 - any crash in the learner's code is reported, not raised
        raise AssertionError(f"{what} raised {type(e).__name__}: {e}") from None


def _toy_sequences(rng, n_distinct=700, class_p=(0.2, 0.3, 0.5)):
    """Rows with repeated sequences: each distinct sequence 1-4 times, one label per sequence."""
    distinct = ["".join(rng.choice(list("ACGT"), 20)) for _ in range(n_distinct)]
    labels = rng.choice(3, size=n_distinct, p=class_p)
    copies = rng.integers(1, 5, size=n_distinct)
    seqs = np.repeat(np.array(distinct), copies)
    y = np.repeat(labels, copies)
    order = rng.permutation(len(seqs))
    return seqs[order].tolist(), y[order]


@exercise_check
def check_grouped_split(grouped_split):
    """grouped_split(sequences, y, test_size, seed) -> (train_idx, test_idx)."""
    rng = np.random.default_rng(1001)
    seqs, y = _toy_sequences(rng)
    seq_arr = np.array(seqs)
    n = len(seqs)
    overall = np.bincount(y, minlength=3) / n
    tests = {}
    for test_size in (0.2, 0.25):
        for seed in (0, 1, 2):
            call = f"grouped_split(sequences, y, test_size={test_size}, seed={seed})"
            out = _call(grouped_split, call, seqs, y, test_size=test_size, seed=seed)
            assert isinstance(out, (tuple, list)) and len(out) == 2, f"{call} should return (train_idx, test_idx)"
            train, test = (np.asarray(a) for a in out)
            assert train.dtype.kind in "iu" and test.dtype.kind in "iu", \
                "return integer index arrays (row numbers), not masks or sequences"
            assert len(np.intersect1d(train, test)) == 0, f"{call}: some row indices are in both train and test"
            missing = n - len(np.union1d(train, test))
            assert missing == 0, f"{call}: {missing} rows are in neither train nor test; every row goes to one side"
            shared = set(seq_arr[train]) & set(seq_arr[test])
            assert not shared, (f"{call}: {len(shared)} sequences have copies in both train and test (leakage): "
                                "split groups of identical sequences, e.g. StratifiedGroupKFold with groups = "
                                "the sequence itself")
            frac = len(test) / n
            assert abs(frac - test_size) < 0.03, f"{call}: the test set is {frac:.1%} of the rows, expected about " \
                                                 f"{test_size:.0%}"
            share = np.bincount(y[test], minlength=3) / len(test)
            worst = int(np.argmax(np.abs(share - overall)))
            assert abs(share[worst] - overall[worst]) < 0.02, (
                f"{call}: class {worst} is {share[worst]:.1%} of the test set but {overall[worst]:.1%} of all rows: "
                "stratify by y (StratifiedGroupKFold, not GroupShuffleSplit)")
            tests[test_size, seed] = np.sort(test)
    assert not np.array_equal(tests[0.2, 0], tests[0.2, 1]), \
        "seed=0 and seed=1 give the same test set: pass the seed on (shuffle=True, random_state=seed)"


def _paired_case(rng, n, acc_b, p_disagree):
    b = rng.random(n) < acc_b
    a = b.copy()
    flip = rng.random(n) < p_disagree
    a[flip] = ~a[flip]
    return a, b


@exercise_check
def check_paired_bootstrap(paired_bootstrap):
    """paired_bootstrap(correct_a, correct_b, n_boot, seed) -> (diff, lo, hi), a 95% interval."""
    rng = np.random.default_rng(1002)
    # two models that agree on most windows (as two good classifiers do), and two that do not
    for n, acc_b, p_disagree in [(600, 0.9, 0.06), (400, 0.8, 0.2), (1000, 0.95, 0.03)]:
        a, b = _paired_case(rng, n, acc_b, p_disagree)
        call = f"paired_bootstrap(correct_a, correct_b) on {n} windows"
        out = _call(paired_bootstrap, call, a, b, n_boot=2000, seed=0)
        assert out is not None and len(out) == 3, f"{call} should return (diff, lo, hi)"
        diff, lo, hi = (float(v) for v in out)
        observed = a.mean() - b.mean()
        if abs(diff + observed) < 1e-12 and observed != 0:
            raise AssertionError(f"{call}: diff has the wrong sign: it is accuracy(a) - accuracy(b)")
        assert abs(diff - observed) < 1e-9, (f"{call}: diff = {diff:.4f}, but accuracy(a) - accuracy(b) = "
                                             f"{observed:.4f}: the difference on the observed windows")
        assert hi > lo, f"{call}: the interval [{lo:.4f}, {hi:.4f}] is empty or has zero width: resample the " \
                        "windows WITH replacement (rng.integers(0, n, n)), not a permutation"
        assert lo <= diff <= hi, f"{call}: the interval [{lo:.4f}, {hi:.4f}] does not contain diff = {diff:.4f}"
        d = a.astype(float) - b.astype(float)
        expected = 2 * 1.96 * d.std() / np.sqrt(n)          # normal-theory width of a paired mean difference
        ratio = (hi - lo) / expected
        assert ratio < 1.25, (f"{call}: the interval is {ratio:.1f} times as wide as a paired interval should be: "
                              "resample the SAME windows for both models (one index array per resample), so "
                              "that what they have in common cancels")
        assert ratio > 0.75, (f"{call}: the interval is only {ratio:.2f} of the width of a 95% interval: take the "
                              "2.5th and 97.5th percentiles of the resampled differences (not +- one sd)")
    # same inputs, same seed: the same interval. The resampled differences lie on a grid of 1/n, so two
    # unseeded calls can land on the same percentiles by chance (11% of the time at n = 300, 500 resamples;
    # 1.8% at n = 1000); four calls at n = 1000 that all agree by chance: about 1 in 200,000.
    a, b = _paired_case(rng, 1000, 0.85, 0.1)
    first = _call(paired_bootstrap, "paired_bootstrap(..., seed=5)", a, b, n_boot=500, seed=5)
    for _ in range(3):
        again = _call(paired_bootstrap, "paired_bootstrap(..., seed=5)", a, b, n_boot=500, seed=5)
        assert np.allclose(np.asarray(first, float), np.asarray(again, float)), \
            "two calls with seed=5 give different intervals: draw from np.random.default_rng(seed)"


class _ScriptedTraining:
    """Fake training run: each train_one_epoch() advances one epoch along scripted curves."""

    def __init__(self, val_curve):
        self.val_curve = list(val_curve)
        self.epoch = 0
        self.trained = 0
        self.log = []

    def train_one_epoch(self):
        if self.epoch >= len(self.val_curve):
            raise AssertionError(f"train_one_epoch was called more than max_epochs = {len(self.val_curve)} times")
        self.epoch += 1
        self.trained += 1
        self.log.append("train")
        return 1.0 / (1 + self.epoch)              # the training loss always falls

    def val_loss(self):
        if self.epoch == 0:
            raise AssertionError("val_loss() was called before any epoch was trained: train an epoch, then evaluate")
        self.log.append("val")
        return self.val_curve[self.epoch - 1]


@exercise_check
def check_early_stopping(choose_epochs):
    """choose_epochs(train_one_epoch, val_loss, max_epochs, patience) -> the best epoch (1-based)."""
    cases = [
        # (validation curve over max_epochs, patience, best epoch, epochs trained)
        ([1.0, 0.8, 0.7, 0.72, 0.69, 0.75, 0.8, 0.9, 0.95, 1.0, 1.1, 1.2], 2, 5, 7),
        ([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2], 3, 1, 4),
        ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 2, 6, 6),
        ([1.0, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2], 2, 2, 4),          # a tie is not an improvement
    ]
    for curve, patience, best, trained in cases:
        run = _ScriptedTraining(curve)
        call = f"choose_epochs(..., max_epochs={len(curve)}, patience={patience}) on validation losses {curve}"
        got = _call(choose_epochs, call, run.train_one_epoch, run.val_loss, len(curve), patience)
        assert got is not None, f"{call} returned None: return the best epoch"
        assert run.log.count("val") == run.trained, \
            f"{call}: trained {run.trained} epochs but evaluated {run.log.count('val')} times: evaluate after each epoch"
        if got != best:
            if isinstance(got, (int, np.integer)) and 1 <= got <= len(curve) and got != best \
                    and curve[got - 1] == curve[best - 1]:
                hint = "a validation loss equal to the best so far is not an improvement (use <, not <=)"
            elif got == best - 1:
                hint = "epochs are counted from 1 (the first epoch is epoch 1)"
            elif got == run.trained:
                hint = "that is the last epoch trained, not the one with the lowest validation loss"
            else:
                hint = "choose the epoch with the lowest validation loss (the training loss always falls)"
            raise AssertionError(f"{call} returned {got}, expected epoch {best}: {hint}")
        assert run.trained == trained, (
            f"{call} trained {run.trained} epochs, expected {trained}: stop once {patience} epochs in a row bring "
            "no strictly lower validation loss (or at max_epochs)")
