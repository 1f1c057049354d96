"""Dense, Activation, Dropout, Flatten, Masking, Embedding (and InputLayer/Input from base)."""
import numpy as np

from .._linalg import matmul        # not NumPy's @: the same bits at any BLAS thread count
from .._validation import integer_ids
from .base import Input, InputLayer, Layer, _shape_str, _to_numpy, check_bool, check_int, check_rate, \
    get_activation, get_initializer, input_ndim_message


class Dense(Layer):
    """Fully connected layer ``y = activation(x @ kernel + bias)``.

    x : (N, ..., D) -> y : (N, ..., units). On 3-D input ``(B, T, D)`` it acts on every
    time step, as Keras' Dense (equal to ``TimeDistributed(Dense)``), and passes the mask on,
    so a per-position loss ignores masked steps.
    Parameters: ``kernel (D, units)`` (Glorot uniform), ``bias (units,)`` (zeros), as Keras.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("Dense", "units", units)
        self.activation = get_activation("Dense", "activation", activation)
        self.use_bias = check_bool("Dense", "use_bias", use_bias)
        self.kernel_initializer = get_initializer("Dense", "kernel_initializer", kernel_initializer)
        self.bias_initializer = get_initializer("Dense", "bias_initializer", bias_initializer)

    @property
    def output_activation(self):
        return self.activation

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} needs a known last (feature) axis, got input shape "
                             f"{_shape_str(input_shape)}")
        D = int(input_shape[-1])
        self._params["kernel"] = self.kernel_initializer((D, self.units), self.rng, self.dtype, D, self.units)
        if self.use_bias:
            self._params["bias"] = self.bias_initializer((self.units,), self.rng, self.dtype, D, self.units)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        W = self._params["kernel"]
        if x.ndim < 2 or x.shape[-1] != W.shape[0]:
            raise ValueError(f"Dense {self.name!r} expects input of shape (batch, ..., {W.shape[0]}), "
                             f"got shape {x.shape}")
        z = matmul(x, W)
        if self.use_bias:
            z = z + self._params["bias"]
        y = self.activation.forward(z)
        self.cache = (x, z, y)
        return y

    def logits(self):
        """The pre-activation z of the last forward pass (for the fused, stable cross-entropies)."""
        return self.cache[1]

    def backward(self, dout, from_logits=False):
        x, z, y = self.cache
        dz = dout if from_logits else self.activation.backward(dout, z, y)
        W = self._params["kernel"]
        D = W.shape[0]
        self._grads = {"kernel": matmul(x.reshape(-1, D).T, dz.reshape(-1, self.units))}
        if self.use_bias:
            self._grads["bias"] = dz.reshape(-1, self.units).sum(axis=0)
        return matmul(dz, W.T)

    def load_torch_state_dict(self, state_dict):
        """Copy a ``torch.nn.Linear`` state dict (``weight (units, D)``, ``bias``): kernel = weight.T."""
        w = _to_numpy(state_dict["weight"])
        if not self.built:
            self.build((w.shape[1],))
        if w.shape != self._params["kernel"].T.shape:
            raise ValueError(f"Dense {self.name!r}: torch weight has shape {w.shape}, expected "
                             f"(units, in_features) = {self._params['kernel'].T.shape}")
        self._params["kernel"][...] = w.T
        if self.use_bias:
            if "bias" not in state_dict:
                raise ValueError(f"Dense {self.name!r} uses a bias but the state dict has none (nn.Linear(bias=False)?)")
            self._params["bias"][...] = _to_numpy(state_dict["bias"])

    def torch_state_dict(self):
        """``{'weight': kernel.T, 'bias': bias}`` as NumPy arrays (``nn.Linear`` layout)."""
        out = {"weight": np.ascontiguousarray(self._params["kernel"].T)}
        if self.use_bias:
            out["bias"] = self._params["bias"].copy()
        return out


class Activation(Layer):
    """An activation as its own layer: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = get_activation("Activation", "activation", activation)

    @property
    def output_activation(self):
        return self.activation

    def forward(self, x, training=False, mask=None):
        z = self._cast(x)
        y = self.activation.forward(z)
        self.cache = (z, y)
        return y

    def logits(self):
        return self.cache[0]

    def backward(self, dout, from_logits=False):
        z, y = self.cache
        return dout if from_logits else self.activation.backward(dout, z, y)


