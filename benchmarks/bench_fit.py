"""End-to-end training: rnncore's ``Sequential.fit`` against Keras 3 (torch backend) and a
plain PyTorch training loop, same architecture, optimiser, batch size, data and dtype.

    python benchmarks/bench_fit.py --out benchmarks/results_fit.json     # about 2 minutes on 2 idle cores
    python benchmarks/bench_fit.py --rounds 3 --configs 0                # the small configuration only

The model is ``LSTM(H)`` on (N, T, D) float32 inputs, then ``Dense(1)``, mean squared
error, Adam (learning rate 1e-3, Keras' epsilon 1e-7 everywhere), batches of B in a fixed
order (no shuffling, so every library sees the same batches), one epoch per timed run.
PyTorch: ``nn.LSTM(batch_first=True)`` + ``nn.Linear``, ``torch.optim.Adam``, a plain
loop over the batches. Keras: ``keras.Sequential`` with ``fit(verbose=0, shuffle=False)``,
backend torch (``KERAS_BACKEND=torch``, set here before Keras is imported).
A peer that is not installed is skipped with a message. Threads: rnncore its default
(Numba's thread count); PyTorch (and Keras through it) ``--torch-threads``, default 1,
because on a busy machine PyTorch's OpenMP threads, which wait for each other at every
operation, made a training epoch tens of times slower than one thread (measured: LSTM(64)
x T=50, 2 threads, load average 8-9 on 2 cores: 1.7 s per batch).

Per round every library trains one epoch, one after the other, in an order that
rotates between rounds; after one untimed warm-up epoch each (compilation, first-call
costs). By default each timed epoch comes right after an untimed epoch of the same
library, so that no library is timed while another's threads still spin: PyTorch's
OpenMP threads keep spinning after its operations, and rnncore's epoch right after a
PyTorch epoch took 27.7 and 28.5 ms against 21.1 ms right after its own (medians of two
runs of 10 and 15 rounds, LSTM(64), PyTorch on 2 threads; 20.8 ms with
``OMP_WAIT_POLICY=PASSIVE``, which made PyTorch's own epoch 1.5x slower); rnncore's pool
threads block instead of spinning. ``--no-settle`` times the epochs back to back across
libraries, as before 2026-12-03 (results_fit*.json up to then). A pause instead of the
settling epoch did not help: after 0.2 s or 0.5 s idle rnncore's next epoch took 34 to
36 ms (medians; the cause was not pinned down). Reported per
configuration: the median epoch time of each library and the ratio rnncore / the
faster peer per round (median and min-max over rounds): below 1 rnncore is faster.

Python overhead of rnncore's fit, per batch, two ways:

* ``overhead_ms_per_batch``: the epoch time minus the time spent inside the CPU
  LSTM's ``forward`` and ``backward`` (``rnncore.cpu.lstm``, wrapped with a timer
  for one extra epoch), divided by the number of batches. What is left is fit's
  loop, input checks, the Dense layer, the loss, Adam, and the functional API's
  validation.
* ``tiny``: fit of an LSTM(2) on (B, 2, 1) inputs, where the kernels cost next to
  nothing: the fixed cost of one training step, wall and CPU time per batch (on a busy
  machine the wall time also counts the time the process waited for a core).
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

from rnncore import layers as L
from rnncore import optimizers
from rnncore.models import Sequential

# (H, T, D, B, N): hidden units, steps, input features, batch size, samples per epoch
CONFIGS = [
    {"name": "LSTM(64) x T=50", "H": 64, "T": 50, "D": 8, "B": 32, "N": 256},
    {"name": "LSTM(256) x T=100", "H": 256, "T": 100, "D": 8, "B": 32, "N": 128},
]
LR, EPS = 1e-3, 1e-7
# PyTorch's intra-op threads, set again before every PyTorch or Keras epoch: anything in the
# process that starts OpenMP threads (Numba's threading layer did, in rnncore before this
# benchmark was written) resets the count of the shared OpenMP runtime
TORCH_THREADS = [1]


def make_data(cfg, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["N"], cfg["T"], cfg["D"])).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1, keepdims=True) + 0.1 * rng.standard_normal((cfg["N"], 1))).astype(np.float32)
    return x, y


def rnncore_trainer(cfg, x, y):
    model = Sequential([L.Input((cfg["T"], cfg["D"])), L.LSTM(cfg["H"]), L.Dense(1)], seed=0)
    model.compile(optimizer=optimizers.Adam(learning_rate=LR, epsilon=EPS), loss="mse")

    def epoch():
        return model.fit(x, y, batch_size=cfg["B"], epochs=1, shuffle=False, verbose=0).history["loss"][-1]
    return epoch


def torch_trainer(cfg, x, y):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(cfg["D"], cfg["H"], batch_first=True)
    dense = torch.nn.Linear(cfg["H"], 1)
    params = list(lstm.parameters()) + list(dense.parameters())
    opt = torch.optim.Adam(params, lr=LR, eps=EPS)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    B = cfg["B"]

    def epoch():
        torch.set_num_threads(TORCH_THREADS[0])
        total = 0.0
        for b0 in range(0, len(xt), B):
            xb, yb = xt[b0:b0 + B], yt[b0:b0 + B]
            opt.zero_grad()
            h_seq, _ = lstm(xb)
            loss = torch.nn.functional.mse_loss(dense(h_seq[:, -1]), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        return total / len(xt)
    return epoch


def keras_trainer(cfg, x, y):
    try:
        import keras
    except ImportError:
        return None
    if keras.backend.backend() != "torch":
        print(f"Keras runs on its {keras.backend.backend()} backend, not torch: skipped", file=sys.stderr)
        return None
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((cfg["T"], cfg["D"])), keras.layers.LSTM(cfg["H"]),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=EPS), loss="mse")

    def epoch():
        import torch
        torch.set_num_threads(TORCH_THREADS[0])
        return model.fit(x, y, batch_size=cfg["B"], epochs=1, shuffle=False, verbose=0).history["loss"][-1]
    return epoch


def kernel_seconds(epoch):
    """One epoch with rnncore.cpu.lstm.forward/backward wrapped by a timer: (epoch s, kernel s)."""
    from rnncore.cpu import lstm as cpu_lstm
    spent = [0.0]
    orig = cpu_lstm.forward, cpu_lstm.backward

    def timed(fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t0
        return wrapper
    cpu_lstm.forward, cpu_lstm.backward = timed(orig[0]), timed(orig[1])
    try:
        t0 = time.perf_counter()
        epoch()
        total = time.perf_counter() - t0
    finally:
        cpu_lstm.forward, cpu_lstm.backward = orig
    return total, spent[0]


def bench_config(cfg, rounds, skip, settle=True):
    x, y = make_data(cfg)
    makers = {"rnncore": rnncore_trainer, "torch": torch_trainer, "keras_torch": keras_trainer}
    trainers = {}
    for name, make in makers.items():
        if name in skip:
            print(f"{name}: skipped (--skip)", file=sys.stderr)
            continue
        t = make(cfg, x, y)
        if t is None:
            print(f"{name}: not installed, skipped", file=sys.stderr)
            continue
        trainers[name] = t
    losses = {name: float(t()) for name, t in trainers.items()}       # warm-up epoch (compiles)
    times = {name: [] for name in trainers}
    names = list(trainers)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            if settle:
                trainers[name]()          # untimed: the previous library's threads stop spinning meanwhile
            t0 = time.perf_counter()
            trainers[name]()
            times[name].append(time.perf_counter() - t0)
    n_batches = -(-cfg["N"] // cfg["B"])
    out = {**cfg, "batches_per_epoch": n_batches, "first_epoch_loss": losses,
           "epoch_s": {k: v for k, v in times.items()},
           "epoch_s_median": {k: float(np.median(v)) for k, v in times.items()}}
    peers = [p for p in ("torch", "keras_torch") if p in times]
    if "rnncore" in times and peers:
        per_round = {p: np.array(times["rnncore"]) / np.array(times[p]) for p in peers}
        best = min(peers, key=lambda p: np.median(times[p]))
        ratio = per_round[best]
        out.update({"best_peer": best, "ratio_vs_best_median": float(np.median(ratio)),
                    "ratio_vs_best_min": float(ratio.min()), "ratio_vs_best_max": float(ratio.max()),
                    "ratio_median": {p: float(np.median(v)) for p, v in per_round.items()}})
    if "rnncore" in trainers:
        if settle:
            trainers["rnncore"]()
        splits = [kernel_seconds(trainers["rnncore"]) for _ in range(max(1, rounds // 2))]
        over = [(tot - ker) / n_batches * 1e3 for tot, ker in splits]
        out["kernel_share"] = float(np.median([ker / tot for tot, ker in splits]))
        out["overhead_ms_per_batch"] = float(np.median(over))
        out["overhead_ms_per_batch_range"] = [float(min(over)), float(max(over))]
    return out


def tiny_overhead(rounds, B=32, n_batches=100):
    """ms per batch of fit on LSTM(2), T=2, D=1: the fixed cost of a training step."""
    cfg = {"H": 2, "T": 2, "D": 1, "B": B, "N": B * n_batches}
    x, y = make_data(cfg)
    epoch = rnncore_trainer(cfg, x, y)
    epoch()
    per, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        epoch()
        per.append((time.perf_counter() - t0) / n_batches * 1e3)
        cpu.append((time.process_time() - c0) / n_batches * 1e3)
    return {"B": B, "T": 2, "D": 1, "H": 2, "batches": n_batches, "ms_per_batch_median": float(np.median(per)),
            "ms_per_batch_range": [float(min(per)), float(max(per))],
            "cpu_ms_per_batch_median": float(np.median(cpu)),
            "cpu_ms_per_batch_range": [float(min(cpu)), float(max(cpu))]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--configs", default=",".join(str(i) for i in range(len(CONFIGS))),
                    help="comma-separated indices into CONFIGS")
    ap.add_argument("--skip", default="", help="comma-separated peers to leave out: torch,keras_torch")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="PyTorch's intra-op threads, for PyTorch and Keras (default 1: on a busy machine "
                         "PyTorch's OpenMP threads are many times slower than one)")
    ap.add_argument("--no-settle", action="store_true",
                    help="time every epoch right after the previous library's (no untimed epoch of the same "
                         "library before it; the protocol before 2026-12-03)")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    try:
        import torch
        TORCH_THREADS[0] = args.torch_threads
        torch.set_num_threads(args.torch_threads)
        versions = {"torch": torch.__version__, "torch_threads": args.torch_threads}
    except ImportError:
        versions = {}
    try:
        import keras
        versions["keras"] = keras.__version__
    except ImportError:
        pass
    import numba
    versions.update(numpy=np.__version__, numba=numba.__version__, python=platform.python_version())
    start = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    load = [open("/proc/loadavg").read().split()[:3]]
    results = []
    for i in map(int, args.configs.split(",")):
        cfg = CONFIGS[i]
        r = bench_config(cfg, args.rounds, skip, settle=not args.no_settle)
        load.append(open("/proc/loadavg").read().split()[:3])
        results.append(r)
        med = r["epoch_s_median"]
        print(f"{cfg['name']} (B={cfg['B']}, D={cfg['D']}, N={cfg['N']}): "
              + ", ".join(f"{k} {v:.3f} s" for k, v in med.items()), flush=True)
        if "ratio_vs_best_median" in r:
            print(f"  rnncore / {r['best_peer']}: {r['ratio_vs_best_median']:.2f} "
                  f"({r['ratio_vs_best_min']:.2f}-{r['ratio_vs_best_max']:.2f}); kernels {r['kernel_share']:.0%} "
                  f"of rnncore's epoch, the rest {r['overhead_ms_per_batch']:.2f} ms per batch", flush=True)
    tiny = tiny_overhead(args.rounds)
    load.append(open("/proc/loadavg").read().split()[:3])
    print(f"tiny model (LSTM(2), T=2, B=32): {tiny['ms_per_batch_median']:.3f} ms per batch "
          f"({tiny['ms_per_batch_range'][0]:.3f}-{tiny['ms_per_batch_range'][1]:.3f}), CPU "
          f"{tiny['cpu_ms_per_batch_median']:.3f} ms per batch")
    print("load average (1, 5, 15 min) before, after each configuration:", load)
    out = {"command": "python benchmarks/bench_fit.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "date_utc": start + "-" + time.strftime("%H:%M", time.gmtime()), "versions": versions,
           "cpus": os.cpu_count(), "rnncore_threads": numba.get_num_threads(), "settle": not args.no_settle,
           "loadavg": load, "configs": results, "tiny": tiny}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    main()
