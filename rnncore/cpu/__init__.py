"""The Numba CPU backend (``backend="cpu"``).

Same equations as :mod:`rnncore.reference`, organised for speed: one GEMM for
all input projections, per-step recurrent GEMMs through BLAS, and fused gate
loops in ``@njit`` kernels compiled once and cached on disk.
"""

