"""The layer protocol every Keras-style layer follows, and the argument checks they share.

A layer (CS231n style, with Keras' names):

* ``build(input_shape)`` creates the parameters; ``input_shape`` leaves out the batch axis
  (``(T, D)`` for a recurrent layer, ``(D,)`` for Dense);
* ``forward(x, training=False, mask=None)`` returns the output and keeps what backward needs
  (unless ``keep_cache`` is False: see :func:`inference`);
* ``backward(dout, from_logits=False)`` returns ``dx`` and fills ``grads``, a dict aligned
  with ``params`` (name -> array). ``from_logits=True`` means ``dout`` is already the gradient
  with respect to the pre-activation returned by :meth:`Layer.logits` (the model's fused,
  stable softmax/sigmoid cross-entropy); only layers with an ``output_activation`` take it;
* ``compute_mask(x, mask)`` gives the mask passed on to the next layer (``(B, T)`` booleans or None);
* ``compute_output_shape(input_shape)`` gives the output shape (batch left out).

``params`` holds the weights in Keras' layout and order, so ``get_weights()`` and
``set_weights()`` exchange weights with the same Keras layer.
"""
import re
import types
from contextlib import contextmanager
from itertools import count

import numpy as np

from .. import activations as _activations
from .. import initializers as _initializers
from .. import utils as _utils

_NAME_COUNTERS = {}
_KERAS_NAMES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru", "Conv1D": "conv1d", "RNN": "rnn",
                "SimpleRNNCell": "simple_rnn_cell", "LSTMCell": "lstm_cell", "GRUCell": "gru_cell",
                "MaxPooling1D": "max_pooling1d", "AveragePooling1D": "average_pooling1d",
                "GlobalMaxPooling1D": "global_max_pooling1d",
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


def check_finite_weight(layer, key, w):
    """A clear error for weights with NaN or inf where they enter a layer, naming the layer's weight.
    The recurrent layers' steps do not test their weights again (``_Cell.run``)."""
    if w.dtype.kind in "fc" and not np.isfinite(w).all():
        raise ValueError(f"layer {layer.name!r}: weight {key!r} contains NaN or inf")


