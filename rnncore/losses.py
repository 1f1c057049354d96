"""Losses and metrics, numerically stable, each with its gradient.

A loss turns predictions ``y_pred (N, ..., K)`` and targets into one number per
position, ``per (N, ...)`` (the last axis is summed or averaged away), and the
gradient of that number with respect to ``y_pred``. :func:`reduce` then averages
over positions (optionally weighted, e.g. by a sequence mask) in one place.

Stability:

* cross-entropies on probabilities clip them to ``[eps, 1 - eps]`` (eps = 1e-7,
  as Keras) so ``log(0)`` never happens;
* with ``from_logits=True`` they work on the pre-activation ``z`` directly:
  softmax cross-entropy is ``logsumexp(z) - z_y`` with the max subtracted, and
  binary cross-entropy is ``max(z, 0) - z y + log1p(exp(-|z|))``. The model uses
  this automatically when a sigmoid/softmax ``Dense`` layer feeds a matching
  cross-entropy, and the gradient is then the familiar ``p - y``.
"""
import numpy as np

EPSILON = 1e-7


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
        self.from_logits = from_logits

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
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The scalar loss (mean over positions), as Keras' ``loss(y_true, y_pred)``."""
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
    """-(y log p + (1 - y) log(1 - p)), averaged over the last axis."""
    name = "binary_crossentropy"
    fuses_with = "sigmoid"

    def per_position(self, y_true, y_pred, from_logits=None):
        from_logits = self.from_logits if from_logits is None else from_logits
        K = y_pred.shape[-1]
        if from_logits:
            z = y_pred
            per = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
            return per.mean(axis=-1), (_sigmoid(z) - y_true) / K
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        per = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)   # clip has zero slope outside
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

    def per_position(self, y_true, y_pred, from_logits=None):
        from_logits = self.from_logits if from_logits is None else from_logits
        if from_logits:
            logp = _log_softmax(y_pred)
            grad = np.exp(logp) * y_true.sum(axis=-1, keepdims=True) - y_true
            return -np.sum(y_true * logp, axis=-1), grad
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
        return -np.sum(y_true * np.log(p), axis=-1), -(y_true / p) * inside


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels ``y (N, ...)`` instead of one-hot."""
    name = "sparse_categorical_crossentropy"

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
        if y_true.dtype.kind == "f":
            if not np.all(y_true == np.round(y_true)):
                raise ValueError(f"{self.name} needs integer class labels, got non-integer values")
        y_int = y_true.astype(np.int64)
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


def get(identifier):
    """A :class:`Loss` from a Keras name (``'mse'``, ``'binary_crossentropy'``, ...) or an instance."""
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


def reduce(per, grad, weights=None):
    """Average ``per (N, ...)`` over positions, with optional ``weights`` of the same shape.

    Returns ``(loss, dloss_dpred)``: the gradient is ``grad * w / sum(w)`` (or ``None``
    when ``grad`` is None). Weights of zero (masked time steps) drop out entirely.
    """
    if weights is None:
        n = per.size
        return float(per.sum() / n), (None if grad is None else grad / n)
    w = np.broadcast_to(np.asarray(weights, dtype=per.dtype), per.shape)
    total = w.sum()
    if total == 0:
        return 0.0, (None if grad is None else np.zeros_like(grad))
    return float((per * w).sum() / total), (None if grad is None else grad * (w / total)[..., None])


# ----------------------------------------------------------------------------- metrics
def _binary_accuracy(y_true, y_pred):
    return np.mean((y_pred > 0.5) == (y_true > 0.5), axis=-1)


def _categorical_accuracy(y_true, y_pred):
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


def _mae(y_true, y_pred):
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def _mse(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=-1)


METRIC_NAMES = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                "mae", "mean_absolute_error", "mse", "mean_squared_error")


def get_metric(name, loss, output_dim):
    """``(log_name, fn(y_true_checked, y_pred) -> per-position values)`` for a Keras metric name.

    ``'accuracy'`` is resolved as Keras does: binary for a binary cross-entropy or a
    single output unit, categorical otherwise (the targets are already one-hot).
    """
    if callable(name) and not isinstance(name, str):
        return getattr(name, "__name__", "metric"), name
    if not isinstance(name, str) or name.lower() not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(map(repr, METRIC_NAMES))} "
                         "or a function (y_true, y_pred) -> per-sample values")
    name = name.lower()
    if name in ("accuracy", "acc"):
        binary = isinstance(loss, BinaryCrossentropy) or (output_dim == 1 and not isinstance(loss, CategoricalCrossentropy))
        return name, (_binary_accuracy if binary else _categorical_accuracy)
    if name == "binary_accuracy":
        return name, _binary_accuracy
    if name in ("categorical_accuracy", "sparse_categorical_accuracy"):
        return name, _categorical_accuracy
    if name in ("mae", "mean_absolute_error"):
        return name, _mae
    return name, _mse
