"""rnncore._linalg.matmul: NumPy's one-thread bits at any BLAS thread count, and the layers
built on it (Dense, Conv1D, AttentionPooling) give the same bits whatever NumPy's BLAS runs; so
does the NumPy reference backend, which keeps NumPy's @ on one BLAS thread.

NumPy's own ``a @ b`` does not: on the 2-core CI machine its OpenBLAS on two threads rounds
float32 products such as (6400, 36) @ (36, 16) differently from one thread. The layer tests
below fail when a layer goes back to ``@`` (tried: Dense's forward and Conv1D's backward).
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from _cells import CELLS, HAS_C, backward, forward, make_params

from rnncore._linalg import matmul
from rnncore.layers import LSTM, AttentionPooling, Conv1D, Dense
from rnncore.models import Sequential
from rnncore.optimizers import Adam

# (M, K, N): large products, one row, one column, one number
SHAPES = [(6400, 36, 16), (36, 6400, 16), (2000, 64, 64), (1, 5, 3), (7, 1, 3), (3, 4, 1),
          (1, 400, 64), (1920, 64, 1), (1, 1, 1), (1, 64, 1)]


def layouts(m):
    """m as C- and Fortran-ordered 2-D arrays, its first row as a 1-D array, and a stack of 3."""
    return {"C": m, "F": np.asfortranarray(m), "1-D": m[0].copy(), "stack": np.stack([m, 0.5 * m, m + 1])}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_gives_numpys_one_thread_bits(dtype):
    rng = np.random.default_rng(0)
    for M, K, N in SHAPES:
        A = rng.standard_normal((M, K)).astype(dtype)
        Bm = rng.standard_normal((K, N)).astype(dtype)
        for a_name, a in layouts(A).items():
            for b_name, b in [("C", Bm), ("F", np.asfortranarray(Bm)), ("1-D", Bm[:, 0].copy())]:
                with threadpool_limits(1, user_api="blas"):
                    expected = a @ b
                got = matmul(a, b)
                where = f"{(M, K, N)} a {a_name}, b {b_name}, {np.dtype(dtype).name}"
                assert got.dtype == expected.dtype and got.shape == expected.shape, where
                assert np.array_equal(got, expected), where


def test_matmul_leaves_the_rest_to_numpy():
    ints = np.arange(6).reshape(2, 3)
    assert np.array_equal(matmul(ints, ints.T), ints @ ints.T)
    mixed = matmul(np.ones((2, 3), np.float32), np.ones((3, 2)))
    assert mixed.dtype == np.float64 and np.array_equal(mixed, np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match="mismatch"):
        matmul(np.ones((2, 3)), np.ones((4, 2)))


def run_layer(layer, x, threads):
    """Forward and backward of ``layer`` with NumPy's BLAS on ``threads`` threads."""
    with threadpool_limits(threads, user_api="blas"):
        y = layer.forward(x, training=True)
        dx = layer.backward(np.cos(y))
    return [y, dx] + [layer.grads[k] for k in sorted(layer.grads)]


LAYERS = {
    "Dense, 2-D input": (lambda: Dense(64), (2000, 64)),
    "Dense, 3-D input": (lambda: Dense(16), (64, 100, 36)),
    "Conv1D": (lambda: Conv1D(16, 9, activation="relu"), (64, 100, 4)),
    "AttentionPooling": (lambda: AttentionPooling(), (64, 100, 32)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_give_the_same_bits_at_any_blas_thread_count(name):
    make, shape = LAYERS[name]
    layer = make()
    layer.build(shape[1:])
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    one, two = run_layer(layer, x, 1), run_layer(layer, x, 2)
    for a, b in zip(one, two):
        assert np.array_equal(a, b), f"{name}: other bits with NumPy's BLAS on two threads"


def test_training_gives_the_same_weights_at_any_blas_thread_count():
    """A Conv1D + LSTM + Dense model, two epochs from one seed, NumPy's BLAS on 1 and 2 threads."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((128, 100, 4)).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1) > 0).astype(np.float32)[:, None]
    weights = []
    for threads in (1, 2):
        model = Sequential([Conv1D(16, 9, activation="relu"), LSTM(8), Dense(1, activation="sigmoid")], seed=0)
        model.compile(optimizer=Adam(0.01), loss="binary_crossentropy")
        with threadpool_limits(threads, user_api="blas"):
            model.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


@pytest.mark.parametrize("cell", CELLS)
def test_numpy_backend_gives_the_same_bits_at_any_blas_thread_count(cell):
    """The reference backend (float32, the benchmark's (32, 100, 4, 64) shape): forward and every
    gradient equal with NumPy's BLAS on one and two threads (it differed before the backend ran its
    steps on one BLAS thread)."""
    p = make_params(cell, 32, 100, 4, 64, dtype=np.float32, scale=0.1)   # no relu blow-up over 100 steps
    results = []
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            h_seq, h_T, c_T, cache = forward(cell, p, "numpy")
            grads = backward(cell, np.cos(h_seq), cache, np.ones_like(h_T), np.ones_like(h_T) if cell in HAS_C else None)
        results.append([h_seq, h_T] + [grads[k] for k in sorted(grads)])
    assert all(np.array_equal(a, b) for a, b in zip(*results))
