"""Adam's update of one parameter array in one compiled loop (``optimizers.Adam`` calls it).

The NumPy form in :meth:`rnncore.optimizers.Adam.update` is the one to read: eight array
operations, each a pass over the parameter and a temporary. This loop does the same
arithmetic element by element, in the same order and the same dtypes, with no fast-math
flags, so it gives the same bits (``tests/test_losses_optimizers.py`` compares the two on
float32 and float64, including zeros, huge and tiny gradients). The dtypes are NumPy 2's:
a Python float meets a float32 array as a float32 (m, v and the denominator are float32
for float32 parameters), but ``lr_t``, a NumPy float64, makes the step ``lr_t * m / (sqrt(v) +
eps)`` a float64, rounded to float32 only before it is subtracted (NumPy 1's value-based casting
made it a float32: the caller passes ``lr_t`` of the type that NumPy uses, see
``optimizers._step_type``).

Why: at ``bench_fit.py``'s LSTM(64) x T=50 a training step updates five arrays, and
NumPy's form took about 0.17 ms of a 2.1 ms step, most of it in the calls, not in
the arithmetic (see the measurement in ``Adam.update``).
"""
import numpy as np
from numba import njit, types
from numba.extending import overload

from ._math import JIT


def _in_dtype_of(x, like):
    """x rounded to like's float type (inside Numba; the Python form for reading)."""
    return type(like)(x)


@overload(_in_dtype_of)
def _ol_in_dtype_of(x, like):
    if isinstance(like, types.Float):
        return (lambda x, like: np.float32(x)) if like.bitwidth == 32 else (lambda x, like: np.float64(x))


@njit(**JIT)
def adam_update(p, g, m, v, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, lr_t, epsilon):
    """In place, for flat arrays of one dtype: the betas, 1 - the betas and epsilon in that
    dtype too, lr_t of the step's type (see the module's docstring)::

        m <- beta_1 m + (1 - beta_1) g
        v <- beta_2 v + (1 - beta_2) g^2
        p <- p - lr_t m / (sqrt(v) + epsilon)
    """
    for k in range(p.shape[0]):
        g_k = g[k]
        m_k = m[k] * beta_1 + one_minus_beta_1 * g_k
        v_k = v[k] * beta_2 + one_minus_beta_2 * g_k * g_k
        m[k] = m_k
        v[k] = v_k
        p[k] = p[k] - _in_dtype_of(lr_t * m_k / (np.sqrt(v_k) + epsilon), m_k)
