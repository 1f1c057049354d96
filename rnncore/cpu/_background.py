"""A cold start compiles a cell's backward kernels in a second process while this one
compiles its forward kernels.

With an empty Numba cache, the first forward call of a cell compiles its forward kernels
and the first backward call its backward kernels, one after the other: Numba compiles
under one lock, on one thread, so one process never compiles two kernels at once. Two
processes can. At the first training forward of a cell and dtype in this process
(``keep_cache=True``), when the disk cache holds no backward kernels of that cell and
dtype, :func:`start` launches a child interpreter that compiles the backward recurrence
(one backward call on a tiny problem whose forward arrays are allocated, not computed)
and writes it to the cache; a second child compiles the weight gradients when they are not
cached either (else this process compiles them at its first backward call). The first
backward call waits for the children (:func:`wait`) and loads their kernels from the
cache instead of compiling them. The kernels are the same either way: a fresh compile and
one loaded from the cache give the same bits (tests/test_determinism.py).

Nothing here can change a result: if the child fails, is slow, or writes elsewhere, the
backward call compiles in this process as it would have. ``RNNCORE_BACKGROUND_COMPILE=0``
turns it off, ``=1`` on even on a busy machine (see ``enabled``).

Measured (``benchmarks/bench_coldstart.py --background-ab 3``, 2 idle cores, a fresh
interpreter and an empty cache, import to the first float32 gradients, off and on in turn):
wall 0.82x (RNN), 0.71x (LSTM), 0.68x (GRU), 0.66x (peephole LSTM) of the time in one process,
paired medians; LSTM 11.5 -> 8.2 s. It costs 2 to 3 CPU seconds more in all (the child's
import and its own compile of the packed GEMM), hence only with a core to spare.
"""
import os
import subprocess
import sys
import time
from importlib import import_module

import numpy as np

# Seconds the first backward call waits for the child before it compiles on its own.
WAIT_S = 300
_started = set()      # (cell, dtype) whose first training forward this process has seen
_children = {}        # (cell, dtype) -> the child compiling its backward kernels

_WITH_C = ("lstm", "peephole")     # the cells with a cell state c besides h

_CHILD = "import sys; from rnncore.cpu._background import compile_backward; compile_backward(*sys.argv[1:])"
# The second child: the weight gradients (``_common.weight_grads``), when they are not cached either.
_CHILD_WG = "import sys; from rnncore.cpu._background import _weight_grads_tiny; _weight_grads_tiny(*sys.argv[1:3])"
_wg_children = {}     # (cell, dtype) -> the child compiling the weight gradients


def enabled():
    """RNNCORE_BACKGROUND_COMPILE=0: off; =1: on; unset: on with a core to spare. The child
    costs CPU time of its own (it imports rnncore and compiles the packed GEMM again), which
    pays only while the two processes run side by side, not one after the other on a busy
    machine."""
    setting = os.environ.get("RNNCORE_BACKGROUND_COMPILE", "")
    if setting in ("0", "1"):
        return setting == "1"
    idle = _idle_cores()
    return idle is None or idle >= SPARE_CORE


# Idle cores (over IDLE_SAMPLE_S, this process asleep) for a child to be worth starting. Not the
# load average: it lags by a minute and counts this process's own work, so in a notebook whose
# kernel has just been computing it read "busy" on an idle 2-core machine.
SPARE_CORE = 0.75
IDLE_SAMPLE_S = 0.1


def _idle_cores():
    """How many cores were idle over the last IDLE_SAMPLE_S seconds (/proc/stat: Linux);
    None where that cannot be read (then a child is started on 2 cores or more)."""
    def read():
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]   # user .. steal
        return ticks[3] + ticks[4], sum(ticks)                      # idle + iowait, all
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return 0.0
    try:
        idle0, all0 = read()
        time.sleep(IDLE_SAMPLE_S)
        idle1, all1 = read()
    except (OSError, ValueError, IndexError):
        return None
    if all1 <= all0:
        return None
    return (os.cpu_count() or cores) * (idle1 - idle0) / (all1 - all0)


def _key(cell, dtype):
    # np.dtype itself, not its name: the name is built on every access (3.9 us per call of
    # start/wait with it, 2 to 3% of a small training step's fixed cost)
    return cell, np.dtype(dtype)


def _backward_cached(cell, dtype):
    """True unless this process can tell that the cell's backward kernels for dtype are
    neither compiled here nor in Numba's disk cache (then the first backward call would
    compile them). On anything unexpected (no disk cache, another Numba): True, so that
    nothing is started."""
    try:
        disp = import_module(f"rnncore.cpu.{cell}")._backward_jobs
        name = np.dtype(dtype).name
        if any(name in str(sig) for sig in disp.overloads):
            return True
        index = disp._cache._cache_file._load_index()      # {} when absent or stale
        return any(name in str(key[0]) for key in index)
    except Exception:
        return True


