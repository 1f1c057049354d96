"""The functional API: whole-sequence forward and backward for every cell.

Every function validates its input, then hands clean arrays to one backend:

* ``"numpy"``: :mod:`rnncore.reference`, plain NumPy to read and learn from;
* ``"cpu"``: :mod:`rnncore.cpu`, Numba ``@njit`` kernels, the fast default;
* ``"cuda"``: :mod:`rnncore.cuda`, Numba CUDA kernels (simulator without a GPU).

Weights follow PyTorch: ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih, b_hh (G*H,)``;
LSTM gates ``i, f, g, o``, GRU gates ``r, z, n``. Input is batch-first ``(B, T, D)``.

The numpydoc sections repeat from function to function on purpose: each function states
its shapes where it is read (``help()``, the website), as the reference backend does.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

# The backends are listed once, in _validation.BACKENDS; each is a package of the same name
# except "numpy", the reference.
_PACKAGE = {"numpy": "reference"}
_GATES = {"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}
# The RNN's nonlinearity (PyTorch's name) and the LSTM/GRU candidate activation (Keras' name)
NONLINEARITIES = ACTIVATIONS = ("tanh", "relu")


@dataclass
class Cache:
    """What a forward function keeps for its backward.

    Attributes
    ----------
    cell : str
        "rnn", "lstm", "gru" or "peephole": the backward it belongs to.
    backend : str
        The backend that ran forward; backward runs on the same one.
    shape : tuple of int
        (B, T, D, H).
    dtype : numpy.dtype
        float32 or float64.
    data : object
        Whatever that backend keeps (its own business: the reference keeps one
        NamedTuple per step, the compiled backends whole arrays).
    """
    cell: str
    backend: str
    shape: tuple      # (B, T, D, H)
    dtype: np.dtype
    data: object

    def __repr__(self):
        B, T, D, H = self.shape
        return f"Cache(cell={self.cell!r}, backend={self.backend!r}, B={B}, T={T}, D={D}, H={H}, dtype={self.dtype})"


def _check_keep(keep_cache):
    if not isinstance(keep_cache, (bool, np.bool_)):
        raise TypeError(f"keep_cache must be True or False, got {keep_cache!r}")


def _cache(cell, backend, x, H, data, keep_cache):
    """The Cache for backward, or None for inference (keep_cache=False)."""
    return Cache(cell, backend, (*x.shape, H), np.dtype(x.dtype), data) if keep_cache else None


def _run(backend, cell, dtype, step, fn, *args, **kw):
    """fn(*args, **kw); for the CPU backend, with a one-line notice when its first
    call in this process compiles (see ``rnncore.cpu._notice``)."""
    if backend != "cpu":
        return fn(*args, **kw)
    from .cpu._notice import compile_notice
    with compile_notice(f"{cell} {step} ({np.dtype(dtype).name})"):
        return fn(*args, **kw)


def _backend(name, cell):
    v.check_choice("backend", name, v.BACKENDS)
    if name == "cuda":
        if cell == "peephole":
            raise ValueError("the peephole LSTM has backends 'numpy' and 'cpu' only")
        cuda = import_module("rnncore.cuda")
        cuda.require_cuda()
    return import_module(f"rnncore.{_PACKAGE.get(name, name)}.{cell}")


def _prepare(cell, x, W_ih, W_hh, b_ih, b_hh, backend):
    dev = backend == "cuda"
    x = v.check_x(x, allow_device=dev)
    W_ih, W_hh, b_ih, b_hh, H = v.check_weights(x, W_ih, W_hh, b_ih, b_hh, _GATES[cell], allow_device=dev)
    return x, W_ih, W_hh, b_ih, b_hh, H, dev


def _check_cache(cache, cell):
    if cache is None:
        raise TypeError(f"cache is None: {cell}_forward ran with keep_cache=False (inference), which keeps "
                        "nothing for backward; call it with keep_cache=True to train")
    if not isinstance(cache, Cache):
        raise TypeError(f"cache must be the Cache returned by {cell}_forward, got {type(cache).__name__}")
    if cache.cell != cell:
        raise ValueError(f"this cache comes from {cache.cell}_forward; pass it to {cache.cell}_backward")
    B, T, D, H = cache.shape
    return (B, T, H), (B, H), cache.backend == "cuda"


# Each public function spells out its own checks and backend call (alike from cell to cell, on
# purpose): one cell's whole contract reads in one place; what they share is in the helpers above.
# ----------------------------------------------------------------------------- RNN
def rnn_forward(x: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
                h0: ArrayLike | None = None, nonlinearity: str = "tanh", backend: str = "cpu",
                keep_cache: bool = True) -> tuple[np.ndarray, np.ndarray, Cache | None]:
    """Elman RNN over a sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Parameters
    ----------
    x : array_like, shape (B, T, D)
        Batch-first input, float32 or float64 (its dtype is the dtype of the call; the
        other arrays must have it too). With ``backend="cuda"`` it may be a device array.
    W_ih : array_like, shape (H, D)
    W_hh : array_like, shape (H, H)
    b_ih, b_hh : array_like, shape (H,)
    h0 : array_like, shape (B, H), optional
        The initial hidden state; None means zeros.
    nonlinearity : {"tanh", "relu"}
        act, PyTorch's name for it.
    backend : {"numpy", "cpu", "cuda"}
        The kernels: the NumPy reference, Numba on the CPU, or Numba CUDA.
    keep_cache : bool
        False for inference: the returned cache is None and nothing is kept for backward.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
        Every hidden state h_1 .. h_T.
    h_T : ndarray, shape (B, H)
        The last one.
    cache : Cache or None
        What :func:`rnn_backward` needs (None with ``keep_cache=False``).
    """
    v.check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    _check_keep(keep_cache)
    mod = _backend(backend, "rnn")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("rnn", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, data = _run(backend, "rnn", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                             nonlinearity, keep_cache=keep_cache)
    return h_seq, h_T, _cache("rnn", backend, x, H, data, keep_cache)


def rnn_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None) -> dict:
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above, at every step; None means zeros.
    cache : Cache
        From :func:`rnn_forward` (with ``keep_cache=True``).
    dh_T : array_like, shape (B, H), optional
        dL/dh_T from whatever consumed the final state; None means zeros.

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (H, D), "dW_hh" (H, H), "db_ih", "db_hh" (H,).
    """
    seq_shape, state_shape, dev = _check_cache(cache, "rnn")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "rnn", cache.dtype, "backward", _backend(cache.backend, "rnn").backward, dh_seq,
                cache.data, dh_T)


