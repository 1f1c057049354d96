"""Keras-style layers on rnncore's own kernels, each with a hand-written backward pass.

Every layer follows one small protocol (CS231n style):

* ``build(input_shape)`` creates the parameters; ``input_shape`` leaves out the batch axis
  (``(T, D)`` for a recurrent layer, ``(D,)`` for Dense);
* ``forward(x, training=False, mask=None)`` returns the output and keeps what backward needs;
* ``backward(dout)`` returns ``dx`` and fills ``self.grads``, a dict aligned with ``self.params``
  (name -> array);
* ``compute_mask(x, mask)`` gives the mask passed on to the next layer (``(B, T)`` booleans or None);
* ``compute_output_shape(input_shape)`` gives the output shape (batch left out).

The recurrent layers get all their math from :mod:`rnncore.functional` and store
their weights in PyTorch's layout, ``W_ih (G*H, D)``, ``W_hh (G*H, H)``,
``b_ih, b_hh (G*H,)`` (LSTM gates i, f, g, o; GRU gates r, z, n), so that a
``torch.nn.LSTM`` state dict is a plain copy. Dense keeps Keras' ``W (D, units)``
so that ``y = x @ W + b`` reads as the equation.

Masking follows Keras: masked time steps are skipped (the state is carried over
them) and, with ``return_sequences=True``, a masked step repeats the last valid
output (zeros before the first). The kernels never see a mask: each sample's
valid steps are gathered to the front, the kernel runs, and the result is
scattered back; backward does the inverse. ``go_backwards`` and ``Bidirectional``
reverse only the valid part of each sequence, so pre- and post-padding both work.
"""
import copy
import re
from contextlib import contextmanager
from itertools import count

import numpy as np

from . import activations as _activations
from . import functional as F
from . import initializers as _initializers
from . import utils as _utils

_NAME_COUNTERS = {}
_KEEP_CACHE = [True]


@contextmanager
def inference():
    """Inside it, recurrent layers keep nothing for backward (``keep_cache=False``).

    ``Sequential.predict`` and ``evaluate`` run in it: the CPU LSTM is then faster and
    uses far less memory. A ``backward`` after a forward run in it raises a TypeError.
    """
    old, _KEEP_CACHE[0] = _KEEP_CACHE[0], False
    try:
        yield
    finally:
        _KEEP_CACHE[0] = old


_KERAS_NAMES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru", "Conv1D": "conv1d",
                "MaxPooling1D": "max_pooling1d", "GlobalMaxPooling1D": "global_max_pooling1d",
                "GlobalAveragePooling1D": "global_average_pooling1d"}


def _auto_name(cls_name):
    """Keras-style default names: 'lstm', 'lstm_1', 'dense', 'time_distributed', ..."""
    base = _KERAS_NAMES.get(cls_name) or re.sub(r"(?<!^)(?=[A-Z])", "_", cls_name).lower()
    n = next(_NAME_COUNTERS.setdefault(base, count()))
    return base if n == 0 else f"{base}_{n}"


