"""Checks for ``solutions/08_gpu_cuda_kernels_exercises.ipynb``.

Each check calls the learner's host launcher (which copies the inputs to the
device, launches their ``@cuda.jit`` kernel and copies the result back) on fresh
random inputs, and compares the result with rnncore's NumPy reference LSTM (a
failure names the gate or term) or with NumPy's matrix product. The shapes are
chosen so that the grid never divides them evenly: a missing bounds test or a
floor division in the grid size shows up, and is named.

Under Numba's CUDA simulator, an exception raised inside a kernel (an index out
of range, or the exercise stub's ``NotImplementedError``) is raised again on the
host, naming the thread; the checks report it as a failure with a hint. This
module does not import numba: the notebook sets up the simulator before that.
"""
import numpy as np

from . import assert_close, exercise_check, lstm_from_preactivation, lstm_gate_diagnosis


def _uncovered(got, expected, what, rows, cols):
    """A hint when the wrong entries of ``got`` are exactly the rows/columns beyond some index.

    That is the mark of a grid that does not cover the array (a floor division in the grid
    size); ``rows``/``cols`` name the array's two axes for the message.
    """
    bad = ~np.isclose(got, expected, rtol=1e-6, atol=1e-8)
    if not bad.any():
        return None
    r0, c0 = np.nonzero(bad.any(axis=1))[0][0], np.nonzero(bad.any(axis=0))[0][0]
    if bad[r0:].all() and r0 > 0:
        return (f"{what}: the {rows} from {r0} on were never computed: the grid does not cover them "
                "(use a ceiling division for the number of blocks)")
    if bad[:, c0:].all() and c0 > 0:
        return (f"{what}: the {cols} from {c0} on were never computed: the grid does not cover them "
                "(use a ceiling division for the number of blocks)")
    return None


def _launch(launch, args, hint):
    """Call the learner's launcher; turn an exception from inside the kernel into a failure."""
    try:
        return launch(*args)
    except NotImplementedError:
        raise
    except Exception as e:                     # e.g. IndexError raised by a simulator thread
        first = str(e).splitlines()[0] if str(e) else ""
        raise AssertionError(f"the launch raised {type(e).__name__}: {first}. {hint}") from None


def _host(a, what):
    if hasattr(a, "copy_to_host"):            # a device array: fine, bring it back
        a = a.copy_to_host()
    assert isinstance(a, np.ndarray), f"{what} must be a NumPy array (use .copy_to_host()), got {type(a).__name__}"
    return a


@exercise_check
def check_lstm_pointwise_kernel(launch_lstm_pointwise):
    """launch_lstm_pointwise(a (B, 4H), c_prev (B, H)) -> (h, c), computed by a CUDA kernel."""
    rng = np.random.default_rng(801)
    hint = ("Check the bounds test (if b < B and j < H), the gate offsets 0, H, 2H, 3H, "
            "and the grid size (ceil division)")
    for B, H in [(2, 5), (5, 3), (1, 13)]:
        a = rng.standard_normal((B, 4 * H)) * 2.0
        c_prev = rng.standard_normal((B, H))
        a_in, c_in = a.copy(), c_prev.copy()
        out = _launch(launch_lstm_pointwise, (a, c_prev), hint)
        assert isinstance(out, tuple) and len(out) == 2, "launch_lstm_pointwise must return a tuple (h, c)"
        h, c = _host(out[0], "h"), _host(out[1], "c")
        h_ref, c_ref = lstm_from_preactivation(a_in, c_in)
        assert np.array_equal(a, a_in) and np.array_equal(c_prev, c_in), "the inputs a and c_prev must not be changed"
        assert h.shape == c.shape == c_ref.shape, f"h, c have shapes {h.shape}, {c.shape}; expected (B, H) = {(B, H)}"
        if np.allclose(c, c_ref) and np.allclose(h, h_ref):
            continue
        for got, ref, name in ((c, c_ref, "c"), (h, h_ref, "h")):
            uncovered = _uncovered(got, ref, f"{name} (B={B}, H={H})", "batch rows b", "hidden units j")
            assert uncovered is None, uncovered
        raise AssertionError(f"(B={B}, H={H}) {lstm_gate_diagnosis(a_in, c_in, h, c)}")


@exercise_check
def check_matmul_kernel(launch_matmul):
    """launch_matmul(A (M, K), B (K, N)) -> C = A @ B (M, N), computed by a CUDA kernel."""
    rng = np.random.default_rng(802)
    hint = "Check the bounds test (if r < M and c < N) and the grid size (ceil division)"
    for M, K, N in [(5, 3, 7), (9, 4, 2), (1, 6, 1)]:
        A = rng.standard_normal((M, K))
        B = rng.standard_normal((K, N))
        A_in, B_in = A.copy(), B.copy()
        C = _host(_launch(launch_matmul, (A, B), hint), "C")
        assert np.array_equal(A, A_in) and np.array_equal(B, B_in), "the inputs A and B must not be changed"
        assert C.shape == (M, N), f"C has shape {C.shape}, expected (M, N) = {(M, N)}"
        expected = A_in @ B_in
        uncovered = _uncovered(C, expected, f"C (M={M}, K={K}, N={N})", "rows r", "columns c")
        assert uncovered is None, uncovered
        if not np.allclose(C, expected):
            for k in range(K):                 # the sum over k stopped short, or started late?
                assert not np.allclose(C, A_in[:, :k] @ B_in[:k]), (f"C sums only the first {k} of the K={K} "
                                                                    "products: loop k over range(A.shape[1])")
            assert not np.allclose(C, A_in[:, 1:] @ B_in[1:]), "C misses the k = 0 product"
        assert_close(C, expected, f"C (M={M}, K={K}, N={N})")
