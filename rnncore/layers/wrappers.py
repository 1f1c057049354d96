"""Layers that wrap other layers: Bidirectional and TimeDistributed.

They use only the wrapped layers' public methods (``build``, ``forward``, ``backward``,
``get_weights``, ...); their ``params`` and ``grads`` are read-only views of the wrapped
layers' (assigning to them, or to an entry, raises instead of being silently ignored).
"""
import copy

import numpy as np

from .base import Layer, _merged, check_choice, check_layer
from .recurrent import RNN

_MERGE_MODES = ("concat", "sum", "ave", "mul")


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy backwards in time and merge the two outputs.

    ``merge_mode``: 'concat' (default, features 2H), 'sum', 'ave' or 'mul'. As Keras, the
    backward layer is a copy with ``go_backwards`` flipped, its output is put back in time
    order, and with ``return_sequences=True`` both directions output zeros at masked steps.
    Weights (``get_weights``): the forward layer's, then the backward layer's. A
    ``torch.nn.LSTM(bidirectional=True)`` state dict loads directly (``*_reverse`` keys go
    to the backward layer). With ``dropout``/``recurrent_dropout``, each direction draws its
    own masks, as Keras' two cells do (``forward_layer.dropout_masks``,
    ``backward_layer.set_dropout_masks(...)``).
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        check_layer("Bidirectional", "layer", layer, (RNN,))
        check_choice("Bidirectional", "merge_mode", merge_mode, _MERGE_MODES)
        if layer.return_state:
            raise NotImplementedError("Bidirectional of a layer with return_state=True is not supported")
        if kwargs.get("input_shape") is None and layer.input_shape is not None:
            kwargs["input_shape"] = layer.input_shape
        super().__init__(**kwargs)
        if backward_layer is None:
            backward_layer = copy.deepcopy(layer)
            backward_layer.name = "backward_" + layer.name
            backward_layer.go_backwards = not layer.go_backwards
            if layer.seed is not None:       # a seeded copy must not start from the forward weights
                backward_layer.seed = int(np.random.SeedSequence([layer.seed, 1]).generate_state(1)[0])
                backward_layer.cell.seed = None
        else:
            check_layer("Bidirectional", "backward_layer", backward_layer, (RNN,))
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: backward_layer must have go_backwards opposite to layer's")
            if backward_layer.return_sequences != layer.return_sequences:
                raise ValueError("Bidirectional: layer and backward_layer must have the same return_sequences")
        self.forward_layer, self.backward_layer = layer, backward_layer
        if layer.return_sequences:       # Keras: a masked step contributes zeros from both directions
            layer.zero_output_for_mask = backward_layer.zero_output_for_mask = True
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.units = layer.units

    def sublayers(self):
        return [self.forward_layer, self.backward_layer]

    @property
    def backend(self):
        return self.forward_layer.backend

    @backend.setter
    def backend(self, value):
        self.forward_layer.backend = self.backward_layer.backend = value

    _params_are = "is a view of its two layers' weights"

    @Layer.params.getter
    def params(self):
        return _merged((("forward_", self.forward_layer), ("backward_", self.backward_layer)), "params")

    @Layer.grads.getter
    def grads(self):
        return _merged((("forward_", self.forward_layer), ("backward_", self.backward_layer)), "grads")

    def build(self, input_shape):
        super().build(input_shape)
        ss = np.random.SeedSequence(self.seed).spawn(2) if self.seed is not None else (None, None)
        for sub, s in zip((self.forward_layer, self.backward_layer), ss):
            if sub.dtype is None:
                sub.dtype = self.dtype
            if sub.seed is None and s is not None:
                sub.seed = int(s.generate_state(1)[0])
            if not sub.built:
                sub.build(input_shape)

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        n = len(self.forward_layer.get_weights())
        if not isinstance(weights, (list, tuple)) or len(weights) != 2 * n:
            raise ValueError(f"Bidirectional {self.name!r} has {2 * n} weight arrays (forward then backward), "
                             f"got {len(weights) if isinstance(weights, (list, tuple)) else weights!r}")
        self.forward_layer.set_weights(list(weights[:n]))
        self.backward_layer.set_weights(list(weights[n:]))

    def compute_output_shape(self, input_shape):
        H = self.units * (2 if self.merge_mode == "concat" else 1)
        return (input_shape[0], H) if self.return_sequences else (H,)

    def compute_mask(self, x, mask):
        return mask if self.return_sequences else None

    def forward(self, x, training=False, mask=None):
        yf = self.forward_layer.forward(x, training=training, mask=mask)
        yb = self.backward_layer.forward(x, training=training, mask=mask)
        if self.return_sequences:        # the backward layer outputs in processing order
            yb = np.ascontiguousarray(yb[:, ::-1])
        self.cache = (yf, yb)
        if self.merge_mode == "concat":
            return np.concatenate([yf, yb], axis=-1)
        if self.merge_mode == "sum":
            return yf + yb
        if self.merge_mode == "ave":
            return 0.5 * (yf + yb)
        return yf * yb

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
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
        if self.return_sequences:
            dyb = dyb[:, ::-1]
        if self.skip_input_grad:        # a model's first layer: neither direction computes dx (see Layer)
            for layer, dy in ((self.forward_layer, dyf), (self.backward_layer, dyb)):
                layer.skip_input_grad = True
                try:
                    layer.backward(np.ascontiguousarray(dy))
                finally:
                    layer.skip_input_grad = False
            return None
        dx_f = self.forward_layer.backward(np.ascontiguousarray(dyf))
        dx_b = self.backward_layer.backward(np.ascontiguousarray(dyb))
        return dx_f + dx_b

    def load_torch_state_dict(self, state_dict, layer=0):
        self.forward_layer.load_torch_state_dict(state_dict, layer, "")
        self.backward_layer.load_torch_state_dict(state_dict, layer, "_reverse")

    def torch_state_dict(self, layer=0):
        out = self.forward_layer.torch_state_dict(layer, "")
        out.update(self.backward_layer.torch_state_dict(layer, "_reverse"))
        return out


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step: (B, T, ...) -> (B, T, ...'), one shared set of weights.

    ``TimeDistributed(Dense(K, activation='softmax'))`` after ``LSTM(return_sequences=True)``
    labels every position; the mask passes through, so the loss ignores masked positions.
    """

    def __init__(self, layer, **kwargs):
        check_layer("TimeDistributed", "layer", layer)
        super().__init__(**kwargs)
        self.layer = layer

    def sublayers(self):
        return [self.layer]

    _params_are = "is a view of the wrapped layer's weights"

    @Layer.params.getter
    def params(self):
        return _merged((("", self.layer),), "params")

    @Layer.grads.getter
    def grads(self):
        return _merged((("", self.layer),), "grads")

    @property
    def output_activation(self):
        return self.layer.output_activation

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) < 2:
            raise ValueError(f"TimeDistributed expects input of shape (batch, time, ...), so input_shape must have "
                             f"at least 2 axes, got {tuple(input_shape)}")
        if self.layer.dtype is None:
            self.layer.dtype = self.dtype
        if self.layer.seed is None:
            self.layer.seed = self.seed
        if not self.layer.built:
            self.layer.build(tuple(input_shape[1:]))

    def get_weights(self):
        return self.layer.get_weights()

    def set_weights(self, weights):
        self.layer.set_weights(weights)

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

    def logits(self):
        z = self.layer.logits()
        return z.reshape(self.out_shape[:2] + z.shape[1:])

    def backward(self, dout, from_logits=False):
        B, T = dout.shape[:2]
        dx = self.layer.backward(dout.reshape((B * T,) + dout.shape[2:]), from_logits=from_logits)
        return None if dx is None else dx.reshape((B, T) + dx.shape[1:])


__all__ = ["Bidirectional", "TimeDistributed"]
