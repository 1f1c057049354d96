"""The checks of notebook 15's exercises reject known-wrong answers and say where to look."""
import numpy as np

from _exercises import assert_rejects
from rnncore_course import nb15_repressilator as nb15


def test_rhs_wrong_answers():
    def wrong_wiring(y, alpha, alpha0, beta, n):          # gene i repressed by protein i+1
        m, p = y[:3], y[3:]
        return np.concatenate([-m + alpha / (1 + np.roll(p, -1) ** n) + alpha0, -beta * (p - m)])

    def flipped_protein(y, alpha, alpha0, beta, n):       # dp/dt = +beta (p - m)
        m, p = y[:3], y[3:]
        return np.concatenate([-m + alpha / (1 + np.roll(p, 1) ** n) + alpha0, beta * (p - m)])

    def no_leak(y, alpha, alpha0, beta, n):               # alpha0 missing
        m, p = y[:3], y[3:]
        return np.concatenate([-m + alpha / (1 + np.roll(p, 1) ** n), -beta * (p - m)])

    assert_rejects(nb15.check_repressilator_rhs, wrong_wiring, "wiring")
    assert_rejects(nb15.check_repressilator_rhs, flipped_protein, "protein part")
    assert_rejects(nb15.check_repressilator_rhs, no_leak, "mRNA part", "alpha0")


def test_gillespie_wrong_answers():
    def rate_times(x, a, stoich, u1, u2):                 # tau = -ln(u1) * a0
        a0 = np.sum(a)
        return -np.log(u1) * a0, x + stoich[int(np.argmax(np.cumsum(a) > u2 * a0))]

    def unscaled_u2(x, a, stoich, u1, u2):                # compares with u2, not u2 * a0
        a0 = np.sum(a)
        return -np.log(u1) / a0, x + stoich[int(np.argmax(np.cumsum(a) > u2))]

    assert_rejects(nb15.check_gillespie_step, rate_times, "waiting time")
    assert_rejects(nb15.check_gillespie_step, unscaled_u2, "new state", "u2 * a0")


def test_rollout_wrong_answers():
    def never_slides(predict_next, history, steps):       # predicts from the history every time
        return np.array([predict_next(np.asarray(history, float)) for _ in range(steps)])

    def prepends(predict_next, history, steps):           # puts the prediction at the front
        window, out = np.asarray(history, float), []
        for _ in range(steps):
            out.append(predict_next(window))
            window = np.append(out[-1], window[:-1])
        return np.array(out)

    assert_rejects(nb15.check_rollout, never_slides, "OLDEST", "END")
    assert_rejects(nb15.check_rollout, prepends, "OLDEST", "END")
