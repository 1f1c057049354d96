"""Host side shared by the CUDA cells: transfers, launch shapes, the time loops, the backward tail.

A cell module (:mod:`.rnn`, :mod:`.lstm`, :mod:`.gru`) keeps its kernels (its
equations) and names its arrays; everything it does around them is here, once:

* :func:`inputs` / :func:`as_returned`: the caller's arrays on the device, and the
  results back as NumPy when the caller passed NumPy;
* :func:`empty`: the output arrays of a forward pass;
* :func:`forward`: the input projection, then the persistent kernel where
  :func:`.persistent.plan` allows it, else one per-step kernel launch per time step;
* :func:`step_loop`: one thread per hidden unit j of sequence b, one launch per step;
* :func:`gradients`: dh0, dx and the weight and bias gradients from the per-step
  gate gradients, returned as the caller's kind of array.

The per-step kernels of forward take ``(t, xp, W_hhT, b_hh, *states, *outputs, use_tanh)``
and the persistent kernels ``(xp, W_hh, b_hh, *states, *outputs, use_tanh)``: the same
arrays in the same order, which is what lets one function launch either.
"""
import numpy as np
from numba import cuda

from . import _kernels_common as kc
from . import persistent as pk


def inputs(stream, x, *arrays):
    """The arrays on the device, and ``host``: True when ``x`` came from NumPy (results go back as NumPy).

    Parameters
    ----------
    stream : int or numba.cuda stream
    x : ndarray or device array, shape (B, T, D)
    *arrays : ndarray or device array
        The weights and initial states, in the cell's order.

    Returns
    -------
    host : bool
    device : tuple of device arrays
        ``x`` first, then ``arrays`` in their order; an array already on the GPU is not copied.
    """
    host = not kc.is_device(x)
    return host, tuple(kc.to_device(a, stream) for a in (x, *arrays))


def empty(dtype, stream, *shapes):
    """One uninitialised device array per shape (every element is written by the kernels)."""
    return tuple(cuda.device_array(shape, dtype=dtype, stream=stream) for shape in shapes)


@kc.simulator_paced
def step_loop(kernel, times, B, H, args, stream=0):
    """Launch ``kernel(t, *args)`` once per t in ``times``, in that order, on :func:`._kernels_common.unit_grid`.

    Launches on one stream run in order, so step t sees what step t - 1 wrote.
    The launch configuration is made once, not once per step.
    """
    grid, tpb = kc.unit_grid(B, H)
    launch = kernel[grid, tpb, stream]
    for t in times:
        launch(t, *args)


