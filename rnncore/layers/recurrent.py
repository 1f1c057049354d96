"""Recurrent layers: one :class:`RNN` layer runs a cell over a sequence, as Keras' ``RNN(LSTMCell(...))``.

The split follows Keras:

* a **cell** (:class:`SimpleRNNCell`, :class:`LSTMCell`, :class:`GRUCell`) owns the weights, in
  Keras' layout and gate order (``kernel (D, G*H)``, ``recurrent_kernel (H, G*H)``, ``bias``;
  LSTM gates i, f, c, o; GRU gates z, r, h with a ``(2, 3H)`` bias, Keras' ``reset_after=True``),
  and knows which :mod:`rnncore.functional` function computes it. The functional API and the
  kernels use PyTorch's layout (``W_ih (G*H, D)``, gate order r, z, n for the GRU, two biases):
  the cell hands them transposed, gate-permuted weights (the single SimpleRNN/LSTM bias goes in
  as ``b_ih`` with ``b_hh = 0``) and maps the gradients back;
* the **RNN layer** owns the sequence: the backend, input dropout, masking, direction,
  ``return_sequences`` and ``return_state``. :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU`
  are the RNN layer with their cell built from the usual Keras arguments.

Dropout follows Keras 3: in training, ``dropout`` masks the inputs and ``recurrent_dropout``
masks h_{t-1} where it enters the recurrent products, each mask drawn once per sequence (the
same at every step, scaled by 1/(1-rate)). With ``recurrent_dropout`` > 0 the LSTM and GRU
draw one mask per gate, for the inputs too (Keras' ``implementation=1``), and the GRU's final
mix z * h_{t-1} uses the unmasked state. A mask inside the recurrence needs a hook between time
steps that the whole-sequence kernels do not have, so such a training pass runs a NumPy loop,
one step at a time, with a hand-written backward (:meth:`_Cell.run_dropout`); inference is
unchanged. :meth:`RNN.set_dropout_masks` fixes the masks and ``RNN.dropout_masks`` reads them.

Masking follows Keras: masked time steps are skipped (the state is carried over them) and,
with ``return_sequences=True``, a masked step repeats the last valid output (zeros before the
first), or outputs zeros with ``zero_output_for_mask=True`` (what Bidirectional uses). The
kernels never see a mask: each sample's valid steps are gathered to the front, the kernel runs,
and the result is scattered back; backward does the inverse. ``go_backwards`` reverses only the
valid part of each sequence, so pre- and post-padding both work.
"""
from typing import NamedTuple

import numpy as np

from .. import functional as F
from .._linalg import numpy_blas_one_thread
from .._validation import BACKENDS
from ..reference.activations import ACTIVATIONS as _ACT, sigmoid
from .base import Layer, _shape_str, _to_numpy, check_bool, check_choice, check_finite_weight, check_int, check_rate, \
    get_initializer, input_ndim_message


class DropoutCache(NamedTuple):
    """What :meth:`_Cell.backprop_dropout` needs from :meth:`_Cell.run_dropout` (PyTorch gate order)."""
    x: np.ndarray              # (B, T, D) the inputs, before input dropout
    in_mask: object            # (n, B, D) input-dropout masks (n = 1 or G), or None
    rec_mask: np.ndarray       # (G or 1, B, H) recurrent-dropout masks
    h_prev_seq: np.ndarray     # (B, T, H) h_{t-1} of every step, unmasked
    steps: list                # T per-step tuples of the cell's gates
    W_ih: np.ndarray           # (G*H, D)
    W_hh: np.ndarray           # (G*H, H)
    dtype: np.dtype


class ReversedRun(NamedTuple):
    """:meth:`RNN._sequence_forward` ran an unmasked batch from its last step: what
    :meth:`RNN._sequence_backward` needs beside the cell's cache."""
    shape: tuple               # (B, T, H) of the run's h_seq
    dtype: np.dtype


