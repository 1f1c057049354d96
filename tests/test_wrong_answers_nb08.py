"""Known-wrong answers to notebook 8's exercises: each check must reject them and say where to look.

Without a GPU the kernels run in Numba's CUDA simulator (conftest.py turns it on).
A wrong answer is the right one with one deliberate mistake, so the answers repeat
each other line for line except for that mistake: the repetition is the point.
"""
import math

import numpy as np
import pytest
from numba import cuda

from _exercises import assert_rejects
from rnncore_course.nb08_gpu_cuda_kernels import check_lstm_pointwise_kernel, check_matmul_kernel


def _sig(v):
    return 0.5 * (1.0 + math.tanh(0.5 * v))


@cuda.jit
def pointwise_right(a, c_prev, h_out, c_out):
    j, b = cuda.grid(2)
    H = c_prev.shape[1]
    if b < c_prev.shape[0] and j < H:
        c = (0.5 * (1.0 + math.tanh(0.5 * a[b, H + j]))) * c_prev[b, j] \
            + (0.5 * (1.0 + math.tanh(0.5 * a[b, j]))) * math.tanh(a[b, 2 * H + j])
        c_out[b, j] = c
        h_out[b, j] = (0.5 * (1.0 + math.tanh(0.5 * a[b, 3 * H + j]))) * math.tanh(c)


@cuda.jit
def pointwise_g_and_o_swapped(a, c_prev, h_out, c_out):
    j, b = cuda.grid(2)
    H = c_prev.shape[1]
    if b < c_prev.shape[0] and j < H:
        c = (0.5 * (1.0 + math.tanh(0.5 * a[b, H + j]))) * c_prev[b, j] \
            + (0.5 * (1.0 + math.tanh(0.5 * a[b, j]))) * math.tanh(a[b, 3 * H + j])
        c_out[b, j] = c
        h_out[b, j] = (0.5 * (1.0 + math.tanh(0.5 * a[b, 2 * H + j]))) * math.tanh(c)


@cuda.jit
def pointwise_no_bounds_test(a, c_prev, h_out, c_out):
    j, b = cuda.grid(2)
    H = c_prev.shape[1]
    c = (0.5 * (1.0 + math.tanh(0.5 * a[b, H + j]))) * c_prev[b, j] \
        + (0.5 * (1.0 + math.tanh(0.5 * a[b, j]))) * math.tanh(a[b, 2 * H + j])
    c_out[b, j] = c
    h_out[b, j] = (0.5 * (1.0 + math.tanh(0.5 * a[b, 3 * H + j]))) * math.tanh(c)


def _launcher(kernel, ceil=True):
    def launch(a, c_prev, threads=(8, 4)):
        B, H = c_prev.shape
        h_d = cuda.to_device(np.zeros((B, H)))
        c_d = cuda.to_device(np.zeros((B, H)))
        div = math.ceil if ceil else (lambda v: int(v))
        blocks = (max(div(H / threads[0]), 1), max(div(B / threads[1]), 1))
        kernel[blocks, threads](cuda.to_device(a), cuda.to_device(c_prev), h_d, c_d)
        return h_d.copy_to_host(), c_d.copy_to_host()
    return launch


@pytest.mark.parametrize("wrong, where", [
    (_launcher(pointwise_g_and_o_swapped), "g reads the rows of o; o reads the rows of g"),
    (_launcher(pointwise_right, ceil=False), "were never computed: the grid does not cover them"),
    (_launcher(pointwise_no_bounds_test), "Check the bounds test"),
])
def test_lstm_pointwise_kernel_rejects(wrong, where):
    assert_rejects(check_lstm_pointwise_kernel, wrong, where)


def test_the_right_pointwise_kernel_passes():
    """The launcher the wrong answers are built on is right: they fail for their mistake only."""
    check_lstm_pointwise_kernel(_launcher(pointwise_right))


@cuda.jit
def matmul_right(A, B, C):
    c, r = cuda.grid(2)
    if r < C.shape[0] and c < C.shape[1]:
        acc = 0.0
        for k in range(A.shape[1]):
            acc += A[r, k] * B[k, c]
        C[r, c] = acc


@cuda.jit
def matmul_k_from_1(A, B, C):
    c, r = cuda.grid(2)
    if r < C.shape[0] and c < C.shape[1]:
        acc = 0.0
        for k in range(1, A.shape[1]):
            acc += A[r, k] * B[k, c]
        C[r, c] = acc


@cuda.jit
def matmul_no_bounds_test(A, B, C):
    c, r = cuda.grid(2)
    acc = 0.0
    for k in range(A.shape[1]):
        acc += A[r, k] * B[k, c]
    C[r, c] = acc


def _matmul_launcher(kernel, ceil=True):
    def launch(A, B, threads=(8, 8)):
        M, N = A.shape[0], B.shape[1]
        C_d = cuda.to_device(np.zeros((M, N)))
        div = math.ceil if ceil else (lambda v: int(v))
        blocks = (max(div(N / threads[0]), 1), max(div(M / threads[1]), 1))
        kernel[blocks, threads](cuda.to_device(A), cuda.to_device(B), C_d)
        return C_d.copy_to_host()
    return launch


@pytest.mark.parametrize("wrong, where", [
    (_matmul_launcher(matmul_k_from_1), "misses the k = 0 product"),
    (_matmul_launcher(matmul_right, ceil=False), "were never computed: the grid does not cover them"),
    (_matmul_launcher(matmul_no_bounds_test), "Check the bounds test"),
])
def test_matmul_kernel_rejects(wrong, where):
    assert_rejects(check_matmul_kernel, wrong, where)


def test_the_right_matmul_kernel_passes():
    check_matmul_kernel(_matmul_launcher(matmul_right))