class Dropout(Layer):
    """Inverted dropout: in training, zero each entry with probability ``rate`` and scale the rest by 1/(1-rate).

    Identity at inference. ``noise_shape`` as Keras: e.g. ``(None, 1, None)`` on (B, T, D)
    drops the same features at every time step. Seeded through ``seed=`` (or the model's seed).
    """

    def __init__(self, rate, noise_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("Dropout", "rate", rate)
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list)):
                raise TypeError(f"Dropout: noise_shape must be a tuple such as (None, 1, None), got {noise_shape!r}")
            for s in noise_shape:
                if s is not None and s != 1:
                    check_int("Dropout", "noise_shape", s)
            noise_shape = tuple(noise_shape)
        self.noise_shape = noise_shape

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if not training or self.rate == 0:
            self.keep = None
            return x
        shape = x.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != x.ndim:
                raise ValueError(f"Dropout: noise_shape {self.noise_shape} has {len(self.noise_shape)} axes, "
                                 f"the input {x.ndim}")
            shape = tuple(d if s is None else s for s, d in zip(self.noise_shape, x.shape))
        self.keep = (self.rng.random(shape) >= self.rate).astype(x.dtype) / (1 - self.rate)
        return x * self.keep

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        return dout if self.keep is None else dout * self.keep


class Flatten(Layer):
    """(B, d1, d2, ...) -> (B, d1 * d2 * ...). Drops the mask."""

    def compute_output_shape(self, input_shape):
        if any(s is None for s in input_shape):
            raise ValueError(f"Flatten {self.name!r} needs a fixed input shape, got {_shape_str(input_shape)}")
        return (int(np.prod(input_shape)),)

    def compute_mask(self, x, mask):
        return None

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        return dout.reshape(self.in_shape)


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    x : (B, T, D) -> the same x with masked steps zeroed, and the mask ``(B, T)`` passed on
    to the next layers (recurrent layers skip masked steps; the loss ignores them when the
    output is a sequence).
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.integer, np.floating)):
            raise TypeError(f"Masking: mask_value must be a number, got {mask_value!r}")
        self.mask_value = mask_value

    def compute_mask(self, x, mask):
        return np.any(np.asarray(x) != self.mask_value, axis=-1)

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if x.ndim != 3:
            raise ValueError(input_ndim_message("Masking", x.shape))
        self.keep = np.any(x != self.mask_value, axis=-1)[..., None]
        return x * self.keep

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        return dout * self.keep


class Embedding(Layer):
    """Integer tokens (B, T) -> vectors (B, T, output_dim) by table look-up ``embeddings[ids]``.

    ``mask_zero=True``: token 0 is padding and is masked for the following layers
    (then ``input_dim`` must count it). Parameter ``embeddings (input_dim, output_dim)``.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 input_length=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (check_int("Embedding", "input_length", input_length),)
        super().__init__(**kwargs)
        self.input_dim = check_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_int("Embedding", "output_dim", output_dim)
        self.mask_zero = check_bool("Embedding", "mask_zero", mask_zero)
        # Keras' 'uniform' is RandomUniform(-0.05, 0.05)
        init = "random_uniform" if embeddings_initializer in (None, "uniform") else embeddings_initializer
        self.embeddings_initializer = get_initializer("Embedding", "embeddings_initializer", init)

    def build(self, input_shape):
        super().build(input_shape)
        self._params["embeddings"] = self.embeddings_initializer(
            (self.input_dim, self.output_dim), self.rng, self.dtype, self.input_dim, self.output_dim)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, x, mask):
        return (np.asarray(x) != 0) if self.mask_zero else mask

    def forward(self, x, training=False, mask=None):
        ids = integer_ids(x, f"Embedding {self.name!r} expects integer token ids")
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(f"Embedding {self.name!r} has input_dim={self.input_dim}: token ids must lie in "
                             f"[0, {self.input_dim - 1}], got {ids.min()}..{ids.max()}")
        self.ids = ids
        return self._params["embeddings"][ids]

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        E = self._params["embeddings"]
        dE = np.zeros_like(E)
        np.add.at(dE, self.ids.reshape(-1), dout.reshape(-1, self.output_dim))
        self._grads = {"embeddings": dE}
        return None


__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Masking", "Embedding"]