# ============================================================================= cells
class _Cell(Layer):
    """Weights of one recurrent cell in Keras' layout, and the functional call that runs it.

    Subclasses set ``kind`` (the :mod:`rnncore.functional` cell name), ``gates`` and
    ``torch_blocks``: for each PyTorch gate block, the index of the Keras gate block holding it.
    """
    kind = gates = None
    torch_class = None
    torch_blocks = None

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__[:-len("Cell")]       # messages name the layer users write: LSTM, GRU, ...
        self.units = check_int(kind, "units", units)
        if activation is None:     # Keras reads None as linear, which no kernel here computes
            raise ValueError(f"{kind}: activation=None means a linear activation in Keras, which rnncore's "
                             "kernels do not have; use activation='tanh' or 'relu'")
        self.activation = check_choice(kind, "activation", activation, F.ACTIVATIONS)
        if recurrent_activation != "sigmoid" and self.gates > 1:
            raise ValueError(f"{kind}: recurrent_activation must be 'sigmoid' (the kernels' gates), "
                             f"got {recurrent_activation!r}")
        self.recurrent_activation = recurrent_activation
        self.use_bias = check_bool(kind, "use_bias", use_bias)
        self.kernel_initializer = get_initializer(kind, "kernel_initializer", kernel_initializer)
        self.recurrent_initializer = get_initializer(kind, "recurrent_initializer", recurrent_initializer)
        self.bias_initializer = get_initializer(kind, "bias_initializer", bias_initializer)
        self.dropout = check_rate(kind, "dropout", dropout)
        self.recurrent_dropout = check_rate(kind, "recurrent_dropout", recurrent_dropout)

    @property
    def dropout_mask_count(self):
        """How many dropout masks per sequence Keras draws: one per gate once ``recurrent_dropout`` > 0.

        Keras' LSTM and GRU cells switch to ``implementation=1`` when ``recurrent_dropout`` is set:
        every gate then gets its own input mask and its own recurrent mask. The SimpleRNN cell has
        one of each; so has any cell with ``recurrent_dropout=0`` (one input mask, all gates).
        """
        return self.gates if self.recurrent_dropout else 1

    @property
    def state_size(self):
        return self.units

    def forward(self, x, training=False, mask=None):
        raise TypeError(f"{type(self).__name__} holds weights and runs inside a recurrent layer: "
                        f"RNN({type(self).__name__}(...))(x), not on its own")

    backward = forward

    def _bias_shape(self):
        return (self.gates * self.units,)

    def build(self, input_shape):
        super().build(input_shape)
        D, H, G = int(input_shape[-1]), self.units, self.gates
        p = self._params
        p["kernel"] = self.kernel_initializer((D, G * H), self.rng, self.dtype, D, G * H)
        p["recurrent_kernel"] = self.recurrent_initializer((H, G * H), self.rng, self.dtype, H, G * H)
        if self.use_bias:
            p["bias"] = self.bias_initializer(self._bias_shape(), self.rng, self.dtype, D, G * H)
        H = self.units
        # None where Keras' gate order is PyTorch's (SimpleRNN, LSTM): nothing to reorder. Every
        # training step maps the weights and their gradients; without the gathers (one copy of
        # each weight instead of two, none of the gradients), and with the one-copy packing of
        # whole panels (cpu._packed.pack_blocks), bench_fit.py's LSTM(64) x T=50 epochs took 0.96
        # of the time (6.43 against 6.68 ms, medians of 10 alternating runs of bench_ab.py --fit,
        # 2-core Zen 5 VM, 2026-12-04; the same loss to the bit).
        identity = tuple(self.torch_blocks) == tuple(range(self.gates))
        self._order = None if identity else np.concatenate([np.arange(b * H, (b + 1) * H) for b in self.torch_blocks])

    # ---- Keras layout <-> the kernels' PyTorch layout
    def _to_torch(self, a):
        """A Keras (..., G*H) array with its gate blocks in PyTorch's order (``a`` itself where
        the orders agree)."""
        return a if self._order is None else a[..., self._order]

    def _from_torch(self, a):
        """The inverse of :meth:`_to_torch` (``a`` itself where the orders agree)."""
        if self._order is None:
            return a
        out = np.empty_like(a)
        out[..., self._order] = a
        return out

    def torch_weights(self):
        """``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh`` for :mod:`rnncore.functional`:
        new C-ordered arrays (never views of the weights, which the optimizer updates in place)."""
        p = self._params
        W_ih = np.array(self._to_torch(p["kernel"]).T, order="C")
        W_hh = np.array(self._to_torch(p["recurrent_kernel"]).T, order="C")
        zeros = np.zeros(self.gates * self.units, dtype=W_ih.dtype)
        if not self.use_bias:
            return W_ih, W_hh, zeros, zeros
        b = np.array(self._to_torch(p["bias"]))
        return (W_ih, W_hh, b, zeros) if b.ndim == 1 else (W_ih, W_hh, b[0], b[1])

    def keras_grads(self, g):
        """The functional API's gradient dict -> ``{kernel, recurrent_kernel, bias}`` in Keras' layout."""
        out = {"kernel": self._from_torch(np.asarray(g["dW_ih"]).T),
               "recurrent_kernel": self._from_torch(np.asarray(g["dW_hh"]).T)}
        if self.use_bias:
            if len(self._bias_shape()) == 1:      # one bias fed as b_ih: its gradient is db_ih
                out["bias"] = self._from_torch(np.asarray(g["db_ih"]))
            else:
                out["bias"] = self._from_torch(np.stack([g["db_ih"], g["db_hh"]]))
        return out

    # ---- the math (subclasses): a whole batch of full sequences, no mask. Each cell's run/backprop
    # call its own functional pair (their states and activation argument differ), so they look alike.
    def run(self, x, initial_state, backend, keep_cache):
        """Returns ``h_seq (B, T, H)``, the final states ``[h_T]`` (LSTM ``[h_T, c_T]``) and the cache.

        Through ``functional._forward`` with ``layer_weights=True``: the weights, refused with NaN
        or inf where they entered the layer (``base.check_finite_weight``), are not tested again at
        every step (the NaN test reads every weight: ``check_weights`` took 8.3 us for an LSTM(64)'s
        four arrays, one thread, 2-core Zen 5 VM, 2026-12-04); x and the initial states still are."""
        raise NotImplementedError

    def backprop(self, dh_seq, cache, d_states, need_dx=True):
        """The functional backward: a dict with dx (None without need_dx), dh0 (dc0), dW_ih, dW_hh,
        db_ih, db_hh."""
        raise NotImplementedError

    # ---- the per-step path: recurrent dropout (training only)
    # Why it exists: a recurrent-dropout mask multiplies h_{t-1} inside the recurrence, between
    # two time steps, and the whole-sequence kernels (CPU, CUDA) run the recurrence in one call
    # with no hook there. So a training pass with recurrent_dropout > 0 runs this NumPy loop,
    # one step at a time, with the backward written by hand below (checked against central
    # differences in tests/test_recurrent_dropout.py). Inference never comes here.
    # What it costs, measured once (2 busy cores; LSTM(64) -> Dense, 512 sequences of 100 steps
    # x 4 features, batch 32, Adam, warm caches): a training epoch took 1.2-1.4 s on the CPU
    # kernels and 2.3-3.0 s with recurrent_dropout=0.2, about 2x (20 s before NumPy's BLAS was
    # held to one thread here). The path is NumPy whatever the backend, so 'cuda' does not help it.
    def run_dropout(self, x, initial_state, in_mask, rec_mask, keep_cache=True):
        """The sequence with Keras' dropout masks, one NumPy step at a time (no mask of padded steps).

        Parameters
        ----------
        x : ndarray, shape (B, T, D)
        initial_state : list of ndarray (B, H), or None for zeros
        in_mask : ndarray, shape (n, B, D), or None
            Input-dropout masks (0 or 1/(1-rate)) in Keras' gate order; n = 1 (all gates) or G.
        rec_mask : ndarray, shape (G, B, H)
            Recurrent-dropout masks in Keras' gate order (SimpleRNN: G = 1), applied to h_{t-1}.

        Returns
        -------
        h_seq (B, T, H), the final states ``[h_T]`` (LSTM ``[h_T, c_T]``) and a ``DropoutCache``.
        """
        W_ih, W_hh, b_ih, b_hh = self.torch_weights()
        B, T, D = x.shape
        H, G = self.units, self.gates
        order = list(self.torch_blocks)
        in_m = None if in_mask is None else in_mask[order] if len(in_mask) > 1 else in_mask
        rec_m = rec_mask[order] if len(rec_mask) > 1 else rec_mask
        # Input projections of every step at once, each gate's with its own input mask.
        if in_m is None:
            gi = x @ W_ih.T + b_ih
        else:
            gi = np.concatenate([(x * in_m[g if len(in_m) > 1 else 0][:, None, :]) @ W_ih[g * H:(g + 1) * H].T
                                 for g in range(G)], axis=-1) + b_ih
        # gate g's recurrent block W_hh[gH:(g+1)H], transposed; one 2-D product per gate (BLAS)
        W_hh_T = [np.ascontiguousarray(W_hh[g * H:(g + 1) * H].T) for g in range(G)]
        h = np.zeros((B, H), x.dtype) if not initial_state else initial_state[0]
        c = None
        if G == 4:
            c = np.zeros((B, H), x.dtype) if not initial_state else initial_state[1]
        h_seq = np.empty((B, T, H), x.dtype)
        h_prev_seq = np.empty((B, T, H), x.dtype)
        saved = []
        for t in range(T):
            gh = np.empty((B, G * H), x.dtype)
            for g in range(G):          # h_{t-1} as gate g sees it: times its own mask
                np.matmul(h * rec_m[g if len(rec_m) > 1 else 0], W_hh_T[g], out=gh[:, g * H:(g + 1) * H])
            gh += b_hh
            h_prev_seq[:, t] = h
            h, c, step = self._pointwise(gi[:, t], gh, h, c)
            h_seq[:, t] = h
            saved.append(step)
        states = [h] if c is None else [h, c]
        cache = None
        if keep_cache:
            cache = DropoutCache(x, in_m, rec_m, h_prev_seq, saved, W_ih, W_hh, x.dtype)
        return h_seq, states, cache

    def backprop_dropout(self, dh_seq, cache, d_states):
        """Backward of :meth:`run_dropout`: the functional API's gradient dict (PyTorch layout)."""
        x, in_m, rec_m, h_prev_seq, saved, W_ih, W_hh, dtype = cache
        B, T, D = x.shape
        H, G = self.units, self.gates
        W_hh_g = [np.ascontiguousarray(W_hh[g * H:(g + 1) * H]) for g in range(G)]
        dh_next = np.zeros((B, H), dtype) if d_states[0] is None else d_states[0]
        dc_next = None
        if G == 4:
            dc_next = np.zeros((B, H), dtype) if len(d_states) < 2 or d_states[1] is None else d_states[1]
        dgi = np.empty((B, T, G * H), dtype)          # dL/d(input projections)
        dgh = np.empty((B, T, G * H), dtype)          # dL/d(recurrent projections)
        for t in reversed(range(T)):
            dh = dh_next if dh_seq is None else dh_seq[:, t] + dh_next
            dgi[:, t], dgh[:, t], dh_direct, dc_next = self._pointwise_backward(dh, dc_next, saved[t],
                                                                                h_prev_seq[:, t])
            # h_{t-1} reaches gate g through its dropout mask: d h_{t-1} = sum_g (dgh_g W_hh_g) * mask_g
            dh_next = dh_direct
            for g in range(G):
                dh_next = dh_next + (dgh[:, t, g * H:(g + 1) * H] @ W_hh_g[g]) * rec_m[g if len(rec_m) > 1 else 0]
        # dW_hh_g = sum over batch and time of dgh_g^T (h_{t-1} * mask_g)
        dgh2 = dgh.reshape(B * T, G * H)
        dW_hh = np.empty_like(W_hh)
        for g in range(G):
            h_drop = (h_prev_seq * rec_m[g if len(rec_m) > 1 else 0][:, None, :]).reshape(B * T, H)
            dW_hh[g * H:(g + 1) * H] = dgh2[:, g * H:(g + 1) * H].T @ h_drop
        dx = np.zeros_like(x)
        dW_ih = np.empty_like(W_ih)
        for g in range(G):
            dg = dgi[..., g * H:(g + 1) * H]
            W = W_ih[g * H:(g + 1) * H]
            m = None if in_m is None else in_m[g if len(in_m) > 1 else 0][:, None, :]
            dx += dg @ W if m is None else (dg @ W) * m
            x_g = x if m is None else x * m
            dW_ih[g * H:(g + 1) * H] = dg.reshape(B * T, H).T @ x_g.reshape(B * T, D)
        out = {"dx": dx, "dh0": dh_next, "dW_ih": dW_ih, "dW_hh": dW_hh,
               "db_ih": dgi.sum(axis=(0, 1)), "db_hh": dgh.sum(axis=(0, 1))}
        if G == 4:
            out["dc0"] = dc_next
        return out

    def _pointwise(self, gi_t, gh_t, h_prev, c_prev):
        """One step after the matrix products: ``(h_t, c_t or None, what backward needs)``."""
        raise NotImplementedError

    def _pointwise_backward(self, dh_t, dc_t, step, h_prev):
        """Returns dL/d gi_t, dL/d gh_t (B, G*H), the direct dL/dh_{t-1} (not through gh_t), dL/dc_{t-1}."""
        raise NotImplementedError

    # ---- PyTorch interop
    def load_torch_weights(self, W_ih, W_hh, b_ih=None, b_hh=None):
        p = self._params
        p["kernel"][...] = self._from_torch(W_ih.T)
        p["recurrent_kernel"][...] = self._from_torch(W_hh.T)
        if self.use_bias:
            if p["bias"].ndim == 1:
                p["bias"][...] = self._from_torch(b_ih + b_hh)     # only their sum enters the cell
            else:
                p["bias"][...] = self._from_torch(np.stack([b_ih, b_hh]))

    def torch_weights_export(self):
        W_ih, W_hh, b_ih, b_hh = self.torch_weights()
        out = {"weight_ih": W_ih.copy(), "weight_hh": W_hh.copy()}
        if self.use_bias:
            out["bias_ih"], out["bias_hh"] = b_ih.copy(), b_hh.copy()
        return out


