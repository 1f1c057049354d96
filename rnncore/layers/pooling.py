"""Max pooling over time windows and global pooling over time."""
import numpy as np

from .base import Layer, check_choice, check_int
from .conv import _window_index


class MaxPooling1D(Layer):
    """Max over windows of ``pool_size`` steps (stride defaults to pool_size): (B, T, C) -> (B, T_out, C).

    Backward routes each gradient to the position that held the maximum.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = check_int(kind, "pool_size", pool_size)
        self.strides = check_int(kind, "strides", strides) if strides is not None else self.pool_size
        self.padding = check_choice(kind, "padding", padding, ("valid", "same"))

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

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
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

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
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

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        return dout[:, None, :] * self.w[:, :, None]




__all__ = ["MaxPooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D"]
