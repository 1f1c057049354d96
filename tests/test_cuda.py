"""backend="cuda": the Numba CUDA kernels against the NumPy reference.

Without a GPU the kernels run in Numba's CUDA simulator (one Python thread per
CUDA thread), so every size here is tiny. Tolerances: float64 1e-10, float32 1e-5.
"""
import os

if not os.path.exists("/dev/nvidiactl"):          # must precede any numba.cuda import
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnncore as rc  # noqa: E402
import rnncore.cuda  # noqa: E402
from rnncore import reference  # noqa: E402

pytestmark = pytest.mark.skipif(not rnncore.cuda.is_available(), reason="no GPU and no CUDA simulator")

if rnncore.cuda.is_available():
    from numba import cuda  # noqa: E402

    from rnncore.cuda import _kernels_common as kc  # noqa: E402
    from rnncore.cuda import gru as cgru, lstm as clstm, persistent as pk, rnn as crnn  # noqa: E402

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "lstm_relu": 4, "gru_relu": 3}
TOL = {np.float64: 1e-10, np.float32: 1e-5}
GRAD_KEYS = ("dx", "dh0", "dW_ih", "dW_hh", "db_ih", "db_hh")


def make(cell, B=2, T=3, D=3, H=5, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    p = {
        "x": rng.standard_normal((B, T, D)),
        "W_ih": rng.standard_normal((G * H, D)) * 0.5,
        "W_hh": rng.standard_normal((G * H, H)) * 0.5,
        "b_ih": rng.standard_normal(G * H) * 0.2,
        "b_hh": rng.standard_normal(G * H) * 0.2,
        "h0": rng.standard_normal((B, H)) * 0.5,
        "c0": rng.standard_normal((B, H)) * 0.5,
        "dh_seq": rng.standard_normal((B, T, H)),
        "dh_T": rng.standard_normal((B, H)),
        "dc_T": rng.standard_normal((B, H)),
    }
    return {k: a.astype(dtype) for k, a in p.items()}


def split(cell):
    """'lstm_relu' -> ('lstm', 'relu'); 'gru' -> ('gru', 'tanh')."""
    kind, _, act = cell.partition("_")
    return kind, act or "tanh"


def run_backend(mod, cell, p, **kw):
    """Forward + backward of one backend module (reference or cuda): (outputs, grads, data)."""
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], p["h0"])
    kind, act = split(cell)
    if kind == "rnn":
        h_seq, h_T, data = mod.forward(*w, act, **kw)
        return (h_seq, h_T), mod.backward(p["dh_seq"], data, p["dh_T"]), data
    if kind == "lstm":
        h_seq, h_T, c_T, data = mod.forward(*w, p["c0"], act, **kw)
        return (h_seq, h_T, c_T), mod.backward(p["dh_seq"], data, p["dh_T"], p["dc_T"]), data
    h_seq, h_T, data = mod.forward(*w, act, **kw)
    return (h_seq, h_T), mod.backward(p["dh_seq"], data, p["dh_T"]), data


def ref_mod(cell):
    return getattr(reference, cell.split("_")[0])


def cuda_mod(cell):
    return {"rnn": crnn, "lstm": clstm, "gru": cgru}[cell.split("_")[0]]


def assert_close(got, want, dtype, what=""):
    tol = TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


def assert_matches_reference(cell, p, outs, grads, dtype):
    r_outs, r_grads, _ = run_backend(ref_mod(cell), cell, p)
    for name, g, w in zip(("h_seq", "h_T", "c_T"), outs, r_outs):
        assert g.dtype == dtype
        assert_close(g, w, dtype, f"{cell} {name}")
    keys = GRAD_KEYS + (("dc0",) if split(cell)[0] == "lstm" else ())
    assert set(grads) == set(keys)
    for k in keys:
        assert grads[k].dtype == dtype
        assert_close(grads[k], r_grads[k], dtype, f"{cell} {k}")


