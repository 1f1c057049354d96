"""rnncore.baselines: logistic regression, CV splits, metrics, persistence and AR forecasters."""
import itertools

import numpy as np
import pytest
from scipy import optimize

from rnncore import baselines as bl


# ----------------------------------------------------------------------------
# logistic regression
# ----------------------------------------------------------------------------

def test_binary_lr_separates_separable_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    m = X @ np.array([2.0, -1.0, 0.5]) + 0.3
    X, m = X[np.abs(m) > 0.3], m[np.abs(m) > 0.3]          # a margin: linearly separable
    y = (m > 0).astype(int)
    clf = bl.LogisticRegression(l2=1e-3).fit(X, y)
    assert clf.coef_.shape == (3, 1)
    assert clf.score(X, y) == 1.0
    # the direction of w is the true normal
    w = clf.coef_[:, 0] / np.linalg.norm(clf.coef_[:, 0])
    true = np.array([2.0, -1.0, 0.5]) / np.linalg.norm([2.0, -1.0, 0.5])
    assert w @ true > 0.98


def test_multinomial_lr_separates_three_clusters():
    rng = np.random.default_rng(1)
    centres = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    y = np.repeat([0, 1, 2], 50)
    X = centres[y] + rng.standard_normal((150, 2)) * 0.5
    clf = bl.LogisticRegression(l2=0.1).fit(X, y)
    assert clf.coef_.shape == (2, 3)
    assert clf.score(X, y) == 1.0
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(1), 1.0)
    assert np.all(P[np.arange(150), y] > 0.9)


def test_lr_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 4))
    w = rng.uniform(0.5, 2.0, 30)
    for K in (2, 3):
        y = rng.integers(0, K, 30)
        clf = bl.LogisticRegression(l2=0.7)
        C = 1 if K == 2 else K
        Y = y[:, None].astype(float) if C == 1 else np.eye(K)[y]
        theta = rng.standard_normal(4 * C + C)
        err = optimize.check_grad(lambda t: clf._loss_grad(t, X, Y, w, 4, C)[0],
                                  lambda t: clf._loss_grad(t, X, Y, w, 4, C)[1], theta)
        assert err < 1e-6


def test_binary_lr_matches_independent_newton_solution():
    # minimise mean log-loss + l2/(2n)||w||^2 by Newton's method and compare
    rng = np.random.default_rng(3)
    n = 120
    X = rng.standard_normal((n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [1.0, -2.0, 0.5] + 0.5)))).astype(int)
    l2 = 2.0
    Xa = np.c_[X, np.ones(n)]
    R = np.diag([l2, l2, l2, 0.0])
    th = np.zeros(4)
    for _ in range(50):
        p = 1 / (1 + np.exp(-Xa @ th))
        g = Xa.T @ (p - y) + R @ th
        Hm = Xa.T @ (Xa * (p * (1 - p))[:, None]) + R
        th -= np.linalg.solve(Hm, g)
    clf = bl.LogisticRegression(l2=l2, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(clf.coef_[:, 0], th[:3], atol=1e-5)
    np.testing.assert_allclose(clf.intercept_[0], th[3], atol=1e-5)


def test_lr_flattens_one_hot_and_keeps_label_values():
    rng = np.random.default_rng(4)
    y = np.repeat([3, 7], 20)                     # labels need not be 0..K-1
    X = np.zeros((40, 5, 4))
    X[np.arange(40), 2, np.where(y == 3, 0, 2)] = 1   # base at position 2 decides the class
    X[:, [0, 1, 3, 4], :] = np.eye(4)[rng.integers(0, 4, (40, 4))]
    clf = bl.LogisticRegression(l2=0.01).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [3, 7])
    np.testing.assert_array_equal(clf.predict(X), y)


def test_class_weights_balanced_and_lr_uses_them():
    y = np.array([0] * 90 + [1] * 10)
    w = bl.class_weights(y)
    np.testing.assert_allclose(w, [100 / (2 * 90), 100 / (2 * 10)])
    np.testing.assert_allclose((w[y]).sum(), 100)            # total weight is preserved
    # overlapping classes: balanced weights move the boundary towards the big class
    rng = np.random.default_rng(5)
    X = np.r_[rng.normal(0, 1, 900), rng.normal(1.5, 1, 100)][:, None]
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    plain = bl.LogisticRegression(l2=1e-3).fit(X, y)
    bal = bl.LogisticRegression(l2=1e-3, class_weight="balanced").fit(X, y)
    rec_plain = bl.per_class_accuracy(y, plain.predict(X))[1]
    rec_bal = bl.per_class_accuracy(y, bal.predict(X))[1]
    assert rec_bal > rec_plain + 0.3
    assert bl.balanced_accuracy(y, bal.predict(X)) > bl.balanced_accuracy(y, plain.predict(X))


