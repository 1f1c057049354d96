"""Elementwise activations for the reference backend."""
import numpy as np

from .._validation import check_choice


def sigmoid(a):
    """Logistic sigmoid 1 / (1 + exp(-a)), computed as 0.5 * (1 + tanh(a / 2)).

    The two are equal; the tanh form never overflows, so large negative inputs
    give 0 instead of a RuntimeWarning and ``inf``.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def relu(a):
    """max(a, 0)."""
    return np.maximum(a, 0)


def dtanh(y):
    """tanh'(a) from the output y = tanh(a): 1 - y^2."""
    return 1 - y**2


def drelu(y):
    """relu'(a) from the output y = relu(a): 1 where the unit is active (y > 0), else 0."""
    return (y > 0).astype(y.dtype)


# The candidate activation of the LSTM and GRU (Keras' ``activation``), and its
# derivative written in terms of the activation's output.
ACTIVATIONS = {"tanh": (np.tanh, dtanh), "relu": (relu, drelu)}


class StepCache(tuple):
    """A step's cache: a plain tuple (unpack it as usual) that also records the
    activation it was made with, so ``step_backward`` cannot silently use another."""

    def __new__(cls, items, activation):
        self = super().__new__(cls, items)
        self.activation = activation
        return self


def cache_activation(cache, activation=None):
    """The activation for ``step_backward``: the one ``cache`` records; an explicit
    ``activation`` must agree with it (a hand-made tuple records none: tanh by default)."""
    recorded = getattr(cache, "activation", None)
    if activation is None:
        return recorded or "tanh"
    check_choice("activation", activation, tuple(ACTIVATIONS))
    if recorded is not None and recorded != activation:
        raise ValueError(f"this cache was made with activation={recorded!r}, not {activation!r}")
    return activation