class SimpleRNNCell(_Cell):
    """Elman cell ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; 'tanh' or 'relu'.

    Weights ``kernel (D, H)``, ``recurrent_kernel (H, H)``, ``bias (H,)``, as Keras.
    """
    kind, gates, torch_class, torch_blocks = "rnn", 1, "nn.RNN", (0,)

    def run(self, x, initial_state, backend, keep_cache):
        h0 = initial_state[0] if initial_state else None
        return F._forward("rnn", backend, keep_cache, x, *self.torch_weights(), (h0,), self.activation,
                          layer_weights=True)

    def backprop(self, dh_seq, cache, d_states, need_dx=True):
        return F.rnn_backward(dh_seq, cache, d_states[0], need_dx=need_dx)

    def _pointwise(self, gi_t, gh_t, h_prev, c_prev):
        h_t = _ACT[self.activation][0](gi_t + gh_t)
        return h_t, None, h_t

    def _pointwise_backward(self, dh_t, dc_t, h_t, h_prev):
        da = dh_t * _ACT[self.activation][1](h_t)          # act'(a_t) from the output
        return da, da, 0, None


class LSTMCell(_Cell):
    """LSTM cell, Keras' gate order i, f, c, o (PyTorch's i, f, g, o: the same blocks).

    ``activation`` 'tanh' (default) or 'relu', as in Keras: used for the candidate and for
    h_t = o_t * activation(c_t); the gates stay sigmoid. ``unit_forget_bias=True`` (Keras'
    default) starts the forget-gate bias at 1. Weights ``kernel (D, 4H)``,
    ``recurrent_kernel (H, 4H)``, ``bias (4H,)``.
    """
    kind, gates, torch_class, torch_blocks = "lstm", 4, "nn.LSTM", (0, 1, 2, 3)

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = check_bool("LSTM", "unit_forget_bias", unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_bias and self.unit_forget_bias:
            self._params["bias"][self.units:2 * self.units] = 1.0

    def run(self, x, initial_state, backend, keep_cache):
        h0, c0 = initial_state if initial_state else (None, None)
        return F._forward("lstm", backend, keep_cache, x, *self.torch_weights(), (h0, c0), self.activation,
                          layer_weights=True)

    def backprop(self, dh_seq, cache, d_states, need_dx=True):
        return F.lstm_backward(dh_seq, cache, d_states[0], d_states[1], need_dx=need_dx)

    def _pointwise(self, gi_t, gh_t, h_prev, c_prev):
        act = _ACT[self.activation][0]
        H = self.units
        a = gi_t + gh_t
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
        g = act(a[:, 2 * H:3 * H])
        c_t = f * c_prev + i * g
        act_c = act(c_t)
        return o * act_c, c_t, (i, f, g, o, act_c, c_prev)

    def _pointwise_backward(self, dh_t, dc_t, step, h_prev):
        dact = _ACT[self.activation][1]
        i, f, g, o, act_c, c_prev = step
        do = dh_t * act_c
        dc = dc_t + dh_t * o * dact(act_c)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * dact(g),
                             do * o * (1 - o)], axis=1)
        return da, da, 0, dc * f