def forward(cell, kernels, x, W_ih, W_hh, b_ih, b_hh, states, per_step, activation, keep_cache, persistent,
            stream=0):
    """One cell's forward over the whole sequence, for its ``forward``.

    The input projection of all steps is one GEMM; then the persistent kernel runs
    where :func:`.persistent.plan` allows it, else one per-step kernel per time step.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    kernels : callable
        The cell's ``_kernels(dtype)`` -> (per-step forward kernel, per-step backward kernel).
    x : ndarray or device array, shape (B, T, D)
    W_ih : ndarray or device array, shape (G*H, D)
    W_hh : ndarray or device array, shape (G*H, H)
    b_ih, b_hh : ndarray or device array, shape (G*H,)
    states : dict of str to array, shape (B, H)
        The initial states, h0 (and c0), in the kernels' argument order.
    per_step : dict of str to int
        The outputs written at every step, name -> n for shape (B, T, n*H), in the
        kernels' argument order, h_seq first. The kernels then write one final state
        (B, H) per initial state, in the same order: h_T (and c_T).
    activation : {"tanh", "relu"}
        Reaches the kernels as ``use_tanh``.
    keep_cache : bool
    persistent : None, True or False
        See :func:`.persistent.plan`.

    Returns
    -------
    tuple
        h_seq, the final states, then data (None with ``keep_cache=False``): the device
        arrays of the inputs, the states and ``per_step`` under their names, with
        ``host``, ``use_tanh`` and ``persistent`` (True when the persistent kernel ran).
        The arrays are NumPy when ``x`` was NumPy, else device arrays.
    """
    host, (x, W_ih, W_hh, b_ih, b_hh, *init) = inputs(stream, x, W_ih, W_hh, b_ih, b_hh, *states.values())
    B, T, _ = x.shape
    H = W_hh.shape[1]
    dtype = np.dtype(x.dtype)
    use_tanh = int(activation == "tanh")
    seq = {name: cuda.device_array((B, T, n * H), dtype=dtype, stream=stream) for name, n in per_step.items()}
    final = empty(dtype, stream, *[(B, H)] * len(init))
    xp = kc.input_projection(x, W_ih, b_ih, stream)
    written = (*init, *seq.values(), *final)
    p = pk.plan(cell, B, H, dtype, persistent)
    ran = p is not None and pk.launch(p, (xp, W_hh, b_hh, *written, use_tanh), stream)
    if not ran:                             # the per-step kernels
        W_hhT = kc.transpose(W_hh, stream)  # so that neighbouring threads read neighbouring addresses
        step_loop(kernels(dtype)[0], range(T), B, H, (xp, W_hhT, b_hh, *written, use_tanh), stream)
    data = {"host": host, "x": x, "W_ih": W_ih, "W_hh": W_hh, **dict(zip(states, init)), **seq,
            "use_tanh": use_tanh, "persistent": ran}
    return as_returned(host, seq["h_seq"], *final) + ((data if keep_cache else None),)


def as_returned(host, *arrays):
    """What the caller gets back: NumPy copies when they passed NumPy, else the device arrays."""
    return tuple(kc.to_output(a, host) for a in arrays)


def grads_in(stream, *grads):
    """The incoming gradients (dh_seq, dh_T) on the device, read only."""
    return tuple(kc.to_device(g, stream) for g in grads)


def gradients(data, dA, dAh, h0_carry=None, dc0=None, stream=0):
    """The backward tail: dh0, dx and the weight and bias gradients as GEMMs over all steps.

    Parameters
    ----------
    data : dict
        The cache of the cell's forward (``x``, ``W_ih``, ``W_hh``, ``h0``, ``h_seq``, ``host``).
    dA : device array, shape (B, T, G*H)
        dL/d(input projections) at every step.
    dAh : device array, shape (B, T, G*H)
        dL/d(recurrent projections): ``dA`` itself except in the GRU.
    h0_carry : device array, shape (B, H), optional
        What reaches h0 besides dAh_0 W_hh (the GRU's direct path through z); None means zeros.
    dc0 : device array, shape (B, H), optional
        The LSTM's dL/dc0, returned after dh0.

    Returns
    -------
    dict
        "dx" (B, T, D), "dh0" (B, H)[, "dc0" (B, H)], "dW_ih" (G*H, D), "dW_hh" (G*H, H),
        "db_ih", "db_hh" (G*H,): NumPy when the forward's inputs were NumPy.
    """
    W_hh, h0 = data["W_hh"], data["h0"]
    if h0_carry is None:
        h0_carry = kc.zeros(h0.shape, np.dtype(h0.dtype), stream)
    dh0 = kc.grad_into_h0(dAh, W_hh, h0_carry, stream)
    dx, dW_ih, dW_hh, db_ih, db_hh = kc.weight_grads(dA, dAh, data["x"], h0, data["h_seq"], data["W_ih"], stream)
    out = {"dx": dx, "dh0": dh0, "dc0": dc0, "dW_ih": dW_ih, "dW_hh": dW_hh, "db_ih": db_ih, "db_hh": db_hh}
    if dc0 is None:
        del out["dc0"]
    return {k: kc.to_output(a, data["host"]) for k, a in out.items()}
