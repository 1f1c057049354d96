"""Handing a call to the worker threads: rnncore's workers (``_pool._Workers``) against the
hand-offs they replaced, in one process, interleaved.

    python benchmarks/bench_pool.py --out benchmarks/results_pool.json     # about 20 s on 2 idle cores
    python benchmarks/bench_pool.py --old executor                         # against the first hand-off

* ``handoff``: one ``run_jobs`` call of four tiny jobs (a few microseconds of work each)
  with 11 array arguments, the cost of the hand-off itself; medians of 3,000 calls, each
  way, with the default threads and with one thread (no hand-off: the floor).
* ``fit``: epochs of ``Sequential.fit`` at ``bench_fit.py``'s two configurations, the
  two hand-offs alternating epoch by epoch (each timed epoch right after an untimed one
  of the same kind, the order swapped every round); reported per configuration: the
  median of the per-round ratios new / old (below 1: the new hand-off is faster) and their
  quartiles, beside the median epochs.

``--old`` picks the hand-off to compare with (copies of rnncore's code as it was):

* ``executor`` (until 2026-12-03): the worker calls go to a ``ThreadPoolExecutor`` and the
  caller waits for each one's ``Future``.
* ``polling`` (2026-12-03 to 2026-12-04, the default): workers that poll between calls, but
  take the GIL as soon as they see a call (while the caller still holds it) and leave a call
  in Python under the condition (while the caller, polling, wants the GIL back).

The kernels, the jobs and the bits are the same either way (the loss of every epoch is compared).
"""
import argparse
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numba import njit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_fit  # noqa: E402  (this folder's module)
from rnncore.cpu import _common, _pool  # noqa: E402

_executor = ThreadPoolExecutor(max_workers=max(1, _pool.num_threads() - 1))


def run_jobs_old(driver, n, *args):
    """``_pool.run_jobs`` until 2026-12-03: a Future per worker, each waited for."""
    next_job = np.zeros(1, dtype=np.int64)
    nt = min(_pool.num_threads(), n)
    if nt <= 1:
        driver(next_job, n, *args)
        return
    futures = [_executor.submit(driver, next_job, n, *args) for _ in range(nt - 1)]
    try:
        driver(next_job, n, *args)
    finally:
        for f in futures:
            f.result()


@njit(cache=True, nogil=True)
def _poll_while(flag, value, polls):
    """``_pool``'s poll as it was until 2026-12-04: until flag[0] != value, at most ``polls`` polls."""
    for _ in range(polls):
        if _pool.load_acquire(flag) != value:
            return True
        _pool.cpu_relax()
    return False


class _PollingWorkers:
    """``_pool._Workers`` as it was from 2026-12-03 to 2026-12-04 (the same polls and sleeps;
    the worker asks for the GIL as soon as it sees a call, and leaves under ``cond``)."""

    def __init__(self, n):
        self.cond = threading.Condition()
        self.generation = np.zeros(1, dtype=np.int64)
        self.inside = np.zeros(1, dtype=np.int64)
        self.call = None
        self.busy = threading.Lock()
        self.cores_free = _pool._Runnable()
        self.polls = _pool._polls_for(_pool.SPIN_SECONDS) if self.cores_free.fd is not None else 0
        for _ in range(n):
            threading.Thread(target=self._work, daemon=True).start()

    def _work(self):
        seen = int(self.generation[0])
        while True:
            if not (self.cores_free() and _poll_while(self.generation, seen, self.polls)):
                with self.cond:
                    while self.generation[0] == seen:
                        self.cond.wait()
            with self.cond:
                seen = int(self.generation[0])
                call = self.call
                if call is None or call.seats == 0:
                    continue
                call.seats -= 1
                self.inside[0] += 1
            try:
                call.driver(*call.args)
            finally:
                with self.cond:
                    self.inside[0] -= 1
                    self.cond.notify_all()

    def run(self, driver, args, helpers):
        with self.busy:
            call = _pool._Call(driver, args, helpers)
            with self.cond:
                self.call = call
                self.generation[0] += 1
                self.cond.notify_all()
            try:
                driver(*args)
            finally:
                with self.cond:
                    call.seats, self.call = 0, None
                while True:
                    with self.cond:
                        now = int(self.inside[0])
                    if now == 0:
                        break
                    if not (self.cores_free() and _poll_while(self.inside, now, self.polls)):
                        with self.cond:
                            while self.inside[0] != 0:
                                self.cond.wait()
                        break


_polling_workers = None