class GRUCell(_Cell):
    """GRU cell with the reset gate applied after the matrix product (Keras' default ``reset_after=True``,
    PyTorch's GRU). Keras' gate order z, r, h; weights ``kernel (D, 3H)``, ``recurrent_kernel (H, 3H)``
    and ``bias (2, 3H)`` (row 0 for the input, row 1 for the recurrent product).
    ``activation`` 'tanh' (default) or 'relu' for the candidate; the gates stay sigmoid.
    """
    kind, gates, torch_class, torch_blocks = "gru", 3, "nn.GRU", (1, 0, 2)   # torch r, z, n = Keras r, z, h

    def __init__(self, units, reset_after=True, **kwargs):
        if not check_bool("GRU", "reset_after", reset_after):
            raise NotImplementedError("GRU(reset_after=False) (the original Cho et al. GRU) is not supported; "
                                      "rnncore's GRU is PyTorch's and Keras' default reset_after=True")
        super().__init__(units, **kwargs)
        self.reset_after = True

    def _bias_shape(self):
        return (2, 3 * self.units)

    def run(self, x, initial_state, backend, keep_cache):
        h0 = initial_state[0] if initial_state else None
        return F._forward("gru", backend, keep_cache, x, *self.torch_weights(), (h0,), self.activation,
                          layer_weights=True)

    def backprop(self, dh_seq, cache, d_states, need_dx=True):
        return F.gru_backward(dh_seq, cache, d_states[0], need_dx=need_dx)

    def _pointwise(self, gi_t, gh_t, h_prev, c_prev):
        # Keras (implementation=1, reset_after=True): the gates and the recurrent part of the
        # candidate use the dropped-out h_{t-1} (inside gh_t); the final mix z * h_{t-1} uses
        # the unmasked h_{t-1}.
        H = self.units
        r = sigmoid(gi_t[:, :H] + gh_t[:, :H])
        z = sigmoid(gi_t[:, H:2 * H] + gh_t[:, H:2 * H])
        hn = gh_t[:, 2 * H:]
        n = _ACT[self.activation][0](gi_t[:, 2 * H:] + r * hn)
        return (1 - z) * n + z * h_prev, None, (r, z, n, hn)

    def _pointwise_backward(self, dh_t, dc_t, step, h_prev):
        r, z, n, hn = step
        da_n = dh_t * (1 - z) * _ACT[self.activation][1](n)
        da_r = da_n * hn * r * (1 - r)
        da_z = dh_t * (h_prev - n) * z * (1 - z)
        return (np.concatenate([da_r, da_z, da_n], axis=1), np.concatenate([da_r, da_z, da_n * r], axis=1),
                dh_t * z, None)


