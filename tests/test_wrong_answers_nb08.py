"""Known-wrong answers to notebook 8's exercises: each check must reject them and say where to look.

Without a GPU the kernels run in Numba's CUDA simulator (conftest.py turns it on).
A wrong answer is the right kernel with one deliberate mistake, switched on by an argument
of the function that builds the kernel (the argument is a constant inside the kernel).
"""
import math

import numpy as np
from numba import cuda

from _exercises import assert_accepts, rejects_each
from rnncore_course.nb08_gpu_cuda_kernels import check_lstm_pointwise_kernel, check_matmul_kernel


@cuda.jit(device=True)
def _sig(v):
    return 0.5 * (1.0 + math.tanh(0.5 * v))


def _pointwise(g_block=2, o_block=3, bounds=True):
    """The LSTM pointwise kernel; the defaults are the right answer, the others one mistake each."""
    @cuda.jit
    def kernel(a, c_prev, h_out, c_out):
        j, b = cuda.grid(2)
        H = c_prev.shape[1]
        if not bounds or (b < c_prev.shape[0] and j < H):
            c = _sig(a[b, H + j]) * c_prev[b, j] + _sig(a[b, j]) * math.tanh(a[b, g_block * H + j])
            c_out[b, j] = c
            h_out[b, j] = _sig(a[b, o_block * H + j]) * math.tanh(c)
    return kernel


def _blocks(rows, cols, threads, ceil):
    """The grid of a kernel with one thread per output element (x along columns); ``ceil=False`` rounds down."""
    div = math.ceil if ceil else int
    return max(div(cols / threads[0]), 1), max(div(rows / threads[1]), 1)


def _launcher(kernel, ceil=True):
    def launch(a, c_prev, threads=(8, 4)):
        B, H = c_prev.shape
        h_d, c_d = cuda.to_device(np.zeros((B, H))), cuda.to_device(np.zeros((B, H)))
        kernel[_blocks(B, H, threads, ceil), threads](cuda.to_device(a), cuda.to_device(c_prev), h_d, c_d)
        return h_d.copy_to_host(), c_d.copy_to_host()
    return launch


def test_the_right_pointwise_kernel_passes():
    """The launcher the wrong answers are built on is right: they fail for their mistake only."""
    assert_accepts(check_lstm_pointwise_kernel, _launcher(_pointwise()))


test_lstm_pointwise_kernel_rejects = rejects_each(check_lstm_pointwise_kernel, [
    (_launcher(_pointwise(g_block=3, o_block=2)), "g reads the rows of o; o reads the rows of g"),
    (_launcher(_pointwise(), ceil=False), "were never computed: the grid does not cover them"),
    (_launcher(_pointwise(bounds=False)), "Check the bounds test"),
])


def _matmul(k_start=0, bounds=True):
    """The matrix-product kernel; the defaults are the right answer, the others one mistake each."""
    @cuda.jit
    def kernel(A, B, C):
        c, r = cuda.grid(2)
        if not bounds or (r < C.shape[0] and c < C.shape[1]):
            acc = 0.0
            for k in range(k_start, A.shape[1]):
                acc += A[r, k] * B[k, c]
            C[r, c] = acc
    return kernel


def _matmul_launcher(kernel, ceil=True):
    def launch(A, B, threads=(8, 8)):
        M, N = A.shape[0], B.shape[1]
        C_d = cuda.to_device(np.zeros((M, N)))
        kernel[_blocks(M, N, threads, ceil), threads](cuda.to_device(A), cuda.to_device(B), C_d)
        return C_d.copy_to_host()
    return launch


def test_the_right_matmul_kernel_passes():
    assert_accepts(check_matmul_kernel, _matmul_launcher(_matmul()))


test_matmul_kernel_rejects = rejects_each(check_matmul_kernel, [
    (_matmul_launcher(_matmul(k_start=1)), "misses the k = 0 product"),
    (_matmul_launcher(_matmul(), ceil=False), "were never computed: the grid does not cover them"),
    (_matmul_launcher(_matmul(bounds=False)), "Check the bounds test"),
])