def run_jobs_polling(driver, n, *args):
    """``_pool.run_jobs`` from 2026-12-03 to 2026-12-04."""
    global _polling_workers
    next_job = np.zeros(1, dtype=np.int64)
    nt = min(_pool.num_threads(), n)
    if nt <= 1:
        driver(next_job, n, *args)
        return
    if _polling_workers is None:
        _polling_workers = _PollingWorkers(nt - 1)
    _polling_workers.run(driver, (next_job, n) + args, nt - 1)


OLD_WAYS = {"executor": run_jobs_old, "polling": run_jobs_polling}
WAYS = {"old": run_jobs_polling, "new": _pool.run_jobs}


@njit(nogil=True, cache=True)
def _tiny_jobs(next_job, n, bounds, a, b, c, d, e, f, g, h, i, j, k):
    """Four jobs of about 2 microseconds each (2,000 additions), arguments as a real kernel's."""
    s = 0.0
    while True:
        kk, b0, b1 = _common.next_chunk(next_job, n, bounds)
        if kk < 0:
            return
        for q in range(2000):
            s += q * 1e-9
        a[kk] = s


def handoff(calls=3000):
    arrs = [np.zeros(8) for _ in range(11)]
    chunks = [(0, 8), (8, 16), (16, 24), (24, 32)]
    out = {}
    for threads in sorted({1, _pool.num_threads()}):
        for way in ("old", "new", "old", "new"):
            _common.run_jobs = WAYS[way]
            saved = _pool.num_threads
            _pool.num_threads = lambda t=threads: t
            try:
                _common.run_chunk_jobs(_tiny_jobs, chunks, *arrs)
                ts = []
                for _ in range(calls):
                    t0 = time.perf_counter()
                    _common.run_chunk_jobs(_tiny_jobs, chunks, *arrs)
                    ts.append(time.perf_counter() - t0)
            finally:
                _pool.num_threads = saved
            out.setdefault(f"{threads} threads, {way}", []).append(float(np.median(ts)) * 1e6)
    _common.run_jobs = WAYS["new"]
    return out


def fit(rounds):
    out = {}
    for cfg in bench_fit.CONFIGS:
        n_rounds = rounds if cfg["H"] <= 64 else max(5, rounds // 4)
        x, y = bench_fit.make_data(cfg)
        epochs, times, losses = {}, {"old": [], "new": []}, {"old": [], "new": []}
        for way in ("old", "new"):
            _common.run_jobs = WAYS[way]
            epochs[way] = bench_fit.rnncore_trainer(cfg, x, y)
            epochs[way]()
        for r in range(n_rounds):
            for way in (("old", "new") if r % 2 == 0 else ("new", "old")):
                _common.run_jobs = WAYS[way]
                epochs[way]()                      # settle: the same kind of epoch just before
                t0 = time.perf_counter()
                losses[way].append(epochs[way]())
                times[way].append(time.perf_counter() - t0)
        _common.run_jobs = WAYS["new"]
        o, n = np.array(times["old"]), np.array(times["new"])
        ratio = n / o
        out[cfg["name"]] = {"rounds": n_rounds, "old_ms_median": float(np.median(o)) * 1e3,
                            "new_ms_median": float(np.median(n)) * 1e3, "ratio_median": float(np.median(ratio)),
                            "ratio_q25": float(np.percentile(ratio, 25)), "ratio_q75": float(np.percentile(ratio, 75)),
                            "same_losses": losses["old"] == losses["new"]}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=60, help="fit rounds at LSTM(64) (a quarter at LSTM(256))")
    ap.add_argument("--old", choices=sorted(OLD_WAYS), default="polling", help="the hand-off to compare with")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    WAYS["old"] = OLD_WAYS[args.old]
    res = {"old": args.old, "threads": _pool.num_threads(), "load_average_start": list(os.getloadavg()),
           "cpu": platform.processor() or platform.machine(), "logical_cpus": os.cpu_count()}
    res["handoff_us"] = handoff()
    for k, v in res["handoff_us"].items():
        print(f"hand-off, {k}: median {', '.join(f'{u:.1f}' for u in v)} us per call")
    res["fit"] = fit(args.rounds)
    for k, v in res["fit"].items():
        print(f"fit {k}: old {v['old_ms_median']:.1f} ms, new {v['new_ms_median']:.1f} ms per epoch; new/old "
              f"{v['ratio_median']:.3f} (quartiles {v['ratio_q25']:.3f}-{v['ratio_q75']:.3f}, {v['rounds']} rounds); "
              f"same losses: {v['same_losses']}")
    res["load_average_end"] = list(os.getloadavg())
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
