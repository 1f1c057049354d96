"""The CPU kernels' activations (``rnncore/cpu/_math.py``): how close to the exact function,
special values, and that a loop over them still compiles to vector code.

The float64 ``tanh`` is rnncore's own (libm's stops LLVM from vectorising the gate loops); the
gradient checks need it to full precision, so it is held to 2 ulp of the exact tanh, measured
against long double where the platform's long double is wider than float64.
"""
import re

import numpy as np
import pytest
from numba import njit

from rnncore.cpu import _math
from rnncore.cpu._math import JIT, sigmoid, tanh

FAST = {k: v for k, v in JIT.items() if k != "cache"}
WIDE = np.finfo(np.longdouble).nmant > 52          # x86-64: 80-bit long double, 63-bit mantissa
ULP_LIMIT = 2.0 if WIDE else 4.0                    # else measured against np.tanh, itself ~1 ulp off


@njit(**FAST)
def _tanh_loop(x, out):
    for k in range(x.size):
        out[k] = tanh(x[k])


@njit(**FAST)
def _sigmoid_loop(x, out):
    for k in range(x.size):
        out[k] = sigmoid(x[k])


@njit(**FAST)
def _tanh_one(v):
    return tanh(v)


def _points():
    rng = np.random.default_rng(0)
    return np.concatenate([
        np.linspace(-25, 25, 200_001), rng.standard_normal(100_000) * 3, rng.standard_normal(20_000) * 1e-3,
        np.linspace(0.6, 0.65, 10_001), -np.linspace(0.6, 0.65, 10_001),       # where the two formulas meet
        np.linspace(18.5, 20.5, 2_001),                                           # where tanh rounds to 1
        [0.0, 1e-300, 5e-324, -5e-324, 0.625, np.nextafter(0.625, 0), 700.0, -700.0, 1e300]])


def _ulps(got, x, exact_fn):
    exact = exact_fn(x.astype(np.longdouble)) if WIDE else exact_fn(x)
    spacing = np.spacing(np.abs(exact).astype(np.float64))
    return np.abs(got.astype(np.longdouble) - exact) / np.maximum(spacing, np.spacing(0.0))


def test_float64_tanh_within_2_ulp():
    x = _points()
    got = np.empty_like(x)
    _tanh_loop(x, got)
    err = _ulps(got, x, np.tanh)
    worst = int(err.argmax())
    assert err.max() <= ULP_LIMIT, f"tanh({x[worst]!r}) is {float(err[worst]):.2f} ulp off: see _math._tanh_f64"
    assert np.all(np.abs(got) <= 1.0), "|tanh| above 1"
    np.testing.assert_array_equal(np.sign(got), np.sign(x), err_msg="tanh changed a sign")


def test_float64_sigmoid_within_2_ulp_where_it_is_not_tiny():
    """sigma(x) = tanh(x/2)/2 + 1/2: relative accuracy holds where sigma is not far below 1/2's ulp
    (the same as the formula with libm's tanh); absolute error within 2 ulp of 1 everywhere."""
    x = _points()
    got = np.empty_like(x)
    _sigmoid_loop(x, got)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble))) if WIDE else 1 / (1 + np.exp(-x))
    assert np.abs(got - exact).max() <= 2 * np.spacing(1.0)
    sel = x > -1.0
    err = np.abs(got[sel] - exact[sel]) / np.spacing(exact[sel].astype(np.float64))
    assert err.max() <= ULP_LIMIT + 0.5
    assert np.all((got >= 0) & (got <= 1))


def test_float64_tanh_special_values():
    assert np.isnan(_tanh_one(np.nan)), "a NaN gate must stay NaN (a diverged model must not look finite)"
    assert _tanh_one(np.inf) == 1.0 and _tanh_one(-np.inf) == -1.0
    assert _tanh_one(0.0) == 0.0
    assert _tanh_one(1e-300) == 1e-300                  # tanh(x) = x to the last bit for tiny x
    assert _tanh_one(25.0) == 1.0 and _tanh_one(-25.0) == -1.0


def test_loop_and_scalar_calls_give_the_same_bits():
    """The vector loop body and a scalar call round the same way (fmuladd, no fast-math)."""
    x = np.random.default_rng(1).standard_normal(1003) * 4      # 1003: a scalar remainder too
    loop = np.empty_like(x)
    _tanh_loop(x, loop)
    one = np.array([_tanh_one(v) for v in x])
    assert loop.tobytes() == one.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_loops_compile_to_vector_code(dtype):
    """A call to libm inside the loop would compile to scalar code only: the reason _math exists."""
    x = np.linspace(-3, 3, 64).astype(dtype)
    out = np.empty_like(x)
    for fn in (_tanh_loop, _sigmoid_loop):
        fn(x, out)
        ir = fn.inspect_llvm(fn.signatures[-1])
        kind = "double" if dtype == np.float64 else "float"
        assert re.search(rf"<\d+ x {kind}>", ir), f"{fn.__name__} ({dtype.__name__}) is not vectorised"
        assert not re.search(r"@(tanh|exp)f?\(", ir), f"{fn.__name__} calls libm"


def test_float32_tanh_close_to_exact():
    x = np.linspace(-12, 12, 24_001).astype(np.float32)
    got = np.empty_like(x)
    _tanh_loop(x, got)
    assert np.abs(got - np.tanh(x.astype(np.float64))).max() < 1e-6
    assert _math.HALF32.dtype == np.float32
