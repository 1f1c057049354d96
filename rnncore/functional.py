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
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

# The backends are listed once, in _validation.BACKENDS; each is a package of the same name
# except "numpy", the reference.
_PACKAGE = {"numpy": "reference"}
# The RNN's nonlinearity (PyTorch's name) and the LSTM/GRU candidate activation (Keras' name)
NONLINEARITIES = ACTIVATIONS = ("tanh", "relu")


class _Cell(NamedTuple):
    """What tells one cell's functional pair from another's (the rest is ``_forward``/``_backward``)."""
    gates: int                # G: the rows of W_ih are G*H
    states: tuple             # the recurrent states: ("h",) or ("h", "c"); h0/c0, dh_T/dc_T name them
    act_arg: str | None       # the name of its activation argument; None: tanh only (no argument)
    label: str                # what the CPU compile notice calls it


_CELLS = {
    "rnn": _Cell(1, ("h",), "nonlinearity", "rnn"),
    "lstm": _Cell(4, ("h", "c"), "activation", "lstm"),
    "gru": _Cell(3, ("h",), "activation", "gru"),
    "peephole": _Cell(4, ("h", "c"), None, "peephole LSTM"),
}


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


# (cell, step, dtype) -> the compile notice's label, built once: np.dtype(...).name builds its
# string on every access, 3.2 us per call (rnncore.cpu._background keys by the dtype for the same reason)
_NOTICE_LABELS = {}


# The labels whose first call has returned: later calls go straight to the kernels. The notice
# and the wait concern a first call only, and their imports and context manager cost 2.6 us a
# call: a tiny LSTM's (B, T, D, H) = (32, 2, 1, 2) forward and backward through the functional
# API took 47.8 us instead of 54.4 (medians of 40 alternating rounds, one process, 2-core Zen 5
# VM, 2026-12-04).
_WARM = set()


def _run(backend, cell, dtype, step, fn, *args, **kw):
    """fn(*args, **kw); for the CPU backend, with a one-line notice when its first
    call in this process compiles (see ``rnncore.cpu._notice``). A first backward waits
    here for a second process that may be compiling its kernels (``_forward`` starts
    it, at the first training forward of the cell and dtype: ``rnncore.cpu._background``)."""
    if backend != "cpu":
        return fn(*args, **kw)
    key = (cell, step, np.dtype(dtype))
    label = _NOTICE_LABELS.get(key)
    if label is None:
        label = _NOTICE_LABELS[key] = f"{_CELLS[cell].label} {step} ({key[2].name})"
    if label in _WARM:
        return fn(*args, **kw)
    from .cpu import _background
    from .cpu._notice import compile_notice
    with compile_notice(label):
        if step == "backward":
            _background.wait(cell, dtype)
        out = fn(*args, **kw)
    _WARM.add(label)
    return out


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
    W_ih, W_hh, b_ih, b_hh, H = v.check_weights(x, W_ih, W_hh, b_ih, b_hh, _CELLS[cell].gates, allow_device=dev)
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


def _forward(cell, backend, keep_cache, x, W_ih, W_hh, b_ih, b_hh, states, act=None, w_peep=None,
             layer_weights=False):
    """Check the arguments of ``<cell>_forward``, run its backend, wrap what it keeps in a Cache.

    ``states`` are the initial states in the order of ``_CELLS[cell].states`` (None: zeros),
    ``act`` the activation (the tanh-only peephole LSTM has none; it takes ``w_peep``).
    Returns ``(h_seq, [h_T] or [h_T, c_T], cache)``.

    ``layer_weights=True``: the weights come from a recurrent layer (``_Cell.torch_weights``: new
    C-ordered arrays of the layer's dtype, x's, in the shapes the layer built), refused with NaN or
    inf where they entered the layer (``layers.base.check_finite_weight``); only x and the states
    are checked here. See ``_Cell.run`` for what that saves.
    """
    spec = _CELLS[cell]
    if spec.act_arg is not None:
        v.check_choice(spec.act_arg, act, ACTIVATIONS)
    _check_keep(keep_cache)
    mod = _backend(backend, cell)
    if layer_weights:
        dev = backend == "cuda"
        x, H = v.check_x(x, allow_device=dev), W_hh.shape[1]
    else:
        x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare(cell, x, W_ih, W_hh, b_ih, b_hh, backend)
    args = [x, W_ih, W_hh, b_ih, b_hh]
    if cell == "peephole":
        w_peep = v.as_float_array("w_peep", w_peep, x.dtype)
        v.check_shape("w_peep", w_peep, (3, H), "(3, H)")
        args.append(w_peep)
    args += [v.state_or_zeros(f"{name}0", s0, x.shape[0], H, x.dtype, dev) for name, s0 in zip(spec.states, states)]
    if spec.act_arg is not None:
        args.append(act)
    if backend == "cpu" and keep_cache:        # training: its backward kernels, in a second process if cold
        from .cpu import _background
        _background.start(cell, x.dtype, act)
    h_seq, *final, data = _run(backend, cell, x.dtype, "forward", mod.forward, *args, keep_cache=keep_cache)
    return h_seq, final, _cache(cell, backend, x, H, data, keep_cache)


