"""The checks of notebook 10's exercises accept right answers and reject known-wrong ones.

Each wrong answer is a mistake a learner makes; the check must raise
ExerciseFailed with a message that says where to look. Every exercise gets the same pair
of tests (a right answer accepted, the wrong ones rejected with their messages), one pair
per exercise, so a failure names its exercise.
"""
import numpy as np
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold, train_test_split

from _exercises import assert_accepts, rejects_each
from rnncore_course.nb10_splice_sites import check_early_stopping, check_grouped_split, check_paired_bootstrap


# ------------------------------------------------------------------ exercise 1: grouped split
def _groups(sequences):
    return np.unique(np.asarray(sequences), return_inverse=True)[1]


def split_right(sequences, y, test_size=0.2, seed=0):
    cv = StratifiedGroupKFold(n_splits=round(1 / test_size), shuffle=True, random_state=seed)
    return next(cv.split(np.zeros(len(y)), y, _groups(sequences)))


def split_rows(sequences, y, test_size=0.2, seed=0):
    # stratified, but by rows: copies of a sequence land on both sides
    return train_test_split(np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed)


def split_unstratified(sequences, y, test_size=0.2, seed=0):
    # grouped, but the class shares drift
    gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    return next(gss.split(np.zeros(len(y)), y, _groups(sequences)))


def split_ignores_seed(sequences, y, test_size=0.2, seed=0):
    return split_right(sequences, y, test_size, seed=0)


def split_test_inside_train(sequences, y, test_size=0.2, seed=0):
    _, test = split_right(sequences, y, test_size, seed)
    return np.arange(len(y)), test


def split_crashes(sequences, y, test_size=0.2, seed=0):
    return split_right(sequences, y, test_size=int(test_size), seed=seed)   # ZeroDivisionError


def test_grouped_split_accepts_a_right_answer():
    assert_accepts(check_grouped_split, split_right)


test_grouped_split_rejects_wrong_answers = rejects_each(check_grouped_split, [
    (split_rows, "both train and test \\(leakage\\).*groups"),
    (split_unstratified, "class \\d is .* stratify by y"),
    (split_ignores_seed, "same test set.*seed"),
    (split_test_inside_train, "row indices are in both train and test"),
    (split_crashes, "raised ZeroDivisionError"),
], regex=True)


# ------------------------------------------------------------------ exercise 2: paired bootstrap
def boot_right(a, b, n_boot=2000, seed=0, one_sd=False):
    a, b = np.asarray(a, float), np.asarray(b, float)
    idx = np.random.default_rng(seed).integers(0, len(a), (n_boot, len(a)))
    d = a[idx].mean(1) - b[idx].mean(1)
    diff = a.mean() - b.mean()
    if one_sd:                                  # the wrong answer boot_one_sd
        return diff, diff - d.std(), diff + d.std()
    return diff, *np.percentile(d, [2.5, 97.5])


def boot_unpaired(a, b, n_boot=2000, seed=0):
    # each model resampled on its own windows: the pairing is lost, the interval too wide
    a, b = np.asarray(a, float), np.asarray(b, float)
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, len(a), (n_boot, len(a)))
    ib = rng.integers(0, len(b), (n_boot, len(b)))
    d = a[ia].mean(1) - b[ib].mean(1)
    return a.mean() - b.mean(), *np.percentile(d, [2.5, 97.5])


def boot_without_replacement(a, b, n_boot=2000, seed=0):
    a, b = np.asarray(a, float), np.asarray(b, float)
    rng = np.random.default_rng(seed)
    d = [a[i].mean() - b[i].mean() for i in (rng.permutation(len(a)) for _ in range(n_boot))]
    return a.mean() - b.mean(), *np.percentile(d, [2.5, 97.5])


def boot_one_sd(a, b, n_boot=2000, seed=0):
    return boot_right(a, b, n_boot, seed, one_sd=True)


def boot_flipped(a, b, n_boot=2000, seed=0):
    diff, lo, hi = boot_right(b, a, n_boot, seed)
    return diff, lo, hi


def boot_unseeded(a, b, n_boot=2000, seed=0):
    return boot_right(a, b, n_boot, seed=None)


def test_paired_bootstrap_accepts_a_right_answer():
    assert_accepts(check_paired_bootstrap, boot_right)


test_paired_bootstrap_rejects_wrong_answers = rejects_each(check_paired_bootstrap, [
    (boot_unpaired, "times as wide as a paired interval.*SAME windows"),
    (boot_without_replacement, "zero width: resample the windows WITH replacement"),
    (boot_one_sd, "2.5th and 97.5th percentiles"),
    (boot_flipped, "wrong sign"),
    (boot_unseeded, "seed=5 give different intervals"),
], regex=True)


# ------------------------------------------------------------------ exercise 3: early stopping
def stop_right(train_one_epoch, val_loss, max_epochs, patience, on_training_loss=False, ties_improve=False):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch in range(1, max_epochs + 1):
        train_loss, loss = train_one_epoch(), val_loss()
        if on_training_loss:
            loss = train_loss
        if loss < best or (ties_improve and loss == best):
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def stop_zero_based(train_one_epoch, val_loss, max_epochs, patience):
    return stop_right(train_one_epoch, val_loss, max_epochs, patience) - 1


def stop_on_training_loss(train_one_epoch, val_loss, max_epochs, patience):
    return stop_right(train_one_epoch, val_loss, max_epochs, patience, on_training_loss=True)


def stop_never(train_one_epoch, val_loss, max_epochs, patience):
    losses = []
    for _ in range(max_epochs):
        train_one_epoch()
        losses.append(val_loss())
    return int(np.argmin(losses)) + 1


def stop_ties_improve(train_one_epoch, val_loss, max_epochs, patience):    # <= where < belongs
    return stop_right(train_one_epoch, val_loss, max_epochs, patience, ties_improve=True)


def stop_evaluates_first(train_one_epoch, val_loss, max_epochs, patience):
    val_loss()
    return stop_right(train_one_epoch, val_loss, max_epochs, patience)


def test_early_stopping_accepts_a_right_answer():
    assert_accepts(check_early_stopping, stop_right)


test_early_stopping_rejects_wrong_answers = rejects_each(check_early_stopping, [
    (stop_zero_based, "counted from 1"),
    (stop_on_training_loss, "not the one with the lowest validation loss"),
    (stop_never, "trained \\d+ epochs, expected \\d+: stop once"),
    (stop_ties_improve, "returned 3, expected epoch 2: a validation loss equal to the best so far"),
    (stop_evaluates_first, "before any epoch was trained"),
], regex=True)