def test_lr_errors():
    with pytest.raises(ValueError, match="l2"):
        bl.LogisticRegression(l2=-1)
    with pytest.raises(ValueError, match="two classes"):
        bl.LogisticRegression().fit(np.ones((5, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        bl.LogisticRegression().fit(np.array([[np.nan], [1.0]]), [0, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        bl.LogisticRegression().predict(np.ones((2, 2)))


# ----------------------------------------------------------------------------
# splits
# ----------------------------------------------------------------------------

def test_kfold_partitions_and_stratifies():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    folds = bl.kfold_indices(100, k=10, seed=0, stratify=y)
    tests = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(100))       # each sample once
    for tr, te in folds:
        assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == 100
        np.testing.assert_array_equal(np.bincount(y[te], minlength=3), [5, 3, 2])
    plain = bl.kfold_indices(23, k=5, seed=1)
    assert sorted(len(te) for _, te in plain) == [4, 4, 5, 5, 5]


def test_train_test_split_stratified_and_aligned():
    X = np.arange(100)[:, None] * 1.0
    y = np.array([0] * 80 + [1] * 20)
    Xtr, Xte, ytr, yte = bl.train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    assert len(Xte) == 25 and len(Xtr) == 75
    np.testing.assert_array_equal(np.bincount(yte), [20, 5])
    np.testing.assert_array_equal(y[Xte[:, 0].astype(int)], yte)      # rows stay aligned
    assert len(np.intersect1d(Xtr[:, 0], Xte[:, 0])) == 0


def test_cross_val_score_on_easy_problem():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((100, 2))
    y = (X[:, 0] > 0).astype(int)
    scores = bl.cross_val_score(lambda: bl.LogisticRegression(l2=1e-2), X, y, k=5)
    assert scores.shape == (5,) and scores.mean() > 0.95


# ----------------------------------------------------------------------------
# metrics
# ----------------------------------------------------------------------------

def test_confusion_matrix_and_accuracies():
    yt = np.array([0, 0, 0, 1, 1, 2])
    yp = np.array([0, 1, 0, 1, 1, 0])
    C = bl.confusion_matrix(yt, yp)
    np.testing.assert_array_equal(C, [[2, 1, 0], [0, 2, 0], [1, 0, 0]])
    assert bl.accuracy(yt, yp) == pytest.approx(4 / 6)
    np.testing.assert_allclose(bl.per_class_accuracy(yt, yp), [2 / 3, 1.0, 0.0])
    assert bl.balanced_accuracy(yt, yp) == pytest.approx((2 / 3 + 1 + 0) / 3)
    np.testing.assert_allclose(bl.confusion_matrix(yt, yp, normalize="true").sum(1), 1.0)
    # one-hot / probability rows are accepted
    assert bl.accuracy(np.eye(3)[yt], np.eye(3)[yp]) == pytest.approx(4 / 6)


def test_balanced_accuracy_of_majority_vote_is_chance():
    y = np.array([0] * 95 + [1] * 5)
    assert bl.accuracy(y, np.zeros(100)) == 0.95
    assert bl.balanced_accuracy(y, np.zeros(100)) == 0.5


def _auroc_brute(y, s):
    pos, neg = s[y == 1], s[y == 0]
    total = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in itertools.product(pos, neg))
    return total / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_equals_brute_force_pair_count(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 60)
    y[:2] = [0, 1]
    s = np.round(rng.standard_normal(60) + y, 1)      # rounding creates ties
    assert bl.auroc(y, s) == pytest.approx(_auroc_brute(y, s), abs=1e-12)


def test_roc_curve_endpoints_and_area():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.standard_normal(200) + 1.2 * y, 1)
    fpr, tpr, thr = bl.roc_curve(y, s)
    assert (fpr[0], tpr[0]) == (0, 0) and (fpr[-1], tpr[-1]) == (1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.isinf(thr[0]) and np.all(np.diff(thr[1:]) < 0)
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)          # trapezoid rule
    assert area == pytest.approx(bl.auroc(y, s), abs=1e-12)
    # each point is the rate at threshold "score >= thr"
    i = len(thr) // 2
    assert tpr[i] == pytest.approx(np.mean(s[y == 1] >= thr[i]))
    assert fpr[i] == pytest.approx(np.mean(s[y == 0] >= thr[i]))


def test_auroc_perfect_inverted_and_errors():
    y = np.array([0, 0, 1, 1])
    assert bl.auroc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert bl.auroc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert bl.auroc(y, [0.5] * 4) == 0.5
    with pytest.raises(ValueError, match="both"):
        bl.auroc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="binary"):
        bl.auroc([0, 2], [0.1, 0.2])


# ----------------------------------------------------------------------------
# forecasting
# ----------------------------------------------------------------------------

def _simulate_ar(phi, c, T, sigma, seed):
    rng = np.random.default_rng(seed)
    p = len(phi)
    y = np.zeros(T + 200)
    for t in range(p, len(y)):
        y[t] = c + sum(phi[i] * y[t - 1 - i] for i in range(p)) + sigma * rng.standard_normal()
    return y[200:]


def test_ar_recovers_coefficients_of_simulated_ar2():
    phi, c = [0.6, -0.3], 0.5
    y = _simulate_ar(phi, c, 20000, 1.0, seed=0)
    ar = bl.ARForecaster(p=2).fit(y)
    np.testing.assert_allclose(ar.coef_, phi, atol=0.02)
    assert ar.intercept_ == pytest.approx(c, abs=0.03)
    assert ar.sigma2_ == pytest.approx(1.0, abs=0.05)
    pred = ar.predict(y)
    assert pred.shape == (len(y) - 2,)
    # one-step MSE is the noise variance, well below persistence
    assert bl.mse(y[2:], pred) == pytest.approx(1.0, abs=0.05)
    yp, yt = bl.persistence_forecast(y)
    assert bl.mse(yt, yp) > 1.3


def test_ar_exact_on_noise_free_series_and_forecast():
    phi, c = [1.2, -0.5], 1.0
    y = np.zeros(50)
    y[:2] = [3.0, -1.0]
    for t in range(2, 50):
        y[t] = c + phi[0] * y[t - 1] + phi[1] * y[t - 2]
    ar = bl.ARForecaster(p=2).fit(y[:30])
    np.testing.assert_allclose(ar.coef_, phi, atol=1e-8)
    np.testing.assert_allclose(ar.forecast(y[:30], 20), y[30:], atol=1e-6)
    assert bl.r2_score(y[30:], ar.forecast(y[:30], 20)) == pytest.approx(1.0)


def test_var_recovers_matrix_and_fits_lists_of_series():
    A = np.array([[0.5, 0.2], [-0.3, 0.4]])
    rng = np.random.default_rng(1)
    series = []
    for _ in range(4):
        y = np.zeros((3000, 2))
        for t in range(1, 3000):
            y[t] = A @ y[t - 1] + 0.5 * rng.standard_normal(2)
        series.append(y)
    ar = bl.ARForecaster(p=1, fit_intercept=False).fit(series[:3])      # series[3] is held out
    assert ar.coef_.shape == (1, 2, 2)
    np.testing.assert_allclose(ar.coef_[0], A, atol=0.04)
    # one-step predictions and forecasts are the fitted matrix applied to the last state
    coef = ar.coef_[0]
    np.testing.assert_allclose(ar.predict(series[0]), series[0][:-1] @ coef.T, rtol=1e-12, atol=1e-12)
    fc, last = ar.forecast(series[0], 5), series[0][-1]
    for step in range(5):
        last = coef @ last
        np.testing.assert_allclose(fc[step], last, rtol=1e-12, atol=1e-12)
    # and they beat persistence on held-out noise: the recovered dynamics are real
    held = series[3][1:]
    assert bl.mse(held, ar.predict(series[3])) < 0.8 * bl.mse(held, series[3][:-1])


def test_persistence_mse_r2():
    y = np.arange(10.0)
    yp, yt = bl.persistence_forecast(y, horizon=3)
    np.testing.assert_array_equal(yp, y[:7])
    np.testing.assert_array_equal(yt, y[3:])
    assert bl.mse(yt, yp) == 9.0
    assert bl.r2_score(yt, yt) == 1.0
    assert bl.r2_score(yt, np.full_like(yt, yt.mean())) == pytest.approx(0.0)
    assert bl.r2_score([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-3.0)
    assert bl.mse([1.0, np.nan], [2.0, 5.0]) == 1.0                # NaN targets skipped
    with pytest.raises(ValueError, match="horizon"):
        bl.persistence_forecast(y, horizon=10)
    with pytest.raises(ValueError, match="too short"):
        bl.ARForecaster(p=5).fit(np.ones(4))
