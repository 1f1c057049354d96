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
from ._diagnose import OPEN, SHUT, compare_gradients, probe_sizes


@exercise_check
def check_relative_error(relative_error):
    """relative_error(a, b) -> float, max |a - b| / max(|a| + |b|, 1e-12) elementwise."""
    z = np.zeros(3)
    got = relative_error(z, z)
    assert np.ndim(got) == 0, "return one number (the maximum over elements)"
    assert np.isfinite(got) and got == 0.0, "two zero arrays must give 0 (guard the division with eps = 1e-12)"
    a, b = np.array([1.0, -2.0]), np.array([-1.0, 2.0])
    assert_close(float(relative_error(a, b)), 1.0, "the error of a = [1, -2] against b = -a; the denominator is "
                 "|a| + |b| (each taken absolute first), not |a + b|", rtol=1e-9)
    a, b = np.array([1e-3, 1.0]), np.array([2e-3, 1.0])
    got = float(relative_error(a, b))
    if abs(got - 1 / 6) < 1e-9:
        raise AssertionError("report the maximum over elements, not the mean")
    assert_close(got, 1 / 3, "a = [1e-3, 1], b = [2e-3, 1]: the error is elementwise (entry 0 is 1/3 off), not "
                 "max|a - b| / max(|a| + |b|) over the whole array", rtol=1e-9)
    rng = np.random.default_rng(901)
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        a = rng.standard_normal(shape)
        b = a + rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 0)
        assert_close(float(relative_error(a, b)), gradcheck.rel_error(a, b), f"relative error of arrays of shape "
                     f"{shape}", rtol=1e-9, atol=0)


@exercise_check
def check_numeric_grad(numeric_grad):
    """numeric_grad(f, x, df, h=1e-5) -> central-difference gradient of sum(f() * df) w.r.t. x."""
    rng = np.random.default_rng(902)
    # probe: a quadratic, where central differences are exact and every slip shows as a clean pattern
    x = rng.uniform(0.5, 2.0, (3, 2))
    x_before = x.copy()
    df = rng.uniform(0.5, 2.0, (3, 2))
    got = numeric_grad(lambda: x ** 2, x, df)
    assert np.array_equal(x, x_before), "x must be restored after each perturbation (x[ix] = old)"
    assert got is not None and np.shape(got) == x.shape, f"return an array shaped like x {x.shape}"
    exact = 2 * x * df
    if not np.allclose(got, exact, rtol=1e-6, atol=1e-8):
        h = 1e-5
        if np.allclose(got, 2 * exact, rtol=1e-4):
            hint = "twice the gradient: divide L(x + h) - L(x - h) by 2h, not h"
        elif np.allclose(got, exact / 2, rtol=1e-4):
            hint = "half the gradient: divide by 2h with the central difference L(x + h) - L(x - h)"
        elif np.allclose(got, exact + h * df, rtol=1e-6, atol=1e-9) or np.allclose(got, exact - h * df, rtol=1e-6,
                                                                                     atol=1e-9):
            hint = "a one-sided difference (error of order h): use (L(x + h) - L(x - h)) / (2h)"
        elif np.allclose(got, 2 * x, rtol=1e-4):
            hint = "the loss is L = sum(f() * df): weight f() by df before summing"
        else:
            hint = "for f = x**2 and L = sum(f() * df) the gradient is 2 * x * df"
        raise AssertionError(f"the gradient of sum(x**2 * df) is wrong: {hint}")
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal((3, 2))
    df = rng.standard_normal((4, 2))
    got = numeric_grad(lambda: np.tanh(A @ x), x, df)
    exact = A.T @ (df * (1 - np.tanh(A @ x) ** 2))
    assert_close(got, exact, "gradient of sum(tanh(A @ x) * df)", rtol=1e-6, atol=1e-8)
    w = rng.standard_normal(5)
    got = numeric_grad(lambda: np.sum(w ** 3), w, 1.0)
    assert_close(got, 3 * w ** 2, "gradient of the scalar sum(w**3) (df = 1.0)", rtol=1e-6, atol=1e-8)


