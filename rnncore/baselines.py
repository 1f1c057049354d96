"""Simple baselines and metrics for the biology notebooks.

Every RNN in the course is compared with something simple. This module holds
those simple things, in plain NumPy/SciPy (no scikit-learn):

Classification

* :class:`LogisticRegression` - binary or multinomial logistic regression with
  an L2 penalty, fitted by L-BFGS (``scipy.optimize.minimize``); optional
  class weights (``class_weight="balanced"``) and sample weights.
* :func:`train_test_split`, :func:`kfold_indices`, :func:`cross_val_score` -
  held-out splits and (stratified) k-fold cross-validation.
* :func:`standardize` - z-score features with statistics of the training set.
* :func:`class_weights` - the "balanced" weights ``n / (K * n_k)``.

Classification metrics

* :func:`accuracy`, :func:`balanced_accuracy`, :func:`per_class_accuracy`,
  :func:`confusion_matrix`
* :func:`roc_curve`, :func:`auroc` (rank-based: the Mann-Whitney statistic)

Forecasting (time series)

* :func:`persistence_forecast` - "tomorrow looks like today"
* :class:`ARForecaster` - AR(p) (or VAR(p) for several variables) fitted by
  least squares, one-step predictions and recursive multi-step forecasts
* :func:`mse`, :func:`r2_score`

Example::

    from rnncore.baselines import LogisticRegression, accuracy
    clf = LogisticRegression(l2=1.0).fit(X_train, y_train)
    print(accuracy(y_test, clf.predict(X_test)))
"""
import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "LogisticRegression", "standardize", "class_weights",
    "train_test_split", "kfold_indices", "cross_val_score",
    "accuracy", "balanced_accuracy", "per_class_accuracy", "confusion_matrix",
    "roc_curve", "auroc",
    "persistence_forecast", "ARForecaster", "mse", "r2_score",
]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------

def _as_2d_features(X):
    """(n, ...) -> (n, features) float64; one-hot (n, L, 4) is flattened."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim > 2:
        X = X.reshape(X.shape[0], -1)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty array of shape (n_samples, ...), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; impute or mask missing values first")
    return X


def _as_labels(y, n=None):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:      # one-hot / probabilities -> labels
        y = y.argmax(axis=1)
    y = y.reshape(-1)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("class labels must be integers 0..K-1")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError("class labels must be integers 0..K-1 (got a negative label)")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n} samples")
    return y


def class_weights(y, n_classes=None):
    """Balanced class weights ``w_k = n / (K * n_k)`` (absent classes get 0).

    With these weights every class contributes the same total weight to a
    loss, whatever its size. Returns an array of shape ``(K,)``.
    """
    y = _as_labels(y)
    K = int(n_classes if n_classes is not None else y.max() + 1)
    counts = np.bincount(y, minlength=K).astype(np.float64)
    w = np.zeros(K)
    present = counts > 0
    w[present] = y.size / (present.sum() * counts[present])
    return w


def standardize(X_train, *others, eps=1e-12):
    """Z-score features with the training set's mean and standard deviation.

    NaNs are ignored when computing the statistics (and stay NaN). Returns
    the standardized training set followed by each of ``others``, scaled
    with the same statistics (so no information leaks from a test set).
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    mu = np.nanmean(X_train, axis=0)
    sd = np.nanstd(X_train, axis=0)
    sd = np.where(sd > eps, sd, 1.0)
    out = [(X_train - mu) / sd] + [(np.asarray(X, dtype=np.float64) - mu) / sd for X in others]
    return out[0] if not others else tuple(out)


# ----------------------------------------------------------------------------
# logistic regression
# ----------------------------------------------------------------------------