def _shape_str(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def input_ndim_message(kind, shape):
    """The error for a sequence layer fed an array that is not (batch, time, features)."""
    shape = tuple(shape)
    hint = ""
    if len(shape) == 2:
        hint = (f"; add a feature axis with X[..., None] (one feature per step gives shape {shape + (1,)}), "
                f"or use X[None] for a single sequence")
    elif len(shape) == 1:
        hint = "; a single sequence of scalars becomes X[None, :, None]"
    return (f"{kind} expects input of shape (batch, time, features), got a {len(shape)}-D array of shape "
            f"{shape}{hint}")


# ----------------------------------------------------------------------------- argument checks
def check_int(owner, name, value, minimum=1, allow_none=False):
    """An integer argument >= minimum (a 1-tuple as Keras' ``kernel_size=(3,)`` is accepted)."""
    if value is None and allow_none:
        return None
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_rate(owner, name, value):
    """A probability in [0, 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value}")
    return float(value)


def check_bool(owner, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(owner, name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_layer(owner, name, layer, kinds=None):
    """A layer instance (not the class), optionally of one of ``kinds``."""
    if isinstance(layer, type):
        raise TypeError(f"{owner}: {name} must be a layer instance, got the class {layer.__name__}; "
                        f"write {owner}({layer.__name__}(...))")
    if not isinstance(layer, Layer) or (kinds is not None and not isinstance(layer, kinds)):
        expected = ", ".join(k.__name__ for k in kinds) if kinds else "an rnncore layer"
        raise TypeError(f"{owner}: {name} must be {expected}, got {type(layer).__name__}")
    return layer


def get_initializer(owner, name, value):
    """``initializers.get`` with the argument named in the error."""
    try:
        return _initializers.get(value)
    except ValueError as e:
        raise ValueError(f"{owner}: {name}: {e}") from None


def get_activation(owner, name, value):
    """``activations.get`` with the argument named in the error."""
    try:
        return _activations.get(value)
    except ValueError as e:
        raise ValueError(f"{owner}: {name}: {e}") from None


# ----------------------------------------------------------------------------- the base class
class Layer:
    """Base class: no parameters, identity forward, passes the mask on unchanged.

    Parameters (every layer)
    ------------------------
    name : str, optional (Keras-style default: 'lstm', 'lstm_1', ...)
    input_shape : tuple without the batch axis, optional (``input_dim=D`` is ``input_shape=(D,)``)
    dtype : 'float32' or 'float64', optional (default: the model's)
    trainable : bool
    seed : int, optional: the initialiser's and dropout's generator
    """

    #: The activation applied last, whose input :meth:`logits` returns (None: the layer has none).
    output_activation = None
    #: True only while a model runs the backward of its first layer, whose input gradient nobody
    #: reads (the gradient with respect to the data): a layer may then fill its ``grads`` and return
    #: None instead of computing it (Conv1D, the recurrent layers and Bidirectional do). Anyone who
    #: calls ``backward`` directly (a saliency map) gets the input gradient as always.
    skip_input_grad = False

    def __init__(self, name=None, input_shape=None, input_dim=None, dtype=None, trainable=True, seed=None,
                 **kwargs):
        kind = type(self).__name__
        if kwargs:
            raise TypeError(f"{kind}() got unexpected keyword argument(s) {', '.join(map(repr, kwargs))}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{kind}: name must be a string, got {name!r}")
        self.name = name or _auto_name(kind)
        if input_shape is None and input_dim is not None:
            input_shape = (check_int(kind, "input_dim", input_dim),)
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)):
                raise TypeError(f"{kind}: input_shape must be a tuple without the batch axis, e.g. "
                                f"input_shape=(time_steps, features) for a recurrent layer, got {input_shape!r}")
            for s in input_shape:
                if s is not None:
                    check_int(kind, "input_shape", s)
        self.input_shape = None if input_shape is None else tuple(input_shape)
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype not in (np.float32, np.float64):
                raise ValueError(f"{kind}: dtype must be 'float32' or 'float64', got {dtype}")
        self.dtype = dtype
        self.trainable = check_bool(kind, "trainable", trainable)
        if seed is not None and not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"{kind}: seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self._params, self._grads = {}, {}
        self.keep_cache = True
        self.built = False
        self.built_input_shape = None

    # ---- parameters: read-only attributes (the arrays inside are updated in place). A layer whose
    # params are another's (an RNN's cell's, a wrapper's view) overrides the getters only
    # (``@Layer.params.getter``), so these setters and their messages serve every layer.
    _params_are = "cannot be replaced"      # completes the message when params are assigned

    @property
    def params(self):
        """``{name: array}`` of the weights, in Keras' layout and order."""
        return self._params

    @params.setter
    def params(self, value):
        raise AttributeError(f"{type(self).__name__}.params {self._params_are}; change the arrays in place "
                             "or use set_weights()")

    @property
    def grads(self):
        """``{name: array}``: the gradients of the last backward pass, aligned with ``params``."""
        return self._grads

    @grads.setter
    def grads(self, value):
        raise AttributeError(f"{type(self).__name__}.grads is filled by backward() and cannot be assigned")

    def sublayers(self):
        """The layers this one wraps (empty for a plain layer)."""
        return []

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

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        return dout

    def logits(self):
        """The pre-activation of the last forward pass (only for layers with an ``output_activation``)."""
        raise TypeError(f"{type(self).__name__} {self.name!r} has no output activation, so no logits")

    def _no_logits(self, from_logits):
        if from_logits:
            self.logits()

    def __call__(self, x, training=False, mask=None):
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:])
        return self.forward(x, training=training, mask=mask)

    # ---- weights
    def count_params(self):
        return int(sum(p.size for p in self.params.values()))

    def get_weights(self):
        """The weights as Keras' ``layer.get_weights()`` lists them (copies)."""
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights):
        """Load a list in :meth:`get_weights`' layout, e.g. ``keras_layer.get_weights()``."""
        params = self.params
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"layer {self.name!r}: set_weights needs a list of arrays, got {type(weights).__name__}")
        if len(weights) != len(params):
            raise ValueError(f"layer {self.name!r} has {len(params)} weight arrays "
                             f"({', '.join(params) or 'none'}), got {len(weights)}")
        for (k, p), w in zip(params.items(), weights):
            w = _to_numpy(w)
            if w.shape != p.shape:
                raise ValueError(f"layer {self.name!r}: weight {k!r} has shape {p.shape}, got {w.shape}")
            check_finite_weight(self, k, w)
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


def _merged(layers_and_prefixes, attr):
    """A read-only view of the sublayers' params or grads under prefixed names."""
    out = {}
    for prefix, layer in layers_and_prefixes:
        out.update({f"{prefix}{k}": v for k, v in getattr(layer, attr).items()})
    return types.MappingProxyType(out)


def _walk(layers):
    for layer in layers:
        yield layer
        yield from _walk(layer.sublayers())


@contextmanager
def inference(*layers):
    """Inside it, the given layers (and the layers they wrap) keep nothing for backward.

    ``Sequential.predict`` and ``evaluate`` run their layers in it: the CPU LSTM is then
    faster and uses far less memory. A ``backward`` after such a forward raises a TypeError.
    ``layers`` may be layers or lists of layers.
    """
    flat = []
    for item in layers:
        flat.extend(item if isinstance(item, (list, tuple)) else [item])
    every = list(_walk(flat))
    old = [layer.keep_cache for layer in every]
    for layer in every:
        layer.keep_cache = False
    try:
        yield
    finally:
        for layer, k in zip(every, old):
            layer.keep_cache = k


class InputLayer(Layer):
    """Declares the input shape, as ``keras.Input(shape=...)``: ``Sequential([Input((T, D)), LSTM(32)])``."""

    def __init__(self, shape=None, name=None, dtype=None, input_shape=None):
        super().__init__(name=name, input_shape=shape if shape is not None else input_shape, dtype=dtype)
        if self.input_shape is None:
            raise ValueError("Input: shape is required, e.g. Input(shape=(time_steps, features))")


def Input(shape=None, name=None, dtype=None):
    """``keras.Input``: returns an :class:`InputLayer` to put first in a ``Sequential``."""
    return InputLayer(shape=shape, name=name, dtype=dtype)
