"""The second process that compiles a cell's backward kernels during a cold start
(rnncore/cpu/_background.py). The end-to-end run, from an empty cache, with the bits
compared to kernels compiled in one process, is in test_determinism.py
(test_same_bits_freshly_compiled_and_from_the_cache); here, what must hold whatever the
child does."""
import os
import subprocess
import sys

import numpy as np
import pytest

import rnncore as rc
from rnncore import functional
from rnncore.cpu import _background, _common, gru, rnn


@pytest.fixture
def spawned(monkeypatch):
    """Children started during the test, as [argv, Popen]; RNNCORE_BACKGROUND_COMPILE=1 (on
    whatever the load of the test run), and the record of started cells emptied."""
    monkeypatch.setenv("RNNCORE_BACKGROUND_COMPILE", "1")
    monkeypatch.setattr(_background, "_started", set())
    monkeypatch.setattr(_background, "_children", {})
    # and no cell's first call done yet in the functional API, which waits for a child at the first
    # backward only (at most one child per cell and dtype is started, before that backward)
    monkeypatch.setattr(functional, "_WARM", set())
    seen = []
    real = subprocess.Popen

    def popen(argv, **kw):
        p = real(argv, **kw)
        seen.append([argv, p])
        return p
    monkeypatch.setattr(_background.subprocess, "Popen", popen)
    return seen


