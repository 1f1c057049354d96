"""The CPU backend's own machinery: the BLAS helper, the packed GEMM, the batch
chunks and the thread pool that runs them.

Small test shapes run as one job (``_common.PARALLEL_MIN_WORK``); here the
threshold is lowered so that batches cut into several chunks, with their partial
sums, are checked against the NumPy reference too.
"""
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest
from numba import njit

from _cells import CELLS, HAS_C, backward, forward, make_params
from rnncore.cpu import _blas, _common, _packed

TOL = {np.float64: 1e-10, np.float32: 1e-5}


@njit
def _mm(a, b, c, beta):
    _blas.mm(a, b, c, beta)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mm_on_strided_and_transposed_views(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7, 3)).astype(dtype)      # a[:, t, :]: row stride 7*3
    w = rng.standard_normal((4, 3)).astype(dtype)
    out = rng.standard_normal((5, 6, 4)).astype(dtype)
    before = out.copy()
    _mm(a[:, 2, :], w.T, out[:, 1, :], 1.0)                 # beta = 1 accumulates
    np.testing.assert_allclose(out[:, 1, :], before[:, 1, :] + a[:, 2, :] @ w.T, rtol=1e-5)
    np.testing.assert_array_equal(np.delete(out, 1, axis=1), np.delete(before, 1, axis=1))
    c = np.full((3, 4), np.nan, dtype=dtype)                # beta = 0 ignores what was there
    _mm(a[:, 0, :].T, out[:, 0, :], c, 0.0)
    np.testing.assert_allclose(c, a[:, 0, :].T @ out[:, 0, :], rtol=1e-5)
    e = np.ones((3, 4), dtype=dtype)                        # k = 0: c = beta * c
    _mm(np.empty((3, 0), dtype), np.empty((0, 4), dtype), e, 1.0)
    np.testing.assert_array_equal(e, 1.0)


def test_blas_threads_restores_the_setting():
    if not _blas.HAVE_THREAD_CONTROL:
        pytest.skip("SciPy's BLAS has no openblas_set_num_threads")
    set_, get = _blas._SET_GET
    before = get()
    with _blas.blas_threads(1):
        assert get() == 1
    assert get() == before


def test_kernels_leave_scipys_blas_on_one_thread():
    """Every call runs BLAS on one thread (and does not raise the count again afterwards)."""
    if not _blas.HAVE_THREAD_CONTROL:
        pytest.skip("SciPy's BLAS has no openblas_set_num_threads")
    set_, get = _blas._SET_GET
    set_(2)
    forward("lstm", make_params("lstm", dtype=np.float32), "cpu")
    assert get() == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(4, 7, 5, 8), (4, 5, 2, 7), (5, 4, 3, 6), (17, 3, 2, 5)])
def test_batch_chunks_match_numpy(cell, dtype, shape, monkeypatch):
    """Batches cut into chunks (2 or more jobs, partial sums of db, dw_peep and the
    weight gradients added in order) against the NumPy reference."""
    monkeypatch.setattr(_common, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_common, "PARALLEL_MIN_CALL_WORK", 0)
    monkeypatch.setattr(_common, "MIN_CHUNK_ROWS", 2)
    B, T, D, H = shape
    assert len(_common.batch_chunks(B, T, D, H, 4)) >= 2
    p = make_params(cell, B, T, D, H, dtype=dtype, seed=3, scale=0.8 / np.sqrt(max(H, D)))
    rng = np.random.default_rng(4)
    ref, cpu = forward(cell, p, "numpy"), forward(cell, p, "cpu")
    tol = TOL[dtype]
    for a, b in zip(ref[:3], cpu[:3]):
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    dh_seq = rng.standard_normal((B, T, H)).astype(dtype)
    dh_T = rng.standard_normal((B, H)).astype(dtype)
    dc_T = rng.standard_normal((B, H)).astype(dtype) if cell in HAS_C else None
    g_ref = backward(cell, dh_seq, ref[3], dh_T, dc_T)
    g_cpu = backward(cell, dh_seq, cpu[3], dh_T, dc_T)
    for k in g_ref:
        scale = max(1.0, float(np.abs(g_ref[k]).max()))
        np.testing.assert_allclose(g_cpu[k], g_ref[k], rtol=tol, atol=tol * scale, err_msg=f"{cell} {k}")