def _to_numpy(a):
    """A torch tensor (any device) or array-like -> numpy array."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def input_ndim_message(kind, shape):
    """The Keras-quality error for a sequence layer fed an array that is not (batch, time, features)."""
    shape = tuple(shape)
    hint = ""
    if len(shape) == 2:
        hint = (f"; add a feature axis with X[..., None] (one feature per step gives shape {shape + (1,)}), "
                f"or use X[None] for a single sequence")
    elif len(shape) == 1:
        hint = "; a single sequence of scalars becomes X[None, :, None]"
    return (f"{kind} expects input of shape (batch, time, features), got a {len(shape)}-D array of shape "
            f"{shape}{hint}")


def _shape_str(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class Layer:
    """Base class: no parameters, identity forward, passes the mask on unchanged."""

    def __init__(self, name=None, input_shape=None, input_dim=None, dtype=None, trainable=True, seed=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) "
                            f"{', '.join(map(repr, kwargs))}")
        self.name = name or _auto_name(type(self).__name__)
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        if input_shape is not None and not isinstance(input_shape, (tuple, list)):
            raise TypeError(f"input_shape must be a tuple without the batch axis, e.g. input_shape=(time_steps, "
                            f"features) for a recurrent layer, got {input_shape!r}")
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.trainable = trainable
        self.seed = seed
        self.params, self.grads = {}, {}
        self.built = False
        self.built_input_shape = None

    # ---- building
    def build(self, input_shape):
        """Create the parameters for inputs of shape ``(batch,) + input_shape``."""
        self.built_input_shape = tuple(input_shape)
        if self.dtype is None:
            self.dtype = np.dtype(np.float32)
        self.rng = np.random.default_rng(self.seed if self.seed is not None else _utils._draw_seed())
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_mask(self, x, mask):
        return mask

    # ---- passes
    def forward(self, x, training=False, mask=None):
        return x

    def backward(self, dout):
        return dout

    def __call__(self, x, training=False, mask=None):
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:])
        return self.forward(x, training=training, mask=mask)

    # ---- weights
    def count_params(self):
        return int(sum(p.size for p in self.params.values()))

    def get_weights(self):
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights):
        if len(weights) != len(self.params):
            raise ValueError(f"layer {self.name!r} has {len(self.params)} weight arrays "
                             f"({', '.join(self.params)}), got {len(weights)}")
        for (k, p), w in zip(self.params.items(), weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"layer {self.name!r}: weight {k!r} has shape {p.shape}, got {w.shape}")
            p[...] = w

    def _cast(self, x):
        x = np.asarray(x)
        if x.dtype != self.dtype:
            if x.dtype.kind not in "fiub":
                raise TypeError(f"{type(self).__name__} {self.name!r} needs a numeric array, got dtype {x.dtype}")
            x = x.astype(self.dtype)
        return x

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class InputLayer(Layer):
    """Declares the input shape, as ``keras.Input(shape=...)``: ``Sequential([Input((T, D)), LSTM(32)])``."""

    def __init__(self, shape=None, name=None, dtype=None, input_shape=None):
        super().__init__(name=name, input_shape=shape if shape is not None else input_shape, dtype=dtype)
        if self.input_shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(time_steps, features))")


def Input(shape=None, name=None, dtype=None):
    """``keras.Input``: returns an :class:`InputLayer` to put first in a ``Sequential``."""
    return InputLayer(shape=shape, name=name, dtype=dtype)


# ============================================================================= Dense and friends
class Dense(Layer):
    """Fully connected layer ``y = activation(x @ W + b)``.

    x : (N, ..., D) -> y : (N, ..., units). On 3-D input ``(B, T, D)`` it acts on every
    time step (as Keras' Dense, equal to ``TimeDistributed(Dense)``).
    Parameters: ``W (D, units)`` (Glorot uniform), ``b (units,)`` (zeros).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} needs a known last (feature) axis, got input shape "
                             f"{_shape_str(input_shape)}")
        D = int(input_shape[-1])
        self.params["W"] = self.kernel_initializer((D, self.units), self.rng, self.dtype, D, self.units)
        if self.use_bias:
            self.params["b"] = self.bias_initializer((self.units,), self.rng, self.dtype, D, self.units)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        W = self.params["W"]
        if x.ndim < 2 or x.shape[-1] != W.shape[0]:
            raise ValueError(f"Dense {self.name!r} expects input of shape (batch, ..., {W.shape[0]}), "
                             f"got shape {x.shape}")
        z = x @ W
        if self.use_bias:
            z = z + self.params["b"]
        y = self.activation.forward(z)
        self.cache = (x, z, y)
        return y

    def backward(self, dout, from_logits=False):
        """``from_logits=True``: ``dout`` is already dL/dz (the model's fused softmax/sigmoid cross-entropy)."""
        x, z, y = self.cache
        dz = dout if from_logits else self.activation.backward(dout, z, y)
        W = self.params["W"]
        D = W.shape[0]
        self.grads = {"W": x.reshape(-1, D).T @ dz.reshape(-1, self.units)}
        if self.use_bias:
            self.grads["b"] = dz.reshape(-1, self.units).sum(axis=0)
        return dz @ W.T

    def logits(self):
        """The pre-activation z of the last forward pass (for the fused, stable cross-entropies)."""
        return self.cache[1]

    def load_torch_state_dict(self, state_dict):
        """Copy a ``torch.nn.Linear`` state dict (``weight (units, D)``, ``bias``) into W = weight.T, b."""
        w = _to_numpy(state_dict["weight"])
        if not self.built:
            self.build((w.shape[1],))
        if w.shape != self.params["W"].T.shape:
            raise ValueError(f"Dense {self.name!r}: torch weight has shape {w.shape}, expected "
                             f"(units, in_features) = {self.params['W'].T.shape}")
        self.params["W"][...] = w.T
        if self.use_bias:
            if "bias" not in state_dict:
                raise ValueError(f"Dense {self.name!r} uses a bias but the state dict has none (nn.Linear(bias=False)?)")
            self.params["b"][...] = _to_numpy(state_dict["bias"])

    def torch_state_dict(self):
        """``{'weight': W.T, 'bias': b}`` as NumPy arrays (``nn.Linear`` layout)."""
        out = {"weight": np.ascontiguousarray(self.params["W"].T)}
        if self.use_bias:
            out["bias"] = self.params["b"].copy()
        return out


class Activation(Layer):
    """An activation as its own layer: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _activations.get(activation)

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

    Identity at inference. Seeded through ``seed=`` (or the model's seed).
    """

    def __init__(self, rate, noise_shape=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout(noise_shape=...) is not supported; dropout is elementwise")
        self.rate = rate

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if not training or self.rate == 0:
            self.keep = None
            return x
        self.keep = (self.rng.random(x.shape) >= self.rate).astype(x.dtype) / (1 - self.rate)
        return x * self.keep

    def backward(self, dout):
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

    def backward(self, dout):
        return dout.reshape(self.in_shape)


class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding.

    x : (B, T, D) -> the same x with masked steps zeroed, and the mask ``(B, T)`` passed on
    to the next layers (recurrent layers skip masked steps; the loss ignores them when the
    output is a sequence).
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, x, mask):
        x = np.asarray(x)
        return np.any(x != self.mask_value, axis=-1)

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if x.ndim != 3:
            raise ValueError(input_ndim_message("Masking", x.shape))
        self.keep = np.any(x != self.mask_value, axis=-1)[..., None]
        return x * self.keep

    def backward(self, dout):
        return dout * self.keep


