"""Known-wrong answers to the exercises of notebook 13: each check must reject them and say where to look."""
import numpy as np

from _exercises import rejects_each
from rnncore_course.nb13_neural_circuits import check_flip_flop_targets, check_rnn_jacobian, check_speed_and_grad


def targets_no_hold(u):
    return np.sign(u)


def targets_start_at_plus_one(u):
    y = np.zeros(u.shape)
    state = np.ones((u.shape[0], u.shape[2]))
    for t in range(u.shape[1]):
        state = np.where(u[:, t] != 0, np.sign(u[:, t]), state)
        y[:, t] = state
    return y


def targets_one_step_late(u):
    y = np.zeros(u.shape)
    state = np.zeros((u.shape[0], u.shape[2]))
    for t in range(u.shape[1]):
        y[:, t] = state
        state = np.where(u[:, t] != 0, np.sign(u[:, t]), state)
    return y


test_flip_flop_targets_rejects = rejects_each(check_flip_flop_targets, [
    (targets_no_hold, "hold"),
    (targets_start_at_plus_one, "0 before a channel's first pulse"),
    (targets_one_step_late, "first wrong at sequence"),
], regex=True)


def _F(h, W_ih, W_hh, b_ih, b_hh, x):
    return np.tanh(W_ih @ x + b_ih + W_hh @ h + b_hh)


def jacobian_transposed(h, W_ih, W_hh, b_ih, b_hh, x):
    return W_hh * (1 - _F(h, W_ih, W_hh, b_ih, b_hh, x) ** 2)[None, :]


def jacobian_tanh_prime_at_h(h, W_ih, W_hh, b_ih, b_hh, x):
    return (1 - h**2)[:, None] * W_hh


def jacobian_no_tanh_prime(h, W_ih, W_hh, b_ih, b_hh, x):
    return W_hh.copy()


test_rnn_jacobian_rejects = rejects_each(check_rnn_jacobian, [
    (jacobian_transposed, "rows and columns are swapped"),
    (jacobian_tanh_prime_at_h, "tanh' is taken at h"),
    (jacobian_no_tanh_prime, "derivative of tanh"),
], regex=True)


def _good_jacobian(h, W_ih, W_hh, b_ih, b_hh, x):
    return (1 - _F(h, W_ih, W_hh, b_ih, b_hh, x) ** 2)[:, None] * W_hh


def speed_without_half(h, *w):
    r = _F(h, *w) - h
    return float(r @ r), (_good_jacobian(h, *w) - np.eye(len(h))).T @ r


def speed_grad_not_transposed(h, *w):
    r = _F(h, *w) - h
    return 0.5 * float(r @ r), (_good_jacobian(h, *w) - np.eye(len(h))) @ r


def speed_with_wrong_jacobian(h, *w):
    r = _F(h, *w) - h
    return 0.5 * float(r @ r), (jacobian_tanh_prime_at_h(h, *w) - np.eye(len(h))).T @ r


test_speed_and_grad_rejects = rejects_each(check_speed_and_grad, [
    (speed_without_half, "1/2"),
    (speed_grad_not_transposed, "transpose"),
    (speed_with_wrong_jacobian, "exercise 2"),
], regex=True)
