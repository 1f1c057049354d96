"""The CPU backend's jobs (``rnncore.cpu._pool``): every job runs exactly once whatever the
thread count, errors in a job reach the caller, and every kernel a job runs releases the GIL
(without ``nogil`` the threads would take turns, and two would be no faster than one)."""
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from pathlib import Path

import numba
import numpy as np
import pytest
from numba import njit

from rnncore.cpu import _common, _pool, gru, lstm, peephole, rnn
from rnncore.cpu._pool import fetch_add, run_jobs


@njit(nogil=True)
def _record(next_job, n, seen, who, me):
    """Marks each job it takes: seen[k] += 1, who[k] = me. Each job does some arithmetic so
    that the threads overlap."""
    while True:
        k = fetch_add(next_job)
        if k >= n:
            return
        s = 0.0
        for i in range(20_000):
            s += np.sqrt(i + k)
        seen[k] += 1
        who[k] = me if s > 0 else -1


@njit(nogil=True)
def _fail_at(next_job, n, bad):
    while True:
        k = fetch_add(next_job)
        if k >= n:
            return
        if k == bad:
            raise ValueError("job failed")


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_job_runs_exactly_once(threads):
    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for n in (0, 1, 2, 7, 64):
            seen = np.zeros(n, dtype=np.int64)
            who = np.full(n, -2, dtype=np.int64)
            run_jobs(_record, n, seen, who, 0)
            assert (seen == 1).all(), f"n={n}: job counts {seen}"
            assert (who == 0).all()
    finally:
        numba.set_num_threads(old)


def test_fetch_add_counts_up():
    @njit
    def three(counter):
        return fetch_add(counter), fetch_add(counter), fetch_add(counter)
    c = np.array([5], dtype=np.int64)
    assert three(c) == (5, 6, 7)
    assert c[0] == 8


def test_error_in_a_job_reaches_the_caller():
    old = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        for bad in (0, 3):
            with pytest.raises(ValueError, match="job failed"):
                run_jobs(_fail_at, 6, bad)
    finally:
        numba.set_num_threads(old)


def test_two_python_threads_at_once():
    """Calls from two Python threads at the same time: one gets the workers, the other runs
    its jobs alone (``_Workers.run``); every job of both runs exactly once."""
    old = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        seen = [np.zeros(64, dtype=np.int64) for _ in range(2)]
        who = [np.full(64, -2, dtype=np.int64) for _ in range(2)]

        def call(i):
            for _ in range(20):
                run_jobs(_record, 64, seen[i], who[i], i)
        _run_in_threads(lambda: call(0), lambda: call(1))
        for i in range(2):
            assert (seen[i] == 20).all(), f"thread {i}: job counts {seen[i]}"
            assert (who[i] == i).all()
    finally:
        numba.set_num_threads(old)


@njit(nogil=True)
def _uneven(next_job, n, seen, work):
    """Job k spins for work[k] iterations: lets a test decide which thread finishes last."""
    while True:
        k = fetch_add(next_job)
        if k >= n:
            return
        s = 0.0
        for i in range(work[k]):
            s += np.sqrt(i + 1.0)
        seen[k] += 1 if s >= 0 else 2


def test_poll_for_call():
    generation, jobs = np.array([3], dtype=np.int64), np.array([1, 4], dtype=np.int64)
    seen = np.array([2], dtype=np.int64)
    assert _pool.poll_for_call(generation, seen, jobs, 10) is True         # a new call, jobs left
    seen[0] = 3
    assert _pool.poll_for_call(generation, seen, jobs, 1000) is False      # no new call: gives up
    assert _pool.poll_for_call(generation, seen, jobs, 0) is False
    seen[0], jobs[0] = 2, 0           # a new call whose caller has not taken a job yet: waits, bounded
    assert _pool.poll_for_call(generation, seen, jobs, 1000) is False and seen[0] == 2
    jobs[0] = 4                       # every job taken before the worker saw the call: skipped
    assert _pool.poll_for_call(generation, seen, jobs, 1000) is False and seen[0] == 3


def test_leave_call_and_wait_for_workers():
    left, sleeps = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    generation, jobs, seen = np.array([4], dtype=np.int64), np.array([2, 8], dtype=np.int64), np.array([4])
    assert _pool.wait_for_workers(left, 1, sleeps, 100) is False and sleeps[0] == 1   # not left: sleeps
    assert _pool.leave_call(left, sleeps, generation, seen, jobs, 100) == 2          # ... so notify
    assert left[0] == 1
    sleeps[0] = 0
    assert _pool.wait_for_workers(left, 1, sleeps, 100) is True and sleeps[0] == 0
    seen[0] = 3
    assert _pool.leave_call(left, sleeps, generation, seen, jobs, 100) == 1           # a new call began
    seen[0] = 4
    assert _pool.leave_call(left, sleeps, generation, seen, jobs, 100) == 0           # none did
    assert left[0] == 3
    assert _pool.wait_for_workers(left, 3, sleeps, 0) is True                          # no polls: one look


