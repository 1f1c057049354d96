"""Elementwise activations for the Keras-style layers, each with its backward pass.

An activation is an object with two methods:

* ``forward(a)`` -> ``y``: applied to the pre-activation ``a`` (any shape);
* ``backward(dy, a, y)`` -> ``da``: the gradient through it, given the
  upstream gradient ``dy`` and both the input ``a`` and output ``y`` of forward.

``softmax`` acts on the last axis; all others are elementwise.
"""
import numpy as np


class Activation:
    name = "base"

    def forward(self, a):
        raise NotImplementedError

    def backward(self, dy, a, y):
        raise NotImplementedError

    def __repr__(self):
        return f"activations.get({self.name!r})"


# Each activation below is the interface above filled in: forward and backward side by side.
class Linear(Activation):
    """y = a."""
    name = "linear"

    def forward(self, a):
        return a

    def backward(self, dy, a, y):
        return dy


class ReLU(Activation):
    """y = max(a, 0)."""
    name = "relu"

    def forward(self, a):
        return np.maximum(a, 0)

    def backward(self, dy, a, y):
        return dy * (a > 0)


class Tanh(Activation):
    """y = tanh(a);  dy/da = 1 - y^2."""
    name = "tanh"

    def forward(self, a):
        return np.tanh(a)

    def backward(self, dy, a, y):
        return dy * (1 - y * y)


class Sigmoid(Activation):
    """y = 1 / (1 + exp(-a)), computed as (1 + tanh(a/2)) / 2 so it never overflows;  dy/da = y (1 - y)."""
    name = "sigmoid"

    def forward(self, a):
        return 0.5 * (1 + np.tanh(0.5 * a))

    def backward(self, dy, a, y):
        return dy * y * (1 - y)


class Softplus(Activation):
    """y = log(1 + exp(a)), computed as max(a, 0) + log1p(exp(-|a|));  dy/da = sigmoid(a).
    A positive output, e.g. the rate of a Poisson loss."""
    name = "softplus"

    def forward(self, a):
        return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))

    def backward(self, dy, a, y):
        return dy * 0.5 * (1 + np.tanh(0.5 * a))


class Exponential(Activation):
    """y = exp(a);  dy/da = y. The log link of a Poisson regression."""
    name = "exponential"

    def forward(self, a):
        return np.exp(a)

    def backward(self, dy, a, y):
        return dy * y


class Softmax(Activation):
    """y = exp(a - max a) / sum(exp(a - max a)) over the last axis.

    Backward is the Jacobian-vector product  da = y * (dy - sum(dy * y)).
    """
    name = "softmax"

    def forward(self, a):
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, dy, a, y):
        return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


ACTIVATIONS = {cls.name: cls for cls in (Linear, ReLU, Tanh, Sigmoid, Softplus, Exponential, Softmax)}


def get(identifier):
    """An :class:`Activation` from a name (``None`` means linear) or an Activation instance."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ACTIVATIONS:
        return ACTIVATIONS[identifier.lower()]()
    raise ValueError(f"unknown activation {identifier!r}; expected one of "
                     f"{', '.join(map(repr, ACTIVATIONS))} (or None for linear)")
