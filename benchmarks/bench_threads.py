"""Why two threads were no faster than one, and whether they are now: the LSTM forward's
chunk jobs dispatched two ways, in the same process, interleaved.

    python benchmarks/bench_threads.py --out benchmarks/results_threads.json   # about 2 minutes

* ``per_job``: what rnncore did before, one Python call per job (``run_per_job``, a copy of
  the retired ``_pool.run``, hands each chunk to a thread, which slices the arrays and calls
  the ``nogil`` kernel ``lstm._forward_rows``); every job takes the GIL twice (to start, and
  to return).
* ``compiled_loop``: what rnncore does now (``_pool.run_jobs``): one call per thread of
  the compiled loop ``lstm._forward_jobs``, which takes chunk after chunk from a shared
  atomic counter without returning to Python.

Both run the same kernel on the same chunks (``_common.batch_chunks``), with 1 and with 2
threads, in 3-call bursts per round, interleaved; reported: the median and spread over
rounds of time(1 thread) / time(2 threads) (above 1: the second thread helps). For
``per_job`` a trace of which thread ran each job and when (the second thread's share of
the jobs, how late its first job started after the call began). Also measured: the Python
cost of one job dispatch (a ``nogil`` kernel that does nothing, with the same 11
arguments), and the Numba options of every kernel a job calls (``nogil`` must be on).
The load average is recorded: on a busy machine the ratios say little about an idle one.
"""
import argparse
import concurrent.futures
import functools
import json
import sys
import threading
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit

from rnncore.cpu import _blas, _common, _pool, gru, lstm, peephole, rnn
from rnncore.cpu._math import JIT
from rnncore.cpu._packed import pack

SHAPES = [(32, 100, 4, 64), (64, 200, 32, 128)]