# ----------------------------------------------------------------------------- GEMM
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_tiled_gemm_matches_numpy_on_odd_sizes(ta, tb, dtype):
    rng = np.random.default_rng(1)
    M, K, N = kc.TILE + 3, 2 * kc.TILE + 1, 5            # none a multiple of the tile
    A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    C0 = rng.standard_normal((M, N)).astype(dtype)
    want = (A.T if ta else A) @ (B.T if tb else B)
    C = cuda.device_array((M, N), dtype=dtype)
    kc.gemm(cuda.to_device(A), cuda.to_device(B), C, ta=ta, tb=tb)
    assert_close(C.copy_to_host(), want, dtype, "plain")
    C = cuda.to_device(C0)
    kc.gemm(cuda.to_device(A), cuda.to_device(B), C, bias=cuda.to_device(bias), ta=ta, tb=tb, accumulate=True)
    assert_close(C.copy_to_host(), C0 + want + bias, dtype, "bias + accumulate")


# ----------------------------------------------------------------------------- cells
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", list(GATES))
def test_functional_cuda_matches_numpy(cell, dtype):
    """Forward and every gradient, through the public API, against backend="numpy"."""
    p = make(cell, dtype=dtype)
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    kind, act = split(cell)
    out = {}
    for backend in ("numpy", "cuda"):
        if kind == "rnn":
            h_seq, h_T, cache = rc.rnn_forward(*w, h0=p["h0"], nonlinearity=act, backend=backend)
            g = rc.rnn_backward(p["dh_seq"], cache, p["dh_T"])
            res = (h_seq, h_T)
        elif kind == "lstm":
            h_seq, (h_T, c_T), cache = rc.lstm_forward(*w, h0=p["h0"], c0=p["c0"], activation=act, backend=backend)
            g = rc.lstm_backward(p["dh_seq"], cache, p["dh_T"], p["dc_T"])
            res = (h_seq, h_T, c_T)
        else:
            h_seq, h_T, cache = rc.gru_forward(*w, h0=p["h0"], activation=act, backend=backend)
            g = rc.gru_backward(p["dh_seq"], cache, p["dh_T"])
            res = (h_seq, h_T)
        out[backend] = (res, g)
    (r_res, r_g), (c_res, c_g) = out["numpy"], out["cuda"]
    for a, b in zip(c_res, r_res):
        assert isinstance(a, np.ndarray) and a.dtype == dtype
        assert_close(a, b, dtype, cell)
    assert set(c_g) == set(r_g)
    for k in r_g:
        assert isinstance(c_g[k], np.ndarray)
        assert_close(c_g[k], r_g[k], dtype, f"{cell} {k}")