def _train_step(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    B, T, D, H = 3, 4, 2, 5
    x = rng.standard_normal((B, T, D)).astype(dtype)
    W = [(rng.standard_normal(s) * 0.4).astype(dtype) for s in ((H, D), (H, H), (H,), (H,))]
    out = {}
    for backend in ("numpy", "cpu"):
        h, _, cache = rc.rnn_forward(x, *W, backend=backend)
        out[backend] = (h, rc.rnn_backward(np.ones_like(h), cache))
    return out


@pytest.mark.parametrize("idle, started", [(1.0, 1), (0.8, 1), (0.5, 0), (0.0, 0), (None, 1)])
def test_left_to_itself_only_with_a_core_to_spare(spawned, monkeypatch, idle, started):
    """The variable unset: a child only when at least 3/4 of a core was idle (or where that
    cannot be read)."""
    monkeypatch.delenv("RNNCORE_BACKGROUND_COMPILE")
    monkeypatch.setattr(_background, "_idle_cores", lambda: idle)
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    monkeypatch.setattr(_background, "_CHILD", "pass")
    _train_step()
    assert len(spawned) == started


def test_idle_cores_reads_this_machine():
    idle = _background._idle_cores()
    assert idle is None or 0.0 <= idle <= (os.cpu_count() or 1) + 1e-9


def test_a_failed_child_changes_nothing(spawned, monkeypatch):
    """The child exits with an error: the backward call compiles (here: loads) its kernels
    itself and the results are right."""
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    monkeypatch.setattr(_background, "_CHILD", "import sys; sys.exit(3)")
    out = _train_step()
    assert len(spawned) == 1, "no child was started at the first training forward"
    argv, child = spawned[0]
    assert argv[-3:] == ["rnn", "float64", "tanh"]
    assert child.returncode == 3, "the backward call did not wait for the child"
    (h_ref, g_ref), (h, g) = out["numpy"], out["cpu"]
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-12)
    for k in g_ref:
        np.testing.assert_allclose(g[k], g_ref[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_one_child_per_cell_and_dtype_and_none_when_cached(spawned, monkeypatch):
    monkeypatch.setattr(_background, "_CHILD", "pass")
    monkeypatch.setenv("RNNCORE_BACKGROUND_COMPILE", "0")
    _train_step()                                  # now these kernels are compiled or loaded
    monkeypatch.setenv("RNNCORE_BACKGROUND_COMPILE", "1")
    monkeypatch.setattr(_background, "_started", set())
    monkeypatch.setattr(functional, "_WARM", set())
    _train_step()                                  # cached: nothing to do
    assert spawned == []
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    monkeypatch.setattr(_background, "_started", set())
    monkeypatch.setattr(functional, "_WARM", set())
    _train_step()
    _train_step(seed=1)                            # the same cell and dtype again: no second child
    assert len(spawned) == 1


def test_off_with_the_environment_variable(spawned, monkeypatch):
    monkeypatch.setenv("RNNCORE_BACKGROUND_COMPILE", "0")
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    _train_step()
    assert spawned == []


def test_inference_starts_nothing(spawned, monkeypatch):
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    x = np.zeros((2, 3, 1))
    W = [np.zeros(s) for s in ((4, 1), (4, 4), (4,), (4,))]
    rc.rnn_forward(x, *W, keep_cache=False)
    assert spawned == []


def test_backward_cached_sees_kernels_compiled_in_this_process():
    _train_step(np.float32)
    assert _background._backward_cached("rnn", np.float32)


@pytest.mark.parametrize("cell, mod", [("rnn", rnn), ("gru", gru)])
def test_compile_backward_leaves_the_module_as_it_was(cell, mod):
    """The child's function, called here: it swaps the kernels' job runner out for the forward
    of its tiny call, and puts it back."""
    _background.compile_backward(cell, "float64", "relu")
    assert mod.run_chunk_jobs is _common.run_chunk_jobs
    assert mod.finish_weight_grads is _common.finish_weight_grads


def test_the_child_leaves_the_finish_to_the_waiting_parent(monkeypatch):
    """The child's backward skips ``finish_weight_grads`` (its sum and transpose compile in the parent,
    which waits meanwhile); ``wait`` compiles them before it waits for a child, and only then."""
    called = []
    monkeypatch.setattr(rnn, "finish_weight_grads", lambda *a, **k: called.append("child") or (None, None, None))
    _background.compile_backward("rnn", "float32", "tanh")
    assert called == []
    monkeypatch.setattr(_common, "compile_finish", lambda dtype: called.append(np.dtype(dtype)))

    class Child:
        def wait(self, timeout):
            called.append("waited")
    _background._children[("rnn", np.dtype(np.float32))] = Child()
    _background.wait("rnn", np.float32)
    _background.wait("rnn", np.float32)                  # no child left: nothing to compile or wait for
    assert called == [np.dtype(np.float32), "waited"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compile_finish_compiles_what_finish_weight_grads_runs(dtype):
    _common.compile_finish(dtype)
    fn = _common._sum_transposed
    sigs = set(fn.signatures) | {key[0] for key in fn._cache._cache_file._load_index()}
    assert any(str(sig[0].dtype) == np.dtype(dtype).name for sig in sigs), sigs


def test_the_child_command_runs():
    """What start() runs, run here on a cell the suite has compiled (so it only loads)."""
    r = subprocess.run([sys.executable, "-c", _background._CHILD, "rnn", "float32", "tanh"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def test_weight_gradients_compile_once_per_dtype():
    """Every cell's backward jobs give _weight_grads_rows the same argument types (the LSTMs' W_ih, a
    column view of [W_ih | W_hh], made contiguous; with and without dx): one compile of each dtype
    serves all four cells, whichever compiles it first."""
    from rnncore.cpu._common import _weight_grads_rows
    rng = np.random.default_rng(0)
    cells = ((rc.rnn_forward, rc.rnn_backward, 1, ()), (rc.lstm_forward, rc.lstm_backward, 4, ()),
             (rc.gru_forward, rc.gru_backward, 3, ()),
             (rc.peephole_lstm_forward, rc.peephole_lstm_backward, 4, ((3, 4),)))
    for fw, bw, G, extra in cells:
        x = rng.standard_normal((2, 3, 2)).astype(np.float32)
        W = [rng.standard_normal(s).astype(np.float32) for s in ((G * 4, 2), (G * 4, 4), (G * 4,), (G * 4,)) + extra]
        h, *_, cache = fw(x, *W)
        for need_dx in (True, False):
            bw(np.ones_like(h), cache, need_dx=need_dx)
    # compiled here, or loaded with the drivers from Numba's disk cache (then only its index knows it)
    sigs = set(_weight_grads_rows.signatures) | {key[0] for key in _weight_grads_rows._cache._cache_file._load_index()}
    float32 = [sig for sig in sigs if str(sig[2].dtype) == "float32"]
    assert len(float32) == 1, float32
