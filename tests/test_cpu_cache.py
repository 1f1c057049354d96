"""The CPU kernels, their job drivers included, load from Numba's disk cache in the next
process: nothing is compiled twice. A driver that takes the kernel as an argument (or a
factory's closure) is compiled again in every process, as its cache key holds the kernel's
dispatcher (``rnncore.cpu._common.next_chunk`` gives the measurement)."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A child interpreter: an RNN forward + backward cut into two jobs; prints, per compiled
# CPU kernel, its cache hits and misses in this process.
CHILD = textwrap.dedent("""
    import json
    import numpy as np
    from numba.core.registry import CPUDispatcher
    import rnncore as rc
    from rnncore.cpu import _blas, _common, _math, _packed, _pool, gru, lstm, peephole, rnn
    _common.PARALLEL_MIN_WORK, _common.PARALLEL_MIN_CALL_WORK, _common.MIN_CHUNK_ROWS = 0, 0, 2
    rng = np.random.default_rng(0)
    B, T, D, H = 4, 3, 2, 5
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    W = [rng.standard_normal(s) for s in ((H, D), (H, H), (H,), (H,))]
    h_seq, h_T, cache = rc.rnn_forward(x, *W, h0=h0)
    rc.rnn_backward(np.ones_like(h_seq), cache)
    out = {}
    for mod in (_blas, _common, _math, _packed, _pool, gru, lstm, peephole, rnn):
        for name, f in vars(mod).items():
            if isinstance(f, CPUDispatcher) and f.signatures:
                out[f"{mod.__name__}.{name}"] = [sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())]
    print(json.dumps(out))
""")


def _child(cache_dir):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(cache_dir))
    r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_second_process_compiles_nothing(tmp_path):
    drivers = [f"rnncore.cpu.{k}" for k in ("rnn._forward_jobs", "rnn._backward_jobs")]
    first, second = _child(tmp_path), _child(tmp_path)
    compiled = {k: v for k, v in second.items() if v[1] > 0}
    assert not compiled, f"compiled again (hits, misses) in the second process: {compiled}"
    for k in drivers:                          # the drivers ran: compiled in the first, loaded in the second
        assert first[k][1] > 0 and second[k][0] > 0, (k, first, second)