class LogisticRegression:
    """Logistic regression with an L2 penalty, fitted by L-BFGS.

    Two classes: ``p(y=1|x) = sigmoid(x @ w + b)``. More classes: the
    multinomial (softmax) model ``p(y=k|x) = softmax(x @ W + b)_k``. The
    objective is the (weighted) mean cross-entropy plus ``l2/(2n) * ||W||^2``
    (the intercept is not penalized), so ``l2`` plays the role of
    scikit-learn's ``1/C``.

    Parameters
    ----------
    l2 : float
        Strength of the L2 penalty (>= 0).
    class_weight : None, "balanced" or array of shape (K,)
        Per-class weights multiplied into the loss (for class imbalance).
    fit_intercept : bool
    max_iter, tol : passed to L-BFGS.

    Inputs of shape ``(n, L, 4)`` (one-hot sequences) are flattened.
    After :meth:`fit`: ``coef_`` ``(features, K)`` (``(features, 1)`` for two
    classes), ``intercept_``, ``classes_`` ``(K,)`` and ``n_iter_``.
    """

    def __init__(self, l2=1.0, class_weight=None, fit_intercept=True, max_iter=1000, tol=1e-6):
        if not np.isscalar(l2) or l2 < 0:
            raise ValueError(f"l2 must be a non-negative number, got {l2!r}")
        self.l2 = float(l2)
        self.class_weight = class_weight
        self.fit_intercept = bool(fit_intercept)
        self.max_iter = int(max_iter)
        self.tol = float(tol)

    # -- objective ----------------------------------------------------------
    def _unpack(self, theta, F, C):
        W = theta[: F * C].reshape(F, C)
        b = theta[F * C:] if self.fit_intercept else np.zeros(C)
        return W, b

    def _loss_grad(self, theta, X, Y, w, F, C):
        W, b = self._unpack(theta, F, C)
        Z = X @ W + b
        wsum = w.sum()
        if C == 1:                                    # binary, Y (n, 1) in {0, 1}
            # -log p = softplus(z) - y z
            loss_i = np.logaddexp(0.0, Z) - Y * Z
            dZ = special.expit(Z) - Y
        else:
            lse = special.logsumexp(Z, axis=1, keepdims=True)
            loss_i = lse - np.sum(Y * Z, axis=1, keepdims=True)
            dZ = np.exp(Z - lse) - Y
        loss = float(np.sum(w[:, None] * loss_i) / wsum + 0.5 * self.l2 * np.sum(W * W) / wsum)
        dZ *= (w / wsum)[:, None]
        gW = X.T @ dZ + self.l2 * W / wsum
        grad = [gW.ravel()]
        if self.fit_intercept:
            grad.append(dZ.sum(axis=0))
        return loss, np.concatenate(grad)

    # -- public API ---------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit on features ``X`` (n, ...) and integer labels ``y`` (n,). Returns self."""
        X = _as_2d_features(X)
        n, F = X.shape
        y = _as_labels(y, n)
        self.classes_ = np.unique(y)
        K = int(self.classes_.size)
        if K < 2:
            raise ValueError("need at least two classes in y to fit a classifier")
        yi = np.searchsorted(self.classes_, y)        # labels -> 0..K-1
        C = 1 if K == 2 else K
        Y = yi[:, None].astype(np.float64) if C == 1 else np.eye(K)[yi]

        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if w.shape[0] != n or np.any(w < 0):
            raise ValueError("sample_weight must be non-negative with one weight per sample")
        if self.class_weight is not None:
            if isinstance(self.class_weight, str):
                if self.class_weight != "balanced":
                    raise ValueError(f"class_weight must be None, 'balanced' or an array, got {self.class_weight!r}")
                cw = class_weights(yi, K)
            else:
                cw = np.asarray(self.class_weight, dtype=np.float64).reshape(-1)
                if cw.shape[0] == int(self.classes_.max()) + 1:   # indexed by original label
                    cw = cw[self.classes_]
                if cw.shape[0] != K:
                    raise ValueError(f"class_weight must have one weight per class ({K}), got {cw.shape[0]}")
            w = w * cw[yi]

        theta0 = np.zeros(F * C + (C if self.fit_intercept else 0))
        res = optimize.minimize(self._loss_grad, theta0, args=(X, Y, w, F, C), jac=True,
                                method="L-BFGS-B",
                                options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-12})
        W, b = self._unpack(res.x, F, C)
        self.coef_, self.intercept_ = W, np.array(b, dtype=np.float64)
        self.n_iter_ = int(res.nit)
        self.loss_ = float(res.fun)
        self.converged_ = bool(res.success)
        self.n_features_ = F
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise RuntimeError("this LogisticRegression is not fitted yet; call fit(X, y) first")

    def decision_function(self, X):
        """Logits: ``(n,)`` for two classes, ``(n, K)`` otherwise."""
        self._check_fitted()
        X = _as_2d_features(X)
        if X.shape[1] != self.n_features_:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.n_features_}")
        Z = X @ self.coef_ + self.intercept_
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X):
        """Class probabilities ``(n, K)`` (columns in the order of ``classes_``)."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p1 = special.expit(Z)
            return np.stack([1.0 - p1, p1], axis=1)
        return special.softmax(Z, axis=1)

    def predict(self, X):
        """Most probable class label for each row of ``X``."""
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]

    def score(self, X, y):
        """Accuracy on ``(X, y)``."""
        return accuracy(y, self.predict(X))

    def __repr__(self):
        return f"LogisticRegression(l2={self.l2}, class_weight={self.class_weight!r})"


# ----------------------------------------------------------------------------
# splits and cross-validation
# ----------------------------------------------------------------------------

def _fold_assignment(n, k, rng, stratify):
    """Fold id (0..k-1) for each of n samples; stratified folds keep class proportions."""
    folds = np.empty(n, dtype=np.int64)
    if stratify is None:
        perm = rng.permutation(n)
        folds[perm] = np.arange(n) % k
    else:
        y = _as_labels(stratify, n)
        offset = 0
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            folds[idx] = (np.arange(idx.size) + offset) % k
            offset += idx.size       # continue the round robin so small classes spread out
    return folds


def kfold_indices(n, k=10, seed=0, stratify=None):
    """List of ``(train_idx, test_idx)`` for k-fold cross-validation.

    Samples are shuffled with ``seed``; with ``stratify=y`` every fold keeps
    (as nearly as possible) the class proportions of ``y``. Every sample is
    in exactly one test fold.
    """
    n, k = int(n), int(k)
    if k < 2 or k > n:
        raise ValueError(f"k must be between 2 and n={n}, got {k}")
    folds = _fold_assignment(n, k, np.random.default_rng(seed), stratify)
    return [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(k)]


def train_test_split(*arrays, test_size=0.2, seed=0, stratify=None):
    """Split arrays (same first dimension) into train and test parts.

    Returns ``a_train, a_test, b_train, b_test, ...`` like scikit-learn, each
    part shuffled with ``seed``.
    ``test_size`` is a fraction in (0, 1) or a number of samples;
    ``stratify=y`` keeps the class proportions in both parts.
    """
    if not arrays:
        raise ValueError("give at least one array to split")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have the same length")
    n_test = int(round(test_size * n)) if 0 < test_size < 1 else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size} leaves no training or no test samples (n={n})")
    rng = np.random.default_rng(seed)
    if stratify is None:
        perm = rng.permutation(n)
        test = np.sort(perm[:n_test])
    else:
        y = _as_labels(stratify, n)
        test = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            test.append(idx[: int(round(idx.size * n_test / n))])
        test = np.sort(np.concatenate(test))
    mask = np.zeros(n, bool)
    mask[test] = True
    # both parts in random order (data files are often sorted by class, and
    # Keras-style validation_split takes the last rows)
    train = rng.permutation(np.flatnonzero(~mask))
    test = rng.permutation(test)
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[train], a[test]]
    return tuple(out)


def cross_val_score(make_model, X, y, k=10, seed=0, stratify=True, metric=None):
    """k-fold cross-validated scores of a model.

    ``make_model()`` returns a fresh object with ``fit(X, y)`` and
    ``predict(X)``; ``metric(y_true, y_pred)`` defaults to :func:`accuracy`.
    Returns the array of the k fold scores (report ``mean`` and ``std``).
    """
    X = np.asarray(X)
    y = _as_labels(y, len(X))
    metric = accuracy if metric is None else metric
    scores = []
    for tr, te in kfold_indices(len(X), k, seed=seed, stratify=y if stratify else None):
        model = make_model().fit(X[tr], y[tr])
        scores.append(metric(y[te], model.predict(X[te])))
    return np.array(scores)


# ----------------------------------------------------------------------------
# classification metrics
# ----------------------------------------------------------------------------

def _pair(y_true, y_pred):
    y_true, y_pred = _as_labels(y_true), _as_labels(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same length")
    if y_true.size == 0:
        raise ValueError("empty label arrays")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Fraction of correct predictions (labels, or one-hot/probability rows)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=None, normalize=None):
    """``C[i, j]`` = number of samples of true class i predicted as class j.

    ``normalize="true"`` divides each row by its total (rows sum to 1: the
    diagonal is then the per-class recall).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    K = int(n_classes if n_classes is not None else max(y_true.max(), y_pred.max()) + 1)
    C = np.bincount(y_true * K + y_pred, minlength=K * K).reshape(K, K)
    if normalize is None:
        return C
    if normalize != "true":
        raise ValueError(f"normalize must be None or 'true', got {normalize!r}")
    rows = C.sum(axis=1, keepdims=True)
    return np.divide(C, rows, out=np.zeros(C.shape), where=rows > 0)


