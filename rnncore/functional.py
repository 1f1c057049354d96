"""The functional API: whole-sequence forward and backward for every cell.

Every function validates its input, then hands clean arrays to one backend:

* ``"numpy"``: :mod:`rnncore.reference`, plain NumPy to read and learn from;
* ``"cpu"``: :mod:`rnncore.cpu`, Numba ``@njit`` kernels, the fast default;
* ``"cuda"``: :mod:`rnncore.cuda`, Numba CUDA kernels (simulator without a GPU).

Weights follow PyTorch: ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih, b_hh (G*H,)``;
LSTM gates ``i, f, g, o``, GRU gates ``r, z, n``. Input is batch-first ``(B, T, D)``.
"""
from dataclasses import dataclass
from importlib import import_module

import numpy as np

from . import _validation as v

# The backends are listed once, in _validation.BACKENDS; each is a package of the same name
# except "numpy", the reference.
_PACKAGE = {"numpy": "reference"}
# cpu/rnn.py and cpu/gru.py (the performance work's files) do not take keep_cache yet;
# they compute the same either way and the cache is dropped here. Empty this set once they do.
_NO_KEEP_CACHE = {("cpu", "rnn"), ("cpu", "gru")}
_GATES = {"rnn": 1, "lstm": 4, "gru": 3, "peephole": 4}
# The RNN's nonlinearity (PyTorch's name) and the LSTM/GRU candidate activation (Keras' name)
NONLINEARITIES = ACTIVATIONS = ("tanh", "relu")


@dataclass
class Cache:
    """What forward keeps for backward. ``data`` belongs to the backend."""
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


def _keep(backend, cell, keep_cache):
    """The ``keep_cache`` keyword every backend's forward takes."""
    return {} if (backend, cell) in _NO_KEEP_CACHE else {"keep_cache": keep_cache}


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


# ----------------------------------------------------------------------------- RNN
def rnn_forward(x, W_ih, W_hh, b_ih, b_hh, h0=None, nonlinearity="tanh", backend="cpu", keep_cache=True):
    """Elman RNN over a sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Parameters
    ----------
    x : (B, T, D) float32 or float64
    W_ih : (H, D);  W_hh : (H, H);  b_ih, b_hh : (H,)
    h0 : (B, H) or None (zeros)
    nonlinearity : "tanh" or "relu"
    backend : "numpy", "cpu" or "cuda"
    keep_cache : False for inference: the returned cache is None and nothing is kept for
        backward (the same for every cell; the CPU LSTM is then also faster)

    Returns
    -------
    h_seq : (B, T, H) every hidden state;  h_T : (B, H) the last;  cache : for ``rnn_backward``
    """
    v.check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    _check_keep(keep_cache)
    mod = _backend(backend, "rnn")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("rnn", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, data = _run(backend, "rnn", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                             nonlinearity, **_keep(backend, "rnn", keep_cache))
    return h_seq, h_T, _cache("rnn", backend, x, H, data, keep_cache)


def rnn_backward(dh_seq, cache, dh_T=None):
    """Backpropagation through time for :func:`rnn_forward`.

    dh_seq : (B, T, H) dL/dh_t from above (None = zeros);  dh_T : (B, H) dL/dh_T (None = zeros).
    Returns a dict with dx (B, T, D), dh0 (B, H), dW_ih, dW_hh, db_ih, db_hh.
    """
    seq_shape, state_shape, dev = _check_cache(cache, "rnn")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "rnn", cache.dtype, "backward", _backend(cache.backend, "rnn").backward, dh_seq,
                cache.data, dh_T)


