"""Helpers mirroring ``keras.utils``: ``to_categorical``, ``pad_sequences``, ``set_random_seed``,
plus a gradient checker for any layer (``check_layer_gradients``).
"""
from __future__ import annotations

import random

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._random import SeedLike, as_generator
from ._validation import integer_ids
from .encoding import pad_sequences  # noqa: F401  (Keras' keras.utils.pad_sequences; one implementation)


def to_categorical(y: ArrayLike, num_classes: int | None = None, dtype: DTypeLike = "float32") -> np.ndarray:
    """One-hot encode integer class labels, as ``keras.utils.to_categorical``.

    Parameters
    ----------
    y : array_like of int, shape (N, ...)
        Class labels >= 0 (floats holding whole numbers are accepted). As Keras, a
        trailing axis of size 1 is dropped first (labels of shape (N, 1) give (N, C)).
    num_classes : int, optional
        C; default ``max(y) + 1``.
    dtype : dtype
        Of the result.

    Returns
    -------
    ndarray, shape (N, ..., C)
        1 at each label's index, 0 elsewhere.
    """
    y = integer_ids(y, "to_categorical needs integer class labels")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical needs labels >= 0, got {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"label {y.max()} is out of range for num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


_SEED_SOURCE = None        # set by set_random_seed: where layers and models without seed= get theirs


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and rnncore, as ``keras.utils.set_random_seed``.

    After it, every layer and model created without ``seed=`` draws its seed, when it is
    built, from one generator seeded here: a script that calls ``set_random_seed(s)`` first
    gives the same weights and the same training run every time (and each layer still
    gets its own weights). An explicit ``seed=`` always wins.

    Parameters
    ----------
    seed : int
        >= 0. (The only place that seeds NumPy's global generator, for Keras parity;
        rnncore's own functions take ``seed=`` instead.)
    """
    global _SEED_SOURCE
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_random_seed needs an integer seed, got {seed!r}")
    if seed < 0:
        raise ValueError(f"set_random_seed needs a non-negative seed, got {seed}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2 ** 32)
    _SEED_SOURCE = np.random.default_rng(int(seed))


def _draw_seed():
    """The next seed from :func:`set_random_seed`'s generator, or None (fresh OS entropy) if it was never called."""
    return None if _SEED_SOURCE is None else int(_SEED_SOURCE.integers(2 ** 63))


def check_layer_gradients(layer, x: ArrayLike, mask: ArrayLike | None = None, seed: SeedLike = 0,
                          h: float = 1e-5, training: bool = False) -> dict[str, float]:
    """Compare a layer's ``backward`` with central differences.

    Uses the scalar ``L = sum(forward(x) * dout)`` for a random ``dout``, so that
    ``backward(dout)`` is dL/dx and the layer's ``grads`` are dL/dparams.

    Parameters
    ----------
    layer : rnncore.layers.Layer
        Built in float64 (built here on ``x.shape[1:]`` if it is not).
    x : array_like, shape (N, ...)
        float64 input; integer inputs (Embedding's ids) skip the 'x' check.
    mask : array_like, shape (N, T), optional
        Passed to ``forward``.
    seed : None, int or numpy.random.Generator
        For ``dout`` (:func:`rnncore._random.as_generator`).
    h : float
        Finite-difference step.
    training : bool
        Passed to ``forward``.

    Returns
    -------
    dict of str to float
        ``{'x': err, param_name: err, ...}``: relative errors (:func:`rnncore.gradcheck.rel_error`).
    """
    from .gradcheck import numeric_gradient, rel_error
    x = np.asarray(x)
    if not layer.built:
        layer.build(x.shape[1:])
    out = layer.forward(x, training=training, mask=mask)
    dout = as_generator(seed).standard_normal(out.shape)

    def f():
        return layer.forward(x, training=training, mask=mask)

    dx = layer.backward(dout)
    analytic = {"x": dx, **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {}
    if x.dtype.kind == "f":
        errors["x"] = rel_error(numeric_gradient(f, x, dout, h), analytic["x"])
    for name, p in layer.params.items():
        errors[name] = rel_error(numeric_gradient(f, p, dout, h), analytic[name])
    return errors
