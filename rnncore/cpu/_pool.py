"""The threads that run the CPU kernels: a few Python threads sharing a list of
independent jobs (batch chunks) dynamically.

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

Handing a call to the workers (``_Workers``). A training step makes three calls
(forward, backward, weight gradients), each a millisecond or less at notebook sizes,
so how fast a worker starts on a call and how fast the caller learns that the
workers are done matters. Until 2026-12-03 the calls went to a ``ThreadPoolExecutor``:
its worker slept on a lock between calls and was woken by the OS (on a virtual
machine, through the hypervisor), and the caller slept on each worker's ``Future``,
even a worker that arrived too late to get a job. Now the workers, and the caller
waiting for them, first poll a flag in a ``nogil`` compiled loop (``poll_for_call``,
``wait_for_workers``) for up to ``SPIN_SECONDS`` and sleep on a condition only after
that, and the caller waits only for the workers that took a seat in the call. Measured
(``benchmarks/bench_pool.py``, 2-core AMD EPYC VM, two runs): a call of four tiny
jobs 76 to 110 us -> 15 to 22 us (9 to 10 us on one thread); ``fit`` epochs, the two
hand-offs alternating in one process, new / old 0.94 and 0.86 at LSTM(64) x T=50,
0.98 and 0.94 at LSTM(256) x T=100 (medians of 60 and 15 rounds; the spread of
single rounds is wider than these gains). Nobody polls while Linux counts more
runnable threads than cores (``_Runnable``): on a busy machine polling cost the
step's Python code half its core. Since 2026-12-04 the two ends of a call also avoid
asking for the GIL while the other thread holds it (``_Workers``): ``fit`` epochs at
LSTM(64) x T=50 took a further 0.885 of the time.
"""
import os
import platform
import threading
import time

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.np.ufunc import parallel as _numba_parallel
from numba.extending import intrinsic

from ._blas import HAVE_THREAD_CONTROL


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


