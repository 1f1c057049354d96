"""Checks for ``solutions/07_speed_with_numba_exercises.ipynb``.

Each check calls the learner's function on fresh random inputs and compares it
with rnncore's NumPy reference LSTM (PyTorch gate order i, f, g, o; a failure
names the gate or term), with T separate matrix products for the input
projection, or with ``np.tanh``.
The two ``@njit`` exercises must also keep float32 in float32: the check looks
for ``double`` (float64) arithmetic in the compiled float32 version.
"""
import numpy as np

from . import assert_close, exercise_check, lstm_from_preactivation, lstm_gate_diagnosis


def _is_jitted(fn):
    return hasattr(fn, "py_func") and hasattr(fn, "signatures")


def _computes_in_float64(fn):
    """True if the compiled float32 version of fn uses float64 arithmetic (LLVM ``double``).

    The check has just called fn on float32 arrays, so that version exists. When its
    code cannot be read (loaded from Numba's on-disk cache, say) this is a failure,
    not a silent pass.
    """
    for sig in fn.signatures:
        if all(str(getattr(t, "dtype", "")) == "float32" for t in sig):
            try:
                ir = fn.inspect_llvm(sig)
            except Exception:
                ir = None
            assert ir, ("the compiled float32 code cannot be inspected: use plain @njit "
                        "(no cache=True) so the check can read it")
            return "double" in ir
    raise AssertionError("no float32 version was compiled: the function did not run on float32 input")


PROMOTION_HINT = ("the float32 version computes in float64 (its compiled code uses `double`): a float64 "
                  "literal such as 1.0 or 0.5, or an int such as 1 in 1 / x, promotes float32 math; use "
                  "constants of the input's dtype, e.g. one = a.dtype.type(1.0), or np.float32(...)")


def _lstm_problem(rng, B, H, dtype=np.float64):
    """Pre-activations a (B, 4H), c_prev (B, H) and the reference h_t, c_t (rnncore.reference.lstm)."""
    a = rng.standard_normal((B, 4 * H)) * 1.5
    c_prev = rng.standard_normal((B, H))
    h_ref, c_ref = lstm_from_preactivation(a, c_prev)
    return a.astype(dtype), c_prev.astype(dtype), h_ref, c_ref


def _pair(out, what):
    assert isinstance(out, tuple) and len(out) == 2, f"{what} should return a tuple (h_t, c_t)"
    return out


@exercise_check
def check_lstm_gates_njit(lstm_gates_njit):
    """lstm_gates_njit(a, c_prev) -> (h_t, c_t), compiled with @njit, float32 kept in float32."""
    assert _is_jitted(lstm_gates_njit), "compile lstm_gates_njit with Numba: put @njit on the line above def"
    rng = np.random.default_rng(701)
    for B, H in [(3, 5), (1, 1), (4, 7)]:
        a, c_prev, h_ref, c_ref = _lstm_problem(rng, B, H)
        h, c = (np.asarray(v) for v in _pair(lstm_gates_njit(a, c_prev), "lstm_gates_njit"))
        assert h.shape == c.shape == c_ref.shape, (f"h_t, c_t have shapes {h.shape}, {c.shape}; expected "
                                                   f"(B, H) = {c_ref.shape}")
        ok = np.allclose(h, h_ref, rtol=1e-10, atol=1e-12) and np.allclose(c, c_ref, rtol=1e-10, atol=1e-12)
        assert ok, f"(B={B}, H={H}) {lstm_gate_diagnosis(a, c_prev, h, c)}"
    a, c_prev, h_ref, c_ref = _lstm_problem(rng, 5, 6, dtype=np.float32)
    h, c = _pair(lstm_gates_njit(a, c_prev), "lstm_gates_njit")
    for name, got in (("h_t", h), ("c_t", c)):
        got = np.asarray(got)
        assert got.dtype == np.float32, (f"{name} has dtype {got.dtype} for float32 inputs: make the outputs "
                                         "with np.empty_like(c_prev)")
    assert_close(h, h_ref, "h_t (float32)", rtol=1e-5, atol=1e-6)
    assert_close(c, c_ref, "c_t (float32)", rtol=1e-5, atol=1e-6)
    assert not _computes_in_float64(lstm_gates_njit), PROMOTION_HINT


