"""The Numba CPU backend (``backend="cpu"``).

Same equations as :mod:`rnncore.reference`, organised for speed: per-step GEMMs
called straight through BLAS on batch-major views, each step split across threads
by blocks of hidden units, fused gate loops, all in ``@njit`` kernels cached on disk.
"""