# ============================================================================= the RNN layer
class RNN(Layer):
    """Run a cell over sequences: x (B, T, D) -> (B, T, H) with ``return_sequences=True``, else (B, H).

    Parameters
    ----------
    cell : SimpleRNNCell, LSTMCell or GRUCell
    return_sequences : bool: every step's output, or only the last valid one
    return_state : bool: also return the final states, a list ``[output, h_T]`` (LSTM
        ``[output, h_T, c_T]``), as Keras. Such a layer is called directly (an encoder), not
        stacked in a Sequential. ``backward`` then takes the list of gradients (None for zero).
        With a mask, the states are each sample's after its last valid step (the initial state
        for a sample with none); for the LSTM the kernels then run once per group of samples of
        one length, so that c_T is the one at that step.
    go_backwards : bool: process the valid steps in reverse; outputs come in processing order
    zero_output_for_mask : bool: masked steps output zeros instead of repeating the last output
    backend : 'numpy', 'cpu' or 'cuda' for the kernels (default: the model's, else 'cpu')
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, backend=None, **kwargs):
        kind = type(self).__name__
        if isinstance(cell, type) or not isinstance(cell, _Cell):
            raise TypeError(f"{kind}: cell must be a SimpleRNNCell, LSTMCell or GRUCell instance, "
                            f"got {getattr(cell, '__name__', type(cell).__name__)}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = check_bool(kind, "return_sequences", return_sequences)
        self.return_state = check_bool(kind, "return_state", return_state)
        self.go_backwards = check_bool(kind, "go_backwards", go_backwards)
        if check_bool(kind, "stateful", stateful):
            raise NotImplementedError(f"{kind}(stateful=True) is not supported")
        self.unroll = check_bool(kind, "unroll", unroll)       # no effect: the kernels loop over time
        self.zero_output_for_mask = check_bool(kind, "zero_output_for_mask", zero_output_for_mask)
        if backend is not None:
            check_choice(kind, "backend", backend, BACKENDS)
        self.backend = backend

    # ---- what the cell holds
    @property
    def units(self):
        return self.cell.units

    @property
    def activation(self):
        return self.cell.activation

    @property
    def use_bias(self):
        return self.cell.use_bias

    @property
    def dropout(self):
        return self.cell.dropout

    _params_are = "belong to its cell"

    @Layer.params.getter
    def params(self):
        return self.cell.params

    @Layer.grads.getter
    def grads(self):
        return self.cell.grads

    def sublayers(self):
        return [self.cell]

    def build(self, input_shape):
        kind = type(self).__name__
        if len(input_shape) != 2:
            raise ValueError(f"{kind} expects input of shape (batch, time, features), so input_shape must be "
                             f"(time, features), got {_shape_str(input_shape)}"
                             + ("; for one feature per step use input_shape=(time, 1)" if len(input_shape) == 1 else ""))
        if input_shape[-1] is None:
            raise ValueError(f"{kind} needs a known number of features, got input_shape {_shape_str(input_shape)}")
        super().build(input_shape)
        if self.cell.dtype is None:
            self.cell.dtype = self.dtype
        if self.cell.seed is None:
            self.cell.seed = self.seed
        if not self.cell.built:
            self.cell.build((input_shape[-1],))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def compute_mask(self, x, mask):
        if not self.return_sequences or mask is None:
            return None
        return mask[:, ::-1] if self.go_backwards else mask

    # ---- input checks and input dropout
    def _check_input(self, x):
        kind = type(self).__name__
        a = np.asarray(x)
        if a.ndim != 3:
            raise ValueError(input_ndim_message(kind, a.shape))
        D = self.cell.params["kernel"].shape[0]
        if a.shape[2] != D:
            raise ValueError(f"{kind} {self.name!r} was built for {D} features per time step "
                             f"(input_shape=(time, {D})), got input of shape {a.shape} with {a.shape[2]}")
        if a.shape[1] == 0:
            raise ValueError(f"{kind} got an empty sequence (time axis of length 0)")
        return self._cast(a)

    # ---- dropout masks (training)
    def set_dropout_masks(self, input_mask=None, recurrent_mask=None):
        """Use these dropout masks in every training pass, instead of drawing new ones (tests, teaching).

        The masks are Keras' (what its cells' ``get_dropout_mask`` / ``get_recurrent_dropout_mask``
        return): values 0 or 1/(1-rate), one per sequence, the same at every time step.
        ``input_mask``: shape (B, D), or (G, B, D) with one per gate in Keras' order when
        ``recurrent_dropout`` > 0 for an LSTM (G = 4) or GRU (G = 3); ``recurrent_mask``: shape
        (B, H), or (G, B, H). A mask for a rate of 0 is an error. ``set_dropout_masks()`` with no
        masks goes back to drawing them from the layer's seeded generator.
        """
        kind = type(self).__name__
        fixed = {}
        for name, m, rate in (("input_mask", input_mask, self.cell.dropout),
                              ("recurrent_mask", recurrent_mask, self.cell.recurrent_dropout)):
            if m is None:
                continue
            if not rate:
                raise ValueError(f"{kind}: {name} given but the layer's "
                                 f"{'dropout' if name == 'input_mask' else 'recurrent_dropout'} is 0")
            m = np.asarray(_to_numpy(m), dtype=float)
            n = self.cell.dropout_mask_count
            if m.ndim == 2 and n == 1:
                m = m[None]
            if m.ndim != 3 or m.shape[0] != n:
                raise ValueError(f"{kind}: {name} must have shape "
                                 + ("(batch, features)" if n == 1 else f"({n}, batch, features), one per gate")
                                 + f", got {m.shape}")
            fixed[name] = m
        self._fixed_masks = fixed or None

    def _draw_masks(self, B, D, dtype):
        """The training pass's dropout masks (Keras' values), fixed or drawn: ``(input (n, B, D) or None,
        recurrent (n, B, H) or None)`` with n = :attr:`cell.dropout_mask_count`."""
        fixed = getattr(self, "_fixed_masks", None) or {}
        n, H = self.cell.dropout_mask_count, self.units
        out = []
        for name, rate, width in (("input_mask", self.cell.dropout, D),
                                  ("recurrent_mask", self.cell.recurrent_dropout, H)):
            if not rate:
                out.append(None)
            elif name in fixed:
                m = fixed[name]
                if m.shape[1:] != (B, width):
                    raise ValueError(f"{type(self).__name__}: the {name} set by set_dropout_masks has shape "
                                     f"{m.shape}, but this batch needs {(n, B, width)}")
                out.append(m.astype(dtype))
            else:
                keep = self.rng.random((n, B, width)) >= rate
                out.append(keep.astype(dtype) / dtype.type(1 - rate))
        return tuple(out)

    @property
    def dropout_masks(self):
        """The masks of the last training pass (``{"input": (n, B, D), "recurrent": (n, B, H)}``,
        Keras' gate order, None where the rate is 0), or None before any."""
        return getattr(self, "_last_masks", None)

    # ---- the sequence, with masking and direction
    def _run(self, x, initial_state, rows=None):
        """The cell over packed sequences (a subset ``rows`` of the batch when given)."""
        if rows is not None and initial_state:
            initial_state = [s[rows] for s in initial_state]
        x = np.ascontiguousarray(x)
        if self._drop is not None:
            in_mask, rec_mask = self._drop
            if rows is not None:
                in_mask = None if in_mask is None else in_mask[:, rows]
                rec_mask = rec_mask[:, rows]
            # NumPy's BLAS on one thread for the per-step products (see _linalg.numpy_blas_one_thread)
            with numpy_blas_one_thread():
                return self.cell.run_dropout(x, initial_state, in_mask, rec_mask, self.keep_cache)
        return self.cell.run(x, initial_state, self.backend or "cpu", self.keep_cache)

    def _backprop(self, dh_seq, cache, d_states, need_dx=True):
        if isinstance(cache, DropoutCache):
            with numpy_blas_one_thread():
                return self.cell.backprop_dropout(dh_seq, cache, d_states)     # dx whatever need_dx
        return self.cell.backprop(dh_seq, cache, d_states, need_dx)

    def _sequence_forward(self, x, mask, initial_state):
        """Run over x (B, T, D), skipping masked steps, in ``go_backwards``' direction.

        Returns ``h_aligned (B, T, H)``, the output at each original time step, and the final
        states: each sample's state after its last valid step (its initial state, or zeros, when
        all its steps are masked).
        """
        reverse = self.go_backwards
        self._empty = None
        if mask is None and not reverse:
            h_seq, states, cache = self._run(x, initial_state)
            self._seq_cache = (cache, None)
            return h_seq, states
        B, T, _ = x.shape
        if mask is None and T > 0:
            # Every step valid, run from the end: the packing below reduces to reversing time.
            # The same values as that general path, bit for bit (tests/test_layers.py), without
            # its argsort, gathers and np.add.at: a training step of notebook 10's BiGRU(8)
            # (B = 32, T = 60) took 2.24-2.54 ms instead of 2.98-3.11 (BiLSTM(8): 2.26-2.32
            # instead of 2.99-3.05), three alternating runs, the same loss to the bit.
            h_seq, run_states, cache = self._run(np.ascontiguousarray(x[:, ::-1]), initial_state)
            self._seq_cache = (cache, ReversedRun(h_seq.shape, x.dtype))
            states = [h_seq[:, T - 1].copy()] + list(run_states[1:])
            return np.ascontiguousarray(h_seq[:, ::-1]), [s.astype(x.dtype, copy=False) for s in states]
        m = np.ones((B, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (B, T):
            raise ValueError(f"mask must have shape (batch, time) = {(B, T)}, got {m.shape}")
        t = np.arange(T)
        # Valid steps first (in processing order), padding after: a stable sort on this key.
        key = np.where(m, (T - 1 - t) if reverse else t, T + t)
        perm = np.argsort(key, axis=1, kind="stable")
        x_packed = np.take_along_axis(x, perm[..., None], axis=1)
        lengths = m.sum(axis=1)
        has = lengths > 0
        self._empty = None if has.all() else ~has       # samples with no valid step
        n_states = len(self.cell.state_size) if isinstance(self.cell.state_size, list) else 1
        if np.all(lengths == T) or n_states == 1:
            # One run over the packed batch: its h_seq holds every sample's last valid state.
            h_seq, run_states, cache = self._run(x_packed, initial_state)
            groups = None
            h_last = h_seq[np.arange(B), np.maximum(lengths - 1, 0)]
            states = [h_last] + list(run_states[1:])
        else:
            # An LSTM's c at each sample's last valid step is inside the kernel only: run each
            # group of samples of one length over its valid steps, and read its final states.
            h_seq = np.zeros((B, T, self.units), dtype=x.dtype)
            states = [np.zeros((B, self.units), dtype=x.dtype) for _ in range(n_states)]
            groups = []
            for L in np.unique(lengths[has]):
                rows = np.flatnonzero(lengths == L)
                hs, st, cache_g = self._run(x_packed[rows, :L], initial_state, rows)
                h_seq[rows, :L] = hs
                for k in range(n_states):
                    states[k][rows] = st[k]
                groups.append((rows, int(L), cache_g))
            cache = None
        if initial_state:       # an all-masked sample keeps its initial state, as in Keras
            states = [np.where(has[:, None], s, np.asarray(s0, dtype=x.dtype)) for s, s0 in zip(states, initial_state)]
        else:
            states = [s * has[:, None] for s in states]
        csum = np.cumsum(m, axis=1)
        # Position in the packed run of the state each original step outputs (-1: none yet).
        idx = (lengths[:, None] - (csum - m) - 1) if reverse else (csum - 1)
        valid = (idx >= 0) & (m if self.zero_output_for_mask else True)
        h_aligned = np.take_along_axis(h_seq, np.maximum(idx, 0)[..., None], axis=1) * valid[..., None]
        states = [s.astype(x.dtype, copy=False) for s in states]
        self._seq_cache = (cache, (perm, idx, valid, lengths, h_seq.shape, x.dtype, groups))
        return h_aligned.astype(x.dtype, copy=False), states

    def _sequence_backward(self, dh_aligned, d_states, need_dx=True):
        """Inverse of :meth:`_sequence_forward`: returns the functional gradient dict, ``dx`` in original order
        (None without ``need_dx``, except on the per-step dropout path, which computes it anyway)."""
        cache, pack = self._seq_cache
        if pack is None:
            return self._backprop(dh_aligned, cache, d_states, need_dx)
        if isinstance(pack, ReversedRun):
            # The general path's np.add.at into zeros, and put_along_axis, as a reversal.
            dh_seq = np.zeros(pack.shape, dtype=pack.dtype)
            if dh_aligned is not None:
                dh_seq += dh_aligned[:, ::-1]
            if d_states[0] is not None:
                dh_seq[:, -1] += d_states[0]
            g = dict(self._backprop(dh_seq, cache, [None] + list(d_states[1:]), need_dx))
            if g["dx"] is not None:
                g["dx"] = np.ascontiguousarray(g["dx"][:, ::-1])
            return g
        perm, idx, valid, lengths, shape, dtype, groups = pack
        B, T, H = shape
        dh_seq = np.zeros(shape, dtype=dtype)
        if dh_aligned is not None:
            b = np.broadcast_to(np.arange(B)[:, None], (B, T))
            np.add.at(dh_seq, (b[valid], idx[valid]), dh_aligned[valid])
        has = lengths > 0
        if d_states[0] is not None:
            dh_seq[np.arange(B)[has], lengths[has] - 1] += d_states[0][has]
        if groups is None:
            g = dict(self._backprop(dh_seq, cache, [None] + list(d_states[1:]), need_dx))
            if d_states[0] is not None and not has.all():     # all masked: h_T is h0
                g["dh0"] = np.where(has[:, None], g["dh0"], d_states[0])
        else:
            g, dx_packed = None, None
            d_init = [np.zeros((B, H), dtype) if d is None else np.where(has[:, None], 0, d).astype(dtype)
                      for d in d_states]       # an all-masked sample: its final state is its initial state
            for rows, L, cache_g in groups:
                d_rest = [None if d is None else d[rows] for d in d_states[1:]]
                gg = self._backprop(np.ascontiguousarray(dh_seq[rows, :L]), cache_g, [None] + d_rest, need_dx)
                if g is None:
                    g = {k: np.zeros_like(v) for k, v in gg.items() if k not in ("dx", "dh0", "dc0")}
                    if gg["dx"] is not None:
                        dx_packed = np.zeros((B, T, gg["dx"].shape[2]), dtype)
                for k in g:
                    g[k] += gg[k]
                if dx_packed is not None:
                    dx_packed[rows, :L] = gg["dx"]
                d_init[0][rows] = gg["dh0"]
                if "dc0" in gg:
                    d_init[1][rows] = gg["dc0"]
            g["dx"], g["dh0"] = dx_packed, d_init[0]
            if len(d_init) > 1:
                g["dc0"] = d_init[1]
        if g["dx"] is not None:        # None without need_dx (the per-step dropout path computes it anyway)
            dx = np.empty_like(g["dx"])
            np.put_along_axis(dx, perm[..., None], g["dx"], axis=1)
            g["dx"] = dx
        return g

    # ---- the layer protocol
    def forward(self, x, training=False, mask=None, initial_state=None):
        """x (B, T, D) -> the output, or ``[output, *final_states]`` with ``return_state=True``.

        ``initial_state``: a list of (B, H) arrays (LSTM: ``[h0, c0]``), default zeros; after
        ``backward``, ``initial_state_grads`` holds their gradients.

        In training, ``dropout`` multiplies the inputs and ``recurrent_dropout`` the state
        h_{t-1} that enters the recurrent products, each by a mask drawn once per sequence
        (Keras' semantics: see :meth:`set_dropout_masks`); with ``recurrent_dropout`` > 0 this
        pass runs the NumPy per-step path whatever the backend. Inference uses no mask.
        """
        x = self._check_input(x)
        if initial_state is not None:
            if not isinstance(initial_state, (list, tuple)):
                initial_state = [initial_state]
            n = len(self.cell.state_size) if isinstance(self.cell.state_size, list) else 1
            if len(initial_state) != n:
                raise ValueError(f"{type(self).__name__}: initial_state must be a list of {n} arrays of shape "
                                 f"(batch, {self.units}), got {len(initial_state)}")
            initial_state = [self._cast(s) for s in initial_state]
        self._keep = None
        self._drop = None
        if training and (self.cell.dropout or self.cell.recurrent_dropout):
            in_mask, rec_mask = self._draw_masks(x.shape[0], x.shape[2], x.dtype)
            self._last_masks = {"input": in_mask, "recurrent": rec_mask}
            if rec_mask is not None:
                self._drop = (in_mask, rec_mask)       # the per-step path applies both
            else:
                # Keras: one input-dropout mask per sequence, the same at every time step
                self._keep = in_mask[0][:, None, :]
                x = x * self._keep
        h_aligned, states = self._sequence_forward(x, mask, initial_state)
        if not self.return_sequences:
            out = states[0]
            if self._empty is not None and initial_state:
                # Keras: a sample with no valid step outputs zeros (its state stays its initial state)
                out = np.where(self._empty[:, None], 0, out).astype(x.dtype)
        else:
            out = np.ascontiguousarray(h_aligned[:, ::-1]) if self.go_backwards else h_aligned
        if not self.return_state:
            return out
        return [out] + list(states)
    def __call__(self, x, training=False, mask=None, initial_state=None):
        """``layer(x, initial_state=[h0, c0])`` as Keras: builds on first use, then :meth:`forward`."""
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:])
        return self.forward(x, training=training, mask=mask, initial_state=initial_state)

    def backward(self, dout, from_logits=False):
        self._no_logits(from_logits)
        n_states = len(self.cell.state_size) if isinstance(self.cell.state_size, list) else 1
        if self.return_state:
            if not isinstance(dout, (list, tuple)) or len(dout) != 1 + n_states:
                raise ValueError(f"{type(self).__name__}(return_state=True).backward needs a list of "
                                 f"{1 + n_states} gradients (output, states), None for zero")
            dout, d_states = dout[0], list(dout[1:])
        else:
            d_states = [None] * n_states
        if self.return_sequences:
            dh = None if dout is None else (np.ascontiguousarray(dout[:, ::-1]) if self.go_backwards else dout)
        else:
            dh = None
            if dout is not None:
                if self._empty is not None:
                    dout = np.where(self._empty[:, None], 0, dout)
                d_states[0] = dout if d_states[0] is None else d_states[0] + dout
        # a model's first layer: nobody reads dx (see Layer.skip_input_grad); the CPU kernels
        # then skip the product dA W_ih (see rnncore.cpu._common.weight_grad_parts)
        g = self._sequence_backward(dh, d_states, need_dx=not self.skip_input_grad)
        self.cell._grads = self.cell.keras_grads(g)
        self.initial_state_grads = [g["dh0"]] + ([g["dc0"]] if "dc0" in g else [])
        dx = g["dx"]
        if dx is None or self.skip_input_grad:
            return None
        return dx if self._keep is None else dx * self._keep

    # ---- PyTorch interop
    def load_torch_state_dict(self, state_dict, layer=0, suffix=""):
        """Copy ``weight_ih_l{layer}{suffix}`` etc. of a ``torch.nn.{RNN,LSTM,GRU}`` state dict.

        SimpleRNN and LSTM have one bias: it gets ``bias_ih + bias_hh`` (only their sum enters the cell).
        """
        keys = {n: f"{n}_l{layer}{suffix}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        kind = type(self).__name__
        if keys["weight_ih"] not in state_dict:
            raise KeyError(f"{kind} {self.name!r}: no {keys['weight_ih']!r} in the state dict "
                           f"(keys: {', '.join(state_dict)})")
        W_ih = _to_numpy(state_dict[keys["weight_ih"]])
        if not self.built:
            self.build((None, W_ih.shape[1]))
        if not self.use_bias and keys["bias_ih"] in state_dict:
            raise ValueError(f"{self.name!r} has use_bias=False but the torch module has biases")
        ref = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), self.cell.torch_weights()))
        vals = {}
        for name, key in keys.items():
            if name.startswith("bias") and not self.use_bias:
                continue
            if key not in state_dict:
                raise KeyError(f"{self.name!r}: missing {key!r} in the state dict (torch module built with bias=False?)")
            vals[name] = _to_numpy(state_dict[key]).astype(self.dtype)
            if vals[name].shape != ref[name].shape:
                raise ValueError(f"{kind} {self.name!r}: {key} has shape {vals[name].shape}, expected "
                                 f"{ref[name].shape} (is it a {self.cell.torch_class} with hidden_size="
                                 f"{self.units}?)")
            check_finite_weight(self, key, vals[name])
        self.cell.load_torch_weights(vals["weight_ih"], vals["weight_hh"], vals.get("bias_ih"), vals.get("bias_hh"))

    def torch_state_dict(self, layer=0, suffix=""):
        """The weights as a ``torch.nn.{RNN,LSTM,GRU}`` state dict (SimpleRNN/LSTM: ``bias_hh`` = 0)."""
        return {f"{k}_l{layer}{suffix}": v for k, v in self.cell.torch_weights_export().items()}


