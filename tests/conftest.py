"""The two pytest workers compile the CPU kernels in turn instead of both compiling each.

Numba's disk cache is shared by the workers, but a kernel is written there only once its
compile ends: a worker that needs a kernel the other is still compiling compiles it too.
``test_backends_agree.py`` and ``test_cpu_kernels.py`` go through the cells in the same
order, so on a cold cache the two workers compiled nearly every kernel twice at the same
time (measured, CI on 2 cores, 2026-12-03: 54.5 s and 60.3 s of each worker's 61-70 s of
compiling were kernels the other worker also compiled). Here each worker, before its first
test, runs every cell and dtype once at a tiny shape, worker gw0 from the first case and
gw1 from the last: they meet in the middle, and every later call loads from the cache.

Only under pytest-xdist with two or more workers and when the session holds the kernel tests
(a single test file run by hand compiles only what it uses).
"""
import os

import numpy as np
import pytest

from _cells import CELLS, HAS_C, backward, forward, make_params

KERNEL_TESTS = {"test_backends_agree.py", "test_cpu_kernels.py"}


@pytest.fixture(scope="session", autouse=True)
def _compile_the_cpu_kernels_in_turn(request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) < 2 or not worker.startswith("gw"):
        return
    if not KERNEL_TESTS <= {item.path.name for item in request.session.items}:
        return
    cases = [(cell, dtype) for cell in CELLS for dtype in (np.float32, np.float64)]
    if int(worker[2:]) % 2:
        cases.reverse()
    for cell, dtype in cases:
        p = make_params(cell, 2, 3, 2, 3, dtype=dtype)
        h_seq, _, _, cache = forward(cell, p, "cpu")
        backward(cell, np.ones_like(h_seq), cache, None, np.ones_like(p["h0"]) if cell in HAS_C else None)