def per_class_accuracy(y_true, y_pred, n_classes=None):
    """Recall of each class: correct / total for each true class (NaN if absent)."""
    C = confusion_matrix(y_true, y_pred, n_classes)
    rows = C.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(C) / np.maximum(rows, 1), np.nan)


def balanced_accuracy(y_true, y_pred):
    """Mean of the per-class recalls over the classes present in ``y_true``.

    Unlike accuracy, always predicting the largest class scores only 1/K.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    rec = per_class_accuracy(y_true, y_pred, max(y_true.max(), y_pred.max()) + 1)
    return float(np.nanmean(rec))


def _binary_scores(y_true, scores):
    y = np.asarray(y_true).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"y_true ({y.shape[0]}) and scores ({s.shape[0]}) must have the same length")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("y_true must be binary (0/1 or False/True)")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError("AUROC needs both positive and negative examples")
    return y, s


def auroc(y_true, scores):
    """Area under the ROC curve, from ranks (Mann-Whitney U / (n_pos * n_neg)).

    Equals the probability that a random positive scores higher than a
    random negative (ties count 1/2). ``scores`` may be probabilities,
    logits or any score that increases with "positive".
    """
    y, s = _binary_scores(y_true, scores)
    ranks = stats.rankdata(s)                      # average ranks handle ties
    n_pos, n_neg = y.sum(), (~y).sum()
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def roc_curve(y_true, scores):
    """ROC curve: ``fpr, tpr, thresholds`` with one point per distinct score.

    Predicting "positive" when ``score >= thresholds[i]`` gives false and
    true positive rates ``fpr[i], tpr[i]``. Starts at (0, 0) (threshold
    +inf) and ends at (1, 1). ``np.trapz(tpr, fpr)`` equals :func:`auroc`.
    """
    y, s = _binary_scores(y_true, scores)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]   # last index of each distinct score
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    tpr = np.r_[0.0, tps / y.sum()]
    fpr = np.r_[0.0, fps / (~y).sum()]
    return fpr, tpr, np.r_[np.inf, s[last]]


# ----------------------------------------------------------------------------
# forecasting
# ----------------------------------------------------------------------------

def _as_series(y):
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"a series must have shape (T,) or (T, D), got {y.shape}")
    return y


def persistence_forecast(y, horizon=1):
    """The persistence ("naive") forecast ``y_hat[t + horizon] = y[t]``.

    Returns ``(y_pred, y_true)`` aligned: ``y_pred = y[:-horizon]`` and
    ``y_true = y[horizon:]`` (time is the first axis). Any model worth
    training should beat this.
    """
    y = _as_series(y)
    h = int(horizon)
    if h < 1 or h >= y.shape[0]:
        raise ValueError(f"horizon must be between 1 and len(y)-1, got {horizon}")
    return y[:-h], y[h:]


class ARForecaster:
    """AR(p) model fitted by (ridge-regularized) least squares.

    ``y[t] = c + sum_{i=1..p} A_i y[t-i] + noise``. For a series of shape
    ``(T,)`` the ``A_i`` are numbers (AR); for ``(T, D)`` they are ``(D, D)``
    matrices (vector AR, VAR). :meth:`fit` also accepts a list of series
    (several replicates share one model).

    After fitting: ``coef_`` of shape ``(p,)`` or ``(p, D, D)`` (``coef_[i-1]``
    multiplies ``y[t-i]``), ``intercept_`` and ``sigma2_`` (residual variance).
    """

    def __init__(self, p=1, fit_intercept=True, ridge=0.0):
        if int(p) < 1:
            raise ValueError(f"p must be >= 1, got {p}")
        self.p = int(p)
        self.fit_intercept = bool(fit_intercept)
        self.ridge = float(ridge)

    def _design(self, y):
        """Lagged design matrix (T-p, p*D [+1]) and targets (T-p, D) for one series."""
        y2 = y[:, None] if y.ndim == 1 else y
        T = y2.shape[0]
        if T <= self.p:
            raise ValueError(f"series of length {T} is too short for an AR({self.p}) model")
        lags = [y2[self.p - i: T - i] for i in range(1, self.p + 1)]   # y[t-1], ..., y[t-p]
        Z = np.concatenate(lags, axis=1)
        if self.fit_intercept:
            Z = np.concatenate([Z, np.ones((Z.shape[0], 1))], axis=1)
        return Z, y2[self.p:]

    def fit(self, y):
        """Fit on one series ``(T,)``/``(T, D)`` or a list of them. Returns self."""
        series = [_as_series(s) for s in (y if isinstance(y, (list, tuple)) else [y])]
        ndims = {s.ndim for s in series}
        dims = {1 if s.ndim == 1 else s.shape[1] for s in series}
        if len(ndims) != 1 or len(dims) != 1:
            raise ValueError("all series must have the same number of variables")
        parts = [self._design(s) for s in series]
        Z = np.concatenate([p[0] for p in parts])
        Y = np.concatenate([p[1] for p in parts])
        if not (np.all(np.isfinite(Z)) and np.all(np.isfinite(Y))):
            raise ValueError("series contain NaN or inf")
        G = Z.T @ Z
        if self.ridge > 0:
            R = self.ridge * np.eye(G.shape[0])
            if self.fit_intercept:
                R[-1, -1] = 0.0
            G = G + R
        B = np.linalg.lstsq(G, Z.T @ Y, rcond=None)[0]         # (p*D [+1], D)
        self.univariate_ = ndims.pop() == 1
        D = dims.pop()
        self.n_vars_ = D
        self.intercept_ = B[-1] if self.fit_intercept else np.zeros(D)
        A = B[: self.p * D].reshape(self.p, D, D).transpose(0, 2, 1)  # A_i[out, in]
        self.coef_ = A[:, 0, 0].copy() if self.univariate_ else A
        if self.univariate_:
            self.intercept_ = float(self.intercept_[0])
        resid = Y - Z @ B
        self.sigma2_ = float(np.mean(resid ** 2))
        self._B = B
        return self

    def _check_fitted(self):
        if not hasattr(self, "_B"):
            raise RuntimeError("this ARForecaster is not fitted yet; call fit(y) first")

    def predict(self, y):
        """One-step-ahead predictions of ``y[p:]`` from the true past values.

        Returns an array shaped like ``y[p:]``.
        """
        self._check_fitted()
        y = _as_series(y)
        Z, _ = self._design(y)
        out = Z @ self._B
        return out[:, 0] if y.ndim == 1 else out

    def forecast(self, history, steps):
        """Recursive forecast of the next ``steps`` values after ``history``.

        Each prediction is fed back as input for the next one (free running).
        ``history`` needs at least ``p`` values.
        """
        self._check_fitted()
        h = _as_series(history)
        h2 = h[:, None] if h.ndim == 1 else h
        if h2.shape[0] < self.p:
            raise ValueError(f"history needs at least p={self.p} values, got {h2.shape[0]}")
        buf = list(h2[-self.p:])
        out = []
        for _ in range(int(steps)):
            z = np.concatenate([buf[-i] for i in range(1, self.p + 1)])
            if self.fit_intercept:
                z = np.r_[z, 1.0]
            nxt = z @ self._B
            out.append(nxt)
            buf.append(nxt)
        out = np.array(out).reshape(int(steps), -1)
        return out[:, 0] if h.ndim == 1 else out

    def __repr__(self):
        return f"ARForecaster(p={self.p}, ridge={self.ridge})"


def mse(y_true, y_pred):
    """Mean squared error (NaNs in ``y_true`` are ignored)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    return float(np.nanmean((y_true - y_pred) ** 2))


def r2_score(y_true, y_pred):
    """Coefficient of determination ``1 - SS_res / SS_tot``.

    For ``(T, D)`` arrays, ``SS_tot`` is taken about each column's mean and
    summed over all entries (variance-weighted R^2). 1 is perfect, 0 is no better than predicting the mean of ``y_true``,
    negative is worse than that. NaNs in ``y_true`` are ignored.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
    ok = np.isfinite(y_true)
    ss_res = np.sum((y_true[ok] - y_pred[ok]) ** 2)
    centred = y_true - np.nanmean(y_true, axis=0)       # each variable about its own mean
    ss_tot = np.sum(centred[ok] ** 2)
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else float("-inf")
    return float(1.0 - ss_res / ss_tot)
