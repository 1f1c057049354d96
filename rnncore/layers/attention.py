"""Attention pooling over the states of a recurrent layer: (B, T, H) -> (B, H).

The equations, the hand-derived backward pass and their checks live in
:mod:`rnncore.reference.attention`; this layer holds the weights in Keras' layout and
connects that code to the layer protocol (masks, ``grads``, ``get_weights``).
"""
import numpy as np

from ..reference import attention as _ref
from .base import Layer, _shape_str, check_bool, check_int, get_initializer


class AttentionPooling(Layer):
    """Additive attention pooling: a learned weighted mean of a sequence of states.

    x : (B, T, H), e.g. the output of ``Bidirectional(GRU(16, return_sequences=True))``
    -> (B, H). For each sample

        u_t = tanh(h_t @ kernel + bias),   e_t = u_t @ scale,
        alpha = softmax of e over the valid steps,   output = sum_t alpha_t h_t.

    Masked steps (the mask that ``Embedding(mask_zero=True)`` or ``Masking`` sends down
    through the recurrent layers) get weight exactly 0; a sample with no valid step is a
    ValueError. The mask stops here (the output has no time axis).

    After every forward pass ``attention_weights`` holds alpha, shape (B, T), for plotting:
    run ``model(x)`` (or the layer) on the sequences you want to look at, then read it.

    Parameters
    ----------
    units : int, optional
        A, the size of the scoring layer u_t (default: H, the input's feature size).
    use_bias : bool
    kernel_initializer, bias_initializer, scale_initializer : initialiser names or objects
        Defaults 'glorot_uniform', 'zeros', 'glorot_uniform' (Keras' Dense and
        AdditiveAttention defaults).

    Weights (``get_weights`` order): ``kernel (H, A)``, ``bias (A,)``, ``scale (A,)``. In the
    notation of :mod:`rnncore.reference.attention`, ``W = kernel.T``, ``b = bias``, ``v = scale``.

    Relation to Keras: this is not ``keras.layers.AdditiveAttention``. That layer takes a
    *query* and a *value* sequence and scores each pair with ``sum(scale * tanh(q_i + k_j))``
    (no projection inside; one output per query step). Here there is no query sequence: the
    learned vector ``scale`` plays the query, asked of every sequence, after a learned
    projection ``kernel`` of each state (Yang et al. 2016's attention pooling); its
    ``scale`` has the role it has in Keras' score. In Keras one writes it with a ``Dense(A,
    activation='tanh')``, a ``Dense(1, use_bias=False)``, a masked softmax over time and a
    weighted sum; this layer is those four steps with one hand-written backward pass.
    """

    def __init__(self, units=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 scale_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("AttentionPooling", "units", units, allow_none=True)
        self.use_bias = check_bool("AttentionPooling", "use_bias", use_bias)
        self.kernel_initializer = get_initializer("AttentionPooling", "kernel_initializer", kernel_initializer)
        self.bias_initializer = get_initializer("AttentionPooling", "bias_initializer", bias_initializer)
        self.scale_initializer = get_initializer("AttentionPooling", "scale_initializer", scale_initializer)
        self.attention_weights = None

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"AttentionPooling {self.name!r} expects a sequence of states (batch, time, features), "
                             f"so input_shape must be (time, features) with known features, got "
                             f"{_shape_str(input_shape)}; put it after a recurrent layer with "
                             "return_sequences=True")
        super().build(input_shape)
        H = int(input_shape[-1])
        A = self.units if self.units is not None else H
        self.units = A
        self._params["kernel"] = self.kernel_initializer((H, A), self.rng, self.dtype, H, A)
        if self.use_bias:
            self._params["bias"] = self.bias_initializer((A,), self.rng, self.dtype, H, A)
        self._params["scale"] = self.scale_initializer((A,), self.rng, self.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[-1],)

    def compute_mask(self, x, mask):
        return None

    def _weights(self):
        p = self._params
        A = p["kernel"].shape[1]
        b = p["bias"] if self.use_bias else np.zeros(A, dtype=p["kernel"].dtype)
        return p["kernel"].T, b, p["scale"]

    def forward(self, x, training=False, mask=None):
        x = self._cast(x)
        H = self._params["kernel"].shape[0]
        if x.ndim != 3 or x.shape[2] != H:
            raise ValueError(f"AttentionPooling {self.name!r} was built for states of shape (batch, time, {H}), "
                             f"got shape {x.shape}" + ("; it needs the whole sequence: set return_sequences=True "
                                                       "on the recurrent layer before it" if x.ndim == 2 else ""))
        context, alpha, cache = _ref.forward(x, *self._weights(), mask=mask)
        self.attention_weights = alpha
        self.cache = cache if self.keep_cache else None
        return context

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        if getattr(self, "cache", None) is None:
            raise TypeError(f"AttentionPooling {self.name!r}: no forward pass was kept for backward "
                            "(it ran inside inference(), or not at all)")
        dh, dW, db, dv = _ref.backward(np.asarray(dout, dtype=self.cache.h.dtype), self.cache)
        self._grads = {"kernel": dW.T}
        if self.use_bias:
            self._grads["bias"] = db
        self._grads["scale"] = dv
        return dh


__all__ = ["AttentionPooling"]
