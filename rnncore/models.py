"""``Sequential``: a Keras-style model (compile / fit / predict / evaluate / summary) on rnncore's kernels.

::

    from rnncore.models import Sequential
    from rnncore.layers import LSTM, Dense

    model = Sequential(seed=0)                       # seed: bit-for-bit reproducible training
    model.add(LSTM(50, input_shape=(10, 1)))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, y, epochs=10, batch_size=32, validation_split=0.2)
    y_hat = model.predict(X_test)

Training is plain backpropagation: ``forward`` through the layers, the loss and its
gradient (when the last layer's ``output_activation`` is the softmax/sigmoid matching the
cross-entropy, the two are fused into the stable ``p - y`` form from the layer's
``logits()``), ``backward`` through the layers in reverse, then one optimiser step on
every ``(param, grad)`` pair. Losses and metrics are reduced as Keras does (weighted sum
over the samples divided by their number; ``metrics`` weighted by the mask and
``weighted_metrics`` by the mask and the sample weights, accumulated over the epoch).
"""
import re
import sys

import numpy as np

from . import callbacks as _callbacks
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from . import utils as _utils
from .layers.base import _shape_str, check_bool
from ._validation import BACKENDS

_SEQUENCE_LAYERS = (_layers.RNN, _layers.Bidirectional, _layers.Conv1D, _layers.MaxPooling1D,
                    _layers.Masking, _layers.GlobalMaxPooling1D, _layers.GlobalAveragePooling1D)


def _check_backend(backend):
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(map(repr, BACKENDS))}")
    return backend


def _check_int(where, name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_verbose(where, verbose):
    if verbose == "auto":
        return 1
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto', "
                         f"got {verbose!r}")
    return int(verbose)


def _check_y(where, y, n):
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{where}: y must be numeric, got dtype {y.dtype}")
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"{where}: x and y have different numbers of samples: {n} and "
                         f"{len(y) if y.ndim else 'a scalar'}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{where}: y contains NaN or inf")
    return y


def _check_sample_weight(where, sample_weight, n):
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight)
    if sw.dtype.kind not in "fiub":
        raise TypeError(f"{where}: sample_weight must be numeric, got dtype {sw.dtype}")
    sw = sw.astype(np.float64)
    if sw.shape != (n,):
        raise ValueError(f"{where}: sample_weight must have shape (n_samples,) = ({n},), got {sw.shape}")
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError(f"{where}: sample_weight must be finite and >= 0")
    return sw


