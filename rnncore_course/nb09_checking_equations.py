"""Checks for ``solutions/09_checking_equations_exercises.ipynb``.

The learner writes the tools that check equations (relative error, numeric
gradient), repairs a buggy LSTM backward step and writes Gers' peephole step;
each is compared with rnncore on fresh random inputs.
"""
import numpy as np

from rnncore import gradcheck
from rnncore.reference import lstm as ref_lstm
from rnncore.reference import peephole as ref_peephole
from . import assert_close, exercise_check


@exercise_check
def check_relative_error(relative_error):
    """relative_error(a, b) -> float, max |a - b| / max(|a| + |b|, 1e-12) elementwise."""
    rng = np.random.default_rng(901)
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        a = rng.standard_normal(shape)
        b = a + rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 0)
        got = relative_error(a, b)
        assert np.ndim(got) == 0, "return one number (the maximum over elements)"
        assert_close(float(got), gradcheck.rel_error(a, b), f"relative error of arrays of shape {shape}",
                     rtol=1e-9, atol=0)
    z = np.zeros(3)
    assert relative_error(z, z) == 0.0, "two zero arrays must give 0 (guard the division with eps)"
    a = np.array([1e-3, 1.0])
    b = np.array([2e-3, 1.0])
    assert_close(float(relative_error(a, b)), 1 / 3, "elementwise (not global) relative error", rtol=1e-9)


@exercise_check
def check_numeric_grad(numeric_grad):
    """numeric_grad(f, x, df, h=1e-5) -> central-difference gradient of sum(f() * df) w.r.t. x."""
    rng = np.random.default_rng(902)
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal((3, 2))
    x_before = x.copy()
    df = rng.standard_normal((4, 2))
    got = numeric_grad(lambda: np.tanh(A @ x), x, df)
    assert np.array_equal(x, x_before), "x must be restored after each perturbation"
    exact = A.T @ (df * (1 - np.tanh(A @ x) ** 2))
    assert_close(got, exact, "gradient of sum(tanh(A @ x) * df)", rtol=1e-6, atol=1e-8)
    w = rng.standard_normal(5)
    got = numeric_grad(lambda: np.sum(w ** 3), w, 1.0)
    assert_close(got, 3 * w ** 2, "gradient of the scalar sum(w**3) (df = 1.0)", rtol=1e-6, atol=1e-8)


@exercise_check
def check_fixed_lstm_step_backward(fixed_lstm_step_backward):
    """fixed_lstm_step_backward(dh_t, dc_t, cache) -> the 7 arrays of rnncore.lstm_step_backward."""
    rng = np.random.default_rng(903)
    names = ("dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")
    for B, D, H in [(3, 4, 5), (2, 5, 5)]:
        x_t, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        W_ih, W_hh = rng.standard_normal((4 * H, D)) * 0.5, rng.standard_normal((4 * H, H)) * 0.5
        b_ih, b_hh = rng.standard_normal(4 * H) * 0.2, rng.standard_normal(4 * H) * 0.2
        _, _, cache = ref_lstm.step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
        dh_t, dc_t = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        got = fixed_lstm_step_backward(dh_t, dc_t, cache)
        assert isinstance(got, tuple) and len(got) == 7, f"return a tuple {names}"
        for name, g, e in zip(names, got, ref_lstm.step_backward(dh_t, dc_t, cache)):
            assert_close(g, e, f"{name} (B={B}, D={D}, H={H})")


@exercise_check
def check_peephole_step_forward(peephole_step_forward):
    """peephole_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_peep) -> (h_t, c_t)."""
    rng = np.random.default_rng(904)
    for B, D, H in [(3, 4, 5), (1, 2, 3)]:
        args = (rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
                rng.standard_normal((4 * H, D)) * 0.5, rng.standard_normal((4 * H, H)) * 0.5,
                rng.standard_normal(4 * H) * 0.2, rng.standard_normal(4 * H) * 0.2,
                rng.standard_normal((3, H)))
        out = peephole_step_forward(*args)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (h_t, c_t)"
        h_ref, c_ref, _ = ref_peephole.step_forward(*args)
        assert_close(out[1], c_ref, f"c_t (B={B}, D={D}, H={H})")
        assert_close(out[0], h_ref, f"h_t (B={B}, D={D}, H={H}); does the output gate look at the new cell c_t?")
