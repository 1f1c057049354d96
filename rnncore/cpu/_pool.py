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
    at once serialise, see ``_blas.blas_one_thread``)."""
    from ._blas import HAVE_THREAD_CONTROL
    return numba.get_num_threads() if HAVE_THREAD_CONTROL else 1


def run(job, n):
    """Run job(0), ..., job(n - 1), each once, on up to ``num_threads()`` threads.

    The calling thread works too; with one thread (or one job) nothing else runs.
    Jobs are taken in order from a shared counter, so a thread that is slow to
    start takes fewer. An exception in a job is raised here.
    """
    nt = min(num_threads(), n)
    if nt <= 1:
        for k in range(n):
            job(k)
        return
    todo = iter(range(n))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                k = next(todo, None)
            if k is None:
                return
            job(k)

    futures = [_executor(nt - 1).submit(worker) for _ in range(nt - 1)]
    try:
        worker()
    finally:
        for f in futures:
            f.result()