def _weight_grads_cached(dtype):
    """As ``_backward_cached``, for ``_common.weight_grads`` (one signature per dtype: it makes W_ih
    contiguous for every cell)."""
    try:
        from numba import types
        from ._common import _weight_grads_jobs as disp
        want = types.Array(types.float32 if np.dtype(dtype) == np.float32 else types.float64, 2, "C")
        sigs = list(disp.overloads) + [key[0] for key in disp._cache._cache_file._load_index()]
        return any(len(sig) > 7 and sig[7] == want for sig in sigs)      # argument 7: W_ih
    except Exception:
        return True


def start(cell, dtype, activation):
    """At a training forward on the CPU: the first one of (cell, dtype) in this process
    launches the child when the backward kernels it will need are not cached, and a second
    child for the weight gradients when they are not cached either.

    Two children: with one, this process compiled the weight gradients after its forward
    kernels, and since they run on rnncore's own register tiles (``_packed.gemm_rows``,
    3.5 s to compile against 1.4 s on BLAS) that put the LSTM's import to first gradients at
    9.2 to 10.3 s on 2 idle cores (``benchmarks/bench_coldstart.py``); with the second child,
    see benchmarks/README.md, "2026-12-03, evening"."""
    key = _key(cell, dtype)
    if key in _started:
        return
    _started.add(key)
    if _backward_cached(cell, dtype) or not enabled():      # the cheap test first: enabled() may sleep 0.1 s
        return
    import numba
    import rnncore
    env = dict(os.environ)
    # The child imports this rnncore (not whichever its working directory would give) and
    # writes to the cache this process reads (NUMBA_CACHE_DIR as Numba read it at import).
    root = os.path.dirname(os.path.dirname(os.path.abspath(rnncore.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    if numba.config.CACHE_DIR:
        env["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR
    env["RNNCORE_BACKGROUND_COMPILE"] = "0"
    env["RNNCORE_COMPILE_NOTICE"] = "0"
    quiet = dict(env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _children[key] = subprocess.Popen([sys.executable, "-c", _CHILD, cell, key[1].name, activation or "tanh"],
                                          **quiet)
        if not _weight_grads_cached(dtype):
            _wg_children[key] = subprocess.Popen([sys.executable, "-c", _CHILD_WG, cell, key[1].name], **quiet)
    except OSError:
        pass


def wait(cell, dtype):
    """Before a backward call on the CPU: if a child is compiling this cell's backward
    recurrence for dtype, compile the weight gradients here meanwhile (unless a second child
    does), then wait for the children (the call then loads their kernels from the cache)."""
    key = _key(cell, dtype)
    child, wg_child = _children.pop(key, None), _wg_children.pop(key, None)
    if child is None:
        return
    if wg_child is None:
        _weight_grads_tiny(cell, dtype)
    for c in (child, wg_child):
        if c is None:
            continue
        try:
            c.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            c.kill()


def _tiny(cell, dtype):
    """A tiny problem: (G, B, T, D, H), G the cell module's gate count, and an array maker of dtype."""
    dt = np.dtype(dtype)
    return import_module(f"rnncore.cpu.{cell}").G, 2, 2, 2, 2, lambda *shape: np.zeros(shape, dtype=dt)


def _weight_grads_tiny(cell, dtype):
    """``_common.weight_grads`` on a tiny problem, with the argument types the cell's backward
    gives it: its kernels compiled here."""
    from ._common import weight_grads
    G, B, T, D, H, z = _tiny(cell, dtype)
    weight_grads(z(B, T, G * H), z(B, T, G * H), z(B, T, D), z(B, H), z(B, T, H), z(G * H, D), 1)


def compile_backward(cell, dtype, activation="tanh"):
    """In the child: compile (and cache) the backward recurrence of ``cell`` for ``dtype`` and
    ``activation`` with one backward call on a tiny problem. Its forward arrays are only
    allocated (the forward's kernels are what the parent is compiling), and the weight
    gradients are left out (the parent compiles them while it waits: ``wait``); what the
    call computes from uninitialised arrays is dropped."""
    mod = import_module(f"rnncore.cpu.{cell}")
    G, B, T, D, H, z = _tiny(cell, dtype)
    args = [z(B, T, D), z(G * H, D), z(G * H, H), z(G * H), z(G * H)]
    if cell == "peephole":
        args.append(z(3, H))
    args.append(z(B, H))
    if cell in _WITH_C:
        args.append(z(B, H))
    if cell != "peephole":
        args.append(activation)
    run, weight_grads = mod.run_chunk_jobs, mod.weight_grads
    try:
        mod.run_chunk_jobs = lambda *a: None           # the forward's arrays, without its kernels
        h_seq, *_, data = mod.forward(*args, keep_cache=True)
        mod.run_chunk_jobs = run
        mod.weight_grads = lambda *a: (None, None, None)
        states = [z(B, H)] * (2 if cell in _WITH_C else 1)
        mod.backward(z(B, T, H), data, *states)
    finally:
        mod.run_chunk_jobs, mod.weight_grads = run, weight_grads