_CELL_KEYS = ("activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
              "bias_initializer", "dropout", "recurrent_dropout")
_LAYER_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
               "backend", "name", "input_shape", "input_dim", "dtype", "trainable", "seed")


def _split_kwargs(kind, kwargs, extra=()):
    """Keras' recurrent-layer arguments: which go to the cell, which to the RNN layer."""
    unknown = [k for k in kwargs if k not in _CELL_KEYS + _LAYER_KEYS + tuple(extra)]
    if unknown:
        raise TypeError(f"{kind}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}")
    cell_kw = {k: v for k, v in kwargs.items() if k not in _LAYER_KEYS}
    layer_kw = {k: v for k, v in kwargs.items() if k in _LAYER_KEYS}
    return cell_kw, layer_kw


class _KerasRNN(RNN):
    """Keras' SimpleRNN, LSTM and GRU: an :class:`RNN` layer that builds its cell from the same arguments."""
    _cell_class = None      # SimpleRNNCell, LSTMCell or GRUCell; the layer is named as it, less "Cell"
    _cell_only = ()         # the arguments only this cell takes

    def __init__(self, units, **kwargs):
        kind = self._cell_class.__name__.removesuffix("Cell")
        cell_kw, layer_kw = _split_kwargs(kind, kwargs, self._cell_only)
        cell = self._cell_class(units, seed=layer_kw.get("seed"), dtype=layer_kw.get("dtype"), **cell_kw)
        super().__init__(cell, **layer_kw)


class SimpleRNN(_KerasRNN):
    """Elman RNN, ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`` (Keras' SimpleRNN).

    x : (B, T, D) -> (B, T, units) or (B, units). Arguments as Keras (see :class:`SimpleRNNCell`
    and :class:`RNN`).
    """
    _cell_class = SimpleRNNCell


class LSTM(_KerasRNN):
    """Long short-term memory (Keras' LSTM; gate order i, f, c, o), see :class:`LSTMCell` and :class:`RNN`.

    x : (B, T, D) -> (B, T, units) or (B, units).
    """
    _cell_class, _cell_only = LSTMCell, ("unit_forget_bias",)


class GRU(_KerasRNN):
    """Gated recurrent unit (Keras' GRU with ``reset_after=True``), see :class:`GRUCell` and :class:`RNN`.

    x : (B, T, D) -> (B, T, units) or (B, units).
    """
    _cell_class, _cell_only = GRUCell, ("reset_after",)


__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "LSTM", "GRU"]
