"""Known-wrong answers to notebook 7's exercises: each check must reject them and say where to look.

A wrong answer here is the right one with one deliberate mistake, so the answers repeat
each other line for line except for that mistake: the repetition is the point. The @njit
answers stay written out, one kernel per mistake, because the check reads their compiled code
for float64, and Numba types both sides of a branch: a float64 literal behind a flag would be
compiled into the right kernel too.
"""
import math

import numpy as np
from numba import njit

from rnncore.cpu import _math
from _exercises import rejects_each
from rnncore_course.nb07_speed_with_numba import (check_input_projection, check_lstm_gates_njit,
                                                  check_tanh_rational)


@njit
def gates_i_and_f_swapped(a, c_prev):
    B, H = c_prev.shape
    one = a.dtype.type(1.0)
    h, c = np.empty_like(c_prev), np.empty_like(c_prev)
    for b in range(B):
        for j in range(H):
            f = one / (one + math.exp(-a[b, j]))
            i = one / (one + math.exp(-a[b, H + j]))
            g = math.tanh(a[b, 2 * H + j])
            o = one / (one + math.exp(-a[b, 3 * H + j]))
            c[b, j] = f * c_prev[b, j] + i * g
            h[b, j] = o * math.tanh(c[b, j])
    return h, c


@njit
def gates_no_forget_term(a, c_prev):
    B, H = c_prev.shape
    one = a.dtype.type(1.0)
    h, c = np.empty_like(c_prev), np.empty_like(c_prev)
    for b in range(B):
        for j in range(H):
            i = one / (one + math.exp(-a[b, j]))
            g = math.tanh(a[b, 2 * H + j])
            o = one / (one + math.exp(-a[b, 3 * H + j]))
            c[b, j] = i * g
            h[b, j] = o * math.tanh(c[b, j])
    return h, c


@njit
def gates_h_from_old_cell(a, c_prev):
    B, H = c_prev.shape
    one = a.dtype.type(1.0)
    h, c = np.empty_like(c_prev), np.empty_like(c_prev)
    for b in range(B):
        for j in range(H):
            i = one / (one + math.exp(-a[b, j]))
            f = one / (one + math.exp(-a[b, H + j]))
            g = math.tanh(a[b, 2 * H + j])
            o = one / (one + math.exp(-a[b, 3 * H + j]))
            c[b, j] = f * c_prev[b, j] + i * g
            h[b, j] = o * math.tanh(c_prev[b, j])
    return h, c


@njit
def gates_float64_literals(a, c_prev):
    B, H = c_prev.shape
    h, c = np.empty_like(c_prev), np.empty_like(c_prev)
    for b in range(B):
        for j in range(H):
            i = 1.0 / (1.0 + math.exp(-a[b, j]))
            f = 1.0 / (1.0 + math.exp(-a[b, H + j]))
            g = math.tanh(a[b, 2 * H + j])
            o = 1.0 / (1.0 + math.exp(-a[b, 3 * H + j]))
            c[b, j] = f * c_prev[b, j] + i * g
            h[b, j] = o * math.tanh(c[b, j])
    return h, c


test_lstm_gates_njit_rejects = rejects_each(check_lstm_gates_njit, [
    (gates_i_and_f_swapped, "i reads the rows of f; f reads the rows of i"),
    (gates_no_forget_term, "misses the forget term f * c_prev"),
    (gates_h_from_old_cell, "tanh(c_prev); it should use the new cell"),
    (gates_float64_literals, "computes in float64"),
])


def projection_no_bias(x, W_ih, b_ih):
    B, T, D = x.shape
    return (x.reshape(B * T, D) @ W_ih.T).reshape(B, T, W_ih.shape[0])


def projection_batch_time_mixed(x, W_ih, b_ih):
    B, T, D = x.shape
    return (x.transpose(1, 0, 2).reshape(B * T, D) @ W_ih.T + b_ih).reshape(B, T, W_ih.shape[0])


def projection_in_float64(x, W_ih, b_ih):
    B, T, D = x.shape
    return (x.reshape(B * T, D).astype(np.float64) @ W_ih.T + b_ih).reshape(B, T, W_ih.shape[0])


test_input_projection_rejects = rejects_each(check_input_projection, [
    (projection_no_bias, "the bias b_ih is missing"),
    (projection_batch_time_mixed, "batch and time are mixed up"),
    (projection_in_float64, "keep the input's dtype"),
])


A1, A3, A5, A7, A9, A11, A13 = _math.A1, _math.A3, _math.A5, _math.A7, _math.A9, _math.A11, _math.A13
B0, B2, B4, B6 = _math.B0, _math.B2, _math.B4, _math.B6
CLAMP = _math._CLAMP


@njit
def tanh_not_clamped(x):
    out = np.empty_like(x)
    for k in range(x.size):
        v = x[k]
        x2 = v * v
        p = v * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))))
        out[k] = p / (B0 + x2 * (B2 + x2 * (B4 + x2 * B6)))
    return out


@njit
def tanh_missing_A13(x):
    out = np.empty_like(x)
    for k in range(x.size):
        v = min(max(x[k], -CLAMP), CLAMP)
        x2 = v * v
        p = v * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * A11)))))
        out[k] = p / (B0 + x2 * (B2 + x2 * (B4 + x2 * B6)))
    return out


@njit
def tanh_from_the_library(x):
    return np.tanh(x)


test_tanh_rational_rejects = rejects_each(check_tanh_rational, [
    (tanh_not_clamped, "clamp x to [-CLAMP, CLAMP]"),
    (tanh_missing_A13, "max |tanh_rational(x) - tanh(x)|"),
    (tanh_from_the_library, "write the rational approximation"),
])
