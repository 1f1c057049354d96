"""The notebook-9 checks reject known-wrong answers and say where to look.

Each wrong answer is a right one with one classic slip (a missing absolute value, a mean for a maximum, a
one-sided difference, a missing df, one of the two bugs left in, a peephole reading the wrong cell).
"""
import numpy as np

from _exercises import assert_accepts, rejects_each
from rnncore import gradcheck
from rnncore.reference import lstm as ref_lstm
from rnncore.reference import peephole as ref_peephole
from rnncore_course import nb09_checking_equations as nb


def rel(a, b, denominator="sum_abs", reduce=np.max, eps=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = {"sum_abs": np.abs(a) + np.abs(b), "abs_sum": np.abs(a + b)}[denominator]
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(reduce(np.abs(a - b) / np.maximum(den, eps)))


def test_relative_error_check_passes_right_answers():
    assert_accepts(nb.check_relative_error, rel, gradcheck.rel_error)


test_relative_error_check_names_the_slip = rejects_each(nb.check_relative_error, [
    (lambda a, b: rel(a, b, denominator="abs_sum"), r"not \|a \+ b\|"),       # missing absolute values
    (lambda a, b: rel(a, b, reduce=np.mean), "not the mean"),                 # mean for max
    (lambda a, b: rel(a, b, eps=0.0), "eps"),                                 # no guard
    (lambda a, b: float(np.max(np.abs(np.subtract(a, b))) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)),
     "elementwise"),                                                          # global, not elementwise
], regex=True)


def num_grad(f, x, df, h=1e-5, central=True, denominator=2, weight=True, restore=True):
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(f() * df) if weight else np.sum(f())
        x[ix] = old - h if central else old
        minus = np.sum(f() * df) if weight else np.sum(f())
        if restore:
            x[ix] = old
        grad[ix] = (plus - minus) / (denominator * h if central else h)
    return grad


def test_numeric_grad_check_passes_a_right_answer():
    assert_accepts(nb.check_numeric_grad, num_grad)


test_numeric_grad_check_names_the_slip = rejects_each(nb.check_numeric_grad, [
    (lambda f, x, df, h=1e-5: num_grad(f, x, df, h, central=False), "one-sided"),
    (lambda f, x, df, h=1e-5: num_grad(f, x, df, h, denominator=1), "by 2h, not h"),
    (lambda f, x, df, h=1e-5: num_grad(f, x, df, h, weight=False), "weight f"),
    (lambda f, x, df, h=1e-5: num_grad(f, x, df, h, restore=False), "restored"),
], regex=True)


def lstm_backward(dh_t, dc_t, cache, tanh_prime="1 - tanh_c ** 2", dc_prev="dc * f"):
    x_t, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh = cache
    do = dh_t * tanh_c
    dc = dc_t + dh_t * o * eval(tanh_prime)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), do * o * (1 - o)], axis=1)
    db = da.sum(axis=0)
    return da @ W_ih, da @ W_hh, eval(dc_prev), da.T @ x_t, da.T @ h_prev, db, db.copy()


def test_fixed_backward_check_passes_right_answers():
    assert_accepts(nb.check_fixed_lstm_step_backward, lstm_backward, ref_lstm.step_backward)


test_fixed_backward_check_names_the_term = rejects_each(nb.check_fixed_lstm_step_backward, [
    (lambda dh, dc, cache: lstm_backward(dh, dc, cache, tanh_prime="1 - tanh_c"),           # bug 1 left in
     r"tanh'\(c\) = 1 - tanh\(c\)\*\*2"),
    (lambda dh, dc, cache: lstm_backward(dh, dc, cache, dc_prev="dc"),                      # bug 2 left in
     r"wrong dc_prev .*dc_prev = dc \* f"),
    (lambda dh, dc, cache: lstm_backward(dh, dc, cache, tanh_prime="1 + tanh_c ** 2"),      # flipped sign
     r"tanh'\(c\)"),
], regex=True)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def peephole(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_peep, o_reads="c_t", rows=(0, 1, 2)):
    H = h_prev.shape[1]
    w_ci, w_cf, w_co = (w_peep[r] for r in rows)
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i = sigmoid(a[:, :H] + w_ci * c_prev)
    f = sigmoid(a[:, H:2 * H] + w_cf * c_prev)
    c_t = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:] + w_co * (c_t if o_reads == "c_t" else c_prev))
    return o * np.tanh(c_t), c_t


def test_peephole_check_passes_right_answers():
    assert_accepts(nb.check_peephole_step_forward, peephole, lambda *a: ref_peephole.step_forward(*a)[:2])


test_peephole_check_names_the_gate = rejects_each(nb.check_peephole_step_forward, [
    (lambda *a: peephole(*a, o_reads="c_prev"),         # wrong time index (seed-003's error)
     "output gate's peephole reads the NEW cell"),
    (lambda *a: peephole(*a, rows=(1, 0, 2)), "input gate's peephole"),     # w_ci and w_cf swapped
    (lambda *a: peephole(*a, rows=(0, 1, 1)), "output gate's peephole"),    # w_co missing: w_cf used instead
], regex=True)