def _run_in_threads(*fns, timeout=120):
    """Each fn() in a thread of its own; fails, instead of hanging the suite, if one does not
    return in time, and raises the first error one of them raised."""
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as e:          # reported by the calling thread
            errors.append(e)
    threads = [threading.Thread(target=run, args=(fn,), daemon=True) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a call never returned: a lost wake-up between the caller and a worker"
    if errors:
        raise errors[0]


def test_no_worker_holds_a_call_after_it():
    """Once a call has returned, no worker holds its arguments: the caller's arrays go when the
    caller lets go of them (a training step's large ones before the next step allocates its own,
    and their pages back to be reused: ``_reuse``)."""
    w = _pool._Workers(1)
    w.cores_free = lambda: True                   # the worker polls, so it joins at once
    work = np.array([2_000_000, 2_000_000], dtype=np.int64)
    for _ in range(50):
        seen = np.zeros(2, dtype=np.int64)
        held = weakref.ref(seen)
        w.run(_uneven, 2, (seen, work), 1)
        joined = int(w.left[0])                   # the workers that joined (and left) this call
        del seen
        if joined:
            gc.collect()
            assert held() is None, "a worker still holds the arguments of a call that has returned"
            return
    pytest.fail("no worker joined any of 50 calls: the test misses its case")


@pytest.mark.parametrize("caller_polls", [0, 1, None])
@pytest.mark.parametrize("worker_last", [True, False])
def test_caller_that_sleeps_is_woken(monkeypatch, caller_polls, worker_last):
    """The caller's wait for the worker's last job polled to the end (``caller_polls`` None:
    the calibrated polls) or cut short so that the caller sleeps on the condition (0 or 1),
    with the worker's job (the second: the caller takes the first) the longer one or the
    shorter: every call returns and every job runs once. A lost notification hangs here."""
    w = _pool._Workers(1)
    w.cores_free = lambda: True                   # the worker polls, so it joins at once
    real, slept = _pool.wait_for_workers, []

    def wait(left, joined, sleeps, polls):
        done = real(left, joined, sleeps, polls if caller_polls is None else caller_polls)
        slept.append(not done)
        return done
    monkeypatch.setattr(_pool, "wait_for_workers", wait)
    work = np.array([200_000, 2_000_000] if worker_last else [2_000_000, 20_000], dtype=np.int64)

    wanted = worker_last and caller_polls is not None      # the case under test: the caller sleeps

    def calls():
        # 30 calls; where the caller should sleep, on until it has slept 5 times (at most 300 calls:
        # with other work on the machine the worker joins some calls too late to finish last)
        for n in range(300):
            if n >= 30 and not (wanted and sum(slept) < 5):
                break
            seen = np.zeros(2, dtype=np.int64)
            w.run(_uneven, 2, (seen, work), 1)
            assert (seen == 1).all()
    _run_in_threads(calls)
    if wanted:
        assert sum(slept) >= 5, f"the caller slept in {sum(slept)} of {len(slept)} calls: the test misses its case"


@pytest.mark.parametrize("free", [True, False])
def test_nobody_polls_while_the_cores_are_taken(monkeypatch, free):
    """Workers and caller poll between calls only while the cores look free (``_Runnable``);
    otherwise they sleep on the condition at once. Every job runs either way."""
    w = _pool._Workers(1)
    polls = []

    def recording(real):
        def poll(*args):
            polls.append(args[-1])
            return real(*args[:-1], min(args[-1], 1))         # one poll: the test does not wait
        return poll
    w.cores_free = lambda: free
    for name in ("poll_for_call", "leave_call", "wait_for_workers"):
        monkeypatch.setattr(_pool, name, recording(getattr(_pool, name)))
    for _ in range(20):
        seen = np.zeros(8, dtype=np.int64)
        w.run(_record, 8, (seen, np.zeros(8, dtype=np.int64), 0), 1)
        assert (seen == 1).all()
    assert polls and (max(polls) > 0) == free


def test_no_polling_where_the_cores_cannot_be_read(monkeypatch):
    """Without /proc/loadavg (macOS, Windows) the workers sleep between calls, and the poll
    is not calibrated for them."""
    monkeypatch.setattr(_pool.os, "open", lambda *a, **k: (_ for _ in ()).throw(OSError("no /proc")))
    monkeypatch.setattr(_pool, "_polls_for", lambda s: pytest.fail("calibrated a poll that never runs"))
    w = _pool._Workers(1)
    assert w.cores_free() is False and w.polls == 0
    seen = np.zeros(8, dtype=np.int64)
    w.run(_record, 8, (seen, np.zeros(8, dtype=np.int64), 0), 1)
    assert (seen == 1).all()


def test_runnable_threads_are_read_on_linux():
    r = _pool._Runnable()
    if sys.platform.startswith("linux"):
        assert r.fd is not None and r.cores >= 1 and r() in (True, False)
    else:
        assert r() is False


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux: polling is off elsewhere")
def test_usable_cores_follow_a_cgroup_quota(tmp_path):
    """A container's CPU quota caps the cores polling may assume (cgroup v2 and v1 files)."""
    affinity = len(os.sched_getaffinity(0))
    assert _pool.usable_cores(str(tmp_path)) == affinity                 # no cgroup files
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _pool.usable_cores(str(tmp_path)) == affinity                 # no quota
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert _pool.usable_cores(str(tmp_path)) == min(affinity, 2)         # 1.5 CPUs: 2 cores busy at most
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _pool.usable_cores(str(tmp_path)) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert _pool.usable_cores(str(tmp_path)) == affinity


def test_jobs_run_in_a_forked_child():
    """After fork the parent's worker threads do not exist in the child: it gets its own."""
    code = textwrap.dedent("""
        import multiprocessing as mp
        import numba, numpy as np
        from rnncore.cpu import _pool
        from tests.test_pool import _record

        def child(q):
            seen, who = np.zeros(16, dtype=np.int64), np.zeros(16, dtype=np.int64)
            _pool.run_jobs(_record, 16, seen, who, 0)
            q.put((int(seen.sum()), _pool._workers is not None and all(t.is_alive() for t in _pool._workers.threads)))

        if __name__ == "__main__":
            seen, who = np.zeros(16, dtype=np.int64), np.zeros(16, dtype=np.int64)
            _pool.run_jobs(_record, 16, seen, who, 0)      # the parent's workers start
            q = mp.get_context("fork").Queue()
            p = mp.get_context("fork").Process(target=child, args=(q,))
            p.start()
            print(q.get(timeout=300))
            p.join()
    """)
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root), "NUMBA_NUM_THREADS": "2"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[-2:] == ["(16,", "True)"], r.stdout


