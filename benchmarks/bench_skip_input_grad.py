"""What skipping the input gradient of the lowest layer with weights saves in ``fit``.

    python benchmarks/bench_skip_input_grad.py --out benchmarks/results_skip_input_grad.json   # about 10 seconds

In a model's backward pass the gradient that the lowest layer with weights would pass down
reaches no weight: below it are the data, or layers without weights (Masking, Dropout). That
layer skips it (``Layer.skip_input_grad``, set by ``Sequential._backward``): the recurrent
layers' CPU kernels then leave out the product dx = dA W_ih, and the layers below are not run
backward. Here each model trains one epoch at a time, with the skip on and with it pinned off
(every layer computes its input gradient, as before 2026-12-04 for a layer above a Masking
layer), alternating in one process; reported per model the ratio on / off of each pair of
neighbouring epochs (median and min-max) and whether both gave the same weights, bit for bit.

Models (float32, Adam, MSE, batches of 32, no shuffling):

* ``first_lstm``: bench_fit.py's LSTM(64) x T=50 (D = 8), the LSTM first;
* ``masking_lstm``: Masking, then LSTM(32), Dense(1), on 512 sequences of 60 steps x 21
  features padded with zeros after 20 to 60 valid steps; the masked path of the recurrent layer;
* ``masking_bigru``: the same data, Masking, then Bidirectional(GRU(16)), Dense(1) (notebooks 11
  and 16 put a Masking layer before a GRU, 16 before a bidirectional one).
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

from rnncore import layers as L
from rnncore.models import Sequential

# Layer.skip_input_grad pinned to False: every layer computes its input gradient
_NEVER_SKIP = property(lambda self: False, lambda self, v: None)


def _data(name, rng):
    if name == "first_lstm":
        N, T, D = 256, 50, 8
        x = rng.standard_normal((N, T, D)).astype(np.float32)
    else:
        N, T, D = 512, 60, 21
        x = rng.standard_normal((N, T, D)).astype(np.float32)
        for i, n_valid in enumerate(rng.integers(20, T + 1, N)):
            x[i, n_valid:] = 0.0
    return x, rng.standard_normal((N, 1)).astype(np.float32)


def _model(name, shape):
    layers = [L.Input(shape)]
    layers += {"first_lstm": [L.LSTM(64)], "masking_lstm": [L.Masking(0.0), L.LSTM(32)],
               "masking_bigru": [L.Masking(0.0), L.Bidirectional(L.GRU(16))]}[name]
    m = Sequential(layers + [L.Dense(1)], seed=0)
    m.compile(optimizer="adam", loss="mse")
    return m


def measure(name, rounds):
    rng = np.random.default_rng(0)
    x, y = _data(name, rng)
    models = {"on": _model(name, x.shape[1:]), "off": _model(name, x.shape[1:])}
    real = L.Layer.__dict__["skip_input_grad"]
    times = {"on": [], "off": []}
    try:
        for r in range(rounds + 1):                     # round 0: compilation, first calls
            for side in ("off", "on") if r % 2 else ("on", "off"):
                L.Layer.skip_input_grad = real if side == "on" else _NEVER_SKIP
                t0 = time.perf_counter()
                models[side].fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
                if r:
                    times[side].append(time.perf_counter() - t0)
    finally:
        L.Layer.skip_input_grad = real
    ratio = np.array(times["on"]) / np.array(times["off"])
    same = all(a.tobytes() == b.tobytes() for a, b in zip(models["on"].get_weights(), models["off"].get_weights()))
    return {"model": name, "rounds": rounds, "epoch_s_median": {k: float(np.median(v)) for k, v in times.items()},
            "ratio_on_off_median": float(np.median(ratio)), "ratio_on_off_min": float(ratio.min()),
            "ratio_on_off_max": float(ratio.max()), "same_weights": bool(same)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    rows = []
    for name in ("first_lstm", "masking_lstm", "masking_bigru"):
        row = measure(name, args.rounds)
        rows.append(row)
        print(f"{name:13s} skip on / off {row['ratio_on_off_median']:.2f} ({row['ratio_on_off_min']:.2f}-"
              f"{row['ratio_on_off_max']:.2f}), epochs {row['epoch_s_median']['on'] * 1e3:.1f} / "
              f"{row['epoch_s_median']['off'] * 1e3:.1f} ms, same weights: {row['same_weights']}")
    if args.out:
        out = {"command": "python benchmarks/bench_skip_input_grad.py " + " ".join(sys.argv[1:] if argv is None else argv),
               "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cpu": platform.processor() or
               platform.machine(), "threads": numba.get_num_threads(), "rows": rows}
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
