"""Losses and metrics, numerically stable, each with its gradient.

A loss turns predictions ``y_pred (N, ..., K)`` and targets into one number per
position, ``per (N, ...)`` (the last axis is summed or averaged away), and the
gradient of that number with respect to ``y_pred``. :func:`reduce` then averages
over positions in one place, as Keras does: sample weights multiply, and the sum is
divided by the number of positions (the valid ones when a sequence mask is given),
never by the sum of the weights. The metrics (accuracy, mae, mse) live at the end of
this module.

Stability:

* cross-entropies on probabilities clip them to ``[eps, 1 - eps]`` with Keras' float32
  bounds (eps = 1e-7, and 1 - eps rounded to float32) so ``log(0)`` never happens and the
  values equal Keras' at probabilities of exactly 0 or 1; the categorical ones first divide
  ``y_pred`` by its row sum, as Keras;
* with ``from_logits=True`` they work on the pre-activation ``z`` directly:
  softmax cross-entropy is ``logsumexp(z) - z_y`` with the max subtracted, and
  binary cross-entropy is ``max(z, 0) - z y + log1p(exp(-|z|))``. The model uses
  this automatically when a sigmoid/softmax ``Dense`` layer feeds a matching
  cross-entropy, and the gradient is then the familiar ``p - y``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validation import integer_ids

EPSILON = 1e-7
# Keras clips in float32: its bounds are float32(1e-7) and float32(1) - float32(1e-7)
_LO = float(np.float32(EPSILON))
_HI = float(np.float32(1) - np.float32(EPSILON))


def _check_smoothing(owner, label_smoothing):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{owner}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return float(label_smoothing)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _log_softmax(z):
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


class Loss:
    """Base class. Subclasses implement ``per_position(y_true, y_pred) -> (per, dper_dpred)``."""
    name = "loss"
    fuses_with = None          # the output activation whose logits this loss can take directly

    def __init__(self, from_logits=False):
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: from_logits must be True or False, got {from_logits!r}")
        self.from_logits = bool(from_logits)

    def check(self, y_true, y_pred):
        """Turn targets into an array matching ``y_pred``; raise a clear error otherwise."""
        y_true = np.asarray(y_true)
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true[..., None]
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: targets of shape {y_true.shape} do not match the model output "
                             f"of shape {y_pred.shape}" + self._shape_hint(y_true, y_pred))
        return y_true.astype(y_pred.dtype, copy=False)

    def _shape_hint(self, y_true, y_pred):
        return ""

    def per_position(self, y_true, y_pred, from_logits=None):
        """The loss at every position and its gradient.

        Parameters
        ----------
        y_true : ndarray, shape (N, ..., K)
            Targets from :meth:`check`.
        y_pred : ndarray, shape (N, ..., K)
            Predictions (logits when ``from_logits``).
        from_logits : bool, optional
            Overrides the instance's setting (the model passes True when it fuses the
            output activation into the loss).

        Returns
        -------
        per : ndarray, shape (N, ...)
        dper_dpred : ndarray, shape (N, ..., K)
        """
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """The scalar loss, as Keras' ``loss(y_true, y_pred, sample_weight)``.

        Parameters
        ----------
        y_true : array_like, shape (N, ..., K) (integer labels (N, ...) for the sparse loss)
        y_pred : array_like, shape (N, ..., K)
        sample_weight : array_like, shape (N,), optional

        Returns
        -------
        float
            The weighted sum over positions divided by the number of positions (not by
            the sum of the weights), as Keras.
        """
        y_pred = np.asarray(y_pred, dtype=np.float64)
        per, _ = self.per_position(self.check(y_true, y_pred), y_pred)
        return reduce(per, None, sample_weight)[0]

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    """mean over the last axis of (y_pred - y_true)^2."""
    name = "mean_squared_error"

    def per_position(self, y_true, y_pred, from_logits=None):
        d = y_pred - y_true
        K = y_pred.shape[-1]
        return np.mean(d * d, axis=-1), (2.0 / K) * d


class MeanAbsoluteError(Loss):
    """mean over the last axis of |y_pred - y_true|."""
    name = "mean_absolute_error"

    def per_position(self, y_true, y_pred, from_logits=None):
        d = y_pred - y_true
        return np.mean(np.abs(d), axis=-1), np.sign(d) / y_pred.shape[-1]


class Poisson(Loss):
    """Poisson negative log-likelihood for counts, up to a constant: mean over the last axis of
    ``y_pred - y_true * log(y_pred + eps)`` (Keras' ``'poisson'``; ``y_pred`` is the rate, so feed
    it from a positive output such as ``Dense(1, activation='softplus')`` or ``'exponential'``)."""
    name = "poisson"

    def per_position(self, y_true, y_pred, from_logits=None):
        K = y_pred.shape[-1]
        rate = y_pred + EPSILON
        return np.mean(y_pred - y_true * np.log(rate), axis=-1), (1.0 - y_true / rate) / K


class BinaryCrossentropy(Loss):
    """-(y log p + (1 - y) log(1 - p)), averaged over the last axis.

    ``label_smoothing`` s: targets become ``y (1 - s) + s / 2``, as Keras.
    """
    name = "binary_crossentropy"
    fuses_with = "sigmoid"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        super().__init__(from_logits)
        self.label_smoothing = _check_smoothing(type(self).__name__, label_smoothing)

    def per_position(self, y_true, y_pred, from_logits=None):
        from_logits = self.from_logits if from_logits is None else from_logits
        K = y_pred.shape[-1]
        if self.label_smoothing:
            y_true = y_true * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if from_logits:
            z = y_pred
            per = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
            return per.mean(axis=-1), (_sigmoid(z) - y_true) / K
        p = np.clip(y_pred, _LO, _HI)
        per = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
        inside = (y_pred >= _LO) & (y_pred <= _HI)   # clip has zero slope outside
        grad = (-(y_true / p) + (1 - y_true) / (1 - p)) * inside / K
        return per.mean(axis=-1), grad


class CategoricalCrossentropy(Loss):
    """-sum_k y_k log p_k over the last axis; targets one-hot (see ``utils.to_categorical``)."""
    name = "categorical_crossentropy"
    fuses_with = "softmax"

    def _shape_hint(self, y_true, y_pred):
        if y_true.shape == y_pred.shape[:-1] or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1):
            return ("; the targets look like integer labels: one-hot encode them with "
                    "to_categorical(y) or use loss='sparse_categorical_crossentropy'")
        return ""

    def __init__(self, from_logits=False, label_smoothing=0.0):
        super().__init__(from_logits)
        self.label_smoothing = _check_smoothing(type(self).__name__, label_smoothing)

    def per_position(self, y_true, y_pred, from_logits=None):
        from_logits = self.from_logits if from_logits is None else from_logits
        if self.label_smoothing:
            y_true = y_true * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if from_logits:
            logp = _log_softmax(y_pred)
            grad = np.exp(logp) * y_true.sum(axis=-1, keepdims=True) - y_true
            return -np.sum(y_true * logp, axis=-1), grad
        # Keras: p = y_pred / row sum, clipped; L = -sum_k y_k log p_k. Through the division,
        # dL/dy_pred_j = (-(y_j / p_j) [p_j inside] + sum_k y_k [p_k inside]) / S.
        S = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / S
        p = np.clip(q, _LO, _HI)
        g = -(y_true / p) * ((q >= _LO) & (q <= _HI))
        grad = (g - np.sum(g * q, axis=-1, keepdims=True)) / S
        return -np.sum(y_true * np.log(p), axis=-1), grad


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels ``y (N, ...)`` instead of one-hot
    (as Keras, without label smoothing)."""
    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        super().__init__(from_logits)

    def check(self, y_true, y_pred):
        y_true = np.asarray(y_true)
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape[:-1]:
            hint = ""
            if y_true.shape == y_pred.shape:
                hint = "; the targets look one-hot: use loss='categorical_crossentropy'"
            raise ValueError(f"{self.name}: integer targets of shape {y_true.shape} do not match the model "
                             f"output of shape {y_pred.shape} (expected targets of shape {y_pred.shape[:-1]}){hint}")
        y_int = integer_ids(y_true, f"{self.name} needs integer class labels")
        K = y_pred.shape[-1]
        if y_int.size and (y_int.min() < 0 or y_int.max() >= K):
            raise ValueError(f"{self.name}: labels must lie in [0, {K - 1}] for an output with {K} classes, "
                             f"got values from {y_int.min()} to {y_int.max()}")
        onehot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        np.put_along_axis(onehot, y_int[..., None], 1, axis=-1)
        return onehot