# ----------------------------------------------------------------------------- LSTM
def lstm_forward(x: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
                 h0: ArrayLike | None = None, c0: ArrayLike | None = None, activation: str = "tanh",
                 backend: str = "cpu", keep_cache: bool = True
                 ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Cache | None]:
    """LSTM over a sequence (PyTorch's gate order i, f, g, o).

    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = act(a_g);
    c_t = f * c_{t-1} + i * g;  h_t = o * act(c_t),  with a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh.

    Parameters
    ----------
    x : array_like, shape (B, T, D)
        Batch-first input, float32 or float64 (its dtype is the dtype of the call; the
        other arrays must have it too). With ``backend="cuda"`` it may be a device array.
    W_ih : array_like, shape (4H, D)
    W_hh : array_like, shape (4H, H)
    b_ih, b_hh : array_like, shape (4H,)
    h0, c0 : array_like, shape (B, H), optional
        The initial hidden and cell states; None means zeros.
    activation : {"tanh", "relu"}
        act: "tanh" is the standard cell (PyTorch's), "relu" Keras' ``LSTM(activation='relu')``.
        The gates i, f, o stay sigmoid. Kept in the cache, so :func:`lstm_backward` needs
        no argument for it.
    backend : {"numpy", "cpu", "cuda"}
        The kernels: the NumPy reference, Numba on the CPU, or Numba CUDA.
    keep_cache : bool
        False for inference: the returned cache is None and nothing is kept for backward.
        The CPU kernel then also skips storing the gates and cell states of every step
        (faster: see benchmarks/README.md).

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    (h_T, c_T) : tuple of ndarray, each shape (B, H)
        The final hidden and cell states.
    cache : Cache or None
        What :func:`lstm_backward` needs (None with ``keep_cache=False``).
    """
    v.check_choice("activation", activation, ACTIVATIONS)
    _check_keep(keep_cache)
    mod = _backend(backend, "lstm")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("lstm", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    c0 = v.state_or_zeros("c0", c0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, c_T, data = _run(backend, "lstm", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                                 c0, activation, keep_cache=keep_cache)
    return h_seq, (h_T, c_T), _cache("lstm", backend, x, H, data, keep_cache)


def lstm_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                  dc_T: ArrayLike | None = None) -> dict:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`lstm_forward` (with ``keep_cache=True``).
    dh_T, dc_T : array_like, shape (B, H), optional
        dL/dh_T and dL/dc_T from whatever consumed the final states; None means zeros.

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0", "dc0" (B, H), "dW_ih" (4H, D), "dW_hh" (4H, H), "db_ih", "db_hh" (4H,).
    """
    seq_shape, state_shape, dev = _check_cache(cache, "lstm")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    dc_T = v.grad_or_zeros("dc_T", dc_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "lstm", cache.dtype, "backward", _backend(cache.backend, "lstm").backward, dh_seq,
                cache.data, dh_T, dc_T)


# ----------------------------------------------------------------------------- GRU
def gru_forward(x: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
                h0: ArrayLike | None = None, activation: str = "tanh", backend: str = "cpu",
                keep_cache: bool = True) -> tuple[np.ndarray, np.ndarray, Cache | None]:
    """GRU over a sequence (PyTorch's gate order r, z, n).

    r, z = sigmoid(...);  n = act(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn));
    h_t = (1 - z) * n + z * h_{t-1}.

    Parameters
    ----------
    x : array_like, shape (B, T, D)
        Batch-first input, float32 or float64 (its dtype is the dtype of the call; the
        other arrays must have it too). With ``backend="cuda"`` it may be a device array.
    W_ih : array_like, shape (3H, D)
    W_hh : array_like, shape (3H, H)
    b_ih, b_hh : array_like, shape (3H,)
    h0 : array_like, shape (B, H), optional
        The initial hidden state; None means zeros.
    activation : {"tanh", "relu"}
        act for the candidate n: "tanh" is the standard cell (PyTorch's), "relu" Keras'
        ``GRU(activation='relu')``; the gates r, z stay sigmoid. Kept in the cache.
    backend : {"numpy", "cpu", "cuda"}
        The kernels: the NumPy reference, Numba on the CPU, or Numba CUDA.
    keep_cache : bool
        False for inference: the returned cache is None and nothing is kept for backward.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    h_T : ndarray, shape (B, H)
    cache : Cache or None
        What :func:`gru_backward` needs (None with ``keep_cache=False``).
    """
    v.check_choice("activation", activation, ACTIVATIONS)
    _check_keep(keep_cache)
    mod = _backend(backend, "gru")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("gru", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, data = _run(backend, "gru", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                             activation, keep_cache=keep_cache)
    return h_seq, h_T, _cache("gru", backend, x, H, data, keep_cache)


def gru_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None) -> dict:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`gru_forward` (with ``keep_cache=True``).
    dh_T : array_like, shape (B, H), optional
        dL/dh_T; None means zeros.

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (3H, D), "dW_hh" (3H, H), "db_ih", "db_hh" (3H,).
    """
    seq_shape, state_shape, dev = _check_cache(cache, "gru")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "gru", cache.dtype, "backward", _backend(cache.backend, "gru").backward, dh_seq,
                cache.data, dh_T)


# ----------------------------------------------------------------------------- peephole LSTM
def peephole_lstm_forward(x: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike, b_hh: ArrayLike,
                          w_peep: ArrayLike, h0: ArrayLike | None = None, c0: ArrayLike | None = None,
                          backend: str = "cpu", keep_cache: bool = True
                          ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Cache | None]:
    """Peephole LSTM (Gers & Schmidhuber): the gates also see the cell through diagonal weights.

    i = sigmoid(a_i + w_ci * c_{t-1}),  f = sigmoid(a_f + w_cf * c_{t-1}),
    o = sigmoid(a_o + w_co * c_t) (the new cell); otherwise the tanh LSTM of :func:`lstm_forward`.

    Parameters
    ----------
    x : array_like, shape (B, T, D)
        Batch-first input, float32 or float64 (its dtype is the dtype of the call; the
        other arrays must have it too). With ``backend="cuda"`` it may be a device array.
    W_ih : array_like, shape (4H, D)
    W_hh : array_like, shape (4H, H)
    b_ih, b_hh : array_like, shape (4H,)
    w_peep : array_like, shape (3, H)
        Rows w_ci, w_cf, w_co.
    h0, c0 : array_like, shape (B, H), optional
        The initial hidden and cell states; None means zeros.
    backend : {"numpy", "cpu"}
        The NumPy reference or the Numba CPU kernels (there is no CUDA peephole cell).
    keep_cache : bool
        False for inference: the returned cache is None and nothing is kept for backward.

    Returns
    -------
    h_seq : ndarray, shape (B, T, H)
    (h_T, c_T) : tuple of ndarray, each shape (B, H)
    cache : Cache or None
        What :func:`peephole_lstm_backward` needs (None with ``keep_cache=False``).
    """
    _check_keep(keep_cache)
    mod = _backend(backend, "peephole")
    x, W_ih, W_hh, b_ih, b_hh, H, _ = _prepare("peephole", x, W_ih, W_hh, b_ih, b_hh, backend)
    w_peep = v.as_float_array("w_peep", w_peep, x.dtype)
    v.check_shape("w_peep", w_peep, (3, H), "(3, H)")
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype)
    c0 = v.state_or_zeros("c0", c0, x.shape[0], H, x.dtype)
    h_seq, h_T, c_T, data = _run(backend, "peephole LSTM", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih,
                                 b_hh, w_peep, h0, c0, keep_cache=keep_cache)
    return h_seq, (h_T, c_T), _cache("peephole", backend, x, H, data, keep_cache)


def peephole_lstm_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                           dc_T: ArrayLike | None = None) -> dict:
    """Backpropagation through time for :func:`peephole_lstm_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`peephole_lstm_forward` (with ``keep_cache=True``).
    dh_T, dc_T : array_like, shape (B, H), optional
        dL/dh_T and dL/dc_T; None means zeros.

    Returns
    -------
    dict of ndarray
        The gradients of :func:`lstm_backward` plus "dw_peep" (3, H).
    """
    seq_shape, state_shape, _ = _check_cache(cache, "peephole")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype)
    dc_T = v.grad_or_zeros("dc_T", dc_T, state_shape, cache.dtype)
    return _run(cache.backend, "peephole LSTM", cache.dtype, "backward", _backend(cache.backend, "peephole").backward,
                dh_seq, cache.data, dh_T, dc_T)