class Sequential:
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of layers, optional (or add them with :meth:`add`)
    seed : int, optional. Seeds every layer's initialiser and dropout and fit's shuffling:
        the same seed and backend give bit-for-bit the same training run. Without it, call
        ``rnncore.utils.set_random_seed(s)`` first (as in Keras) for a reproducible script.
    backend : 'numpy', 'cpu' (default) or 'cuda', for the recurrent kernels
        (a layer's own ``backend=`` wins). Can also be given to :meth:`compile`.
    dtype : 'float32' (default) or 'float64' (for gradient checks).
    """

    def __init__(self, layers=None, name=None, seed=None, backend=None, dtype="float32"):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Sequential: name must be a string, got {name!r}")
        self.name = name or "sequential"
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"Sequential: seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self.backend = _check_backend(backend)
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Sequential: dtype must be 'float32' or 'float64', got {dtype!r}") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"Sequential: dtype must be 'float32' or 'float64', got {dtype!r}")
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential: layers must be a list of layers, got {type(layers).__name__}")
        self.layers = []
        self.built = False
        self.optimizer = self.loss = None
        self.metrics = []
        self.weighted_metrics = []
        self.stop_training = False
        self.history = None
        self.input_shape = None
        self.rng = None
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ building
    def add(self, layer):
        """Append a layer (an instance: ``model.add(LSTM(32))``).

        As in Keras, once the input shape is known (``input_shape=`` on the first layer, or an
        ``Input``), every added layer is built at once, so ``set_weights`` works before any call.
        """
        if isinstance(layer, type):
            raise TypeError(f"add() needs a layer instance, got the class {layer.__name__}; "
                            f"did you forget the parentheses, e.g. {layer.__name__}(...)?")
        if not isinstance(layer, _layers.Layer):
            raise TypeError(f"add() needs an rnncore.layers layer, got {type(layer).__name__} "
                            "(Keras/PyTorch layers cannot be mixed in)")
        if getattr(layer, "return_state", False):
            raise ValueError(f"layer {layer.name!r} has return_state=True and returns a list [output, states]; "
                             "a Sequential model passes one array from layer to layer (call the layer directly)")
        if any(layer.name == other.name for other in self.layers):
            raise ValueError(f"the layer name {layer.name!r} is already used in this model; names must be unique")
        if isinstance(layer, _layers.InputLayer):
            if self.layers:
                raise ValueError("Input(...) must be the first layer of a Sequential model")
            self.input_shape = tuple(layer.input_shape)
            if layer.dtype is not None:
                self.dtype = layer.dtype
            return
        if not self.layers and layer.input_shape is not None:
            self.input_shape = tuple(layer.input_shape)
        layer._user_backend = getattr(layer, "backend", None)
        self.layers.append(layer)
        if self.input_shape is not None:
            self.build()

    def _apply_backend(self):
        for layer in self.layers:
            if hasattr(layer, "backend"):
                layer.backend = getattr(layer, "_user_backend", None) or self.backend or "cpu"

    def build(self, input_shape=None):
        """Create every layer's weights for inputs ``(batch,) + input_shape``."""
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)):
                raise TypeError(f"build: input_shape must be a tuple without the batch axis, got {input_shape!r}")
            input_shape = tuple(input_shape)
            if self.input_shape is not None and len(self.input_shape) == len(input_shape) and \
                    any(a is not None and a != b for a, b in zip(self.input_shape, input_shape)):
                raise ValueError(f"the model was declared with input_shape={self.input_shape}, "
                                 f"got data of shape (batch,) + {input_shape}")
            if self.input_shape is None:
                self.input_shape = input_shape
        if self.input_shape is None:
            raise ValueError("this model has not been built: give the first layer an input_shape, e.g. "
                             "LSTM(32, input_shape=(time_steps, features)), or call model.build((time_steps, "
                             "features)) or fit/predict on data first")
        if not self.layers:
            raise ValueError("the model has no layers; add some with model.add(...)")
        self._apply_backend()
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            if layer.seed is None and self.seed is not None:
                layer.seed = int(np.random.SeedSequence([self.seed, i]).generate_state(1)[0])
            if layer.dtype is None:
                layer.dtype = self.dtype
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.output_shape = shape
        if self.rng is None:
            self.rng = np.random.default_rng(_utils._draw_seed() if self.seed is None else [self.seed, 10 ** 6])
        self.built = True

    def _prepare_x(self, x):
        if isinstance(x, (list, tuple)):
            try:
                x = np.asarray(x)
            except ValueError:
                x = np.asarray(x, dtype=object)
        x = np.asarray(x)
        if x.dtype == object:
            raise ValueError("x is ragged (sequences of different lengths); pad it to one length with "
                             "rnncore.utils.pad_sequences(...) and add a Masking layer to skip the padding")
        if x.dtype.kind not in "fiub":
            raise TypeError(f"x must be numeric, got dtype {x.dtype}")
        if x.ndim < 1 or x.shape[0] == 0:
            raise ValueError(f"x must have a batch axis with at least one sample, got shape {x.shape}")
        if not self.layers:
            raise ValueError("the model has no layers; add some with model.add(...)")
        first = self.layers[0]
        if isinstance(first, _SEQUENCE_LAYERS) and x.ndim != 3:
            kind = type(first.forward_layer if isinstance(first, _layers.Bidirectional) else first).__name__
            raise ValueError(_layers.input_ndim_message(kind, x.shape))
        if not isinstance(first, _layers.Embedding) and x.dtype != self.dtype:
            x = x.astype(self.dtype)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            bad = np.flatnonzero(~np.isfinite(x).reshape(len(x), -1).all(axis=1))
            raise ValueError(f"x contains NaN or inf in {len(bad)} sample(s) (first: sample {bad[0]}); "
                             "impute or drop them, and mark padding with Masking(mask_value=0.0) instead of NaN")
        if not self.built:
            self.build(x.shape[1:])
        elif len(x.shape[1:]) == len(self.input_shape) and \
                any(a is not None and a != b for a, b in zip(self.input_shape, x.shape[1:])):
            raise ValueError(f"{self.name!r} expects input of shape (batch,) + {self.input_shape}, "
                             f"got {x.shape}")
        return x

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, backend=None, weighted_metrics=None):
        """Choose the optimiser (name or object), the loss (name or object) and the metrics to report.

        ``metrics`` ignore sample weights (as Keras); ``weighted_metrics`` are weighted by the
        ``sample_weight`` (or ``class_weight``) given to ``fit``/``evaluate`` (and by the mask, as
        every metric). Names as Keras reports them: a weighted metric whose name a ``metrics``
        entry already has is logged as ``weighted_<name>`` (``val_weighted_<name>``).
        ``backend`` ('numpy', 'cpu', 'cuda') selects the recurrent kernels for the layers
        that did not set their own.
        """
        self.optimizer = _optimizers.get(optimizer)
        self.loss = _losses.get(loss)
        self.metrics = self._check_metric_list("metrics", metrics)
        self.weighted_metrics = self._check_metric_list("weighted_metrics", weighted_metrics)
        if backend is not None:
            self.backend = _check_backend(backend)
        self._apply_backend()
        self.compiled = True

    def _check_metric_list(self, arg, metrics):
        if isinstance(metrics, str) or (callable(metrics) and not isinstance(metrics, (list, tuple))):
            metrics = [metrics]
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise TypeError(f"compile: {arg} must be a list of names or functions, got {metrics!r}")
        metrics = list(metrics or [])
        for m in metrics:      # fail early on unknown names
            try:
                _losses.get_metric(m, self.loss, 2)
            except ValueError as e:
                raise ValueError(f"compile: {arg}: {e}") from None
        return metrics

    def _metric_fns(self):
        """``[(log name, fn, weighted)]``: the metrics, then the weighted metrics, named as Keras does
        (a repeated name gets ``_1``, ``_2``...; a weighted metric's repeated name ``weighted_`` first)."""
        out_dim = self.output_shape[-1] if self.built else 2
        out, counts = [], {}
        for name, fn in (_losses.get_metric(m, self.loss, out_dim) for m in self.metrics):
            if name in counts:
                counts[name] += 1
                name = f"{name}_{counts[name] - 1}"
            else:
                counts[name] = 1
            out.append((name, fn, False))
        for name, fn in (_losses.get_metric(m, self.loss, out_dim) for m in self.weighted_metrics):
            if name in counts:
                name = f"weighted_{name}"
                if name in counts:
                    counts[name] += 1
                    name = f"{name}_{counts[name] - 1}"
                else:
                    counts[name] = 1
            else:
                counts[name] = 1
            out.append((name, fn, True))
        return out

    # ------------------------------------------------------------------ passes
    def _forward(self, x, training=False):
        """Run every layer. Returns the output and the mask that reaches it (or None)."""
        mask = None
        for layer in self.layers:
            x_in = x
            x = layer.forward(x_in, training=training, mask=mask)
            mask = layer.compute_mask(x_in, mask)
        return x, mask

    def _fused(self):
        """True when the last layer's softmax/sigmoid and the cross-entropy are computed together from logits."""
        act = self.layers[-1].output_activation
        return (self.loss.fuses_with is not None and not self.loss.from_logits and act is not None
                and act.name == self.loss.fuses_with)

    def _loss_and_dout(self, out, mask, y, sample_weight=None):
        """Loss value, dL/d(output) (or dL/d(logits) when fused), the checked targets, and the
        per-position metric weights: the mask or None (Keras' ``metrics`` ignore sample weights)."""
        y_true = self.loss.check(y, out)
        fused = self._fused()
        pred = self.layers[-1].logits() if fused else out
        per, grad = self.loss.per_position(y_true, pred, from_logits=True if fused else None)
        seq_mask = mask if (mask is not None and per.ndim == 2) else None   # masked steps do not count
        loss, dout = _losses.reduce(per, grad, sample_weight, seq_mask)
        weights = None if seq_mask is None else np.asarray(seq_mask, dtype=np.float64)
        return loss, dout.astype(out.dtype, copy=False), fused, y_true, weights

    def _backward(self, dout, fused=False):
        d = dout
        last = len(self.layers) - 1
        # Below the lowest layer with weights the input gradient reaches no weight: that layer skips it
        # (Layer.skip_input_grad) and the loop stops there. Usually the first layer; with a Masking or
        # Dropout layer first, the one above it (notebooks 11 and 16: Masking, then a GRU). Measured
        # 2026-12-04 (benchmarks/bench_skip_input_grad.py, 2-core Zen 5 VM, 40 pairs of epochs
        # alternating in one process, padded sequences): Masking -> LSTM(32) 0.90 of the epoch,
        # Masking -> Bidirectional(GRU(16)) 0.80, the same weights.
        lowest = next((i for i, layer in enumerate(self.layers) if layer.count_params()), 0)
        for i in range(last, -1, -1):
            layer = self.layers[i]
            layer.skip_input_grad = i == lowest   # the gradient it would pass back is unused
            try:
                d = layer.backward(d, from_logits=fused and i == last)
            finally:
                layer.skip_input_grad = False
            if d is None:
                break

    def _pairs(self):
        return [(p, layer.grads[k]) for layer in self.layers if layer.trainable for k, p in layer.params.items()]

    def _metric_sums(self, y_true, out, weights, sample_weight=None):
        """``{name: (sum of weighted values, sum of weights)}`` for this batch (Keras' Mean metrics).

        ``weights``: the mask of the positions (or None); ``sample_weight`` (B,): the weights of the
        samples, used by the weighted metrics only."""
        out_sums = {}
        for name, fn, weighted in self._metric_fns():
            v = np.asarray(fn(y_true, out), dtype=np.float64)
            w = np.ones(v.shape) if weights is None else np.broadcast_to(weights, v.shape)
            if weighted and sample_weight is not None:
                sw = np.asarray(sample_weight, dtype=np.float64)
                w = w * sw.reshape(sw.shape + (1,) * (v.ndim - sw.ndim))
            out_sums[name] = (float((v * w).sum()), float(w.sum()))
        return out_sums

    def train_on_batch(self, x, y, sample_weight=None):
        """One gradient step on one batch; returns the loss (and the metrics as a dict in ``self.last_logs``)."""
        self._require_compiled()
        return self._train_step(self._prepare_x(x), y, sample_weight)

    def _train_step(self, x, y, sample_weight=None):
        """``train_on_batch`` on an x that ``_prepare_x`` has checked (``fit`` checks all of x once,
        not every batch again)."""
        out, mask = self._forward(x, training=True)
        loss, dout, fused, y_true, weights = self._loss_and_dout(out, mask, y, sample_weight)
        self._backward(dout, fused)
        self.optimizer.apply_gradients(self._pairs())
        self._last_sums = self._metric_sums(y_true, out, weights, sample_weight)
        self.last_logs = {"loss": loss, **{k: s / w if w else 0.0 for k, (s, w) in self._last_sums.items()}}
        return loss

    def loss_and_gradients(self, x, y, training=False):
        """The loss and a dict ``{'layer/param': gradient}`` without updating anything (for gradient checks)."""
        self._require_compiled()
        x = self._prepare_x(x)
        out, mask = self._forward(x, training=training)
        loss, dout, fused, _, _ = self._loss_and_dout(out, mask, y)
        self._backward(dout, fused)
        return loss, {f"{layer.name}/{k}": layer.grads[k] for layer in self.layers for k in layer.params}

    def _require_compiled(self):
        if self.loss is None or self.optimizer is None:
            raise RuntimeError("you must compile the model before training or evaluating it, e.g. "
                               "model.compile(optimizer='adam', loss='mse')")

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, sample_weight=None, class_weight=None):
        """Train for ``epochs`` passes over the data; returns a :class:`~rnncore.callbacks.History`.

        verbose : 0 silent, 1 a tqdm progress bar per epoch (only the last one stays on screen),
            2 one line per epoch.
        validation_split : fraction of the data, taken from the end before shuffling (as Keras).
        validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val).
        callbacks : e.g. [EarlyStopping(monitor='val_loss', patience=5)].
        sample_weight : (N,) weight per sample; class_weight : {class: weight}, e.g. for rare positives
            (the class of a sample is its integer label, its one-hot argmax, or its 0/1 binary target).
        """
        self._require_compiled()
        batch_size = _check_int("fit", "batch_size", batch_size, 1)
        epochs = _check_int("fit", "epochs", epochs, 0)
        initial_epoch = _check_int("fit", "initial_epoch", initial_epoch, 0)
        verbose = _check_verbose("fit", verbose)
        shuffle = check_bool("fit", "shuffle", shuffle)
        if x is None or y is None:
            raise ValueError("fit needs both inputs and targets: model.fit(x, y, ...)")
        x = self._prepare_x(x)
        y = _check_y("fit", y, len(x))
        sw = _check_sample_weight("fit", sample_weight, len(x))
        if class_weight is not None and sw is not None:
            raise ValueError("fit: give class_weight or sample_weight, not both (as Keras)")
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"fit: callbacks must be a list of callbacks, got {type(callbacks).__name__}")
        for cb in callbacks or []:
            if isinstance(cb, type):
                raise TypeError(f"fit: callbacks need instances, got the class {cb.__name__}; write {cb.__name__}(...)")
            if not isinstance(cb, _callbacks.Callback):
                raise TypeError(f"fit: callbacks must be rnncore.callbacks.Callback instances, got {type(cb).__name__}")
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight)")
            val = tuple(validation_data)
        elif validation_split:
            if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.number)):
                raise TypeError(f"fit: validation_split must be a number in [0, 1), got {validation_split!r}")
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
            n_val = int(len(x) * validation_split)
            if n_val == 0 or n_val == len(x):
                raise ValueError(f"fit: validation_split={validation_split} of {len(x)} samples leaves an empty "
                                 "training or validation set")
            val = (x[-n_val:], y[-n_val:]) + (() if sw is None else (sw[-n_val:],))
            x, y = x[:-n_val], y[:-n_val]
            sw = None if sw is None else sw[:-n_val]
        if class_weight is not None:        # the training data only: Keras splits off validation first
            sw = self._class_weights(y, class_weight)

        history = _callbacks.History()
        cbs = [history] + list(callbacks or [])
        for cb in cbs:
            cb.set_model(self)
        self.stop_training = False
        for cb in cbs:
            cb.on_train_begin({})
        N = len(x)
        n_batches = -(-N // batch_size)
        for epoch in range(initial_epoch, epochs):
            for cb in cbs:
                cb.on_epoch_begin(epoch, {})
            order = self.rng.permutation(N) if shuffle else None        # in order: batches are slices
            bar = None
            if verbose == 1:
                from tqdm import tqdm
                bar = tqdm(total=n_batches, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch",
                           leave=(epoch == epochs - 1), file=sys.stderr, mininterval=0.2, dynamic_ncols=True)
            # Keras: the epoch loss is the mean of the batch losses weighted by batch size;
            # a metric is its weighted mean over every position seen in the epoch.
            loss_sum, seen, msums = 0.0, 0, {}
            for b in range(n_batches):
                # shuffled: copies of the batch's rows; in order: views of x and y
                idx = slice(b * batch_size, (b + 1) * batch_size)
                if order is not None:
                    idx = order[idx]
                xb = x[idx]
                self._train_step(xb, y[idx], None if sw is None else sw[idx])
                n = len(xb)
                seen += n
                loss_sum += self.last_logs["loss"] * n
                for k, (vs, ws) in self._last_sums.items():
                    old = msums.get(k, (0.0, 0.0))
                    msums[k] = (old[0] + vs, old[1] + ws)
                if not np.isfinite(self.last_logs["loss"]):
                    if bar is not None:
                        bar.close()
                    raise FloatingPointError(
                        f"the loss became {self.last_logs['loss']} at epoch {epoch + 1}, batch {b + 1}; the weights "
                        "are no longer usable. Check X and y for NaN, lower the learning rate, or clip gradients, "
                        "e.g. optimizer=rnncore.optimizers.Adam(clipnorm=1.0)")
                for cb in cbs:
                    cb.on_batch_end(b, dict(self.last_logs))
                if bar is not None:
                    bar.update(1)
                    if b == n_batches - 1 or b % 10 == 0:
                        bar.set_postfix({"loss": f"{loss_sum / seen:.4f}"}, refresh=False)
            logs = {"loss": loss_sum / seen, **{k: vs / ws if ws else 0.0 for k, (vs, ws) in msums.items()}}
            if val is not None:
                vlogs = self._evaluate_dict(*val, batch_size=batch_size, caller="fit (validation_data)")
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
                bar.close()
            elif verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in cbs:
            cb.on_train_end({})
        self.history = history
        return history

    def _class_weights(self, y, class_weight):
        """Per-sample weights from a {class: weight} dict, as Keras: the class of a sample is the argmax
        of a one-hot target, else its rounded label; classes missing from the dict weigh 1."""
        if not isinstance(class_weight, dict):
            raise TypeError(f"fit: class_weight must be a dict {{class: weight}}, got {type(class_weight).__name__}")
        y = np.asarray(y)
        if y.ndim > 1:
            y = y.argmax(axis=-1) if y.shape[-1] != 1 else y[..., 0]
        if y.ndim != 1:
            raise ValueError("fit: class_weight needs one label per sample; for per-position labels use "
                             "sample_weight (one weight per sample)")
        labels = np.round(y).astype(np.int64)
        return np.array([float(class_weight.get(int(c), 1.0)) for c in labels], dtype=np.float64)

    # ------------------------------------------------------------------ inference
    def predict(self, x, batch_size=32, verbose=0):
        """The model's output for ``x``, in batches, without dropout."""
        batch_size = _check_int("predict", "batch_size", batch_size, 1)
        _check_verbose("predict", verbose)
        if x is None:
            raise ValueError("predict needs inputs: model.predict(x)")
        x = self._prepare_x(x)
        with _layers.inference(self.layers):          # nothing is kept for a backward pass
            outs = [self._forward(x[i:i + batch_size], training=False)[0] for i in range(0, len(x), batch_size)]
        return np.concatenate(outs, axis=0)

    def __call__(self, x, training=False):
        return self._forward(self._prepare_x(x), training=training)[0]

    def _evaluate_dict(self, x, y, sample_weight=None, batch_size=32, caller="evaluate"):
        x = self._prepare_x(x)
        y = _check_y(caller, y, len(x))
        sample_weight = _check_sample_weight(caller, sample_weight, len(x))
        loss_sum, msums = 0.0, {}
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            swb = None if sample_weight is None else sample_weight[i:i + batch_size]
            with _layers.inference(self.layers):
                out, mask = self._forward(xb, training=False)
            loss, _, _, y_true, weights = self._loss_and_dout(out, mask, yb, swb)
            loss_sum += loss * len(xb)
            for k, (vs, ws) in self._metric_sums(y_true, out, weights, swb).items():
                old = msums.get(k, (0.0, 0.0))
                msums[k] = (old[0] + vs, old[1] + ws)
        return {"loss": loss_sum / len(x), **{k: vs / ws if ws else 0.0 for k, (vs, ws) in msums.items()}}

    def evaluate(self, x=None, y=None, batch_size=32, verbose=0, sample_weight=None, return_dict=False):
        """Loss (and metrics) on ``(x, y)``: a float, ``[loss, metric, ...]``, or a dict with ``return_dict``."""
        self._require_compiled()
        batch_size = _check_int("evaluate", "batch_size", batch_size, 1)
        verbose = _check_verbose("evaluate", verbose)
        return_dict = check_bool("evaluate", "return_dict", return_dict)
        if x is None or y is None:
            raise ValueError("evaluate needs both inputs and targets: model.evaluate(x, y)")
        logs = self._evaluate_dict(x, y, sample_weight, batch_size)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    # ------------------------------------------------------------------ weights
    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    @property
    def weights(self):
        return [p for layer in self.layers for p in layer.params.values()]

    def get_weights(self):
        """Every weight array (copies), layer by layer, in Keras' layout and order (``keras_model.get_weights()``)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Load a list in :meth:`get_weights`' layout, e.g. ``keras_model.get_weights()`` of the same architecture."""
        if not self.built:
            raise ValueError("set_weights: build the model first (give the first layer input_shape=..., or call "
                             "model.build(...))")
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"set_weights needs a list of arrays, got {type(weights).__name__}")
        counts = [len(layer.params) for layer in self.layers]
        if len(weights) != sum(counts):
            raise ValueError(f"set_weights: the model has {sum(counts)} weight arrays, got {len(weights)}")
        start = 0
        for layer, n in zip(self.layers, counts):
            if n:
                layer.set_weights(list(weights[start:start + n]))
            start += n

    def save_weights(self, filepath):
        """Save every parameter to a ``.npz`` file (no pickle). Keys ``'<index>.<layer>.<param>'``."""
        if not self.built:
            raise ValueError("build or fit the model before saving its weights")
        arrays = {f"{i:03d}.{layer.name}.{k}": v for i, layer in enumerate(self.layers)
                  for k, v in layer.params.items()}
        arrays["__layers__"] = np.array([type(layer).__name__ for layer in self.layers])
        arrays["__input_shape__"] = np.array([-1 if s is None else s for s in self.input_shape], dtype=np.int64)
        np.savez(filepath, **arrays)

    def load_weights(self, filepath):
        """Load weights saved by :meth:`save_weights` into a model of the same architecture."""
        import os
        if not os.path.exists(filepath) and os.path.exists(str(filepath) + ".npz"):
            filepath = str(filepath) + ".npz"
        with np.load(filepath, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        kinds = list(data.pop("__layers__", []))
        shape = data.pop("__input_shape__", None)
        mine = [type(layer).__name__ for layer in self.layers]
        if kinds and kinds != mine:
            raise ValueError(f"the file holds weights for layers {kinds}, this model has {mine}")
        if not self.built:
            if shape is None:
                raise ValueError("build the model before loading weights")
            self.build(tuple(None if s < 0 else int(s) for s in shape))
        for i, layer in enumerate(self.layers):
            for k, p in layer.params.items():
                matches = [key for key in data if key.startswith(f"{i:03d}.") and key.endswith(f".{k}")]
                if not matches:
                    raise ValueError(f"no weight {k!r} for layer {i} ({layer.name!r}) in {filepath}")
                w = data[matches[0]]
                if w.shape != p.shape:
                    raise ValueError(f"layer {layer.name!r} weight {k!r}: file has shape {w.shape}, "
                                     f"model has {p.shape}")
                p[...] = w

    # ------------------------------------------------------------------ PyTorch interop
    def load_torch_state_dict(self, state_dict):
        """Load a PyTorch ``state_dict`` into the layers that have weights, in order.

        ``state_dict`` is a module's state dict whose sub-modules appear in the same order
        as this model's weighted layers (e.g. ``{'lstm.weight_ih_l0', ..., 'fc.weight', 'fc.bias'}``),
        or a bare ``nn.LSTM``'s, or a list of state dicts, one per weighted layer. A stacked
        ``nn.LSTM(num_layers=2)`` fills two consecutive LSTM layers; ``*_reverse`` keys fill a
        ``Bidirectional``. Tensors may be on any device.
        """
        if isinstance(state_dict, (list, tuple)):
            groups = [dict(g) for g in state_dict]
        else:
            groups, where = [], {}
            for key, val in state_dict.items():
                prefix, _, local = key.rpartition(".")
                m = re.fullmatch(r"((?:weight|bias)_(?:ih|hh))_l(\d+)(_reverse)?", local)
                gid = (prefix, int(m.group(2))) if m else (prefix, None)
                if m:
                    local = f"{m.group(1)}_l0{m.group(3) or ''}"
                if gid not in where:
                    where[gid] = len(groups)
                    groups.append({})
                groups[where[gid]][local] = val
        if not self.built:
            raise ValueError("build the model (give input_shape, or call model.build(...)) before loading torch weights")
        targets = [layer for layer in self.layers if layer.params]
        if len(groups) != len(targets):
            raise ValueError(f"the state dict has {len(groups)} weighted modules/layers but this model has "
                             f"{len(targets)} layers with weights ({', '.join(t.name for t in targets)})")
        for layer, group in zip(targets, groups):
            inner = layer.layer if isinstance(layer, _layers.TimeDistributed) else layer
            if not hasattr(inner, "load_torch_state_dict"):
                raise TypeError(f"layer {layer.name!r} ({type(inner).__name__}) has no PyTorch counterpart")
            inner.load_torch_state_dict(group)

    def torch_state_dict(self, prefixes=None, as_torch=False):
        """Export the weights as a PyTorch ``state_dict`` (NumPy arrays, or tensors with ``as_torch=True``).

        ``prefixes``: one module name per weighted layer (default: the layer names). Consecutive
        recurrent layers given the same prefix become ``_l0``, ``_l1``, ... of one stacked module.
        """
        targets = [layer for layer in self.layers if layer.params]
        prefixes = list(prefixes) if prefixes is not None else [t.name for t in targets]
        if len(prefixes) != len(targets):
            raise ValueError(f"need {len(targets)} prefixes (one per weighted layer), got {len(prefixes)}")
        out, level = {}, {}
        for layer, prefix in zip(targets, prefixes):
            inner = layer.layer if isinstance(layer, _layers.TimeDistributed) else layer
            if isinstance(inner, (_layers.RNN, _layers.Bidirectional)):
                lvl = level.get(prefix, 0)
                level[prefix] = lvl + 1
                sd = inner.torch_state_dict(layer=lvl)
            else:
                sd = inner.torch_state_dict()
            for k, v in sd.items():
                out[f"{prefix}.{k}" if prefix else k] = v
        if as_torch:
            import torch
            out = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}
        return out

    # ------------------------------------------------------------------ summary
    def summary(self, print_fn=None):
        """Print a Keras-style table of layers, output shapes and parameter counts."""
        if not self.built:
            if self.input_shape is None:
                raise ValueError("this model has not been built yet, so it has no summary: give the first layer "
                                 "an input_shape, e.g. LSTM(32, input_shape=(time_steps, features)), or call "
                                 "model.build((time_steps, features))")
            self.build()
        print_fn = print_fn or print
        names, shapes, shape = [], [], self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            names.append(f" {layer.name} ({type(layer).__name__})")
            shapes.append(_shape_str((None,) + tuple(shape)))
        w = (max(29, max(map(len, names)) + 2), max(26, max(map(len, shapes)) + 2), 12)
        line = "_" * sum(w)
        rows = [f'Model: "{self.name}"', line,
                " Layer (type)".ljust(w[0]) + "Output Shape".ljust(w[1]) + "Param #", "=" * sum(w)]
        for layer, name, shp in zip(self.layers, names, shapes):
            rows.append(name.ljust(w[0]) + shp.ljust(w[1]) + f"{layer.count_params():,}")
        total = self.count_params()
        trainable = sum(layer.count_params() for layer in self.layers if layer.trainable)
        rows += ["=" * sum(w), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                 f"Non-trainable params: {total - trainable:,}", line]
        for r in rows:
            print_fn(r)


__all__ = ["Sequential"]
