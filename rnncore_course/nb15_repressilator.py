"""Checks for ``solutions/15_repressilator_exercises.ipynb``.

Each check calls the learner's function on fresh inputs and compares it with a
reference written here: the right-hand side of the repressilator ODE (Elowitz
and Leibler, 2000), one step of Gillespie's direct method with given random
numbers, and an autoregressive multi-step forecast.
"""
import numpy as np

from . import assert_close, exercise_check


def repressilator_rhs_reference(y, alpha, alpha0, beta, n):
    """y = (m1, m2, m3, p1, p2, p3); gene i is repressed by protein i-1 (cyclically)."""
    y = np.asarray(y, float)
    m, p = y[:3], y[3:]
    repressor = np.roll(p, 1)                  # (p3, p1, p2)
    dm = -m + alpha / (1 + repressor**n) + alpha0
    dp = -beta * (p - m)
    return np.concatenate([dm, dp])


def gillespie_step_reference(x, a, stoich, u1, u2):
    a = np.asarray(a, float)
    a0 = a.sum()
    tau = -np.log(u1) / a0
    j = int(np.searchsorted(np.cumsum(a), u2 * a0, side="right"))
    return tau, np.asarray(x) + np.asarray(stoich)[j]


def rollout_reference(predict_next, history, steps):
    window = list(np.asarray(history, float))
    out = []
    for _ in range(steps):
        nxt = float(predict_next(np.array(window)))
        out.append(nxt)
        window = window[1:] + [nxt]
    return np.array(out)


@exercise_check
def check_repressilator_rhs(repressilator_rhs):
    """repressilator_rhs(y (6,), alpha, alpha0, beta, n) -> dy/dt (6,)."""
    rng = np.random.default_rng(1501)
    # who represses whom: raising p3 must lower dm1/dt and leave dm2/dt, dm3/dt unchanged
    y = np.ones(6)
    d0 = repressilator_rhs(y, 10.0, 0.0, 1.0, 2.0)
    assert d0 is not None, "repressilator_rhs returned None: return dy/dt"
    d0 = np.asarray(d0, float)
    assert d0.shape == (6,), f"dy/dt has shape {d0.shape}, expected (6,): (dm1, dm2, dm3, dp1, dp2, dp3)"
    y[5] = 3.0
    d1 = np.asarray(repressilator_rhs(y, 10.0, 0.0, 1.0, 2.0), float)
    assert d1[0] < d0[0] and np.allclose(d1[1:3], d0[1:3]), \
        "the repression wiring: gene 1 must be repressed by protein 3 (gene 2 by protein 1, gene 3 by protein 2)"
    for alpha, alpha0, beta, n in [(216.0, 0.216, 5.0, 2.0), (50.0, 0.0, 0.2, 3.0), (10.0, 1.0, 1.0, 1.0)]:
        y = rng.uniform(0, 40, 6)
        got = np.asarray(repressilator_rhs(y, alpha, alpha0, beta, n), float)
        want = repressilator_rhs_reference(y, alpha, alpha0, beta, n)
        assert_close(got[:3], want[:3], f"the mRNA part dm/dt = -m + alpha / (1 + p_prev**n) + alpha0 "
                                        f"(alpha={alpha}, alpha0={alpha0}, n={n})")
        assert_close(got[3:], want[3:], f"the protein part dp/dt = -beta (p - m) (beta={beta})")


@exercise_check
def check_gillespie_step(gillespie_step):
    """gillespie_step(x, a, stoich, u1, u2) -> (tau, x_new)."""
    rng = np.random.default_rng(1502)
    stoich = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    for _ in range(20):
        x = rng.integers(0, 50, 2)
        a = rng.uniform(0, 5, 4)
        a[rng.integers(0, 4)] = 0.0             # a reaction that cannot fire
        u1, u2 = rng.uniform(1e-3, 1), rng.uniform(0, 1)
        out = gillespie_step(x, a, stoich, u1, u2)
        assert isinstance(out, tuple) and len(out) == 2, "return a tuple (tau, x_new)"
        tau, x_new = gillespie_step_reference(x, a, stoich, u1, u2)
        assert_close(float(out[0]), tau, "the waiting time tau = -ln(u1) / a0 with a0 = sum(a)")
        assert_close(np.asarray(out[1]), x_new,
                     f"the new state (a = {np.round(a, 2)}, u2 = {u2:.3f}): the reaction that fires is the "
                     "first j whose cumulative propensity exceeds u2 * a0")
    # boundaries: u2 just above 0 picks the first reaction with a > 0
    _, x_new = gillespie_step(np.array([5, 5]), np.array([0.0, 1.0, 1.0, 1.0]), stoich, 0.5, 1e-9)
    assert_close(np.asarray(x_new), [4, 5], "the state when u2 is tiny and a[0] = 0 (a reaction with zero "
                                            "propensity never fires)")


@exercise_check
def check_rollout(rollout):
    """rollout(predict_next, history (W,), steps) -> forecasts (steps,)."""
    rng = np.random.default_rng(1503)
    for W, steps in [(3, 10), (1, 5), (6, 1), (4, 8)]:
        coef = rng.standard_normal(W) * 0.4
        coef[-1] += 0.5                           # the newest value matters most, so a wrong window shows
        history = rng.standard_normal(W)

        def predict_next(window):
            assert np.shape(window) == (W,), f"predict_next must get the last {W} values, got shape {np.shape(window)}"
            return float(window @ coef + 0.1)

        got = rollout(predict_next, history.copy(), steps)
        assert got is not None, "rollout returned None: return the forecasts"
        got = np.asarray(got, float)
        want = rollout_reference(predict_next, history, steps)
        assert got.shape == want.shape, f"rollout returned shape {got.shape}, expected ({steps},)"
        assert_close(got[:1], want[:1], f"the first forecast (W={W}): predict from the history as given")
        assert_close(got, want, f"forecasts 2..{steps} (W={W}): after each step drop the OLDEST value of "
                                "the window and append the new prediction at the END")