_FIX_HINTS = {
    "dc_prev": "only dc_prev is wrong: the cell path back is dc_prev = dc * f (the forget gate)",
    frozenset({"dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"}): "everything is wrong, so dc is: "
    "dc = dc_t + dh_t * o * tanh'(c_t), and tanh'(c) = 1 - tanh(c)**2",
}
_NAMES = ("dx_t", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh")


@exercise_check
def check_fixed_lstm_step_backward(fixed_lstm_step_backward):
    """fixed_lstm_step_backward(dh_t, dc_t, cache) -> the 7 arrays of rnncore.lstm_step_backward."""
    rng = np.random.default_rng(903)
    for B, D, H in [(3, 4, 5), (2, 5, 5)]:
        x_t, h_prev, c_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
        W_ih, W_hh = rng.standard_normal((4 * H, D)) * 0.5, rng.standard_normal((4 * H, H)) * 0.5
        b_ih, b_hh = rng.standard_normal(4 * H) * 0.2, rng.standard_normal(4 * H) * 0.2
        _, _, cache = ref_lstm.step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
        dh_t, dc_t = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        got = fixed_lstm_step_backward(dh_t, dc_t, cache)
        assert isinstance(got, tuple) and len(got) == 7, f"return a tuple {_NAMES}"
        exp = dict(zip(_NAMES, ref_lstm.step_backward(dh_t, dc_t, cache)))
        compare_gradients(dict(zip(_NAMES, got)), exp, _NAMES, ("i", "f", "g", "o"), _FIX_HINTS,
                          f"B={B}, D={D}, H={H}")


def _peep_cases():
    """Probe cases, each with the peephole rows it switches on (the others are 0)."""
    return [
        (("with zero peepholes, the forget gate open (f = 1) and the input gate shut (i = 0), c_t must be "
          "c_(t-1): check the gate order i, f, g, o and that f multiplies c_(t-1)"),
         {"i": SHUT, "f": OPEN, "o": OPEN}, "b_ih", ("c_t",)),
        (("with zero peepholes, i = 1 and f = 0, c_t must be the candidate g = tanh(a^g), rows 2H:3H"),
         {"i": OPEN, "f": SHUT, "o": OPEN}, "b_ih", ("c_t",)),
        (("only w_peep[0] = w_ci is nonzero and f = 0, so c_t = i * g: the input gate's peephole reads the old "
          "cell, i = sigmoid(a^i + w_ci * c_(t-1)) (row 0 of w_peep)"), {"i": 0.0, "f": SHUT, "o": OPEN}, "b_ih",
         ("c_t",)),
        (("only w_peep[1] = w_cf is nonzero and i = 0, so c_t = f * c_(t-1): the forget gate's peephole reads the "
          "old cell, f = sigmoid(a^f + w_cf * c_(t-1)) (row 1 of w_peep)"), {"i": SHUT, "f": 0.0, "o": OPEN},
         "b_ih", ("c_t",)),
        (("only w_peep[2] = w_co is nonzero, i = 1 and f = 0 (so c_t = g differs from c_(t-1)): the output gate's "
          "peephole reads the NEW cell, o = sigmoid(a^o + w_co * c_t), computed after c_t (row 2 of w_peep)"),
         {"i": OPEN, "f": SHUT, "o": 0.0}, "b_ih", ("h_t",)),
        ("all terms together, random weights and peepholes", {}, "all"),
    ]


_PEEP_ROWS = [(), (), (0,), (1,), (2,), (0, 1, 2)]


@exercise_check
def check_peephole_step_forward(peephole_step_forward):
    """peephole_step_forward(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_peep) -> (h_t, c_t)."""
    rng = np.random.default_rng(904)

    def w_peep(n, H):
        w = np.zeros((3, H))
        for row in _PEEP_ROWS[n]:
            w[row] = rng.choice([-1.0, 1.0], H) * rng.uniform(1.0, 2.5, H)
        return (w,)

    probe_sizes(peephole_step_forward, lambda *a: ref_peephole.step_forward(*a)[:2], rng, _peep_cases(),
                ("i", "f", "g", "o"), ("h_t", "c_t"), sizes=[(3, 4, 5), (1, 2, 3)], n_states=2, extra=w_peep)