LOSSES = {"mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
          "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
          "poisson": Poisson,
          "binary_crossentropy": BinaryCrossentropy,
          "categorical_crossentropy": CategoricalCrossentropy,
          "sparse_categorical_crossentropy": SparseCategoricalCrossentropy}


def get(identifier: str | Loss | type) -> Loss:
    """A :class:`Loss` from a Keras name, a Loss class or an instance.

    Parameters
    ----------
    identifier : str, Loss subclass or Loss
        A name of ``LOSSES`` (``'mse'``, ``'binary_crossentropy'``, ...; any case), a
        class (instantiated with its defaults) or an instance (returned as it is).

    Returns
    -------
    Loss
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str) and identifier.lower() in LOSSES:
        return LOSSES[identifier.lower()]()
    if identifier is None:
        raise ValueError("compile() needs a loss, e.g. loss='mse' or loss='categorical_crossentropy'")
    raise ValueError(f"unknown loss {identifier!r}; expected one of {', '.join(map(repr, LOSSES))} "
                     "or a rnncore.losses.Loss instance")


def reduce(per: np.ndarray, grad: np.ndarray | None, sample_weight: ArrayLike | None = None,
           mask: ArrayLike | None = None) -> tuple[float, np.ndarray | None]:
    """Average ``per`` over positions as Keras' ``sum_over_batch_size``.

    ``loss = sum(per * w) / n`` where ``n`` is the number of positions and ``w`` is
    ``sample_weight`` (broadcast over the positions of a sample); a ``mask`` (e.g. padded
    time steps) drops positions and divides by the number of valid ones instead of all.

    Parameters
    ----------
    per : ndarray, shape (N, ...)
        The loss at every position (from ``Loss.per_position``).
    grad : ndarray, shape (N, ..., K), or None
        d per / d y_pred at every position; None when only the value is wanted.
    sample_weight : array_like, shape (N,) or (N, ...), optional
        One weight per sample (or per position).
    mask : array_like, shape (N, ...), optional
        1 for the positions that count, 0 for padding.

    Returns
    -------
    loss : float
    dloss_dpred : ndarray, shape of ``grad``, or None
    """
    n = per.size
    if n == 0:
        return 0.0, (None if grad is None else np.zeros_like(grad))
    w = None
    if mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=per.dtype), per.shape)
        valid = m.sum()
        w = m * (n / valid) if valid > 0 else np.zeros_like(m)
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype=per.dtype)
        sw = np.broadcast_to(sw.reshape(sw.shape + (1,) * (per.ndim - sw.ndim)), per.shape)
        w = sw if w is None else w * sw
    if w is None:
        return float(per.sum() / n), (None if grad is None else grad / n)
    return float((per * w).sum() / n), (None if grad is None else grad * (w / n)[..., None])


# ----------------------------------------------------------------------------- metrics
# Each metric gives one value per position; the model averages them, weighted by the sample
# weights and the mask, over all batches of an epoch (Keras' MeanMetricWrapper).
def binary_accuracy(y_true: np.ndarray, y_pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Mean over the last axis of ``y_true == (y_pred > threshold)``.

    As Keras, ``y_true`` is not thresholded: soft targets (not 0 or 1) never count as correct.

    Parameters
    ----------
    y_true, y_pred : ndarray, shape (N, ..., K)
    threshold : float

    Returns
    -------
    ndarray, shape (N, ...), float64
    """
    return np.mean(y_true == (y_pred > threshold), axis=-1).astype(np.float64)