def problem(B, T, D, H, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    x = rng.standard_normal((B, T, D)).astype(f)
    W_ih, W_hh = ((rng.standard_normal((4 * H, n)) * 0.1).astype(f) for n in (D, H))
    W_pk = pack(np.concatenate([W_ih, W_hh], axis=1).T)
    bias = np.zeros(4 * H, f)
    scale, shift = lstm._gate_affine(H, x.dtype)
    h0 = np.zeros((B, H), f)
    c0 = np.zeros((B, H), f)
    gates, c_seq, h_seq = np.empty((B, 1, 4 * H), f), np.empty((B, 2, H), f), np.empty((B, T, H), f)
    return (x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, None)     # use_relu None: tanh (_math.activation_flag)


@functools.lru_cache(maxsize=None)
def _executor(workers):
    """The retired pool's worker threads: a ThreadPoolExecutor, kept for the process."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=workers)


def run_per_job(job, chunks):
    """job(k, b0, b1) for every chunk, one Python call per job, on up to ``_pool.num_threads()``
    threads taking jobs from a locked iterator (rnncore's ``_pool.run`` before ``run_jobs``)."""
    _blas.blas_one_thread()
    n = len(chunks)
    nt = min(_pool.num_threads(), n)
    todo = iter(range(n))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                k = next(todo, None)
            if k is None:
                return
            job(k, *chunks[k])

    if nt <= 1:
        worker()
        return
    futures = [_executor(nt - 1).submit(worker) for _ in range(nt - 1)]
    try:
        worker()
    finally:
        for f in futures:
            f.result()


def per_job(args, chunks, trace=None):
    x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, use_relu = args
    t_call = time.perf_counter()

    def job(k, b0, b1):
        t0 = time.perf_counter()
        lstm._forward_rows(x[b0:b1], W_pk, bias, scale, shift, h0[b0:b1], c0[b0:b1], gates[b0:b1],
                           c_seq[b0:b1], h_seq[b0:b1], use_relu)
        if trace is not None:
            trace.append((t_call, threading.get_ident() == main_ident, t0, time.perf_counter()))
    run_per_job(job, chunks)


def compiled_loop(args, chunks, trace=None):
    _common.run_chunk_jobs(lstm._forward_jobs, chunks, *args)


@njit(**JIT)
def _nothing(x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, use_relu):
    pass


main_ident = threading.get_ident()


def dispatch_cost(args, n=2000):
    """Seconds per Python job dispatch: the slicing and the call of a nogil kernel that does nothing."""
    x, W_pk, bias, scale, shift, h0, c0, gates, c_seq, h_seq, use_relu = args
    _nothing(*args)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            _nothing(x[0:8], W_pk, bias, scale, shift, h0[0:8], c0[0:8], gates[0:8], c_seq[0:8], h_seq[0:8],
                     use_relu)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def kernel_options():
    """nogil of every kernel that a job calls (it must be True for the threads to run at once)."""
    from rnncore.cpu import _common as c
    kernels = {"lstm._forward_jobs": lstm._forward_jobs, "lstm._forward_rows": lstm._forward_rows,
               "lstm._backward_jobs": lstm._backward_jobs, "lstm._backward_rows": lstm._backward_rows,
               "gru._forward_jobs": gru._forward_jobs, "gru._backward_jobs": gru._backward_jobs,
               "rnn._forward_jobs": rnn._forward_jobs, "rnn._backward_jobs": rnn._backward_jobs,
               "peephole._forward_jobs": peephole._forward_jobs, "peephole._backward_jobs": peephole._backward_jobs,
               "_common.next_chunk": c.next_chunk, "_common._weight_grads_rows": c._weight_grads_rows}
    return {k: bool(v.targetoptions.get("nogil", False)) for k, v in kernels.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", default="")
    args_ns = ap.parse_args(argv)
    load = [open("/proc/loadavg").read().split()[:3]]
    start = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    results = []
    for shape in SHAPES:
        B, T, D, H = shape
        chunks = _common.batch_chunks(B, T, D, H, 4)
        args = problem(*shape)
        ways = {"per_job": per_job, "compiled_loop": compiled_loop}
        for fn in ways.values():
            fn(args, chunks)
        times = {(w, nt): [] for w in ways for nt in (1, 2)}
        for r in range(args_ns.rounds):
            for w, fn in ways.items():
                for nt in (1, 2):
                    numba.set_num_threads(nt)
                    best = np.inf
                    for _ in range(3):
                        t0 = time.perf_counter()
                        fn(args, chunks)
                        best = min(best, time.perf_counter() - t0)
                    times[w, nt].append(best)
        numba.set_num_threads(2)
        trace = []
        for _ in range(args_ns.rounds * 3):
            per_job(args, chunks, trace)
        calls = {}
        for t_call, on_main, t0, t1 in trace:
            calls.setdefault(t_call, []).append((on_main, t0, t1))
        worker_jobs = [sum(not m for m, _, _ in jobs) for jobs in calls.values()]
        late = [min(t0 for m, t0, _ in jobs if not m) - tc for tc, jobs in calls.items()
                if any(not m for m, _, _ in jobs)]
        job_ms = {"calling thread": [1e3 * (t1 - t0) for _, m, t0, t1 in trace if m],
                  "pool thread": [1e3 * (t1 - t0) for _, m, t0, t1 in trace if not m]}
        row = {"shape": shape, "chunks": len(chunks), "rows_per_chunk": chunks[0][1] - chunks[0][0],
               "dispatch_us_per_job": dispatch_cost(args) * 1e6,
               "ms_median": {f"{w} {nt} thread(s)": 1e3 * float(np.median(times[w, nt]))
                             for w in ways for nt in (1, 2)}}
        for w in ways:
            ratio = np.array(times[w, 1]) / np.array(times[w, 2])
            row[f"speedup_2_threads_{w}"] = [float(np.median(ratio)), float(ratio.min()), float(ratio.max())]
        row["per_job_trace"] = {
            "calls": len(calls), "jobs_per_call": len(chunks),
            "pool_thread_jobs_per_call_mean": float(np.mean(worker_jobs)),
            "calls_where_pool_thread_ran_nothing": int(sum(j == 0 for j in worker_jobs)),
            "pool_thread_first_job_late_ms_median": float(np.median(late)) * 1e3 if late else None,
            "job_ms_median": {k: float(np.median(v)) if v else None for k, v in job_ms.items()}}
        load.append(open("/proc/loadavg").read().split()[:3])
        results.append(row)
        print(json.dumps(row), flush=True)
    out = {"command": "python benchmarks/bench_threads.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "date_utc": start + "-" + time.strftime("%H:%M", time.gmtime()), "loadavg": load,
           "nogil": kernel_options(), "results": results}
    print("nogil:", out["nogil"], "\nload:", load)
    if args_ns.out:
        Path(args_ns.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
