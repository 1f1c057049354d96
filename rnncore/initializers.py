"""Weight initialisers with Keras' defaults, seeded for reproducibility.

Shapes follow the layer's own layout; every initialiser reads ``fan_in`` and
``fan_out`` from the call, so it does not matter whether a kernel is stored as
``(out, in)`` (PyTorch, recurrent layers) or ``(in, out)`` (Keras, Dense).

Call: ``init(shape, rng, dtype, fan_in, fan_out)`` with ``rng`` a
``numpy.random.Generator``.
"""
import numpy as np


class Initializer:
    name = "base"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


def _fans(shape, fan_in, fan_out):
    if fan_in is None or fan_out is None:
        # Keras convention for a 2-D kernel (in, out); receptive field multiplies for conv kernels
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in = shape[-2] * receptive if len(shape) >= 2 else shape[0]
        fan_out = shape[-1] * receptive
    return fan_in, fan_out


class Zeros(Initializer):
    name = "zeros"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    name = "ones"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        return np.ones(shape, dtype=dtype)


class GlorotUniform(Initializer):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010); Keras' default kernel."""
    name = "glorot_uniform"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        fan_in, fan_out = _fans(shape, fan_in, fan_out)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)


class GlorotNormal(Initializer):
    """Truncated-free normal with std sqrt(2 / (fan_in + fan_out))."""
    name = "glorot_normal"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        fan_in, fan_out = _fans(shape, fan_in, fan_out)
        return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


class HeNormal(Initializer):
    """Normal with std sqrt(2 / fan_in) (He et al. 2015), for ReLU layers."""
    name = "he_normal"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        fan_in, _ = _fans(shape, fan_in, fan_out)
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class HeUniform(Initializer):
    name = "he_uniform"

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        fan_in, _ = _fans(shape, fan_in, fan_out)
        limit = np.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape).astype(dtype)


class RandomNormal(Initializer):
    name = "random_normal"

    def __init__(self, mean=0.0, stddev=0.05):
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        return (self.mean + self.stddev * rng.standard_normal(shape)).astype(dtype)


class RandomUniform(Initializer):
    name = "random_uniform"

    def __init__(self, minval=-0.05, maxval=0.05):
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        return rng.uniform(self.minval, self.maxval, size=shape).astype(dtype)


class Orthogonal(Initializer):
    """A random orthogonal matrix (Saxe et al. 2014); Keras' default recurrent kernel.

    For a non-square (rows, cols) shape the result has orthonormal columns
    (rows > cols) or orthonormal rows (rows < cols). QR of a Gaussian matrix,
    with the signs of R's diagonal folded in so the distribution is uniform.
    """
    name = "orthogonal"

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, rng, dtype=np.float32, fan_in=None, fan_out=None):
        rows, cols = shape[0], int(np.prod(shape[1:]))
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)


INITIALIZERS = {cls.name: cls for cls in (Zeros, Ones, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
                                           RandomNormal, RandomUniform, Orthogonal)}


INITIALIZERS.update({"uniform": RandomUniform, "normal": RandomNormal})     # Keras' short names


def get(identifier):
    """An initialiser from a name (``'glorot_uniform'``, ``'orthogonal'``, ...) or an instance/callable."""
    if isinstance(identifier, str) and identifier.lower() in INITIALIZERS:
        return INITIALIZERS[identifier.lower()]()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise ValueError(f"unknown initializer {identifier!r}; expected one of "
                     f"{', '.join(map(repr, INITIALIZERS))} or a callable (shape, rng, dtype, fan_in, fan_out)")
