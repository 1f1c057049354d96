"""Numeric gradients by central differences, to check hand-derived backward passes.

The recipe (CS231n): pick a scalar loss L = sum(out * dout) with a random
``dout``; then dL/dout = dout, so a backward pass fed ``dout`` must return
what central differences of L give. Use float64: in float32 the rounding error
of a difference quotient swamps the truncation error.
"""
import numpy as np


def rel_error(a, b, eps=1e-12):
    """max |a - b| / max(|a| + |b|, eps), elementwise. Below 1e-7 is a pass in float64."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of one shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def numeric_gradient(f, x, df=None, h=1e-5):
    """Central-difference gradient of ``sum(f() * df)`` with respect to array ``x``.

    ``f`` takes no argument and reads ``x``, which is perturbed in place (and
    restored). ``df`` has the shape of ``f()``'s output (None: f returns a scalar).
    Returns an array shaped like ``x``.
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


def check_gradients(f, inputs, analytic, df=None, h=1e-5, verbose=True):
    """Compare analytic gradients with central differences.

    f : callable() -> array, reading the arrays in ``inputs``
    inputs : dict name -> float64 array (perturbed in place, restored)
    analytic : dict name -> gradient array (same keys)
    Returns a dict name -> relative error; prints a line per input when verbose.
    """
    errors = {}
    for name, x in inputs.items():
        num = numeric_gradient(f, x, df, h)
        errors[name] = rel_error(num, analytic[name])
        if verbose:
            print(f"{name:>8s}: relative error {errors[name]:.1e}")
    return errors