def _backward(cell, dh_seq, cache, d_final, need_dx=True):
    """Check the arguments of ``<cell>_backward`` and run the backend that ran forward.

    ``d_final`` are the gradients of the final states, in the order of ``_CELLS[cell].states``.
    ``need_dx=False``: "dx" is None; the CPU backend skips its product, the others drop it.
    """
    spec = _CELLS[cell]
    seq_shape, state_shape, dev = _check_cache(cache, cell)
    if not isinstance(need_dx, (bool, np.bool_)):
        raise TypeError(f"need_dx must be True or False, got {need_dx!r}")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    d_final = [v.grad_or_zeros(f"d{name}_T", d, state_shape, cache.dtype, dev)
               for name, d in zip(spec.states, d_final)]
    skip = {} if need_dx or cache.backend != "cpu" else {"need_dx": False}
    grads = _run(cache.backend, cell, cache.dtype, "backward", _backend(cache.backend, cell).backward,
                 dh_seq, cache.data, *d_final, **skip)
    if not need_dx:
        grads["dx"] = None
    return grads


# The public functions hold each cell's signature and docstring (its shapes, read by help() and the
# website); their checks and backend call are the table-driven _forward/_backward above.
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
    h_seq, (h_T,), cache = _forward("rnn", backend, keep_cache, x, W_ih, W_hh, b_ih, b_hh, (h0,), nonlinearity)
    return h_seq, h_T, cache


def rnn_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                 need_dx: bool = True) -> dict:
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above, at every step; None means zeros.
    cache : Cache
        From :func:`rnn_forward` (with ``keep_cache=True``).
    dh_T : array_like, shape (B, H), optional
        dL/dh_T from whatever consumed the final state; None means zeros.
    need_dx : bool
        False when nothing reads dL/dx (the input of a network's first layer): "dx" is None,
        and the CPU backend skips that product (the others compute it and drop it).

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (H, D), "dW_hh" (H, H), "db_ih", "db_hh" (H,).
    """
    return _backward("rnn", dh_seq, cache, (dh_T,), need_dx)


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
    h_seq, (h_T, c_T), cache = _forward("lstm", backend, keep_cache, x, W_ih, W_hh, b_ih, b_hh, (h0, c0), activation)
    return h_seq, (h_T, c_T), cache


def lstm_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                  dc_T: ArrayLike | None = None, need_dx: bool = True) -> dict:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`lstm_forward` (with ``keep_cache=True``).
    dh_T, dc_T : array_like, shape (B, H), optional
        dL/dh_T and dL/dc_T from whatever consumed the final states; None means zeros.
    need_dx : bool
        False when nothing reads dL/dx (the input of a network's first layer): "dx" is None,
        and the CPU backend skips that product (the others compute it and drop it).

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0", "dc0" (B, H), "dW_ih" (4H, D), "dW_hh" (4H, H), "db_ih", "db_hh" (4H,).
    """
    return _backward("lstm", dh_seq, cache, (dh_T, dc_T), need_dx)


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
    h_seq, (h_T,), cache = _forward("gru", backend, keep_cache, x, W_ih, W_hh, b_ih, b_hh, (h0,), activation)
    return h_seq, h_T, cache


def gru_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                 need_dx: bool = True) -> dict:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`gru_forward` (with ``keep_cache=True``).
    dh_T : array_like, shape (B, H), optional
        dL/dh_T; None means zeros.
    need_dx : bool
        False when nothing reads dL/dx (the input of a network's first layer): "dx" is None,
        and the CPU backend skips that product (the others compute it and drop it).

    Returns
    -------
    dict of ndarray
        "dx" (B, T, D), "dh0" (B, H), "dW_ih" (3H, D), "dW_hh" (3H, H), "db_ih", "db_hh" (3H,).
    """
    return _backward("gru", dh_seq, cache, (dh_T,), need_dx)


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
    h_seq, (h_T, c_T), cache = _forward("peephole", backend, keep_cache, x, W_ih, W_hh, b_ih, b_hh, (h0, c0),
                                        w_peep=w_peep)
    return h_seq, (h_T, c_T), cache


def peephole_lstm_backward(dh_seq: ArrayLike | None, cache: Cache, dh_T: ArrayLike | None = None,
                           dc_T: ArrayLike | None = None, need_dx: bool = True) -> dict:
    """Backpropagation through time for :func:`peephole_lstm_forward`.

    Parameters
    ----------
    dh_seq : array_like, shape (B, T, H), or None
        dL/dh_t from the layers above; None means zeros.
    cache : Cache
        From :func:`peephole_lstm_forward` (with ``keep_cache=True``).
    dh_T, dc_T : array_like, shape (B, H), optional
        dL/dh_T and dL/dc_T; None means zeros.
    need_dx : bool
        False when nothing reads dL/dx (the input of a network's first layer): "dx" is None,
        and the CPU backend skips that product (the others compute it and drop it).

    Returns
    -------
    dict of ndarray
        The gradients of :func:`lstm_backward` plus "dw_peep" (3, H).
    """
    return _backward("peephole", dh_seq, cache, (dh_T, dc_T), need_dx)