@pytest.mark.parametrize("cell", ["rnn_relu", "lstm", "gru"])
def test_inference_forward_without_cache(cell):
    """keep_cache=False through the public API: the outputs of keep_cache=True, bit for bit,
    and no cache (as the other backends: tests/test_backends_agree.py)."""
    p = make(cell)
    w = (p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    kind, act = split(cell)
    outs = []
    for keep in (True, False):
        if kind == "rnn":
            h_seq, h_T, cache = rc.rnn_forward(*w, h0=p["h0"], nonlinearity=act, backend="cuda", keep_cache=keep)
            res = (h_seq, h_T)
        elif kind == "lstm":
            h_seq, (h_T, c_T), cache = rc.lstm_forward(*w, h0=p["h0"], c0=p["c0"], backend="cuda", keep_cache=keep)
            res = (h_seq, h_T, c_T)
        else:
            h_seq, h_T, cache = rc.gru_forward(*w, h0=p["h0"], backend="cuda", keep_cache=keep)
            res = (h_seq, h_T)
        assert (cache is not None) == keep
        outs.append(res)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru", "lstm_relu"])
def test_per_step_kernels_with_several_blocks_and_chunks(cell, monkeypatch):
    """Blocks smaller than H: several thread blocks per sequence and several shared-memory chunks."""
    monkeypatch.setattr(kc, "threads_for", lambda n: 2)
    p = make(cell, B=1, T=2, D=2, H=5, seed=3)
    outs, grads, _ = run_backend(cuda_mod(cell), cell, p)
    assert_matches_reference(cell, p, outs, grads, np.float64)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_relu"])
def test_device_arrays_in_and_out_without_copies(cell):
    """Device arrays in -> device arrays out; caller's arrays untouched; same numbers."""
    p = make(cell)
    host = {k: a.copy() for k, a in p.items()}
    dev = {k: cuda.to_device(a) for k, a in p.items()}
    outs, grads, data = run_backend(cuda_mod(cell), cell, dev)
    assert all(cuda.devicearray.is_cuda_ndarray(a) for a in outs)
    assert all(cuda.devicearray.is_cuda_ndarray(a) for a in grads.values())
    assert data["x"] is dev["x"] and data["W_hh"] is dev["W_hh"]      # no copies of the inputs
    for k in p:                                                     # inputs not overwritten
        np.testing.assert_array_equal(dev[k].copy_to_host(), host[k], err_msg=k)
    outs = [a.copy_to_host() for a in outs]
    grads = {k: a.copy_to_host() for k, a in grads.items()}
    assert_matches_reference(cell, host, outs, grads, np.float64)


def test_functional_api_keeps_device_arrays_on_device():
    """rc.lstm_forward/backward with device arrays: device arrays out, same numbers."""
    from rnncore import _validation
    assert _validation.is_device_array(cuda.to_device(np.zeros(1)))
    assert not _validation.is_device_array(np.zeros(1))
    p = make("lstm")
    d = {k: cuda.to_device(a) for k, a in p.items()}
    h_seq, (h_T, c_T), cache = rc.lstm_forward(d["x"], d["W_ih"], d["W_hh"], d["b_ih"], d["b_hh"],
                                               h0=d["h0"], c0=d["c0"], backend="cuda")
    grads = rc.lstm_backward(d["dh_seq"], cache, d["dh_T"], d["dc_T"])
    assert all(cuda.devicearray.is_cuda_ndarray(a) for a in (h_seq, h_T, c_T, *grads.values()))
    outs = [a.copy_to_host() for a in (h_seq, h_T, c_T)]
    assert_matches_reference("lstm", p, outs, {k: a.copy_to_host() for k, a in grads.items()}, np.float64)


# ----------------------------------------------------------------------------- persistent
@pytest.mark.parametrize("cell,dtype", [("rnn_tanh", np.float64), ("lstm", np.float64),
                                        ("gru", np.float64), ("lstm", np.float32),
                                        ("lstm_relu", np.float64), ("gru_relu", np.float32)])
def test_persistent_kernel(cell, dtype):
    """The persistent forward (W_hh in shared memory, grid barrier per step).

    The simulator syncs a grid correctly only with one block, so there the plan
    is one block; on a GPU the same test runs one block per hidden unit (H=5 blocks).
    """
    p = make(cell, dtype=dtype)
    outs, grads, data = run_backend(cuda_mod(cell), cell, p, persistent=True)
    assert data["persistent"] is True
    assert_matches_reference(cell, p, outs, grads, dtype)


def test_persistent_plan_and_launch_limit():
    dt = np.float64
    if kc.SIM:
        assert pk.plan("lstm", 2, 5, dt, None) is None           # auto: never in the simulator
        plan = pk.plan("lstm", 2, 5, dt, True)
        assert plan.blocks == 1 and plan.units == 5
    assert pk.plan("lstm", 2, 5, dt, False) is None
    with pytest.raises(ValueError, match="persistent"):
        pk.plan("lstm", 2, 5, dt, "yes")
    # a grid larger than max_cooperative_grid_blocks is refused, never launched
    p = make("rnn_tanh", B=1, T=2, H=4)
    too_big = pk.Plan("rnn", 10**6, 1, 32, 1, 64, True)
    args = [cuda.to_device(a) for a in (np.zeros((1, 2, 4)), p["W_hh"], p["b_hh"], p["h0"],
                                        np.zeros((1, 2, 4)), np.zeros((1, 4)))] + [0]
    with pytest.raises(RuntimeError, match="max_cooperative_grid_blocks"):
        pk.launch(too_big, args)
    assert pk.launch(too_big._replace(required=False), args) is False


# ----------------------------------------------------------------------------- the simulator's pace
@pytest.mark.skipif(not rnncore.cuda.simulator_enabled(), reason="the pacing applies to the simulator only")
def test_simulated_launches_run_with_a_short_switch_interval():
    """Under the simulator every rnncore launcher runs with kc.SIM_SWITCH_INTERVAL (its block
    manager would otherwise hold the GIL 5 ms at a time), and the caller's interval comes back
    afterwards: after nested calls, and after an exception."""
    import sys

    from rnncore.cuda import _host as hs

    for launcher in (kc.gemm, kc.colsum, kc.transpose, kc.shifted_states, kc.grad_into_h0,
                     kc.input_projection, kc.weight_grads, hs.step_loop, pk.launch):
        assert hasattr(launcher, "__wrapped__"), f"{launcher.__name__} launches kernels unpaced"
    before = sys.getswitchinterval()
    assert before != kc.SIM_SWITCH_INTERVAL
    seen = []

    @kc.simulator_paced
    def inner():
        seen.append(sys.getswitchinterval())

    @kc.simulator_paced
    def outer(fail):
        inner()
        seen.append(sys.getswitchinterval())
        if fail:
            raise KeyError("in the launcher")

    outer(False)
    assert seen == [pytest.approx(kc.SIM_SWITCH_INTERVAL, rel=1e-3)] * 2 and sys.getswitchinterval() == before
    with pytest.raises(KeyError):
        outer(True)
    assert sys.getswitchinterval() == before
    # and a real launch: the tiled GEMM still computes its product
    A, B = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    C = cuda.device_array((2, 4))
    np.testing.assert_allclose(kc.gemm(cuda.to_device(A), cuda.to_device(B), C).copy_to_host(), A @ B)
    assert sys.getswitchinterval() == before


# ----------------------------------------------------------------------------- availability
@pytest.mark.skipif(not rnncore.cuda.simulator_enabled(), reason="a fix of the simulator")
def test_simulated_threads_of_a_block_share_one_shared_array():
    """The simulator allocated a block's shared array with a look-up and a store and no lock
    between them, so threads that asked at once could get arrays of their own (a rare wrong
    GEMM result in CI). With ``kc.lock_simulated_shared_arrays`` every thread of a block gets
    the same array, even with a thread switch every microsecond; an array per source line,
    as before. (Without the lock, this harness gave 8 of 50 blocks two arrays.)"""
    import sys
    import threading

    from numba.cuda.simulator.kernelapi import FakeCUDAShared

    def ask(shared):
        return shared.array((64,), np.float64)

    def ask_other(shared):
        return shared.array((64,), np.float64)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(50):
            shared = FakeCUDAShared(0)
            barrier = threading.Barrier(32)
            got = [None] * 32

            def work(i):
                barrier.wait()
                got[i] = ask(shared)
            threads = [threading.Thread(target=work, args=(i,)) for i in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len({id(a) for a in got}) == 1
            assert ask_other(shared) is not got[0]            # another line, another array
            assert ask(shared) is got[0] and got[0].shape == (64,) and got[0].dtype == np.float64
    finally:
        sys.setswitchinterval(old)


def test_quick_no_driver_check_agrees_with_numba():
    """is_available() answers False without importing numba.cuda only where numba.cuda itself
    finds no GPU: run in a fresh interpreter without the simulator, against numba's own check."""
    import subprocess
    import sys
    code = ("import sys, rnncore.cuda\n"
            "quick = rnncore.cuda.is_available(); imported = 'numba.cuda' in sys.modules\n"
            "from numba import cuda\n"
            "print(quick, imported, bool(cuda.is_available()))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    quick, imported, truth = r.stdout.split()
    assert quick == truth, f"is_available() says {quick}, numba.cuda.is_available() {truth}"
    import ctypes.util
    no_driver = (not os.environ.get("NUMBA_CUDA_DRIVER") and ctypes.util.find_library("cuda") is None
                 and not any(os.path.exists(n) for n in rnncore.cuda.DEVICE_NODES))
    if sys.platform.startswith("linux") and no_driver:     # as on CI: the answer without the 1-2 s import
        assert imported == "False", "numba.cuda was imported although this machine has no CUDA driver"


def test_clear_error_without_gpu_or_simulator(monkeypatch):
    import numba.cuda as ncuda
    monkeypatch.setattr(rnncore.cuda, "simulator_enabled", lambda: False)
    monkeypatch.setattr(ncuda, "is_available", lambda: False)
    assert rnncore.cuda.is_available() is False
    p = make("lstm")
    with pytest.raises(RuntimeError, match=r'backend="cuda" is not available.*NUMBA_ENABLE_CUDASIM'):
        rc.lstm_forward(p["x"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"], backend="cuda")
