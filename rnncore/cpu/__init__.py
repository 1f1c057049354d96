"""The Numba CPU backend (``backend="cpu"``).

Same equations as :mod:`rnncore.reference`, organised for speed: per-step GEMMs on
weights packed once (``_packed``), the batch cut into chunks whose whole recurrences
are independent jobs for a small pool of threads (``_common``, ``_pool``), fused gate
loops, the weight gradients as large products over all steps on batch-major views
(dW on the step GEMM's register tiles, dx on BLAS), all in
serial ``@njit(nogil=True)`` kernels cached on disk. Same inputs give the same bits
whatever the thread count (see ``_common``).
"""
from ._inline_copy import apply as _copy_inlined_ir_once
from ._malloc import keep_freed_memory
from ._reuse import kept_bytes, release as release_memory    # the pages kept for large arrays (_reuse)

__all__ = ["kept_bytes", "release_memory"]

keep_freed_memory()
_copy_inlined_ir_once()     # before any kernel compiles: see _inline_copy
