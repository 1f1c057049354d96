"""The threads that run the CPU kernels: a small pool of Python threads sharing
a list of independent jobs (batch chunks) dynamically.

Why not Numba's ``prange``: an OpenMP parallel region ends with a barrier, and
every step of the old per-step split had one. On a busy machine a thread that
the OS deschedules holds up all the others until it gets a core back, a time
slice (milliseconds) per barrier: measured 2x to 3x slower than one thread with
two competing processes on two cores (issue 13). Here each job is a serial
``@njit(nogil=True)`` kernel for a whole batch chunk; a thread that finishes
takes the next job, so a descheduled thread delays the call by at most its own
job, once, and a thread that never gets a core simply takes no job. No
parallel region is compiled either, which shortens the first call.

The thread count is Numba's (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``).
The results never depend on it: the jobs are fixed by the shape of the problem
(``_common.batch_chunks``) and their partial sums are added in job order.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.np.ufunc import parallel as _numba_parallel
from numba.extending import intrinsic

from ._blas import HAVE_THREAD_CONTROL

_pool = None
_pool_lock = threading.Lock()


def _executor(n):
    """A pool of at least n worker threads (grown when the thread count is raised)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < n:
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="rnncore")
        return _pool


def num_threads():
    """Threads the CPU kernels may use: Numba's setting; 1 when rnncore cannot keep the
    BLAS the kernels call on one thread (several threads calling a multi-threaded BLAS
    at once serialise, see ``_blas.blas_one_thread``).

    Until someone calls ``numba.set_num_threads`` (which starts Numba's threading layer),
    the setting is ``NUMBA_NUM_THREADS``, read without starting it: ``numba.get_num_threads()``
    would start the layer's OpenMP threads, which rnncore never uses, and starting them
    sets the OpenMP thread count of the whole process, PyTorch's included (measured:
    ``torch.set_num_threads(1)``, then one rnncore call, and PyTorch ran on 2 threads,
    20x to 50x slower per training step on a busy 2-core machine). It is also 20x faster.
    """
    if not HAVE_THREAD_CONTROL:
        return 1
    if not _numba_parallel._is_initialized:
        return numba.config.NUMBA_NUM_THREADS
    return numba.get_num_threads()


@intrinsic
def fetch_add(typingctx, counter):
    """counter[0] += 1, atomically; returns the value before (a job index no other thread
    gets). counter: a 1-D int64 array shared by the threads of one call."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64 and counter.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", ary.data, ir.Constant(ir.IntType(64), 1), "monotonic")
    return types.int64(counter), codegen


def run_jobs(driver, n, *args):
    """``driver(next_job, n, *args)`` once on each of up to ``num_threads()`` threads.

    ``driver`` is a compiled ``nogil`` loop that takes job indices from the shared
    counter ``next_job`` with :func:`fetch_add` and runs them until it reads one >= n
    (``_common.next_chunk``; see ``lstm._forward_jobs``). Each thread crosses from
    Python into compiled code once per call, not once per job: between jobs no thread
    needs the GIL. Measured
    (benchmarks/bench_threads.py): with one Python call per job, a thread that ended a
    job waited to take the GIL back from the thread that was unboxing the arguments of
    its next one, and a woken thread waits for a core on a busy machine, so that the
    second thread often ran one job, late, and two threads were no faster than one.
    The jobs still go one at a time to whichever thread is free: a thread the OS
    deschedules delays the call by its own job at most.
    """
    next_job = np.zeros(1, dtype=np.int64)
    nt = min(num_threads(), n)
    if nt <= 1:
        driver(next_job, n, *args)
        return
    futures = [_executor(nt - 1).submit(driver, next_job, n, *args) for _ in range(nt - 1)]
    try:
        driver(next_job, n, *args)
    finally:
        for f in futures:
            f.result()
