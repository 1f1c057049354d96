"""Same inputs, same bits: on one machine the CPU backend's float32 and float64
results do not depend on keep_cache, on the thread count (1, 2, 4), or on whether
the kernels were just compiled or loaded from Numba's cache.

Why they could: fast-math lets LLVM contract a*b + c into an FMA in one compiled
copy of a loop and not in another (the vectorised body and its scalar remainder;
two differently inlined kernels), and sums over batch chunks change with the
number of chunks. The kernels are compiled without fast-math contraction or
reassociation, and the chunks depend on the shape only (``rnncore.cpu._common``).
Across CPUs results agree to a few ulps only (test_backends_agree.TOL).
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from _cells import CELLS, HAS_C, backward, forward, make_params

ROOT = Path(__file__).resolve().parents[1]

# A child interpreter: forward + backward of the given (cell, dtype) cases, at a shape cut
# into several batch chunks, under each thread count; prints the SHA-256 of all the bits.
CHILD = textwrap.dedent("""
    import hashlib, json, sys
    import numba, numpy as np
    sys.path.insert(0, {tests!r})
    from _cells import HAS_C, backward, forward, make_params
    out = {{}}
    for cell, dtype in {cases!r}:
        dtype = np.dtype(dtype)
        for threads in {threads!r}:
            numba.set_num_threads(threads)
            B, T, D, H = 48, 20, 16, 64
            p = make_params(cell, B, T, D, H, dtype=dtype, seed=1, scale=0.3)
            rng = np.random.default_rng(2)
            dh = rng.standard_normal((B, T, H)).astype(dtype)
            dc = rng.standard_normal((B, H)).astype(dtype) if cell in HAS_C else None
            *outs, cache = forward(cell, p, "cpu")
            grads = backward(cell, dh, cache, None, dc)
            h = hashlib.sha256()
            for a in [o for o in outs if o is not None] + [grads[k] for k in sorted(grads)]:
                h.update(np.ascontiguousarray(a).tobytes())
            out[f"{{cell}} {{dtype.name}} {{threads}}"] = h.hexdigest()
    # how each cell's backward recurrence came into this process: compiled here, or loaded
    # from the cache (where rnncore.cpu._background's child put it)
    import importlib
    jobs = [importlib.import_module(f"rnncore.cpu.{{m}}")._backward_jobs for m in ("rnn", "lstm", "gru", "peephole")]
    out["backward compiled here"] = sum(j.stats.cache_misses.total() for j in jobs)
    out["backward loaded"] = sum(j.stats.cache_hits.total() for j in jobs)
    print(json.dumps(out))
""")


def _child(cases, threads, env_extra):
    code = CHILD.format(tests=str(ROOT / "tests"), cases=list(cases), threads=list(threads))
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS=str(max(threads)), **env_extra)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_shape_of_the_children_is_cut_into_chunks():
    from rnncore.cpu import _common
    assert len(_common.batch_chunks(48, 20, 16, 64, 1)) >= 2, "the thread-count test would run one job only"


def test_same_bits_with_1_2_and_4_threads():
    got = _child([(cell, dtype) for cell in CELLS for dtype in ("float32", "float64")], (1, 2, 4), {})
    for key in got:
        if key.endswith(" 1"):
            base = key[:-2]
            assert got[f"{base} 2"] == got[key], f"{base}: 2 threads differ from 1"
            assert got[f"{base} 4"] == got[key], f"{base}: 4 threads differ from 1"


def test_same_bits_freshly_compiled_and_from_the_cache(tmp_path):
    """A fresh compile (empty NUMBA_CACHE_DIR), the same kernels loaded from that cache
    in a second interpreter, and this interpreter's kernels give the same bits.

    Two cases cover both activation branches of the kernels and both dtypes: the float32 LSTM
    (the rational tanh, the fmuladd cell update) and the float64 relu RNN (a relu model compiles
    both sides of every activation branch, so float64's exp-based tanh too). Each case is a full
    compile in the fresh child, the slowest part of the suite, so not all combinations; the RNN
    compiles in about half an LSTM's time (this test alone: 29.6 s with a float64 relu LSTM,
    19.8 s with the RNN, 2026-12-03)."""
    cases = (("lstm", "float32"), ("rnn_relu", "float64"))
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    # The fresh run as a user's first one: the backward recurrence compiled by a second process
    # while this one compiles the forward (rnncore.cpu._background), then loaded from the cache.
    fresh = _child(cases, (2,), dict(env, RNNCORE_BACKGROUND_COMPILE="1"))
    assert (fresh.pop("backward compiled here"), fresh.pop("backward loaded")) == (0, len(cases)), \
        "the fresh run compiled its backward kernels itself: the background compile did not happen"
    assert len(fresh) == len(cases)
    assert any(tmp_path.rglob("*.nbi")), "nothing was cached"
    cached = _child(cases, (2,), env)
    here = _child(cases, (2,), {})
    for run in (cached, here):
        del run["backward compiled here"], run["backward loaded"]
    assert fresh == cached == here


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", CELLS)
def test_same_bits_with_and_without_the_cache(cell, dtype):
    """keep_cache=False (the CPU LSTM then runs other code: no per-step arrays) gives
    the outputs of keep_cache=True bit for bit, at a shape cut into chunks."""
    p = make_params(cell, 48, 20, 16, 64, dtype=dtype, seed=5, scale=0.3)
    *kept, _ = forward(cell, p, "cpu")
    *inferred, _ = forward(cell, p, "cpu", keep_cache=False)
    for a, b in zip(kept, inferred):
        if a is not None:
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("cell", ["lstm", "peephole", "gru"])
def test_gradients_same_bits_on_repeated_calls(cell):
    """Backward twice on one cache, and forward + backward twice: the same bits."""
    p = make_params(cell, 48, 20, 16, 64, dtype=np.float32, seed=6, scale=0.3)
    dh = np.random.default_rng(0).standard_normal((48, 20, 64)).astype(np.float32)
    dc = np.ones((48, 64), np.float32) if cell in HAS_C else None
    g = [backward(cell, dh, forward(cell, p, "cpu")[3], None, dc) for _ in range(2)]
    for k in g[0]:
        assert g[0][k].tobytes() == g[1][k].tobytes(), k


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_without_dx_the_other_gradients_are_the_same_bits(cell, dtype, backend):
    """need_dx=False (a network's first layer): "dx" is None, and every other gradient has the
    bits of a backward that computes dx (the CPU kernels skip the product dA W_ih, which
    nothing else reads), at a shape cut into chunks."""
    p = make_params(cell, 48, 20, 16, 64, dtype=dtype, seed=7, scale=0.3)
    dh = np.random.default_rng(1).standard_normal((48, 20, 64)).astype(dtype)
    dc = np.ones((48, 64), dtype) if cell in HAS_C else None
    cache = forward(cell, p, backend)[3]
    full = backward(cell, dh, cache, None, dc)
    skipped = backward(cell, dh, cache, None, dc, need_dx=False)
    assert full["dx"] is not None and skipped["dx"] is None
    assert set(full) == set(skipped)
    for k in full:
        if k != "dx":
            assert full[k].tobytes() == skipped[k].tobytes(), k
    with pytest.raises(TypeError, match="need_dx must be True or False"):
        backward(cell, dh, cache, None, dc, need_dx="no")
