"""The Numba CPU backend (``backend="cpu"``).

Same equations as :mod:`rnncore.reference`, organised for speed: per-step GEMMs on
weights packed once (``_packed``), batch chunks run whole on their own threads (or,
for tiny batches, each step split by blocks of hidden units), fused gate loops, the
weight gradients as large BLAS products on batch-major views, all in ``@njit``
kernels cached on disk.
"""

