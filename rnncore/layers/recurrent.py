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

Masking follows Keras: masked time steps are skipped (the state is carried over them) and,
with ``return_sequences=True``, a masked step repeats the last valid output (zeros before the
first), or outputs zeros with ``zero_output_for_mask=True`` (what Bidirectional uses). The
kernels never see a mask: each sample's valid steps are gathered to the front, the kernel runs,
and the result is scattered back; backward does the inverse. ``go_backwards`` reverses only the
valid part of each sequence, so pre- and post-padding both work.
"""
import numpy as np

from .. import functional as F
from .base import Layer, _shape_str, _to_numpy, check_bool, check_choice, check_int, check_rate, \
    get_initializer, input_ndim_message

_BACKENDS = ("numpy", "cpu", "cuda")


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
        if check_rate(kind, "recurrent_dropout", recurrent_dropout):
            raise NotImplementedError(f"{kind}: recurrent_dropout is not supported by rnncore's whole-sequence "
                                      "kernels; use dropout= (one mask per sequence on the inputs) or a Dropout "
                                      "layer")
        self.recurrent_dropout = 0.0

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
        self._order = np.concatenate([np.arange(b * H, (b + 1) * H) for b in self.torch_blocks])

    # ---- Keras layout <-> the kernels' PyTorch layout
    def _to_torch(self, a):
        """A Keras (..., G*H) array with its gate blocks in PyTorch's order."""
        return a[..., self._order]

    def _from_torch(self, a):
        out = np.empty_like(a)
        out[..., self._order] = a
        return out

    def torch_weights(self):
        """``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih``, ``b_hh`` for :mod:`rnncore.functional`."""
        p = self._params
        W_ih = np.ascontiguousarray(self._to_torch(p["kernel"]).T)
        W_hh = np.ascontiguousarray(self._to_torch(p["recurrent_kernel"]).T)
        zeros = np.zeros(self.gates * self.units, dtype=W_ih.dtype)
        if not self.use_bias:
            return W_ih, W_hh, zeros, zeros
        b = self._to_torch(p["bias"])
        return (W_ih, W_hh, b, zeros) if b.ndim == 1 else (W_ih, W_hh, b[0].copy(), b[1].copy())

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

    # ---- the math (subclasses): a whole batch of full sequences, no mask
    def run(self, x, initial_state, backend, keep_cache):
        """Returns ``h_seq (B, T, H)``, the final states ``[h_T]`` (LSTM ``[h_T, c_T]``) and the cache."""
        raise NotImplementedError

    def backprop(self, dh_seq, cache, d_states):
        """The functional backward: a dict with dx, dh0 (dc0), dW_ih, dW_hh, db_ih, db_hh."""
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
        h_seq, h_T, cache = F.rnn_forward(x, *self.torch_weights(), h0=h0, nonlinearity=self.activation,
                                          backend=backend, keep_cache=keep_cache)
        return h_seq, [h_T], cache

    def backprop(self, dh_seq, cache, d_states):
        return F.rnn_backward(dh_seq, cache, d_states[0])


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
        h_seq, (h_T, c_T), cache = F.lstm_forward(x, *self.torch_weights(), h0=h0, c0=c0,
                                                  activation=self.activation, backend=backend,
                                                  keep_cache=keep_cache)
        return h_seq, [h_T, c_T], cache

    def backprop(self, dh_seq, cache, d_states):
        return F.lstm_backward(dh_seq, cache, d_states[0], d_states[1])


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
        h_seq, h_T, cache = F.gru_forward(x, *self.torch_weights(), h0=h0, activation=self.activation,
                                          backend=backend, keep_cache=keep_cache)
        return h_seq, [h_T], cache

    def backprop(self, dh_seq, cache, d_states):
        return F.gru_backward(dh_seq, cache, d_states[0])


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
            check_choice(kind, "backend", backend, _BACKENDS)
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

    @property
    def params(self):
        return self.cell.params

    @params.setter
    def params(self, value):
        raise AttributeError(f"{type(self).__name__}.params belong to its cell; change the arrays in place "
                             "or use set_weights()")

    @property
    def grads(self):
        return self.cell.grads

    @grads.setter
    def grads(self, value):
        raise AttributeError(f"{type(self).__name__}.grads is filled by backward() and cannot be assigned")

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

    # ---- the sequence, with masking and direction
    def _run(self, x, initial_state):
        return self.cell.run(np.ascontiguousarray(x), initial_state, self.backend or "cpu", self.keep_cache)

    def _sequence_forward(self, x, mask, initial_state):
        """Run over x (B, T, D), skipping masked steps, in ``go_backwards``' direction.

        Returns ``h_aligned (B, T, H)``, the output at each original time step, and the final
        states (the state after the last valid step; zeros for an all-masked sample).
        """
        reverse = self.go_backwards
        if mask is None and not reverse:
            h_seq, states, cache = self._run(x, initial_state)
            self._seq_cache = (cache, None)
            return h_seq, states
        B, T, _ = x.shape
        m = np.ones((B, T), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (B, T):
            raise ValueError(f"mask must have shape (batch, time) = {(B, T)}, got {m.shape}")
        t = np.arange(T)
        # Valid steps first (in processing order), padding after: a stable sort on this key.
        key = np.where(m, (T - 1 - t) if reverse else t, T + t)
        perm = np.argsort(key, axis=1, kind="stable")
        h_seq, states, cache = self._run(np.take_along_axis(x, perm[..., None], axis=1), initial_state)
        lengths = m.sum(axis=1)
        csum = np.cumsum(m, axis=1)
        # Position in the packed run of the state each original step outputs (-1: none yet).
        idx = (lengths[:, None] - (csum - m) - 1) if reverse else (csum - 1)
        valid = (idx >= 0) & (m if self.zero_output_for_mask else True)
        h_aligned = np.take_along_axis(h_seq, np.maximum(idx, 0)[..., None], axis=1) * valid[..., None]
        has = lengths > 0
        h_last = h_seq[np.arange(B), np.maximum(lengths - 1, 0)]
        if initial_state:       # an all-masked sample keeps its initial state, as in Keras
            h_last = np.where(has[:, None], h_last, np.asarray(initial_state[0], dtype=x.dtype))
        else:
            h_last = h_last * has[:, None]
        full = bool(np.all(lengths == T))
        # The kernel's c_T is the state after all T packed steps: right only when nothing is masked.
        states = [h_last.astype(x.dtype, copy=False)] + [s if full else None for s in states[1:]]
        self._seq_cache = (cache, (perm, idx, valid, lengths, h_seq.shape))
        return h_aligned.astype(x.dtype, copy=False), states

    def _sequence_backward(self, dh_aligned, d_states):
        """Inverse of :meth:`_sequence_forward`: returns the functional gradient dict, ``dx`` in original order."""
        cache, pack = self._seq_cache
        if pack is None:
            return self.cell.backprop(dh_aligned, cache, d_states)
        perm, idx, valid, lengths, shape = pack
        B, T, H = shape
        dh_seq = np.zeros(shape, dtype=cache.dtype)
        if dh_aligned is not None:
            b = np.broadcast_to(np.arange(B)[:, None], (B, T))
            np.add.at(dh_seq, (b[valid], idx[valid]), dh_aligned[valid])
        if d_states[0] is not None:
            has = lengths > 0
            dh_seq[np.arange(B)[has], lengths[has] - 1] += d_states[0][has]
        g = dict(self.cell.backprop(dh_seq, cache, [None] + list(d_states[1:])))
        dx = np.empty_like(g["dx"])
        np.put_along_axis(dx, perm[..., None], g["dx"], axis=1)
        g["dx"] = dx
        return g

    # ---- the layer protocol
    def forward(self, x, training=False, mask=None, initial_state=None):
        """x (B, T, D) -> the output, or ``[output, *final_states]`` with ``return_state=True``.

        ``initial_state``: a list of (B, H) arrays (LSTM: ``[h0, c0]``), default zeros; after
        ``backward``, ``initial_state_grads`` holds their gradients.
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
        if training and self.cell.dropout:
            # Keras: one input-dropout mask per sequence, the same at every time step
            keep = self.rng.random((x.shape[0], x.shape[2])) >= self.cell.dropout
            self._keep = (keep.astype(x.dtype) / (1 - self.cell.dropout))[:, None, :]
            x = x * self._keep
        h_aligned, states = self._sequence_forward(x, mask, initial_state)
        if not self.return_sequences:
            out = states[0]
        else:
            out = np.ascontiguousarray(h_aligned[:, ::-1]) if self.go_backwards else h_aligned
        if not self.return_state:
            return out
        if any(s is None for s in states):
            raise NotImplementedError(f"{type(self).__name__}(return_state=True) with a mask that hides steps: "
                                      "the final cell state c_T is not available (the kernels run the packed "
                                      "sequence to its end); the final h_T is the output with "
                                      "return_sequences=False")
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
                d_states[0] = dout if d_states[0] is None else d_states[0] + dout
        g = self._sequence_backward(dh, d_states)
        self.cell._grads = self.cell.keras_grads(g)
        self.initial_state_grads = [g["dh0"]] + ([g["dc0"]] if "dc0" in g else [])
        dx = g["dx"]
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


class SimpleRNN(RNN):
    """Elman RNN, ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`` (Keras' SimpleRNN).

    x : (B, T, D) -> (B, T, units) or (B, units). Arguments as Keras (see :class:`SimpleRNNCell`
    and :class:`RNN`).
    """

    def __init__(self, units, **kwargs):
        cell_kw, layer_kw = _split_kwargs("SimpleRNN", kwargs)
        cell = SimpleRNNCell(units, seed=layer_kw.get("seed"), dtype=layer_kw.get("dtype"), **cell_kw)
        super().__init__(cell, **layer_kw)


class LSTM(RNN):
    """Long short-term memory (Keras' LSTM; gate order i, f, c, o), see :class:`LSTMCell` and :class:`RNN`.

    x : (B, T, D) -> (B, T, units) or (B, units).
    """

    def __init__(self, units, **kwargs):
        cell_kw, layer_kw = _split_kwargs("LSTM", kwargs, ("unit_forget_bias",))
        cell = LSTMCell(units, seed=layer_kw.get("seed"), dtype=layer_kw.get("dtype"), **cell_kw)
        super().__init__(cell, **layer_kw)


class GRU(RNN):
    """Gated recurrent unit (Keras' GRU with ``reset_after=True``), see :class:`GRUCell` and :class:`RNN`.

    x : (B, T, D) -> (B, T, units) or (B, units).
    """

    def __init__(self, units, **kwargs):
        cell_kw, layer_kw = _split_kwargs("GRU", kwargs, ("reset_after",))
        cell = GRUCell(units, seed=layer_kw.get("seed"), dtype=layer_kw.get("dtype"), **cell_kw)
        super().__init__(cell, **layer_kw)


__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "LSTM", "GRU"]
