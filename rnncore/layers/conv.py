"""Conv1D: 1-D convolution over time, channels last (Keras layout)."""
import numpy as np

from .._linalg import matmul        # not NumPy's @: the same bits at any BLAS thread count
from .base import Layer, _shape_str, _to_numpy, check_bool, check_choice, check_int, get_activation, get_initializer


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


def _tap(k, T_out, stride):
    """The padded steps that tap k of every window reads, ``idx[:, k]`` of ``_window_index``, as a slice.

    The layers gather and scatter along time with these slices, one per tap, rather than with
    the index array: a view instead of a fancy-indexed copy, the same values, and in backward
    the same sums in the same order (within one tap the steps are distinct), so the same bits
    (tests/test_layers.py). Measured 2026-12-04 (2-core Zen 5 VM, float32, one process, the
    index-array forms and these interleaved, fastest of 60 calls, three runs): notebook 14's
    first Conv1D, (32, 100, 4) -> 16 filters of 7, forward 292-302 -> 199-215 us, forward and
    backward with dx 1035-1113 -> 519-560 us; its MaxPooling1D(3) forward 221-251 -> 90-109 us,
    forward and backward 371-398 -> 169-185 us. Notebooks 14 and 19 under nbval, with a model's
    first layer also skipping its input gradient (Layer.skip_input_grad): 54.6 -> 38.5 s.
    """
    return slice(k, k + (T_out - 1) * stride + 1, stride)


class Conv1D(Layer):
    """1-D convolution over time (Keras' Conv1D, channels last), e.g. motif detectors in DanQ.

    x : (B, T, C) -> (B, T_out, filters); T_out = floor((T - K) / s) + 1 ('valid') or ceil(T / s) ('same').
    Parameters ``kernel (K, C, filters)`` and ``bias (filters,)`` (Keras layout). Computed with im2col:
    each output step is a dot product of a flattened (K*C) window with the kernel reshaped to (K*C, filters).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", dilation_rate=1, **kwargs):
        super().__init__(**kwargs)
        # Dense's checks of the shared arguments, in Keras' order for Conv1D; each layer names itself in errors.
        self.filters = check_int("Conv1D", "filters", filters)
        self.kernel_size = check_int("Conv1D", "kernel_size", kernel_size)
        self.strides = check_int("Conv1D", "strides", strides)
        self.padding = check_choice("Conv1D", "padding", padding, ("valid", "same"))
        if check_int("Conv1D", "dilation_rate", dilation_rate) != 1:
            raise NotImplementedError("Conv1D supports dilation_rate=1 only")
        self.use_bias = check_bool("Conv1D", "use_bias", use_bias)
        self.activation = get_activation("Conv1D", "activation", activation)
        self.kernel_initializer = get_initializer("Conv1D", "kernel_initializer", kernel_initializer)
        self.bias_initializer = get_initializer("Conv1D", "bias_initializer", bias_initializer)

    @property
    def output_activation(self):
        return self.activation

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Conv1D expects input of shape (batch, steps, channels); input_shape should be "
                             f"(steps, channels), got {_shape_str(input_shape)}")
        K, C, Fo = self.kernel_size, int(input_shape[-1]), self.filters
        self._params["kernel"] = self.kernel_initializer((K, C, Fo), self.rng, self.dtype, K * C, K * Fo)
        if self.use_bias:
            self._params["bias"] = self.bias_initializer((Fo,), self.rng, self.dtype, K * C, K * Fo)

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
        K, C, Fo = self._params["kernel"].shape
        if x.shape[2] != C:
            raise ValueError(f"Conv1D {self.name!r} was built for {C} channels, got input of shape {x.shape}")
        B, T, _ = x.shape
        left, right, idx = _window_index(T, K, self.strides, self.padding)
        xp = np.pad(x, ((0, 0), (left, right), (0, 0))) if left or right else x
        T_out = idx.shape[0]
        cols = np.empty((B, T_out, K, C), dtype=x.dtype)               # im2col: window t, tap k
        for k in range(K):
            cols[:, :, k, :] = xp[:, _tap(k, T_out, self.strides), :]
        cols = cols.reshape(B, T_out, K * C)
        z = matmul(cols, self._params["kernel"].reshape(K * C, Fo))
        if self.use_bias:
            z = z + self._params["bias"]
        y = self.activation.forward(z)
        self.cache = (x.shape, xp.shape, left, idx, cols, z, y)
        return y

    def logits(self):
        return self.cache[5]

    def backward(self, dout, from_logits=False):
        x_shape, xp_shape, left, idx, cols, z, y = self.cache
        dz = dout if from_logits else self.activation.backward(dout, z, y)
        W = self._params["kernel"]
        K, C, Fo = W.shape
        B, T_out = dz.shape[:2]
        self._grads = {"kernel": matmul(cols.reshape(-1, K * C).T, dz.reshape(-1, Fo)).reshape(K, C, Fo)}
        if self.use_bias:
            self._grads["bias"] = dz.reshape(-1, Fo).sum(axis=0)
        if self.skip_input_grad:               # the model's first layer: nobody reads dx (see Layer)
            return None
        dcols = matmul(dz, W.reshape(K * C, Fo).T).reshape(B, T_out, K, C)
        # tap-major, so that each tap's scatter adds whole (T_out, C) blocks (a C of 4 made
        # NumPy's inner loops 4 elements long: the scatter took 270-430 us, now 110-120 us,
        # notebook 14's first layer)
        dcols = np.ascontiguousarray(dcols.transpose(2, 0, 1, 3))         # (K, B, T_out, C)
        dxp = np.zeros(xp_shape, dtype=dz.dtype)
        for k in range(K):                     # within one k the window positions are distinct
            dxp[:, _tap(k, T_out, self.strides), :] += dcols[k]
        return dxp[:, left:left + x_shape[1], :]

    def load_torch_state_dict(self, state_dict):
        """Copy a ``torch.nn.Conv1d`` state dict (``weight (filters, C, K)``): kernel = weight.transpose(2, 1, 0).

        PyTorch's Conv1d is channels-first: feed it ``x.transpose(0, 2, 1)``.
        """
        w = _to_numpy(state_dict["weight"])
        if not self.built:
            raise ValueError("build the layer (or the model) before loading torch weights into Conv1D")
        if w.shape != self._params["kernel"].transpose(2, 1, 0).shape:
            raise ValueError(f"Conv1D {self.name!r}: torch weight has shape {w.shape}, expected "
                             f"{self._params['kernel'].transpose(2, 1, 0).shape}")
        self._params["kernel"][...] = w.transpose(2, 1, 0)
        if self.use_bias:
            self._params["bias"][...] = _to_numpy(state_dict["bias"])

    def torch_state_dict(self):
        out = {"weight": np.ascontiguousarray(self._params["kernel"].transpose(2, 1, 0))}
        if self.use_bias:
            out["bias"] = self._params["bias"].copy()
        return out




__all__ = ["Conv1D"]
