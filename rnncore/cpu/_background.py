"""A cold start compiles a cell's backward kernels in a second process while this one
compiles its forward kernels.

With an empty Numba cache, the first forward call of a cell compiles its forward kernels
and the first backward call its backward kernels, one after the other: Numba compiles
under one lock, on one thread, so one process never compiles two kernels at once. Two
processes can. At the first training forward of a cell and dtype in this process
(``keep_cache=True``), when the disk cache holds no backward kernels of that cell and
dtype, :func:`start` launches a child interpreter that compiles the backward kernels
(one backward call on a tiny problem whose forward arrays are allocated, not computed:
the reverse sweep and the weight gradients, which run in the same jobs) and writes them to
the cache. The first backward call waits for the child (:func:`wait`) and loads its
kernels from the cache instead of compiling them. The weight gradients' last steps
(``_common.finish_weight_grads``: the sum of the jobs' shares and its transpose) are left out of
the child and compiled by this process while it waits (``_common.compile_finish``): cold, import to
the first float32 gradients, three alternating pairs (2-core Zen 5 VM, 2026-12-04 evening), LSTM
7.70, 7.35, 7.46 -> 7.20, 7.56, 6.56 s and GRU 7.22, 7.15, 6.79 -> 6.38, 7.70, 6.01 s. The kernels
are the same either way: a fresh compile and one loaded from the cache give the same bits
(tests/test_determinism.py).

Nothing here can change a result: if the child fails, is slow, or writes elsewhere, the
backward call compiles in this process as it would have. ``RNNCORE_BACKGROUND_COMPILE=0``
turns it off, ``=1`` on even on a busy machine (see ``enabled``).

Measured (``benchmarks/bench_coldstart.py --background-ab 3``, 2 idle cores, a fresh
interpreter and an empty cache, import to the first float32 gradients, off and on in turn):
wall 0.82x (RNN), 0.71x (LSTM), 0.68x (GRU), 0.66x (peephole LSTM) of the time in one process,
paired medians; LSTM 11.5 -> 8.2 s. It costs 2 to 3 CPU seconds more in all (the child's
import and its own compile of the packed GEMM), hence only with a core to spare. Since the
backward jobs compute their rows' weight gradients (2026-12-04, afternoon), the child compiles
those too, and the first backward waits longer for it (bench_coldstart.py, two runs each, another
VM of the same kind): import to the first gradients 4.8 to 6.5 s against 4.5 to 5.4 s before.
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


def start(cell, dtype, activation):
    """At a training forward on the CPU: the first one of (cell, dtype) in this process
    launches the child when the backward kernels it will need are not cached.

    From 2026-12-03 (evening) to 2026-12-04 a second child compiled the weight gradients,
    then a parallel call of their own (``_common.weight_grads``, on rnncore's register tiles,
    3.5 s to compile), beside this one's backward recurrence. Since the backward jobs compute
    their rows' weight gradients themselves (``_common.WeightGradParts``), one child compiles
    both, and three processes no longer share two cores (see benchmarks/README.md,
    "2026-12-04, afternoon")."""
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
    except OSError:
        pass


def wait(cell, dtype):
    """Before a backward call on the CPU: if a child is compiling this cell's backward kernels
    for dtype, wait for it (the call then loads its kernels from the cache)."""
    child = _children.pop(_key(cell, dtype), None)
    if child is None:
        return
    try:
        # meanwhile, what the child leaves out (compile_backward): this process is idle otherwise
        from ._common import compile_finish
        compile_finish(dtype)
    except Exception:      # nothing here may change a result: the backward call compiles it then
        pass
    try:
        child.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()


def _tiny(cell, dtype):
    """A tiny problem: (G, B, T, D, H), G the cell module's gate count, and an array maker of dtype."""
    dt = np.dtype(dtype)
    return import_module(f"rnncore.cpu.{cell}").G, 2, 2, 2, 2, lambda *shape: np.zeros(shape, dtype=dt)


def compile_backward(cell, dtype, activation="tanh"):
    """In the child: compile (and cache) the backward kernels of ``cell`` for ``dtype`` and
    ``activation`` with one backward call on a tiny problem. Its forward arrays are only
    allocated (the forward's kernels are what the parent is compiling); what the call computes
    from uninitialised arrays is dropped."""
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
    run, finish = mod.run_chunk_jobs, mod.finish_weight_grads
    try:
        mod.run_chunk_jobs = lambda *a: None           # the forward's arrays, without its kernels
        h_seq, *_, data = mod.forward(*args, keep_cache=True)
        mod.run_chunk_jobs = run
        # the weight gradients' last steps: the parent compiles them while it waits (see wait)
        mod.finish_weight_grads = lambda parts, need_dx=True: (None, None, None)
        states = [z(B, H)] * (2 if cell in _WITH_C else 1)
        mod.backward(z(B, T, H), data, *states)
    finally:
        mod.run_chunk_jobs, mod.finish_weight_grads = run, finish