def test_batch_chunks_depend_on_the_shape_only(monkeypatch):
    """The jobs are the same whatever the thread count (the results then are too)."""
    got = []
    for n in (1, 2, 4):
        monkeypatch.setattr(numba, "get_num_threads", lambda n=n: n)
        got.append(_common.batch_chunks(64, 100, 4, 64, 4))
    assert got[0] == got[1] == got[2]
    chunks = got[0]
    assert chunks[0][0] == 0 and chunks[-1][1] == 64
    assert all(b1 == b0_next for (_, b1), (b0_next, _) in zip(chunks, chunks[1:]))
    assert len(chunks) == 64 // _common.MIN_CHUNK_ROWS
    assert _common.batch_chunks(64, 2, 1, 2, 1) == [(0, 64)]         # small work: one job
    assert len(_common.batch_chunks(32, 50, 8, 64, 4)) > 1
    assert _common.batch_chunks(32, 1, 8, 64, 4) == [(0, 32)]        # the same steps, one of them: one job
    assert _common.batch_chunks(2, 500, 64, 512, 4) == [(0, 2)]      # too few rows to cut
    assert _common.batch_chunks(6, 500, 64, 512, 4) == [(0, 3), (3, 6)]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_sum_in_order_adds_the_parts_left_to_right_into_a_new_array(n):
    """The chunks' shares of a weight gradient are added in one fixed order: ((p0 + p1) + p2) + ...,
    bit for bit, into a new array (the parts are left as they were)."""
    rng = np.random.default_rng(n)
    # magnitudes far apart, so that another order of the additions rounds differently
    parts = (rng.standard_normal((n, 7, 9)) * 10.0 ** rng.integers(-6, 7, (n, 1, 1))).astype(np.float32)
    before = parts.copy()
    expected = parts[0].copy()
    for p in parts[1:]:
        expected = expected + p
    got = _common.sum_in_order(parts)
    assert got.tobytes() == expected.tobytes()
    assert not np.shares_memory(got, parts)
    np.testing.assert_array_equal(parts, before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("M, K, N", [(1, 1, 1), (3, 5, 7), (7, 17, 40), (13, 9, 64), (21, 33, 100)])
def test_gemm_packed_matches_numpy(dtype, M, K, N):
    """Every tile height (8, 4, 2, 1), a partial last panel, strided rows, panel offset,
    and accumulate, against a float64 product."""
    rng = np.random.default_rng(M * 100 + N)
    a = rng.standard_normal((M, K + 4)).astype(dtype)[:, 2:K + 2]     # row stride K + 4
    nr = _packed.panel_width(dtype)
    W = rng.standard_normal((K, 3 + nr + N + 5)).astype(dtype)
    Wp = _packed.pack(np.ascontiguousarray(W[:, 3:]))                 # columns 3.. packed
    c = rng.standard_normal((M, N + 6)).astype(dtype)
    before = c.copy()
    ref = a.astype(np.float64) @ W[:, 3 + nr:3 + nr + N].astype(np.float64)
    n = N
    tol = TOL[dtype] * max(1.0, np.sqrt(K))
    _packed.gemm_packed(a, Wp, 1, c[:, 1:1 + n], False)                # skip the first panel
    np.testing.assert_allclose(c[:, 1:1 + n], ref, rtol=tol, atol=tol)
    _packed.gemm_packed(a, Wp, 1, c[:, 1:1 + n], True)
    np.testing.assert_allclose(c[:, 1:1 + n], 2 * ref, rtol=tol, atol=2 * tol)
    np.testing.assert_array_equal(c[:, 0], before[:, 0])               # nothing outside c is touched
    np.testing.assert_array_equal(c[:, 1 + n:], before[:, 1 + n:])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gemm_packed_with_k_zero_is_an_empty_sum(dtype):
    a = np.empty((3, 0), dtype)
    Wp = _packed.pack(np.empty((0, 5), dtype))
    c = np.ones((3, 5), dtype)
    _packed.gemm_packed(a, Wp, 0, c, True)          # c += 0
    np.testing.assert_array_equal(c, 1.0)
    _packed.gemm_packed(a, Wp, 0, c, False)         # c = 0
    np.testing.assert_array_equal(c, 0.0)


def test_gemm_packed_is_not_compiled_once_per_constant():
    """The cells call gemm_packed with constants (p0 = 0, accumulate False or True); the
    packed kernel must get them as plain int64 and boolean, not as Numba literals, or
    it is compiled again for every constant value (a second 1 s compile per dtype)."""
    for cell in ("rnn_tanh", "gru"):              # the RNN forward accumulates, the GRU backward too
        p = make_params(cell, 4, 3, 2, 5, dtype=np.float32)
        h_seq, _, _, cache = forward(cell, p, "cpu")
        backward(cell, np.ones_like(h_seq), cache)
    sigs = _packed._gemm_packed.signatures
    assert sigs, "the cells did not go through the packed kernel"
    literal = [s for s in sigs if any(isinstance(t, numba.types.Literal) for t in s)]
    assert not literal, f"compiled for literal arguments: {literal}"


def test_gemm_packed_refuses_what_the_tiles_would_read_wrongly():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 5)).astype(np.float32)
    W = rng.standard_normal((5, 9)).astype(np.float32)
    c = np.empty((6, 9), np.float32)
    with pytest.raises(ValueError, match="unit column stride"):
        _packed.gemm_packed(np.ascontiguousarray(a.T).T, _packed.pack(W), 0, c, False)   # a transposed view
    with pytest.raises(ValueError, match="unit column stride"):
        _packed.gemm_packed(a, _packed.pack(W), 0, np.empty((9, 6), np.float32).T, False)
    with pytest.raises(ValueError, match="panel width"):
        # float32 panels (wider) for a float64 product
        _packed.gemm_packed(a.astype(np.float64), _packed.pack(W), 0, c.astype(np.float64), False)
    with pytest.raises(ValueError, match="rows"):
        _packed.gemm_packed(a[:, :4], _packed.pack(W), 0, c, False)
    with pytest.raises(ValueError, match="beyond"):
        _packed.gemm_packed(a, _packed.pack(W), 1, c, False)