@intrinsic
def load_acquire(typingctx, flag):
    """flag[0], an atomic load (another thread's store to it is seen, and the loop that
    polls it is not optimised into one read). flag: a 1-D int64 array."""
    if not (isinstance(flag, types.Array) and flag.dtype == types.int64 and flag.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.load_atomic(ary.data, "acquire", 8)
    return types.int64(flag), codegen


@intrinsic
def add_and_load(typingctx, counter, delta, other):
    """counter[0] += delta, then other[0], both sequentially consistent: of two threads that
    each add to one flag and then load the other's, at least one sees the other's add (the
    hand-off between a worker leaving a call and a caller going to sleep, ``_Workers``).
    counter, other: 1-D int64 arrays; returns other[0]."""
    if not all(isinstance(a, types.Array) and a.dtype == types.int64 and a.ndim == 1 for a in (counter, other)):
        return None
    if not isinstance(delta, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        c = context.make_array(sig.args[0])(context, builder, args[0])
        o = context.make_array(sig.args[2])(context, builder, args[2])
        d = context.cast(builder, args[1], sig.args[1], types.int64)
        builder.atomic_rmw("add", c.data, d, "seq_cst")
        return builder.load_atomic(o.data, "seq_cst", 8)
    return types.int64(counter, delta, other), codegen


_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@intrinsic
def cpu_relax(typingctx):
    """The x86 ``pause`` instruction (a no-op elsewhere): tells the core that this is a
    polling loop, which yields its pipeline to a sibling hyper-thread and spaces the polls
    (about 30 ns each measured on AMD Zen 5)."""
    def codegen(context, builder, sig, args):
        if _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


@njit(cache=True, nogil=True)
def poll_for_call(generation, seen, jobs, polls):
    """A worker waiting for a call to join, for at most ``polls`` polls: True once a call
    after seen[0] has begun and still has jobs to hand out, False otherwise. jobs is the
    calls' job counter and their number of jobs, [next_job, n]; seen (this worker's) is
    moved on past calls whose jobs were all taken before the worker saw them. Why wait for
    the caller's first job, and skip calls with none left: a worker needs the GIL to join a
    call (Python reads the call and dispatches the driver), and the caller holds it until it
    is inside its driver, and needs it again as soon as its driver returns (see ``_Workers``)."""
    for _ in range(polls):
        g = load_acquire(generation)
        if g != seen[0]:
            k = load_acquire(jobs)
            if k >= jobs[1]:
                seen[0] = g                  # all taken: nothing to join
            elif k > 0:
                return True
        cpu_relax()
    return False


@njit(cache=True, nogil=True)
def leave_call(left, caller_sleeps, generation, seen, jobs, polls):
    """A worker done with its call: left[0] += 1; then 2 if the caller sleeps on the
    condition (the worker must notify it), else ``poll_for_call``'s answer as 1 or 0. In
    compiled code, so that the caller, which polls ``left``, finds the GIL free when it
    sees the change (see ``_Workers``)."""
    if add_and_load(left, 1, caller_sleeps) != 0:
        return 2
    return 1 if poll_for_call(generation, seen, jobs, polls) else 0


@njit(cache=True, nogil=True)
def wait_for_workers(left, joined, caller_sleeps, polls):
    """The caller, its jobs done: poll until left[0] == joined (True), for up to ``polls``
    polls; then set caller_sleeps[0] (the workers that leave from now on notify) and return
    whether they all left meanwhile."""
    for _ in range(polls):
        if load_acquire(left) == joined:
            return True
        cpu_relax()
    return add_and_load(caller_sleeps, 1, left) == joined


# How long a worker polls for the next call, and the caller for the workers' last jobs,
# before sleeping on a condition. Long enough for the gaps between the calls of a training
# step (measured, LSTM(64) fit, batches of 32: 35 us between backward and the weight
# gradients, 300 to 370 us before backward, 660 to 790 us before the next forward).
SPIN_SECONDS = 1e-3
# Polling takes a core. On a busy machine that core is wanted by another process, or by this
# one's own Python thread, which then runs the step's Python code at half speed: measured
# (benchmarks/bench_busy.py, one competing process on 2 cores) 1.49x and 1.50x the time of one
# thread with the workers always polling, against 1.07x to 1.11x with the thread pool before.
# So nobody polls while Linux counts more runnable threads than this process may use cores
# (``_Runnable``); the threads then sleep on the condition at once, as before. Two rules that
# looked at the polling thread alone (its CPU time, its wait for a core during the poll) did
# not do: the thread that loses is the caller, on the other core, and on the idle virtual
# machine measured here the system's own agent interrupted a 1 ms poll about twice a second.
# With this rule, bench_busy.py three times: 0.64x to 1.10x one thread with one or two competing
# processes, 0.59x to 0.90x on the idle machine (run medians; results_busy.json,
# polling_workers_2026_12_03).


def _polls_for(seconds):
    """How many polls of ``poll_for_call`` take about ``seconds`` here (the fastest of three
    timings of 2,000 polls of a flag that never changes, so that a timing the OS interrupted
    does not count)."""
    flag = np.zeros(2, dtype=np.int64)
    poll_for_call(flag, flag, flag, 1)
    per_poll = min(_timed(poll_for_call, flag, flag, flag, 2000) for _ in range(3)) / 2000
    return int(min(max(seconds / max(per_poll, 1e-9), 100), 10_000_000))


def _timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


class _Runnable:
    """Whether the cores look free: the number of runnable threads in the whole system
    (Linux's /proc/loadavg, fourth field, read without reopening: about 2 us) is at most
    the number of cores this process may use (``usable_cores``). Threads of this process
    count too: a polling worker and its caller are two. False where there is no such
    file (polling is then off: the threads sleep between calls)."""

    def __init__(self):
        try:
            self.cores = usable_cores()
            self.fd = os.open("/proc/loadavg", os.O_RDONLY)
            self()
        except (OSError, ValueError, IndexError, AttributeError):
            self.fd = None

    def __call__(self):
        if self.fd is None:
            return False
        return int(os.pread(self.fd, 128, 0).split()[3].split(b"/")[0]) <= self.cores


def usable_cores(cgroup="/sys/fs/cgroup"):
    """The cores this process may run on (its CPU affinity), fewer where a cgroup's CPU
    quota allows less (a container limited to 2 CPUs on a larger machine): polling there
    would spend the quota. ``cgroup``: where the cgroup files are (for tests)."""
    cores = len(os.sched_getaffinity(0))
    for quota_file, period_file in (("cpu.max", None),                                  # cgroup v2
                                    ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")):  # v1
        try:
            with open(os.path.join(cgroup, quota_file)) as f:
                fields = f.read().split()
            if period_file is not None:
                with open(os.path.join(cgroup, period_file)) as f:
                    fields.append(f.read().strip())
            quota, period = fields[:2]
        except (OSError, ValueError):
            continue
        if quota not in ("max", "-1"):
            cores = min(cores, max(1, -(-int(quota) // int(period))))
        break
    return cores


class _Call:
    """One ``run_jobs`` call as the workers see it: the driver, its arguments, how many
    workers may still join, how many did, and the first error raised in a worker."""
    __slots__ = ("driver", "args", "seats", "joined", "error")

    def __init__(self, driver, args, seats):
        self.driver, self.args, self.seats, self.joined, self.error = driver, args, seats, 0, None


class _Workers:
    """Worker threads that join the calls of ``run_jobs`` (see the module docstring).

    ``generation``, ``jobs`` (the current call's job counter, which its drivers get as
    ``next_job``, and its number of jobs), ``left`` and ``caller_sleeps`` are 1-D int64 arrays,
    so that compiled code can poll them. A worker reads the call and takes a seat
    (``_Call.joined``) under ``cond``, so it only ever joins the current call; the caller, once
    its own driver has run out of jobs (all handed out), closes the seats and waits until as
    many workers have left (``left``) as joined, and no longer. A worker that comes after that
    finds no seat.

    The GIL at the two hand-offs. A worker needs the GIL to join a call and the caller needs
    it to return from its wait; a thread that asks for the GIL while another holds it sleeps
    in the kernel until the other lets go, and the wake-up cost tens of microseconds on the
    2-core VM measured, at each end of each call (three calls per training step: a worker
    joined a call of ``fit``'s LSTM(64) 39 to 56 us after it began, medians, and the caller
    waited 41 to 71 us for it at the end). So a polling worker asks for the GIL only
    once the caller is inside its driver, and not at all for a call whose jobs are all taken
    (``poll_for_call``), and it leaves a call from compiled code that goes straight on to poll
    for the next one (``leave_call``): the caller finds the GIL free when it sees ``left``
    reach ``joined``. A caller that stops polling and sleeps on ``cond`` says so in
    ``caller_sleeps`` first, and a worker that leaves after that notifies it (``add_and_load``
    orders the two flags). Measured against the hand-off before (``benchmarks/bench_pool.py``,
    alternating rounds, two runs): ``fit`` epochs at LSTM(64) x T=50 0.885 of the time in both
    (medians of 200 rounds), at LSTM(256) x T=100 0.98 and 0.97 (50 rounds)."""

    def __init__(self, n):
        self.cond = threading.Condition()
        self.generation = np.zeros(1, dtype=np.int64)
        self.jobs = np.zeros(2, dtype=np.int64)
        self.left = np.zeros(1, dtype=np.int64)
        self.caller_sleeps = np.zeros(1, dtype=np.int64)
        self.call = None
        self.busy = threading.Lock()        # one call at a time; see run
        self.cores_free = _Runnable()
        # where the cores cannot be read nobody polls (_polls_for is not needed there); the
        # hand-off's kernels are compiled (or loaded) here, not in the middle of the first call
        self.polls = _polls_for(SPIN_SECONDS) if self.cores_free.fd is not None else 0
        flag = np.zeros(2, dtype=np.int64)
        leave_call(flag, flag, flag, flag, flag, 0)
        wait_for_workers(flag, 1, np.zeros(1, dtype=np.int64), 0)
        self.threads = []
        self.grow(n)

    def grow(self, n):
        while len(self.threads) < n:
            t = threading.Thread(target=self._work, name=f"rnncore-{len(self.threads)}", daemon=True)
            self.threads.append(t)
            t.start()

    def _polls(self):
        return self.polls if self.cores_free() else 0

    def _work(self):
        seen = np.array([self.generation[0]], dtype=np.int64)     # the last call this worker saw
        called = False           # leaving the last call already saw this one begin
        while True:
            if not (called or poll_for_call(self.generation, seen, self.jobs, self._polls())):
                with self.cond:
                    while self.generation[0] == seen[0]:
                        self.cond.wait()
            with self.cond:
                seen[0] = self.generation[0]
                call = self.call
                if call is None or call.seats == 0:
                    called = False
                    continue
                call.seats -= 1
                call.joined += 1
            try:
                call.driver(*call.args)
            except Exception as e:           # raised in the caller (run)
                call.error = call.error or e
            finally:
                # Hold nothing of this call while polling or sleeping until the next one: its
                # arrays are the caller's, freed when the caller lets go of them. Kept here, the
                # last call's arrays lived on until the next call, a training step's large ones
                # (the gates, their gradients) beside the next step's.
                call = None
                left = leave_call(self.left, self.caller_sleeps, self.generation, seen, self.jobs, self._polls())
                if left == 2:
                    with self.cond:
                        self.cond.notify_all()
                called = left == 1

    def run(self, driver, n, args, helpers):
        """driver(next_job, n, *args) here and on up to ``helpers`` workers; returns once
        every job is done."""
        if not self.busy.acquire(blocking=False):
            # another Python thread's call is running: this one alone, on a counter of its own
            driver(np.zeros(1, dtype=np.int64), n, *args)
            return
        try:
            # every worker of the last call has left: nobody reads these until the generation moves
            self.jobs[0] = self.left[0] = self.caller_sleeps[0] = 0
            self.jobs[1] = n
            call = _Call(driver, (self.jobs, n) + args, helpers)
            with self.cond:
                self.call = call
                self.generation[0] += 1
                self.cond.notify_all()
            try:
                driver(*call.args)
            finally:
                with self.cond:            # every job is handed out: nobody else joins
                    call.seats, self.call = 0, None
                joined = call.joined
                if joined and not wait_for_workers(self.left, joined, self.caller_sleeps, self._polls()):
                    with self.cond:
                        while self.left[0] != joined:
                            self.cond.wait()
            if call.error is not None:
                raise call.error
        finally:
            self.busy.release()


_workers = None
_workers_lock = threading.Lock()


def _get_workers(n):
    """The process's workers, at least n of them."""
    global _workers
    with _workers_lock:
        if _workers is None:
            _workers = _Workers(n)
        else:
            _workers.grow(n)
        return _workers


def _forget_workers():
    """In a forked child: the parent's worker threads do not exist there."""
    global _workers, _workers_lock
    _workers, _workers_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def run_jobs(driver, n, *args):
    """``driver(next_job, n, *args)`` on the calling thread and on up to ``num_threads() - 1``
    workers, at once; returns when all n jobs are done.

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
    deschedules delays the call by its own job at most, and a worker that starts late
    finds no job left and is not waited for.
    """
    nt = min(num_threads(), n)
    if nt <= 1:
        driver(np.zeros(1, dtype=np.int64), n, *args)
        return
    _get_workers(nt - 1).run(driver, n, args, nt - 1)
