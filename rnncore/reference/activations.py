"""Elementwise activations for the reference backend, and how a step's cache records them.

Each derivative is written in terms of the activation's *output* y (tanh'(a) = 1 - y^2),
because the output is what the forward pass already stores for the backward pass.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_choice


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), computed as 0.5 * (1 + tanh(a / 2)).

    The two are equal; the tanh form never overflows, so large negative inputs
    give 0 instead of a RuntimeWarning and ``inf``.

    Parameters
    ----------
    a : ndarray, any shape

    Returns
    -------
    ndarray, the shape of ``a``, values in [0, 1]
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def relu(a: np.ndarray) -> np.ndarray:
    """max(a, 0), elementwise.

    Parameters
    ----------
    a : ndarray, any shape

    Returns
    -------
    ndarray, the shape of ``a``
    """
    return np.maximum(a, 0)


# dtanh and drelu share a docstring layout; each is complete where a student reads it (help(), the source).
def dtanh(y: np.ndarray) -> np.ndarray:
    """tanh'(a) from the output y = tanh(a): 1 - y^2.

    Parameters
    ----------
    y : ndarray, any shape
        tanh(a), as the forward pass stored it.

    Returns
    -------
    ndarray, the shape of ``y``
    """
    return 1 - y**2


def drelu(y: np.ndarray) -> np.ndarray:
    """relu'(a) from the output y = relu(a): 1 where the unit is active (y > 0), else 0.

    Parameters
    ----------
    y : ndarray, any shape
        relu(a), as the forward pass stored it.

    Returns
    -------
    ndarray, the shape and dtype of ``y``
    """
    return (y > 0).astype(y.dtype)


# The RNN's nonlinearity and the LSTM/GRU candidate activation (Keras' ``activation``),
# each with its derivative written in terms of the activation's output.
ACTIVATIONS = {"tanh": (np.tanh, dtanh), "relu": (relu, drelu)}


def lookup(activation: str, name: str = "activation") -> tuple[Callable, Callable]:
    """The activation and its derivative (in terms of the output) for a name.

    Parameters
    ----------
    activation : {"tanh", "relu"}
    name : str
        The argument's name, for the error message.

    Returns
    -------
    act : callable, ndarray -> ndarray of the same shape
    dact : callable, act's output -> act'(a), the same shape

    Raises
    ------
    ValueError
        For any other name.
    """
    check_choice(name, activation, tuple(ACTIVATIONS))
    return ACTIVATIONS[activation]


class RecordsActivation:
    """Mixin for the step caches of every cell: the activation the step used.

    A step cache is a NamedTuple of the arrays ``step_backward`` reads, so it unpacks
    like a tuple (``x_t, h_prev, ... = cache``) and its fields have names
    (``cache.W_ih``). The activation is kept beside the arrays, as the attribute
    ``cache.activation``, not among them: unpacking gives exactly the arrays, and
    ``step_backward`` cannot silently differentiate another activation than the
    forward step used. A cache built by hand without it records None (read as tanh).
    """

    activation = None

    def __new__(cls, *arrays, activation: str | None = None):
        self = super().__new__(cls, *arrays)
        self.activation = activation
        return self


def cache_activation(cache, activation: str | None = None, name: str = "activation") -> str:
    """The activation for ``step_backward``: the one ``cache`` records.

    Parameters
    ----------
    cache : step cache (or a plain tuple made by hand, which records none)
    activation : {"tanh", "relu"}, optional
        Given, it must agree with the recorded one; a cache that records none
        means tanh unless ``activation`` says otherwise.
    name : str
        The argument's name in the caller ("nonlinearity" for the RNN), for messages.

    Returns
    -------
    str, "tanh" or "relu"

    Raises
    ------
    ValueError
        When ``activation`` is unknown or differs from the recorded one.
    """
    recorded = getattr(cache, "activation", None)
    if activation is None:
        return recorded or "tanh"
    check_choice(name, activation, tuple(ACTIVATIONS))
    if recorded is not None and recorded != activation:
        raise ValueError(f"this cache was made with {name}={recorded!r}, not {activation!r}")
    return activation


def bias_gradients(da: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL/db_ih and dL/db_hh, each (G*H,), from dL/da (B, G*H), the pre-activation gradient.

    The two biases enter a_t only as the sum b_ih + b_hh, so both have the same
    gradient, the batch sum of da. PyTorch (and cuDNN) keep two bias vectors; we
    return two arrays, not one array twice, so that an optimizer updating one in
    place does not also change the other.
    """
    db = da.sum(axis=0)
    return db, db.copy()