@exercise_check
def check_input_projection(input_projection):
    """input_projection(x, W_ih, b_ih): (B, T, D) -> (B, T, G*H), every time step at once."""
    rng = np.random.default_rng(702)
    for B, T, D, GH in [(2, 5, 3, 16), (1, 1, 2, 9), (3, 4, 1, 4), (4, 7, 6, 12)]:
        x = rng.standard_normal((B, T, D))
        W_ih = rng.standard_normal((GH, D))
        b_ih = rng.standard_normal(GH)
        expected = np.stack([x[:, t] @ W_ih.T + b_ih for t in range(T)], axis=1)   # one product per step
        x_copy = x.copy()
        got = input_projection(x, W_ih, b_ih)
        assert np.array_equal(x, x_copy), "input_projection must not change x"
        if np.shape(got) == expected.shape and not np.allclose(got, expected, rtol=1e-10, atol=1e-12):
            assert not np.allclose(got, expected - b_ih), "the bias b_ih is missing"
            mixed = (x.transpose(1, 0, 2).reshape(B * T, D) @ W_ih.T + b_ih).reshape(B, T, GH)
            assert B == 1 or T == 1 or not np.allclose(got, mixed), (
                "batch and time are mixed up: reshape x (B, T, D) to (B*T, D) and the product back to "
                "(B, T, G*H) in the same order (no transpose in between)")
        assert_close(got, expected, f"the projection (B={B}, T={T}, D={D}, G*H={GH})", rtol=1e-10, atol=1e-12)
    x32 = x.astype(np.float32)
    got = np.asarray(input_projection(x32, W_ih.astype(np.float32), b_ih.astype(np.float32)))
    assert got.dtype == np.float32, f"float32 inputs gave {got.dtype}; keep the input's dtype"


@exercise_check
def check_tanh_rational(tanh_rational):
    """tanh_rational(x): float32 1-D array -> float32 array, |error| < 1e-6, compiled with @njit."""
    assert _is_jitted(tanh_rational), "compile tanh_rational with Numba: put @njit on the line above def"
    rng = np.random.default_rng(703)
    x = np.concatenate([np.linspace(-12, 12, 4001), rng.standard_normal(500) * 3,
                        [0.0, 1e-30, -1e-30, 7.9, -7.9, 8.5, -8.5, 50.0, -50.0, 1e4, -1e4]]).astype(np.float32)
    got = np.asarray(tanh_rational(x))
    assert got.shape == x.shape, f"tanh_rational returned shape {got.shape} for input shape {x.shape}"
    assert got.dtype == np.float32, f"float32 input gave {got.dtype}: make the output with np.empty_like(x)"
    assert np.all(np.isfinite(got)), ("some outputs are not finite: clamp x to [-CLAMP, CLAMP] before the "
                                      "polynomials (x**13 overflows float32 for large x)")
    exact = np.tanh(x.astype(np.float64))
    err = np.abs(got.astype(np.float64) - exact)
    worst = int(np.argmax(err))
    hint = " (clamp x to [-CLAMP, CLAMP] before the polynomials)" if abs(x[worst]) > 7.9 else ""
    assert err[worst] < 1e-6, (f"max |tanh_rational(x) - tanh(x)| = {err[worst]:.3g} at x = {x[worst]:.4g} "
                               f"(expected below 1e-6){hint}")
    # the rational function itself is off by about 2.6e-7 near |x| = 6; libm's tanhf by less than 1e-7
    assert err[worst] > 1.4e-7, "this is as accurate as the library's tanh: write the rational approximation"
    assert np.array_equal(tanh_rational(-x), -got), "tanh is odd: tanh_rational(-x) should be -tanh_rational(x)"
    assert not _computes_in_float64(tanh_rational), PROMOTION_HINT
