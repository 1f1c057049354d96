"""Large arrays over kept pages (``rnncore.cpu._reuse``): the memory of an array goes back to be
reused only once no array or view holds it, never to a forked child, and kernels give the same
bits on reused pages as on fresh ones."""
import gc
import os
import sys

import numpy as np
import pytest

from _cells import CELLS, HAS_C, backward, forward, make_params
from rnncore.cpu import _reuse

MiB = 1024 * 1024

pytestmark = pytest.mark.skipif(not _reuse.enabled(), reason="no anonymous private mappings here (or RNNCORE_REUSE_PAGES=0)")


@pytest.fixture
def small_min(monkeypatch):
    """Arrays of 32 KiB and up go through kept mappings (instead of 32 MiB: tests stay small)."""
    monkeypatch.setattr(_reuse, "MIN_BYTES", 32 * 1024)
    gc.collect()                                             # arrays of earlier tests freed first
    _reuse.release()
    yield
    gc.collect()
    _reuse.release()


def test_memory_is_reused_only_once_no_view_holds_it(small_min):
    a = _reuse.empty((64, 1024), np.float32)                 # 256 KiB
    assert a.shape == (64, 1024) and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable
    a[:] = 4.0
    where = a.ctypes.data
    view = a[10:20, ::3]
    del a
    gc.collect()
    assert _reuse.kept_bytes() == 0                          # a view still holds it
    b = _reuse.empty((64, 1024), np.float32)
    assert b.ctypes.data != where                            # so this one gets other memory
    view[:] = 1.0
    b[:] = 2.0
    assert (view == 1.0).all()
    del view
    gc.collect()
    assert _reuse.kept_bytes() == 256 * 1024
    c = _reuse.empty((1024, 64), np.float32)                 # the same size, another shape: reused
    assert c.ctypes.data == where and _reuse.kept_bytes() == 0
    assert (c.reshape(64, 1024)[:10] == 4.0).all() and (c.reshape(64, 1024)[10:20, ::3] == 1.0).all()
    d = _reuse.empty((2, 64, 1024), np.float32)              # another size: fresh
    assert d.ctypes.data not in (where, b.ctypes.data)


def test_release_memory_is_public(small_min):
    """``rnncore.cpu.release_memory()`` lets the kept mappings go (a notebook done with a large model)."""
    import rnncore.cpu
    a = _reuse.empty((64, 1024), np.float32)
    del a
    gc.collect()
    assert rnncore.cpu.kept_bytes() == 256 * 1024
    rnncore.cpu.release_memory()
    assert rnncore.cpu.kept_bytes() == 0


def test_small_arrays_and_the_switch_are_plain_numpy(small_min, monkeypatch):
    assert _reuse.empty((10, 10), np.float64).flags.owndata               # under MIN_BYTES
    monkeypatch.setenv("RNNCORE_REUSE_PAGES", "0")
    assert _reuse.empty((64, 1024), np.float32).flags.owndata             # switched off


def test_the_oldest_kept_mappings_go_past_keep_bytes(small_min, monkeypatch):
    monkeypatch.setattr(_reuse, "KEEP_BYTES", 600 * 1024)
    arrays = [_reuse.empty((n, 1024), np.float32) for n in (64, 65, 66)]  # 256, 260, 264 KiB
    for k in range(3):                                                     # freed in this order
        arrays[k][:] = 5.0
        arrays[k] = None
    gc.collect()
    assert _reuse.kept_bytes() == (65 + 66) * 4096                         # the first freed went
    fresh = _reuse.empty((64, 1024), np.float32)                          # held: freed, it would push
    assert (fresh == 0).all()                                              # fresh pages (zeros), not its 5s
    assert (_reuse.empty((65, 1024), np.float32) == 5).all()              # kept: the old numbers
    _reuse.release()
    assert _reuse.kept_bytes() == 0
    assert (_reuse.empty((66, 1024), np.float32) == 0).all()              # let go: fresh again


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_its_own_copy(small_min):
    a = _reuse.empty((64, 1024), np.float32)
    a[:] = 3.0
    where = a.ctypes.data
    del a
    gc.collect()
    pid = os.fork()
    if pid == 0:                                             # the child: takes the kept mapping, writes
        code = 1
        try:
            b = _reuse.empty((64, 1024), np.float32)
            b[:] = 7.0
            code = 0 if b.ctypes.data == where else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    c = _reuse.empty((64, 1024), np.float32)
    assert c.ctypes.data == where and (c == 3.0).all()      # the parent's numbers, not the child's


@pytest.mark.parametrize("cell", CELLS)
def test_kernels_give_the_same_bits_on_kept_pages(cell, small_min, monkeypatch):
    """A forward and backward whose (B, T, ...) arrays lie in kept mappings (the second and third
    call reuse the first's), against the same calls on plain arrays."""
    B, T, D, H = 8, 40, 3, 32                                # (B, T, H) float32: 40 KiB
    p = make_params(cell, B, T, D, H, dtype=np.float32, seed=2, scale=0.3)
    rng = np.random.default_rng(3)
    dh_seq = rng.standard_normal((B, T, H)).astype(np.float32)
    dc_T = rng.standard_normal((B, H)).astype(np.float32) if cell in HAS_C else None

    def run():
        h_seq, h_T, c_T, cache = forward(cell, p, "cpu")
        g = backward(cell, dh_seq, cache, None, dc_T)
        return [h_seq, h_T] + ([c_T] if c_T is not None else []) + [g[k] for k in sorted(g) if g[k] is not None]
    monkeypatch.setenv("RNNCORE_REUSE_PAGES", "0")
    want = run()
    monkeypatch.delenv("RNNCORE_REUSE_PAGES")
    for _ in range(3):
        got = run()
        assert len(got) == len(want)
        for w, g in zip(want, got):
            np.testing.assert_array_equal(g, w)
    gc.collect()
    assert _reuse.kept_bytes() > 0                           # the arrays went through kept mappings
