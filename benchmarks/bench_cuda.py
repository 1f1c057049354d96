"""rnncore's Numba CUDA kernels vs PyTorch (cuDNN) on the same GPU, measured in one run.

    python benchmarks/bench_cuda.py                    # LSTM, float32
    python benchmarks/bench_cuda.py --cells lstm gru rnn --rounds 20 --out benchmarks/cuda_results.json

For every (B, T, D, H) row it times, on device-resident float32 data (no host
copies inside the timed region; ``cuda.synchronize()`` before the clock stops):

* rnncore forward with the per-step kernels (``persistent=False``);
* rnncore forward in auto mode (the persistent kernel where it applies: small
  batch, W_hh fits in shared memory, cooperative launch allowed);
* rnncore forward + backward (auto mode);
* torch.nn.{LSTM,GRU,RNN} on CUDA (cuDNN): forward under ``no_grad``, and
  forward + backward of ``h_seq.sum()`` w.r.t. the input and the weights.

Implementations are interleaved, one call each per round, and the minimum over
the rounds is kept. The ratios printed are rnncore time / torch time from this
run only. Without a GPU (or under NUMBA_ENABLE_CUDASIM) the script says so and
measures nothing: simulator timings mean nothing.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROWS = [(1, 100, 4, 32), (32, 100, 4, 64), (64, 200, 32, 128), (128, 500, 4, 256),
        (1, 100, 4, 256), (4, 100, 4, 256), (1, 100, 4, 512), (4, 100, 4, 512)]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def refuse(reason):
    print(f"bench_cuda: nothing measured: {reason}.\n"
          "This benchmark needs an NVIDIA GPU with numba-cuda (pip install rnncore[cuda]); "
          "run it on a GPU machine with NUMBA_ENABLE_CUDASIM unset.", file=sys.stderr)
    sys.exit(0)


def gpu_or_refuse():
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1":
        refuse("NUMBA_ENABLE_CUDASIM=1 (the simulator is for correctness, not speed)")
    try:
        from numba import cuda
    except Exception as exc:
        refuse(f"numba.cuda cannot be imported ({exc})")
    try:
        ok = cuda.is_available()
    except Exception:
        ok = False
    if not ok:
        refuse("no CUDA GPU found")
    return cuda


def timeit(fns, rounds, sync):
    """Interleaved rounds; min seconds per name."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def bench_row(cell, B, T, D, H, rounds, cuda, torch):
    from rnncore.cuda import gru as cgru, lstm as clstm, rnn as crnn
    mod = {"rnn": crnn, "lstm": clstm, "gru": cgru}[cell]
    G = GATES[cell]
    rng = np.random.default_rng(0)
    dt = np.float32
    k = 1 / np.sqrt(H)
    host = {
        "x": rng.standard_normal((B, T, D)).astype(dt),
        "W_ih": rng.uniform(-k, k, (G * H, D)).astype(dt),
        "W_hh": rng.uniform(-k, k, (G * H, H)).astype(dt),
        "b_ih": rng.uniform(-k, k, G * H).astype(dt),
        "b_hh": rng.uniform(-k, k, G * H).astype(dt),
        "h0": np.zeros((B, H), dt), "c0": np.zeros((B, H), dt),
        "dh_seq": np.ones((B, T, H), dt), "dh_T": np.zeros((B, H), dt), "dc_T": np.zeros((B, H), dt),
    }
    d = {name: cuda.to_device(a) for name, a in host.items()}
    w = (d["x"], d["W_ih"], d["W_hh"], d["b_ih"], d["b_hh"], d["h0"])
    extra = (d["c0"],) if cell == "lstm" else ("tanh",) if cell == "rnn" else ()

    def fwd(persistent):
        return mod.forward(*w, *extra, persistent=persistent)

    def fwd_bwd():
        out = fwd(None)
        data = out[-1]
        if cell == "lstm":
            return mod.backward(d["dh_seq"], data, d["dh_T"], d["dc_T"])
        return mod.backward(d["dh_seq"], data, d["dh_T"])

    used_persistent = fwd(None)[-1]["persistent"]
    fns = {"rnncore fwd (per-step)": lambda: fwd(False),
           "rnncore fwd (auto)": lambda: fwd(None),
           "rnncore fwd+bwd": fwd_bwd}
    syncs = [cuda.synchronize]
    if torch is not None:
        dev = torch.device("cuda")
        Net = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        net = Net(D, H, batch_first=True).to(dev).float()
        with torch.no_grad():
            net.weight_ih_l0.copy_(torch.from_numpy(host["W_ih"]))
            net.weight_hh_l0.copy_(torch.from_numpy(host["W_hh"]))
            net.bias_ih_l0.copy_(torch.from_numpy(host["b_ih"]))
            net.bias_hh_l0.copy_(torch.from_numpy(host["b_hh"]))
        xt = torch.from_numpy(host["x"]).to(dev)
        xg = xt.clone().requires_grad_(True)

        def t_fwd():
            with torch.no_grad():
                net(xt)

        def t_fwd_bwd():
            net.zero_grad(set_to_none=True)
            xg.grad = None
            net(xg)[0].sum().backward()

        fns["torch fwd"] = t_fwd
        fns["torch fwd+bwd"] = t_fwd_bwd
        syncs.append(torch.cuda.synchronize)

    def sync():
        for s in syncs:
            s()

    for fn in fns.values():          # compile / warm up (cuDNN plans, Numba JIT)
        fn()
    best = timeit(fns, rounds, sync)
    return best, used_persistent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", nargs="+", default=["lstm"], choices=list(GATES))
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--rows", type=str, default=None, help="e.g. '1,100,4,32;32,100,4,64'")
    ap.add_argument("--out", type=str, default=None, help="write the measurements as JSON")
    args = ap.parse_args(argv)
    cuda = gpu_or_refuse()
    try:
        import torch
        if not torch.cuda.is_available():
            print("torch has no CUDA here: timing rnncore only, no ratios", file=sys.stderr)
            torch = None
    except ImportError:
        print("torch is not installed: timing rnncore only, no ratios", file=sys.stderr)
        torch = None
    rows = ROWS if args.rows is None else [tuple(int(v) for v in r.split(",")) for r in args.rows.split(";")]
    gpu = cuda.get_current_device()
    name = gpu.name.decode() if isinstance(gpu.name, bytes) else str(gpu.name)
    info = {"gpu": name, "compute_capability": list(gpu.compute_capability),
            "torch": getattr(torch, "__version__", None),
            "cudnn": torch.backends.cudnn.version() if torch is not None else None,
            "dtype": "float32", "rounds": args.rounds, "results": []}
    print(f"GPU: {name}  (cc {gpu.compute_capability[0]}.{gpu.compute_capability[1]}), float32, "
          f"min of {args.rounds} interleaved rounds, device-resident data")
    for cell in args.cells:
        print(f"\n{cell.upper()}")
        hdr = (f"{'B':>4} {'T':>4} {'D':>3} {'H':>4} | {'fwd step':>9} {'fwd auto':>9} {'pers':>4} "
               f"{'f+b':>9} | {'torch fwd':>9} {'torch f+b':>9} | {'fwd ratio':>9} {'f+b ratio':>9}")
        print(hdr + "\n" + "-" * len(hdr))
        for B, T, D, H in rows:
            best, pers = bench_row(cell, B, T, D, H, args.rounds, cuda, torch)
            ms = {k: v * 1e3 for k, v in best.items()}
            line = (f"{B:>4} {T:>4} {D:>3} {H:>4} | {ms['rnncore fwd (per-step)']:9.3f} "
                    f"{ms['rnncore fwd (auto)']:9.3f} {'yes' if pers else 'no':>4} {ms['rnncore fwd+bwd']:9.3f} | ")
            rec = {"cell": cell, "B": B, "T": T, "D": D, "H": H, "persistent_used": bool(pers), "ms": ms}
            if torch is not None:
                rf = ms["rnncore fwd (auto)"] / ms["torch fwd"]
                rb = ms["rnncore fwd+bwd"] / ms["torch fwd+bwd"]
                rec.update(fwd_ratio=rf, fwd_bwd_ratio=rb)
                line += f"{ms['torch fwd']:9.3f} {ms['torch fwd+bwd']:9.3f} | {rf:9.2f} {rb:9.2f}"
            else:
                line += f"{'-':>9} {'-':>9} | {'-':>9} {'-':>9}"
            print(line, flush=True)
            info["results"].append(rec)
    print("\ntimes in ms; ratio = rnncore / torch (below 1: rnncore faster), this run only")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(info, fh, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