# ----------------------------------------------------------------------------- LSTM
def lstm_forward(x, W_ih, W_hh, b_ih, b_hh, h0=None, c0=None, activation="tanh", backend="cpu", keep_cache=True):
    """LSTM over a sequence (PyTorch gate order i, f, g, o).

    x : (B, T, D); W_ih : (4H, D); W_hh : (4H, H); b_ih, b_hh : (4H,); h0, c0 : (B, H) or None.
    activation : "tanh" (the standard cell, as PyTorch) or "relu" (Keras' ``LSTM(activation='relu')``):
        used for the candidate g_t = act(a_g) and the output h_t = o_t * act(c_t); the gates
        i, f, o stay sigmoid. Kept in the cache, so ``lstm_backward`` needs no argument for it.
    keep_cache : False for inference: the cache is None, and the CPU kernel skips storing the
        gates and cell states of every step (faster: see benchmarks/README.md).
    Returns h_seq (B, T, H), (h_T, c_T) each (B, H), and the cache for ``lstm_backward``.
    """
    v.check_choice("activation", activation, ACTIVATIONS)
    _check_keep(keep_cache)
    mod = _backend(backend, "lstm")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("lstm", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    c0 = v.state_or_zeros("c0", c0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, c_T, data = _run(backend, "lstm", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                                 c0, activation, **_keep(backend, "lstm", keep_cache))
    return h_seq, (h_T, c_T), _cache("lstm", backend, x, H, data, keep_cache)


def lstm_backward(dh_seq, cache, dh_T=None, dc_T=None):
    """BPTT for :func:`lstm_forward`. Returns dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh."""
    seq_shape, state_shape, dev = _check_cache(cache, "lstm")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    dc_T = v.grad_or_zeros("dc_T", dc_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "lstm", cache.dtype, "backward", _backend(cache.backend, "lstm").backward, dh_seq,
                cache.data, dh_T, dc_T)


# ----------------------------------------------------------------------------- GRU
def gru_forward(x, W_ih, W_hh, b_ih, b_hh, h0=None, activation="tanh", backend="cpu", keep_cache=True):
    """GRU over a sequence (PyTorch gate order r, z, n; n = act(W_in x + b_in + r*(W_hn h + b_hn))).

    x : (B, T, D); W_ih : (3H, D); W_hh : (3H, H); b_ih, b_hh : (3H,); h0 : (B, H) or None.
    activation : "tanh" (the standard cell, as PyTorch) or "relu" (Keras' ``GRU(activation='relu')``)
        for the candidate n; the gates r, z stay sigmoid. Kept in the cache for ``gru_backward``.
    keep_cache : False for inference: the cache is None.
    Returns h_seq (B, T, H), h_T (B, H), and the cache for ``gru_backward``.
    """
    v.check_choice("activation", activation, ACTIVATIONS)
    _check_keep(keep_cache)
    mod = _backend(backend, "gru")
    x, W_ih, W_hh, b_ih, b_hh, H, dev = _prepare("gru", x, W_ih, W_hh, b_ih, b_hh, backend)
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype, dev)
    h_seq, h_T, data = _run(backend, "gru", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih, b_hh, h0,
                             activation, **_keep(backend, "gru", keep_cache))
    return h_seq, h_T, _cache("gru", backend, x, H, data, keep_cache)


def gru_backward(dh_seq, cache, dh_T=None):
    """BPTT for :func:`gru_forward`. Returns dx, dh0, dW_ih, dW_hh, db_ih, db_hh."""
    seq_shape, state_shape, dev = _check_cache(cache, "gru")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype, dev)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype, dev)
    return _run(cache.backend, "gru", cache.dtype, "backward", _backend(cache.backend, "gru").backward, dh_seq,
                cache.data, dh_T)


# ----------------------------------------------------------------------------- peephole LSTM
def peephole_lstm_forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0=None, c0=None, backend="cpu", keep_cache=True):
    """Peephole LSTM (Gers & Schmidhuber): gates also see the cell through diagonal weights.

    w_peep : (3, H), rows w_ci, w_cf, w_co (i and f see c_{t-1}, o sees c_t).
    Other arguments and returns as :func:`lstm_forward`.
    """
    _check_keep(keep_cache)
    mod = _backend(backend, "peephole")
    x, W_ih, W_hh, b_ih, b_hh, H, _ = _prepare("peephole", x, W_ih, W_hh, b_ih, b_hh, backend)
    w_peep = v.as_float_array("w_peep", w_peep, x.dtype)
    v.check_shape("w_peep", w_peep, (3, H), "(3, H)")
    h0 = v.state_or_zeros("h0", h0, x.shape[0], H, x.dtype)
    c0 = v.state_or_zeros("c0", c0, x.shape[0], H, x.dtype)
    h_seq, h_T, c_T, data = _run(backend, "peephole LSTM", x.dtype, "forward", mod.forward, x, W_ih, W_hh, b_ih,
                                 b_hh, w_peep, h0, c0, **_keep(backend, "peephole", keep_cache))
    return h_seq, (h_T, c_T), _cache("peephole", backend, x, H, data, keep_cache)


def peephole_lstm_backward(dh_seq, cache, dh_T=None, dc_T=None):
    """BPTT for :func:`peephole_lstm_forward`. Returns the LSTM gradients plus dw_peep (3, H)."""
    seq_shape, state_shape, _ = _check_cache(cache, "peephole")
    dh_seq = v.grad_or_zeros("dh_seq", dh_seq, seq_shape, cache.dtype)
    dh_T = v.grad_or_zeros("dh_T", dh_T, state_shape, cache.dtype)
    dc_T = v.grad_or_zeros("dc_T", dc_T, state_shape, cache.dtype)
    return _run(cache.backend, "peephole LSTM", cache.dtype, "backward", _backend(cache.backend, "peephole").backward,
                dh_seq, cache.data, dh_T, dc_T)
