"""Max pooling over time windows and global pooling over time."""
import numpy as np

from .base import Layer, check_choice, check_int
from .conv import _tap, _window_index


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
        T_out = idx.shape[0]
        # np.argmax over the taps of each window, one tap at a time (see conv._tap): a tap replaces
        # the maximum so far only when larger, so ties keep the first tap, and a NaN replaces a
        # number (then stays), as np.argmax ranks NaN above everything. np.where, not a masked
        # copy: the mask of a ReLU's output is random, and the masked copy's branches cost
        # about 5 ns an element (measured: 85 us for a (32, 31, 16) tap; see conv._tap for the layer).
        out = xp[:, _tap(0, T_out, self.strides), :]             # (B, T_out, C)
        arg = np.zeros(out.shape, dtype=np.intp)
        nan = bool(np.isnan(xp).any())
        for k in range(1, self.pool_size):
            v = xp[:, _tap(k, T_out, self.strides), :]
            larger = v > out
            if nan:
                larger |= np.isnan(v) & ~np.isnan(out)
            out = np.where(larger, v, out)
            arg = np.where(larger, k, arg)
        self.cache = (x.shape, xp.shape, left, idx, arg)
        return out if self.pool_size > 1 else out.copy()     # with one tap, out is a view of x

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        x_shape, xp_shape, left, idx, arg = self.cache
        B, T_out, C = dout.shape
        dxp = np.zeros(xp_shape, dtype=dout.dtype)
        zero = dout.dtype.type(0)
        for k in range(self.pool_size):      # each tap's share: dout where the max sat at tap k
            dxp[:, _tap(k, T_out, self.strides), :] += np.where(arg == k, dout, zero)
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