def categorical_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``argmax(y_true) == argmax(y_pred)`` over the last axis (one-hot targets).

    Parameters
    ----------
    y_true, y_pred : ndarray, shape (N, ..., K)

    Returns
    -------
    ndarray, shape (N, ...), float64 (1.0 where the classes agree)
    """
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``|y_pred - y_true|``: shapes (N, ..., K) -> (N, ...)."""
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``(y_pred - y_true)**2``: shapes (N, ..., K) -> (N, ...)."""
    return np.mean((y_pred - y_true) ** 2, axis=-1)


METRICS = {"binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
           # the model one-hot encodes integer targets first, so this is categorical accuracy on them
           "sparse_categorical_accuracy": categorical_accuracy,
           "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
           "mse": mean_squared_error, "mean_squared_error": mean_squared_error}
METRIC_NAMES = ("accuracy", "acc") + tuple(METRICS)


def get_metric(name: str | Callable, loss: Loss, output_dim: int) -> tuple[str, Callable]:
    """A metric function for a Keras metric name.

    ``'accuracy'`` is resolved as Keras does: binary accuracy when the output has one unit,
    categorical otherwise (integer targets are one-hot encoded by the loss first).

    Parameters
    ----------
    name : str or callable
        One of ``METRIC_NAMES``, or a function ``(y_true, y_pred) -> per-position values``.
    loss : Loss
        The model's loss (its ``check`` has prepared the targets the metric sees).
    output_dim : int
        Units of the model's output, K.

    Returns
    -------
    log_name : str
        The name the training history logs.
    fn : callable
        ``fn(y_true (N, ..., K), y_pred (N, ..., K)) -> (N, ...)`` values per position.
    """
    if callable(name) and not isinstance(name, str):
        return getattr(name, "__name__", "metric"), name
    if not isinstance(name, str) or name.lower() not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(map(repr, METRIC_NAMES))} "
                         "or a function (y_true, y_pred) -> per-sample values")
    key = name.lower()
    if key in ("accuracy", "acc"):
        return name, (binary_accuracy if output_dim == 1 else categorical_accuracy)
    return name, METRICS[key]