class Embedding(Layer):
    """Integer tokens (B, T) -> vectors (B, T, output_dim) by table look-up ``E[ids]``.

    ``mask_zero=True``: token 0 is padding and is masked for the following layers
    (then ``input_dim`` must count it). Parameter ``E (input_dim, output_dim)``.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer=None, mask_zero=False, input_length=None,
                 **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = int(input_dim), int(output_dim), mask_zero
        self.embeddings_initializer = _initializers.get(embeddings_initializer or "random_uniform")  # U(-0.05, 0.05)

    def build(self, input_shape):
        super().build(input_shape)
        self.params["E"] = self.embeddings_initializer((self.input_dim, self.output_dim), self.rng, self.dtype,
                                                      self.input_dim, self.output_dim)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, x, mask):
        return (np.asarray(x) != 0) if self.mask_zero else mask

    def forward(self, x, training=False, mask=None):
        ids = np.asarray(x)
        if ids.dtype.kind == "f":
            if not np.all(ids == np.round(ids)):
                raise TypeError("Embedding expects integer token ids, got non-integer floats")
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding expects integer token ids, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(f"Embedding {self.name!r} has input_dim={self.input_dim}: token ids must lie in "
                             f"[0, {self.input_dim - 1}], got {ids.min()}..{ids.max()}")
        self.ids = ids
        return self.params["E"][ids]

    def backward(self, dout):
        dE = np.zeros_like(self.params["E"])
        np.add.at(dE, self.ids.reshape(-1), dout.reshape(-1, self.output_dim))
        self.grads = {"E": dE}
        return None


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step: (B, T, ...) -> (B, T, ...'), one shared set of weights."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if isinstance(layer, type):
            raise TypeError(f"TimeDistributed needs a layer instance, got the class {layer.__name__}; "
                            f"write TimeDistributed({layer.__name__}(...))")
        self.layer = layer

    params = property(lambda self: self.layer.params, lambda self, v: None)
    grads = property(lambda self: self.layer.grads, lambda self, v: None)

    def build(self, input_shape):
        super().build(input_shape)
        if self.layer.dtype is None:
            self.layer.dtype = self.dtype
        if self.layer.seed is None:
            self.layer.seed = self.seed
        self.layer.build(tuple(input_shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.layer.compute_output_shape(tuple(input_shape[1:])))

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if x.ndim < 3:
            raise ValueError(f"TimeDistributed expects input of shape (batch, time, ...), got shape {x.shape}")
        B, T = x.shape[:2]
        y = self.layer.forward(x.reshape((B * T,) + x.shape[2:]), training=training)
        self.out_shape = (B, T) + y.shape[1:]
        return y.reshape(self.out_shape)

    def backward(self, dout, **kw):
        B, T = dout.shape[:2]
        dx = self.layer.backward(dout.reshape((B * T,) + dout.shape[2:]), **kw)
        return dx.reshape((B, T) + dx.shape[1:])

    @property
    def activation(self):
        return getattr(self.layer, "activation", None)

    def logits(self):
        z = self.layer.logits()
        return z.reshape(self.out_shape[:2] + z.shape[1:])


# ============================================================================= convolution and pooling
def _window_index(T, size, stride, padding):
    """Left/right padding and the (T_out, size) index of each window into the padded sequence."""
    if padding == "valid":
        left = right = 0
        T_out = (T - size) // stride + 1
    else:   # 'same' (TensorFlow's rule: output length ceil(T / stride))
        T_out = -(-T // stride)
        pad = max((T_out - 1) * stride + size - T, 0)
        left, right = pad // 2, pad - pad // 2
    if T_out < 1:
        raise ValueError(f"a window of size {size} does not fit a sequence of length {T} with padding='valid'")
    idx = np.arange(T_out)[:, None] * stride + np.arange(size)[None, :]
    return left, right, idx


class Conv1D(Layer):
    """1-D convolution over time (Keras' Conv1D, channels last), e.g. motif detectors in DanQ.

    x : (B, T, C) -> (B, T_out, filters); T_out = floor((T - K) / s) + 1 ('valid') or ceil(T / s) ('same').
    Parameters ``W (K, C, filters)`` (Keras layout) and ``b (filters,)``. Computed with im2col:
    each output step is a dot product of a flattened (K*C) window with W reshaped to (K*C, filters).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", dilation_rate=1, **kwargs):
        super().__init__(**kwargs)
        as_int = lambda v: int(v[0]) if isinstance(v, (tuple, list)) else int(v)
        self.filters, self.kernel_size, self.strides = int(filters), as_int(kernel_size), as_int(strides)
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv1D padding must be 'valid' or 'same', got {padding!r}")
        if as_int(dilation_rate) != 1:
            raise NotImplementedError("Conv1D supports dilation_rate=1 only")
        self.padding, self.use_bias = padding, use_bias
        self.activation = _activations.get(activation)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Conv1D expects input of shape (batch, steps, channels); input_shape should be "
                             f"(steps, channels), got {_shape_str(input_shape)}")
        K, C, Fo = self.kernel_size, int(input_shape[-1]), self.filters
        self.params["W"] = self.kernel_initializer((K, C, Fo), self.rng, self.dtype, K * C, K * Fo)
        if self.use_bias:
            self.params["b"] = self.bias_initializer((Fo,), self.rng, self.dtype, K * C, K * Fo)

    def compute_output_shape(self, input_shape):
        T = input_shape[0]
        if T is None:
            return (None, self.filters)
        _, _, idx = _window_index(T, self.kernel_size, self.strides, self.padding)
        return (idx.shape[0], self.filters)

    def compute_mask(self, x, mask):
        return None

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if x.ndim != 3:
            raise ValueError(f"Conv1D expects input of shape (batch, steps, channels), got a {x.ndim}-D array "
                             f"of shape {x.shape}" + ("; add a channel axis with X[..., None]" if x.ndim == 2 else ""))
        K, C, Fo = self.params["W"].shape
        if x.shape[2] != C:
            raise ValueError(f"Conv1D {self.name!r} was built for {C} channels, got input of shape {x.shape}")
        B, T, _ = x.shape
        left, right, idx = _window_index(T, K, self.strides, self.padding)
        xp = np.pad(x, ((0, 0), (left, right), (0, 0))) if left or right else x
        cols = xp[:, idx, :].reshape(B, idx.shape[0], K * C)          # (B, T_out, K*C)
        z = cols @ self.params["W"].reshape(K * C, Fo)
        if self.use_bias:
            z = z + self.params["b"]
        y = self.activation.forward(z)
        self.cache = (x.shape, xp.shape, left, idx, cols, z, y)
        return y

    def logits(self):
        return self.cache[5]

    def backward(self, dout, from_logits=False):
        x_shape, xp_shape, left, idx, cols, z, y = self.cache
        dz = dout if from_logits else self.activation.backward(dout, z, y)
        W = self.params["W"]
        K, C, Fo = W.shape
        B, T_out = dz.shape[:2]
        self.grads = {"W": (cols.reshape(-1, K * C).T @ dz.reshape(-1, Fo)).reshape(K, C, Fo)}
        if self.use_bias:
            self.grads["b"] = dz.reshape(-1, Fo).sum(axis=0)
        dcols = (dz @ W.reshape(K * C, Fo).T).reshape(B, T_out, K, C)
        dxp = np.zeros(xp_shape, dtype=dz.dtype)
        for k in range(K):                     # within one k the window positions are distinct
            dxp[:, idx[:, k], :] += dcols[:, :, k, :]
        return dxp[:, left:left + x_shape[1], :]

    def load_torch_state_dict(self, state_dict):
        """Copy a ``torch.nn.Conv1d`` state dict (``weight (filters, C, K)``): W = weight.transpose(2, 1, 0).

        PyTorch's Conv1d is channels-first: feed it ``x.transpose(0, 2, 1)``.
        """
        w = _to_numpy(state_dict["weight"])
        if not self.built:
            raise ValueError("build the layer (or the model) before loading torch weights into Conv1D")
        if w.shape != self.params["W"].transpose(2, 1, 0).shape:
            raise ValueError(f"Conv1D {self.name!r}: torch weight has shape {w.shape}, expected "
                             f"{self.params['W'].transpose(2, 1, 0).shape}")
        self.params["W"][...] = w.transpose(2, 1, 0)
        if self.use_bias:
            self.params["b"][...] = _to_numpy(state_dict["bias"])

    def torch_state_dict(self):
        out = {"weight": np.ascontiguousarray(self.params["W"].transpose(2, 1, 0))}
        if self.use_bias:
            out["bias"] = self.params["b"].copy()
        return out


