"""Numeric gradients by central differences, to check hand-derived backward passes.

The recipe (CS231n): pick a scalar loss L = sum(out * dout) with a random
``dout``; then dL/dout = dout, so a backward pass fed ``dout`` must return
what central differences of L give. Use float64: in float32 the rounding error
of a difference quotient swamps the truncation error.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt


def rel_error(a: npt.ArrayLike, b: npt.ArrayLike, eps: float = 1e-12) -> float:
    """The largest elementwise relative error, max |a - b| / max(|a| + |b|, eps).

    Parameters
    ----------
    a, b : array_like, the same shape (any)
    eps : float
        Floor of the denominator, so that two zeros give 0, not NaN.

    Returns
    -------
    float
        Below about 1e-7 is a pass for a gradient check in float64.

    Raises
    ------
    ValueError
        When the shapes differ (broadcasting would hide a wrong shape).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of one shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numeric_gradient(f: Callable[[], np.ndarray | float], x: np.ndarray, df: np.ndarray | None = None,
                     h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``sum(f() * df)`` with respect to the array ``x``.

    Parameters
    ----------
    f : callable () -> ndarray or float
        Takes no argument and reads ``x``, which is perturbed in place (and restored).
    x : ndarray, float64, any shape
    df : ndarray, the shape of ``f()``'s output, optional
        The upstream gradient dL/d(out); None when ``f`` returns the scalar loss itself.
    h : float
        The step: (L(x + h) - L(x - h)) / 2h per element.

    Returns
    -------
    ndarray, the shape of ``x``

    Raises
    ------
    TypeError
        When ``x`` is not a float64 ndarray (float32 rounding swamps the difference).
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError("numeric_gradient perturbs x in place: x must be a float ndarray")
    if x.dtype != np.float64:
        raise TypeError(f"use float64 for numeric gradients (got {x.dtype}): float32 rounding swamps the check")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(f() * (1.0 if df is None else df))
        x[ix] = old - h
        minus = np.sum(f() * (1.0 if df is None else df))
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad


def check_gradients(f: Callable[[], np.ndarray | float], inputs: dict[str, np.ndarray],
                    analytic: dict[str, np.ndarray], df: np.ndarray | None = None, h: float = 1e-5,
                    verbose: bool = True) -> dict[str, float]:
    """Compare analytic gradients with central differences, input by input.

    Parameters
    ----------
    f : callable () -> ndarray or float
        Reads the arrays in ``inputs``.
    inputs : dict of str to ndarray
        float64 arrays of any shape, perturbed in place and restored.
    analytic : dict of str to ndarray
        The gradient to check for each key of ``inputs``, of that input's shape.
    df : ndarray, the shape of ``f()``'s output, optional
        As in :func:`numeric_gradient`.
    h : float
    verbose : bool
        Print one line per input.

    Returns
    -------
    dict of str to float
        The relative error (:func:`rel_error`) for each input.
    """
    errors = {}
    for name, x in inputs.items():
        num = numeric_gradient(f, x, df, h)
        errors[name] = rel_error(num, analytic[name])
        if verbose:
            print(f"{name:>8s}: relative error {errors[name]:.1e}")
    return errors
