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
    whatever the load of the test run), the record of started cells emptied, and the weight
    gradients taken as cached."""
    monkeypatch.setenv("RNNCORE_BACKGROUND_COMPILE", "1")
    monkeypatch.setattr(_background, "_started", set())
    monkeypatch.setattr(_background, "_children", {})
    monkeypatch.setattr(_background, "_wg_children", {})
    # and no cell's first call done yet in the functional API, which waits for a child at the first
    # backward only (at most one child per cell and dtype is started, before that backward)
    monkeypatch.setattr(functional, "_WARM", set())
    # the weight gradients cached (one child), whatever this process has compiled; the test of
    # the second child says otherwise
    monkeypatch.setattr(_background, "_weight_grads_cached", lambda dtype: True)
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
    """The child's function, called here: it swaps the kernels' job runner and the weight
    gradients out for its tiny call, and puts them back."""
    _background.compile_backward(cell, "float64", "relu")
    assert mod.run_chunk_jobs is _common.run_chunk_jobs
    assert mod.weight_grads is _common.weight_grads


def test_the_child_command_runs():
    """What start() runs, run here on a cell the suite has compiled (so it only loads)."""
    r = subprocess.run([sys.executable, "-c", _background._CHILD, "rnn", "float32", "tanh"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def test_a_second_child_for_the_weight_gradients(spawned, monkeypatch):
    """Neither the recurrence nor the weight gradients cached: two children; the backward call
    leaves the weight gradients to the second (it does not compile them itself), waits for
    both, and a failed second child changes nothing."""
    monkeypatch.setattr(_background, "_backward_cached", lambda cell, dtype: False)
    monkeypatch.setattr(_background, "_weight_grads_cached", lambda dtype: False)
    monkeypatch.setattr(_background, "_CHILD_WG", "import sys; sys.exit(4)")
    here = []
    monkeypatch.setattr(_background, "_weight_grads_tiny", lambda *a: here.append(a))
    out = _train_step()
    assert len(spawned) == 2, "no second child for the weight gradients"
    (_, recurrence), (argv, wg) = spawned
    assert argv[-2:] == ["rnn", "float64"]
    assert recurrence.returncode is not None and wg.returncode == 4, "the backward call did not wait for both"
    assert here == [], "the weight gradients were compiled here too"
    (h_ref, g_ref), (h, g) = out["numpy"], out["cpu"]
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-12)
    for k in g_ref:
        np.testing.assert_allclose(g[k], g_ref[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_weight_grads_cached_sees_what_each_cell_compiles():
    for cell in ("rnn", "lstm"):
        _background._weight_grads_tiny(cell, "float64")
        assert _background._weight_grads_cached(np.float64)
    assert _background._weight_grads_cached("not a dtype")                 # unexpected: start nothing


def test_weight_gradients_compile_once_per_dtype():
    """Every cell's backward gives weight_grads the same argument types (the LSTMs' W_ih, a column
    view of [W_ih | W_hh], made contiguous): one compile of each dtype serves all four cells."""
    from rnncore.cpu._common import _weight_grads_jobs
    for cell in ("rnn", "lstm", "gru", "peephole"):
        _background._weight_grads_tiny(cell, "float32")
    rng = np.random.default_rng(0)
    for fw, bw, G in ((rc.lstm_forward, rc.lstm_backward, 4), (rc.gru_forward, rc.gru_backward, 3)):
        x = rng.standard_normal((2, 3, 2)).astype(np.float32)
        W = [rng.standard_normal(s).astype(np.float32) for s in ((G * 4, 2), (G * 4, 4), (G * 4,), (G * 4,))]
        h, *_, cache = fw(x, *W)
        bw(np.ones_like(h), cache)
    float32 = [sig for sig in _weight_grads_jobs.signatures if str(sig[3].dtype) == "float32"]
    assert len(float32) == 1, float32


def test_the_weight_gradients_child_command_runs():
    r = subprocess.run([sys.executable, "-c", _background._CHILD_WG, "gru", "float32"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