class MaxPooling1D(Layer):
    """Max over windows of ``pool_size`` steps (stride defaults to pool_size): (B, T, C) -> (B, T_out, C).

    Backward routes each gradient to the position that held the maximum.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.strides = int(strides) if strides is not None else self.pool_size
        if padding not in ("valid", "same"):
            raise ValueError(f"MaxPooling1D padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def compute_output_shape(self, input_shape):
        T = input_shape[0]
        if T is None:
            return tuple(input_shape)
        _, _, idx = _window_index(T, self.pool_size, self.strides, self.padding)
        return (idx.shape[0],) + tuple(input_shape[1:])

    def compute_mask(self, x, mask):
        return None

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        if x.ndim != 3:
            raise ValueError(f"MaxPooling1D expects input of shape (batch, steps, channels), got shape {x.shape}")
        left, right, idx = _window_index(x.shape[1], self.pool_size, self.strides, self.padding)
        xp = np.pad(x, ((0, 0), (left, right), (0, 0)), constant_values=-np.inf) if left or right else x
        win = xp[:, idx, :]                                   # (B, T_out, P, C)
        arg = np.argmax(win, axis=2)                          # (B, T_out, C)
        self.cache = (x.shape, xp.shape, left, idx, arg)
        return np.take_along_axis(win, arg[:, :, None, :], axis=2)[:, :, 0, :]

    def backward(self, dout):
        x_shape, xp_shape, left, idx, arg = self.cache
        B, T_out, C = dout.shape
        dwin = np.zeros((B, T_out, self.pool_size, C), dtype=dout.dtype)
        np.put_along_axis(dwin, arg[:, :, None, :], dout[:, :, None, :], axis=2)
        dxp = np.zeros(xp_shape, dtype=dout.dtype)
        for k in range(self.pool_size):
            dxp[:, idx[:, k], :] += dwin[:, :, k, :]
        return dxp[:, left:left + x_shape[1], :]


class _GlobalPooling1D(Layer):
    """(B, T, C) -> (B, C): time is reduced away, and with it the mask."""

    def compute_output_shape(self, input_shape):
        return (input_shape[-1],)

    def compute_mask(self, x, mask):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """(B, T, C) -> (B, C): the maximum over time."""

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        self.arg = np.argmax(x, axis=1)
        self.in_shape = x.shape
        return np.take_along_axis(x, self.arg[:, None, :], axis=1)[:, 0, :]

    def backward(self, dout):
        dx = np.zeros(self.in_shape, dtype=dout.dtype)
        np.put_along_axis(dx, self.arg[:, None, :], dout[:, None, :], axis=1)
        return dx


class GlobalAveragePooling1D(_GlobalPooling1D):
    """(B, T, C) -> (B, C): the mean over (unmasked) time steps."""

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        w = np.ones(x.shape[:2], dtype=x.dtype) if mask is None else np.asarray(mask, dtype=x.dtype)
        self.w = w / np.maximum(w.sum(axis=1, keepdims=True), 1)
        return np.einsum("btc,bt->bc", x, self.w)

    def backward(self, dout):
        return dout[:, None, :] * self.w[:, :, None]


# ============================================================================= recurrent layers
class _Recurrent(Layer):
    """Shared machinery of SimpleRNN, LSTM and GRU (the math lives in rnncore.functional).

    x : (B, T, D) -> (B, T, H) with ``return_sequences=True``, else (B, H) (the last valid state).
    Parameters ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh (G*H,)`` (PyTorch layout).
    """
    cell = None
    gates = None
    torch_class = None

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, dropout=0.0, recurrent_dropout=0.0, backend=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{kind} units must be a positive integer, got {units!r}")
        if return_state:
            raise NotImplementedError(f"{kind}(return_state=True) is not supported in Sequential models; "
                                      "use rnncore.functional for the states")
        if stateful:
            raise NotImplementedError(f"{kind}(stateful=True) is not supported")
        if recurrent_dropout:
            raise NotImplementedError(f"{kind}(recurrent_dropout=...) is not supported by rnncore's kernels; "
                                      "use dropout= (on the inputs) or a Dropout layer")
        if not 0 <= dropout < 1:
            raise ValueError(f"{kind} dropout must be in [0, 1), got {dropout}")
        if backend is not None and backend not in ("numpy", "cpu", "cuda"):
            raise ValueError(f"unknown backend {backend!r}; expected one of 'numpy', 'cpu', 'cuda'")
        self.units = int(units)
        self.activation_name = self._check_activation(activation)
        if recurrent_activation != "sigmoid" and self.gates > 1:
            raise ValueError(f"{kind} supports recurrent_activation='sigmoid' only (the kernels' gates), "
                             f"got {recurrent_activation!r}")
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.recurrent_initializer = _initializers.get(recurrent_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.return_sequences, self.go_backwards = return_sequences, go_backwards
        self.dropout = dropout
        self.backend = backend

    def _check_activation(self, activation):
        """'tanh' (default) or 'relu': SimpleRNN's nonlinearity, the LSTM/GRU candidate activation."""
        if activation is None:     # Keras reads None as linear, which no kernel here computes
            raise ValueError(f"{type(self).__name__}(activation=None) means a linear activation in Keras, "
                             "which rnncore's kernels do not have; use activation='tanh' or 'relu'")
        if activation not in F.ACTIVATIONS:
            raise ValueError(f"{type(self).__name__} supports activation 'tanh' or 'relu', got {activation!r}")
        return activation

    # ---- parameters
    def build(self, input_shape):
        kind = type(self).__name__
        if len(input_shape) != 2:
            raise ValueError(f"{kind} expects input of shape (batch, time, features), so input_shape must be "
                             f"(time, features), got {_shape_str(input_shape)}"
                             + ("; for one feature per step use input_shape=(time, 1)" if len(input_shape) == 1 else ""))
        if input_shape[-1] is None:
            raise ValueError(f"{kind} needs a known number of features, got input_shape {_shape_str(input_shape)}")
        super().build(input_shape)
        D, H, G = int(input_shape[-1]), self.units, self.gates
        # Keras draws the kernel as (D, G*H) and the recurrent kernel as (H, G*H); we store the transposes.
        self.params["W_ih"] = np.ascontiguousarray(
            self.kernel_initializer((D, G * H), self.rng, self.dtype, D, G * H).T)
        self.params["W_hh"] = np.ascontiguousarray(
            self.recurrent_initializer((H, G * H), self.rng, self.dtype, H, G * H).T)
        b_ih = self.bias_initializer((G * H,), self.rng, self.dtype, D, G * H)
        b_hh = np.zeros(G * H, dtype=self.dtype)
        if getattr(self, "unit_forget_bias", False):
            b_ih[H:2 * H] = 1.0          # LSTM gate order i, f, g, o: forget gate starts open
        if self.use_bias:
            self.params["b_ih"], self.params["b_hh"] = b_ih, b_hh
        else:
            self.zero_bias = np.zeros(G * H, dtype=self.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def compute_mask(self, x, mask):
        if not self.return_sequences or mask is None:
            return None
        return mask[:, ::-1] if self.go_backwards else mask

    def _weights(self):
        p = self.params
        if self.use_bias:
            return p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]
        return p["W_ih"], p["W_hh"], self.zero_bias, self.zero_bias

    # ---- the kernel (subclasses): run on a full batch, no mask
    def _kernel_forward(self, x):
        raise NotImplementedError

    def _kernel_backward(self, dh_seq, cache, dh_T):
        raise NotImplementedError

    # ---- input checks and input dropout
    def _check_input(self, x):
        kind = type(self).__name__
        a = np.asarray(x)
        if a.ndim != 3:
            raise ValueError(input_ndim_message(kind, a.shape))
        D = self.params["W_ih"].shape[1]
        if a.shape[2] != D:
            raise ValueError(f"{kind} {self.name!r} was built for {D} features per time step "
                             f"(input_shape=(time, {D})), got input of shape {a.shape} with {a.shape[2]}")
        if a.shape[1] == 0:
            raise ValueError(f"{kind} got an empty sequence (time axis of length 0)")
        return self._cast(a)

    def _inputs(self, x, training):
        """Check x and apply input dropout (training only). Keeps the dropout mask for backward."""
        x = self._check_input(x)
        self.keep = None
        if training and self.dropout:
            self.keep = (self.rng.random(x.shape) >= self.dropout).astype(x.dtype) / (1 - self.dropout)
            x = x * self.keep
        return x

    # ---- the sequence, with masking and direction
    def _sequence_forward(self, x, mask=None, reverse=False):
        """Run over x (B, T, D), skipping masked steps, forwards or backwards in time.

        Returns ``h_aligned (B, T, H)``, the output at each original time step (a masked step
        repeats the last valid output in processing order, zeros before the first), and
        ``h_last (B, H)``, the state after the last valid step (zeros for an all-masked sample).
        """
        if mask is None and not reverse:
            h_seq, h_T, cache = self._kernel_forward(x)
            self.seq_cache = (cache, None)
            return h_seq, h_T
        B, T, _ = x.shape
        m = np.ones((B, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (B, T):
            raise ValueError(f"mask must have shape (batch, time) = {(B, T)}, got {m.shape}")
        t = np.arange(T)
        # Valid steps first (in processing order), padding after: a stable sort on this key.
        key = np.where(m, (T - 1 - t) if reverse else t, T + t)
        perm = np.argsort(key, axis=1, kind="stable")
        h_seq, _, cache = self._kernel_forward(np.ascontiguousarray(np.take_along_axis(x, perm[..., None], axis=1)))
        lengths = m.sum(axis=1)
        csum = np.cumsum(m, axis=1)
        # Position in the packed run of the state each original step outputs (-1: none yet).
        idx = (lengths[:, None] - (csum - m) - 1) if reverse else (csum - 1)
        valid = idx >= 0
        h_aligned = np.take_along_axis(h_seq, np.maximum(idx, 0)[..., None], axis=1) * valid[..., None]
        has = lengths > 0
        h_last = h_seq[np.arange(B), np.maximum(lengths - 1, 0)] * has[:, None]
        self.seq_cache = (cache, (perm, idx, valid, lengths, h_seq.shape))
        return h_aligned.astype(x.dtype, copy=False), h_last.astype(x.dtype, copy=False)

    def _sequence_backward(self, dh_aligned=None, dh_last=None):
        """Inverse of :meth:`_sequence_forward`: returns the kernel's gradient dict, ``dx`` in original order."""
        cache, pack = self.seq_cache
        if pack is None:
            return self._kernel_backward(dh_aligned, cache, dh_last)
        perm, idx, valid, lengths, shape = pack
        B, T, H = shape
        dtype = cache.dtype
        dh_seq = np.zeros(shape, dtype=dtype)
        if dh_aligned is not None:
            b = np.broadcast_to(np.arange(B)[:, None], (B, T))
            np.add.at(dh_seq, (b[valid], idx[valid]), dh_aligned[valid])
        if dh_last is not None:
            has = lengths > 0
            dh_seq[np.arange(B)[has], lengths[has] - 1] += dh_last[has]
        g = dict(self._kernel_backward(dh_seq, cache, None))
        dx = np.empty_like(g["dx"])
        np.put_along_axis(dx, perm[..., None], g["dx"], axis=1)
        g["dx"] = dx
        return g

    def _set_grads(self, g):
        self.grads = {"W_ih": g["dW_ih"], "W_hh": g["dW_hh"]}
        if self.use_bias:
            self.grads["b_ih"], self.grads["b_hh"] = g["db_ih"], g["db_hh"]
        dx = g["dx"]
        return dx if self.keep is None else dx * self.keep

    # ---- the layer protocol
    def forward(self, x, training=False, mask=None):
        x = self._inputs(x, training)
        h_aligned, h_last = self._sequence_forward(x, mask, reverse=self.go_backwards)
        if not self.return_sequences:
            return h_last
        # Keras: go_backwards returns the outputs in processing (reversed) order
        return np.ascontiguousarray(h_aligned[:, ::-1]) if self.go_backwards else h_aligned

    def backward(self, dout):
        if self.return_sequences:
            dh = np.ascontiguousarray(dout[:, ::-1]) if self.go_backwards else dout
            g = self._sequence_backward(dh_aligned=dh)
        else:
            g = self._sequence_backward(dh_last=dout)
        return self._set_grads(g)

    # ---- PyTorch interop
    def load_torch_state_dict(self, state_dict, layer=0, suffix=""):
        """Copy ``weight_ih_l{layer}{suffix}`` etc. of a ``torch.nn.{RNN,LSTM,GRU}`` state dict (a plain copy)."""
        keys = {"W_ih": f"weight_ih_l{layer}{suffix}", "W_hh": f"weight_hh_l{layer}{suffix}",
                "b_ih": f"bias_ih_l{layer}{suffix}", "b_hh": f"bias_hh_l{layer}{suffix}"}
        if keys["W_ih"] not in state_dict:
            raise KeyError(f"{type(self).__name__} {self.name!r}: no {keys['W_ih']!r} in the state dict "
                           f"(keys: {', '.join(state_dict)})")
        W_ih = _to_numpy(state_dict[keys["W_ih"]])
        if not self.built:
            self.build((None, W_ih.shape[1]))
        if not self.use_bias and keys["b_ih"] in state_dict:
            raise ValueError(f"{self.name!r} has use_bias=False but the torch module has biases")
        for name, key in keys.items():
            if name not in self.params:
                continue
            if key not in state_dict:
                raise KeyError(f"{self.name!r}: missing {key!r} in the state dict (torch module built with bias=False?)")
            val = _to_numpy(state_dict[key])
            if val.shape != self.params[name].shape:
                raise ValueError(f"{type(self).__name__} {self.name!r}: {key} has shape {val.shape}, expected "
                                 f"{self.params[name].shape} (is it a {self.torch_class} with hidden_size="
                                 f"{self.units}?)")
            self.params[name][...] = val

    def torch_state_dict(self, layer=0, suffix=""):
        names = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}
        return {f"{names[k]}_l{layer}{suffix}": v.copy() for k, v in self.params.items()}


class SimpleRNN(_Recurrent):
    """Elman RNN, h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); activation 'tanh' or 'relu'.

    Same as ``torch.nn.RNN(nonlinearity=...)``. x : (B, T, D) -> (B, T, units) or (B, units).
    """
    cell, gates, torch_class = "rnn", 1, "nn.RNN"

    def _kernel_forward(self, x):
        return F.rnn_forward(x, *self._weights(), nonlinearity=self.activation_name, backend=self.backend or "cpu",
                             keep_cache=_KEEP_CACHE[0])

    def _kernel_backward(self, dh_seq, cache, dh_T):
        return F.rnn_backward(dh_seq, cache, dh_T)


class LSTM(_Recurrent):
    """Long short-term memory (PyTorch gate order i, f, g, o), same as ``torch.nn.LSTM``.

    ``activation`` 'tanh' (default) or 'relu', as in Keras: it is used for the candidate
    g_t and for h_t = o_t * activation(c_t); the gates stay sigmoid. (PyTorch's LSTM is
    the tanh cell; a relu cell state is unbounded, so watch the learning rate.)
    ``unit_forget_bias=True`` (Keras' default) starts the forget-gate bias at 1.
    x : (B, T, D) -> (B, T, units) or (B, units).
    """
    cell, gates, torch_class = "lstm", 4, "nn.LSTM"

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _kernel_forward(self, x):
        h_seq, (h_T, _), cache = F.lstm_forward(x, *self._weights(), activation=self.activation_name,
                                                backend=self.backend or "cpu", keep_cache=_KEEP_CACHE[0])
        return h_seq, h_T, cache

    def _kernel_backward(self, dh_seq, cache, dh_T):
        return F.lstm_backward(dh_seq, cache, dh_T)


class GRU(_Recurrent):
    """Gated recurrent unit (gate order r, z, n; reset applied after the matrix product, i.e.
    Keras' ``reset_after=True``), same as ``torch.nn.GRU``. x : (B, T, D) -> (B, T, units) or (B, units).

    ``activation`` 'tanh' (default) or 'relu', as in Keras: the candidate n_t; the gates stay sigmoid.
    """
    cell, gates, torch_class = "gru", 3, "nn.GRU"

    def __init__(self, units, reset_after=True, **kwargs):
        if not reset_after:
            raise NotImplementedError("GRU(reset_after=False) (the original Cho et al. GRU) is not supported; "
                                      "rnncore's GRU is PyTorch's and Keras' default reset_after=True")
        super().__init__(units, **kwargs)

    def _kernel_forward(self, x):
        return F.gru_forward(x, *self._weights(), activation=self.activation_name, backend=self.backend or "cpu",
                             keep_cache=_KEEP_CACHE[0])

    def _kernel_backward(self, dh_seq, cache, dh_T):
        return F.gru_backward(dh_seq, cache, dh_T)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy backwards in time and merge the two outputs.

    ``merge_mode``: 'concat' (default, features 2H), 'sum', 'ave' or 'mul'. With a mask the
    backward copy reverses only the valid part of each sequence. Parameters are named
    ``forward_W_ih``, ..., ``backward_W_ih``, ... A ``torch.nn.LSTM(bidirectional=True)``
    loads directly (``*_reverse`` keys go to the backward copy).
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        if isinstance(layer, type):
            raise TypeError(f"Bidirectional needs a layer instance, got the class {layer.__name__}; "
                            f"write Bidirectional({layer.__name__}(units))")
        if not isinstance(layer, _Recurrent):
            raise TypeError(f"Bidirectional wraps SimpleRNN, LSTM or GRU, got {type(layer).__name__}")
        if merge_mode not in ("concat", "sum", "ave", "mul"):
            raise ValueError(f"unknown merge_mode {merge_mode!r}; expected one of 'concat', 'sum', 'ave', 'mul'")
        if kwargs.get("input_shape") is None and layer.input_shape is not None:
            kwargs["input_shape"] = layer.input_shape
        super().__init__(**kwargs)
        self.forward_layer = layer
        if backward_layer is None:
            backward_layer = copy.deepcopy(layer)
            backward_layer.name = "backward_" + layer.name
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.units = layer.units

    @property
    def backend(self):
        return self.forward_layer.backend

    @backend.setter
    def backend(self, value):
        self.forward_layer.backend = self.backward_layer.backend = value

    @property
    def params(self):
        out = {f"forward_{k}": v for k, v in self.forward_layer.params.items()}
        out.update({f"backward_{k}": v for k, v in self.backward_layer.params.items()})
        return out

    @params.setter
    def params(self, value):
        pass

    @property
    def grads(self):
        out = {f"forward_{k}": v for k, v in self.forward_layer.grads.items()}
        out.update({f"backward_{k}": v for k, v in self.backward_layer.grads.items()})
        return out

    @grads.setter
    def grads(self, value):
        pass

    def build(self, input_shape):
        super().build(input_shape)
        ss = np.random.SeedSequence(self.seed).spawn(2) if self.seed is not None else (None, None)
        for sub, s in zip((self.forward_layer, self.backward_layer), ss):
            if sub.dtype is None:
                sub.dtype = self.dtype
            if sub.seed is None and s is not None:
                sub.seed = int(s.generate_state(1)[0])
            sub.build(input_shape)

    def compute_output_shape(self, input_shape):
        H = self.units * (2 if self.merge_mode == "concat" else 1)
        return (input_shape[0], H) if self.return_sequences else (H,)

    def compute_mask(self, x, mask):
        return mask if self.return_sequences else None

    def forward(self, x, training=False, mask=None):
        f, b = self.forward_layer, self.backward_layer
        xf, xb = f._inputs(x, training), b._inputs(x, training)
        hf, hf_last = f._sequence_forward(xf, mask, reverse=False)
        hb, hb_last = b._sequence_forward(xb, mask, reverse=True)   # aligned with the original time axis
        yf, yb = (hf, hb) if self.return_sequences else (hf_last, hb_last)
        self.cache = (yf, yb)
        if self.merge_mode == "concat":
            return np.concatenate([yf, yb], axis=-1)
        if self.merge_mode == "sum":
            return yf + yb
        if self.merge_mode == "ave":
            return 0.5 * (yf + yb)
        return yf * yb

    def backward(self, dout):
        yf, yb = self.cache
        H = self.units
        if self.merge_mode == "concat":
            dyf, dyb = dout[..., :H], dout[..., H:]
        elif self.merge_mode == "sum":
            dyf = dyb = dout
        elif self.merge_mode == "ave":
            dyf = dyb = 0.5 * dout
        else:
            dyf, dyb = dout * yb, dout * yf
        dyf, dyb = np.ascontiguousarray(dyf), np.ascontiguousarray(dyb)
        dx = 0
        for sub, dy in ((self.forward_layer, dyf), (self.backward_layer, dyb)):
            g = sub._sequence_backward(**({"dh_aligned": dy} if self.return_sequences else {"dh_last": dy}))
            dx = dx + sub._set_grads(g)
        return dx

    def load_torch_state_dict(self, state_dict, layer=0):
        self.forward_layer.load_torch_state_dict(state_dict, layer, "")
        self.backward_layer.load_torch_state_dict(state_dict, layer, "_reverse")

    def torch_state_dict(self, layer=0):
        out = self.forward_layer.torch_state_dict(layer, "")
        out.update(self.backward_layer.torch_state_dict(layer, "_reverse"))
        return out


__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Masking", "Embedding",
           "TimeDistributed", "Conv1D", "MaxPooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
           "SimpleRNN", "LSTM", "GRU", "Bidirectional"]