def _pad_rows(a, mr):
    """a with zero rows appended up to a multiple of mr (gemm_rows runs whole tiles only)."""
    out = np.zeros((-(-len(a) // mr) * mr, a.shape[1]), a.dtype)
    out[:len(a)] = a
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("M, K, N", [(1, 1, 1), (3, 5, 7), (7, 17, 40), (13, 9, 64), (21, 33, 100)])
def test_gemm_rows_matches_the_packed_product_bit_for_bit(dtype, M, K, N):
    """gemm_rows reads b in place (a row view with a stride wider than N, as the weight
    gradients read a block of dA) and gives gemm_packed's bits on pack(b): a partial last
    panel, accumulate, a padded to whole tiles (its zero rows give zero rows); and a
    float64 product within rounding."""
    rng = np.random.default_rng(M * 100 + N + 7)
    a = rng.standard_normal((M, K + 3)).astype(dtype)[:, 1:K + 1]       # row stride K + 3
    big = rng.standard_normal((K, N + 11)).astype(dtype)
    b = big[:, 5:5 + N]                                                # row stride N + 11
    a_pad = _pad_rows(a, _packed.MR)
    Mp = len(a_pad)
    c0 = rng.standard_normal((Mp, N + 4)).astype(dtype)
    for accumulate in (False, True):
        got, want = c0.copy(), c0.copy()
        _packed.gemm_rows(a_pad, b, got[:, 2:2 + N], accumulate)
        _packed.gemm_packed(a, _packed.pack(np.ascontiguousarray(b)), 0, want[:M, 2:2 + N], accumulate)
        np.testing.assert_array_equal(got[:M], want[:M])                # outside c untouched too
        np.testing.assert_array_equal(got[M:, 2:2 + N], c0[M:, 2:2 + N] if accumulate else 0.0)
        ref = a.astype(np.float64) @ b.astype(np.float64) + (c0[:M, 2:2 + N] if accumulate else 0)
        tol = TOL[dtype] * max(1.0, np.sqrt(K))
        np.testing.assert_allclose(got[:M, 2:2 + N], ref, rtol=tol, atol=tol)


def test_gemm_rows_refuses_what_the_tiles_would_read_wrongly():
    rng = np.random.default_rng(0)
    mr = _packed.MR
    a = rng.standard_normal((mr, 5)).astype(np.float32)
    b = rng.standard_normal((5, 9)).astype(np.float32)
    c = np.empty((mr, 9), np.float32)
    with pytest.raises(ValueError, match="unit column strides"):
        _packed.gemm_rows(a, np.ascontiguousarray(b.T).T, c, False)       # b a transposed view
    with pytest.raises(ValueError, match="unit column strides"):
        _packed.gemm_rows(np.ascontiguousarray(a.T).T, b, c, False)
    with pytest.raises(ValueError, match=r"\(K, N\)"):
        _packed.gemm_rows(a, b[:4], c, False)
    with pytest.raises(ValueError, match="multiple of the tile height"):
        _packed.gemm_rows(a[:mr - 1], b, c[:mr - 1], False)
    k0 = np.full((mr, 9), 3.0, np.float32)
    _packed.gemm_rows(a[:, :0], b[:0], k0, True)                         # an empty sum adds nothing
    np.testing.assert_array_equal(k0, 3.0)
    _packed.gemm_rows(a[:, :0], b[:0], k0, False)
    np.testing.assert_array_equal(k0, 0.0)


def _h_prev(h2, h0):
    """h_{t-1} of every flat (b, t) row of h2 (B*T, H): the row before, or h0[b] of its sequence at t = 0."""
    B, H = h0.shape
    T = h2.shape[0] // B
    return np.concatenate([h0[:, None], h2.reshape(B, T, H)[:, :-1]], axis=1).reshape(B * T, H)


@pytest.mark.parametrize("dtype, GH", [(np.float32, 1024), (np.float64, 512), (np.float32, 2048)])
@pytest.mark.parametrize("separate_A_h", [False, True])
def test_weight_grads_of_rows_4kb_apart_give_the_in_place_bits(dtype, GH, separate_A_h):
    """Where dA's rows lie a multiple of 4 KB apart, _weight_grads_rows copies each block to
    padded rows before its products (A_PAD): the same bits as the products on the blocks read
    in place (the loop of ``_weight_grads_rows`` before the copy, written out here), over several
    blocks and a partial last one, with dA_h dA itself (the LSTMs) or an array of its own (the GRU)."""
    assert (GH * np.dtype(dtype).itemsize) % 4096 == 0
    rng = np.random.default_rng(GH + separate_A_h)
    T, B, D, H, r0, r1 = 40, 8, 3, 20, 5, 2 * _common.ROWS + 30       # R = B*T = 2 * ROWS + 64 flat rows
    R = B * T
    A = rng.standard_normal((R, GH)).astype(dtype)
    A_h = rng.standard_normal((R, GH)).astype(dtype) if separate_A_h else A
    x2, h2 = rng.standard_normal((R, D)).astype(dtype), rng.standard_normal((R, H)).astype(dtype)
    h0 = rng.standard_normal((B, H)).astype(dtype)
    W_ih = rng.standard_normal((GH, D)).astype(dtype)
    Dp, Hp = -(-D // _packed.MR) * _packed.MR, -(-H // _packed.MR) * _packed.MR
    dx2, dW_ih_T, dW_hh_T = np.full((R, D), 7.0, dtype), np.empty((Dp, GH), dtype), np.empty((Hp, GH), dtype)
    _common._weight_grads_rows(r0, r1, A, A_h, x2, h2, h0, W_ih, dx2, dW_ih_T, dW_hh_T)
    h_prev = _h_prev(h2, h0)
    want_dx, want_ih, want_hh = np.full((R, D), 7.0, dtype), np.zeros((Dp, GH), dtype), np.zeros((Hp, GH), dtype)
    for q0 in range(r0, r1, _common.ROWS):
        q1 = min(r1, q0 + _common.ROWS)
        xT, hT = np.zeros((Dp, q1 - q0), dtype), np.zeros((Hp, q1 - q0), dtype)
        xT[:D] = x2[q0:q1].T
        hT[:H] = h_prev[q0:q1].T
        _packed.gemm_rows(xT, A[q0:q1], want_ih, True)
        _mm(A[q0:q1], W_ih, want_dx[q0:q1], 0.0)
        _packed.gemm_rows(hT, A_h[q0:q1], want_hh, True)
    np.testing.assert_array_equal(dW_ih_T, want_ih)
    np.testing.assert_array_equal(dW_hh_T, want_hh)
    np.testing.assert_array_equal(dx2, want_dx)                 # rows outside r0:r1 untouched
    ref = h_prev[r0:r1].T.astype(np.float64) @ A_h[r0:r1].astype(np.float64)
    np.testing.assert_allclose(dW_hh_T[:H], ref, rtol=TOL[dtype] * 20, atol=TOL[dtype] * 20)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, shape, rows", [(1, (8, 1024), 3), (4, (264, 1024), 256), (3, (21, 40), 21),
                                            (2, (16, 7), 13), (5, (5, 3), 0)])
def test_summed_transposed_is_sum_in_order_transposed(dtype, n, shape, rows):
    """finish_weight_grads' sum of the jobs' shares and its transpose in one pass (blocks of 8 rows,
    then the rest) gives the bits of NumPy's sum in job order (``sum_in_order``), transposed, as a new
    C-ordered array."""
    P = np.random.default_rng(rows).standard_normal((n,) + shape).astype(dtype)
    got = _common._summed_transposed(P, rows)
    np.testing.assert_array_equal(got, np.ascontiguousarray(_common.sum_in_order(P)[:rows].T))
    assert got.flags.c_contiguous and got.shape == (shape[1], rows) and not np.shares_memory(got, P)


@pytest.mark.parametrize("q0, q1", [(0, 128), (1, 129), (37, 165), (40, 41), (39, 40), (0, 1), (200, 320)])
def test_transpose_h_prev_puts_h0_at_t0(q0, q1):
    """The weight gradients' h_{t-1} block of flat rows q0:q1: the row before, or h0 of the row's
    sequence where t = 0 (row 0 included, whose row -1 does not exist)."""
    B, T, H = 8, 40, 20
    rng = np.random.default_rng(q0)
    h2, h0 = rng.standard_normal((B * T, H)), rng.standard_normal((B, H))
    out = np.full((24, _common.T_STRIDE), np.nan)
    got = _common._transpose_h_prev(h2, h0, q0, q1, out)
    h_prev = _h_prev(h2, h0)
    np.testing.assert_array_equal(got[:H], h_prev[q0:q1].T)


@pytest.mark.parametrize("cell, dtype, H", [("lstm", np.float32, 256), ("lstm", np.float64, 128),
                                            ("peephole", np.float32, 256)])
def test_backward_with_dA_rows_4kb_apart_matches_numpy(cell, dtype, H, monkeypatch):
    """A whole backward pass where dA's rows are 4 KB apart (4H numbers of the dtype), so that
    the weight gradients copy dA's blocks (A_PAD), cut into chunks, against the NumPy reference."""
    monkeypatch.setattr(_common, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_common, "PARALLEL_MIN_CALL_WORK", 0)
    monkeypatch.setattr(_common, "MIN_CHUNK_ROWS", 2)
    B, T, D = 4, 70, 3                                   # a job's 140 rows: a full block and a partial one
    p = make_params(cell, B, T, D, H, dtype=dtype, seed=5, scale=0.8 / np.sqrt(H))
    ref, cpu = forward(cell, p, "numpy"), forward(cell, p, "cpu")
    rng = np.random.default_rng(6)
    dh_seq = rng.standard_normal((B, T, H)).astype(dtype)
    g_ref, g_cpu = backward(cell, dh_seq, ref[3]), backward(cell, dh_seq, cpu[3])
    tol = TOL[dtype] * 10
    for k in g_ref:
        scale = max(1.0, float(np.abs(g_ref[k]).max()))
        np.testing.assert_allclose(g_cpu[k], g_ref[k], rtol=tol, atol=tol * scale, err_msg=f"{cell} {k}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pack_blocks_packs_each_column_block_on_its_own(dtype):
    """(K, N) cut into 3 column blocks, each zero-padded to whole panels; each block
    multiplies like its columns of W."""
    rng = np.random.default_rng(1)
    nr = _packed.panel_width(dtype)
    K, w = 7, nr + 5                      # each block: one full panel and a partial one
    W = rng.standard_normal((K, 3 * w)).astype(dtype)
    Wp = _packed.pack_blocks(W, 3)
    assert Wp.shape == (3, 2, K, nr)
    a = rng.standard_normal((4, K)).astype(dtype)
    for k in range(3):
        np.testing.assert_array_equal(Wp[k, 0], W[:, k * w:k * w + nr])
        np.testing.assert_array_equal(Wp[k, 1, :, :5], W[:, k * w + nr:(k + 1) * w])
        np.testing.assert_array_equal(Wp[k, 1, :, 5:], 0.0)
        c = np.empty((4, w), dtype)
        _packed.gemm_packed(a, Wp[k], 0, c, False)
        np.testing.assert_allclose(c, a @ W[:, k * w:(k + 1) * w], rtol=1e-5, atol=1e-5)



@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("view", ["C", "transposed", "columns"])
def test_pack_blocks_of_whole_panels_puts_every_column_in_its_panel(dtype, view):
    """Blocks of whole panels take a path without padding: panel p of block k holds columns
    k*w + p*NR .. of W, for a C-ordered W and for the views the kernels pass (a transpose,
    a column slice)."""
    rng = np.random.default_rng(2)
    nr = _packed.panel_width(dtype)
    K, nblk, n_p = 5, 2, 3
    N = nblk * n_p * nr
    if view == "C":
        W = rng.standard_normal((K, N)).astype(dtype)
    elif view == "transposed":
        W = rng.standard_normal((N, K)).astype(dtype).T
    else:
        W = rng.standard_normal((K, N + 4)).astype(dtype)[:, 4:]
    for blocks in (1, nblk):
        Wp = _packed.pack_blocks(W, blocks)
        w = N // blocks
        assert Wp.shape == (blocks, w // nr, K, nr) and Wp.flags.c_contiguous
        for k in range(blocks):
            for p in range(w // nr):
                np.testing.assert_array_equal(Wp[k, p], W[:, k * w + p * nr:k * w + (p + 1) * nr])

def test_gemm_packed_narrow_tile_for_cpus_without_avx512(tmp_path):
    """The 4 x 16 float32 tile that CPUs without AVX-512 get, compiled for Haswell
    (NUMBA_CPU_NAME) in a fresh interpreter, against NumPy (and gemm_rows on it)."""
    code = textwrap.dedent("""
        import numpy as np
        from rnncore.cpu import _packed
        assert (_packed.VECTOR_BYTES, _packed.MR) == (32, 4), (_packed.VECTOR_BYTES, _packed.MR)
        rng = np.random.default_rng(0)
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            for M, K, N in ((1, 3, 5), (7, 9, 40), (13, 17, 64)):
                a = rng.standard_normal((M, K)).astype(dtype)
                W = rng.standard_normal((K, N)).astype(dtype)
                c = np.empty((M, N), dtype)
                _packed.gemm_packed(a, _packed.pack(W), 0, c, False)
                ref = a.astype(np.float64) @ W.astype(np.float64)
                np.testing.assert_allclose(c, ref, rtol=tol, atol=tol * np.sqrt(K))
                a_pad = np.zeros((-(-M // 4) * 4, K), dtype)
                a_pad[:M] = a
                c2 = np.empty((len(a_pad), N), dtype)
                _packed.gemm_rows(a_pad, W, c2, False)           # the same tiles, W read in place
                np.testing.assert_array_equal(c2[:M], c)
        print("ok")
    """)
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


@njit
def _borrow_and_write(a, b):
    a2, b2 = _common.borrowed((a, b))
    a2[0] = 7.0                       # the same data: written through the borrowed view
    b2[1, :] = a2[0]
    return a2.shape == a.shape and b2.strides == b.strides


def test_borrowed_arrays_are_the_same_data():
    a, b = np.zeros(3), np.zeros((2, 4), dtype=np.float32)
    assert _borrow_and_write(a, b)
    assert a[0] == 7.0 and np.all(b[1] == 7.0) and np.all(b[0] == 0.0)


def _scratch_checksum(keep):
    """A borrowed scratch array of ones, then new arrays of the same size filled with 2.0:
    if the owner were freed early, they could take its memory."""
    def checksum(n):
        owner = np.ones(n)
        s, = _common.borrowed((owner,))
        total = 0.0
        for _ in range(20):
            other = np.full(n, 2.0)
            total += other[0]
            total += s.sum() - n            # 0 while s still holds its ones
        if keep:
            _common.alive(owner)
        return total
    return njit(checksum)(1000)


def test_alive_keeps_the_owner_of_a_borrowed_scratch_array():
    # without alive(owner), Numba frees it right after borrowed() (its last use): the control
    # shows that the test can tell (the allocator hands that block to the next array of its size)
    assert _scratch_checksum(keep=True) == 40.0
    assert _scratch_checksum(keep=False) != 40.0


def test_the_lstm_forward_driver_counts_no_references_inside_its_loops(tmp_path):
    # _common.BORROWED: views of borrowed arrays do no atomic reference counting. Compiled afresh
    # (inspect_llvm needs it) in a child, the driver's IR read by tools/refcounts_in_loops.py.
    tool_py = Path(__file__).resolve().parent.parent / "tools" / "refcounts_in_loops.py"
    spec = importlib.util.spec_from_file_location("refcounts_in_loops", tool_py)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    child = textwrap.dedent("""
        import sys
        import numpy as np
        from rnncore.cpu import lstm
        B, T, D, H = 8, 3, 2, 16
        z = np.zeros
        lstm.forward(z((B, T, D)), z((4 * H, D)), z((4 * H, H)), z(4 * H), z(4 * H), z((B, H)), z((B, H)))
        open(sys.argv[1], "w").write(next(iter(lstm._forward_jobs.inspect_llvm().values())))
    """)
    out = tmp_path / "lstm_forward_jobs.ll"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-c", child, str(out)], check=True, env=env)
    counts = tool.refcounts_by_depth(out.read_text(), "_forward_jobs")
    assert sum(n for (depth, _), n in counts.items() if depth == 0) > 0       # the analysis sees the calls
    assert sum(n for (depth, _), n in counts.items() if depth >= 2) == 0      # none per step, row or unit