def test_chunk_bounds():
    chunks = _common.batch_chunks(50, 10, 4, 64, 4)
    bounds = _common.chunk_bounds(chunks)
    assert bounds.dtype == np.int64 and bounds[0] == 0 and bounds[-1] == 50
    assert [(bounds[k], bounds[k + 1]) for k in range(len(chunks))] == chunks


@pytest.mark.parametrize("kernel", [
    lstm._forward_jobs, lstm._forward_rows, lstm._backward_jobs, lstm._backward_rows,
    gru._forward_jobs, gru._forward_rows, gru._backward_jobs, gru._backward_rows,
    rnn._forward_jobs, rnn._forward_rows, rnn._backward_jobs, rnn._backward_rows,
    peephole._forward_jobs, peephole._forward_rows, peephole._backward_jobs, peephole._backward_rows,
    _common.next_chunk, _common._weight_grads_rows,
    _pool.poll_for_call, _pool.leave_call, _pool.wait_for_workers],   # polls that held the GIL would stall the other thread
    ids=lambda k: f"{k.py_func.__module__}.{k.__name__}")
def test_job_kernels_release_the_gil(kernel):
    assert kernel.targetoptions.get("nogil") is True


def test_rnncore_leaves_the_openmp_thread_count_alone():
    """rnncore's thread count is read without starting Numba's threading layer: starting its
    OpenMP threads set the thread count of the whole process, PyTorch's included (a
    torch.set_num_threads(1) was undone by the first rnncore call)."""
    code = textwrap.dedent("""
        import torch
        torch.set_num_threads(1)
        import numpy as np
        import rnncore as rc
        from numba.np.ufunc import parallel
        rng = np.random.default_rng(0)
        x = rng.standard_normal((32, 5, 4)).astype(np.float32)
        W = [rng.standard_normal(s).astype(np.float32) for s in ((256, 4), (256, 64), (256,), (256,))]
        h, state, cache = rc.lstm_forward(x, *W)
        rc.lstm_backward(h, cache)
        print(torch.get_num_threads(), parallel._is_initialized)
    """)
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                       env={**os.environ, "PYTHONPATH": str(root), "NUMBA_NUM_THREADS": "2"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["1", "False"], r.stdout


def test_thread_count_follows_numba():
    """Before numba.set_num_threads: NUMBA_NUM_THREADS; after it: the value set."""
    from rnncore.cpu._blas import HAVE_THREAD_CONTROL
    if not HAVE_THREAD_CONTROL:
        assert _pool.num_threads() == 1
        return
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert _pool.num_threads() == 1
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        assert _pool.num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        numba.set_num_threads(old)


def test_many_calls_of_random_sizes_from_two_python_threads():
    """Two Python threads each make 600 calls of 2 to 11 jobs of random lengths (from a few
    nanoseconds to about a millisecond, with pauses longer than the workers' poll now and then),
    with up to 3 workers: every job of every call runs exactly once, and no call hangs."""
    old = numba.get_num_threads()
    numba.set_num_threads(min(4, numba.config.NUMBA_NUM_THREADS))

    def calls(seed):
        r = np.random.default_rng(seed)
        for _ in range(600):
            n = int(r.integers(2, 12))
            work = r.choice([10, 1000, 50_000, 300_000], size=n).astype(np.int64)
            seen = np.zeros(n, dtype=np.int64)
            run_jobs(_uneven, n, seen, work)
            assert (seen == 1).all(), f"job counts {seen}"
            if r.random() < 0.01:
                time.sleep(0.002)
    try:
        _run_in_threads(lambda: calls(1), lambda: calls(2))
    finally:
        numba.set_num_threads(old)
