"""Callbacks for ``Sequential.fit``: History, EarlyStopping, ReduceLROnPlateau, LambdaCallback, ModelCheckpoint.

``fit`` calls, on every callback: ``set_model(model)``, ``on_train_begin(logs)``,
``on_epoch_begin(epoch, logs)``, ``on_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end(logs)``. A callback stops
training by setting ``model.stop_training = True``.
"""
import os

import numpy as np


def _check(owner, name, value, kind, minimum=None):
    """An argument of the given kind ('int', 'number', 'str', 'bool'); errors name the argument."""
    ok = {"int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)),
          "number": lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)),
          "str": lambda v: isinstance(v, str),
          "bool": lambda v: isinstance(v, (bool, np.bool_))}[kind](value)
    if not ok:
        what = {"int": "an integer", "number": "a number", "str": "a string", "bool": "True or False"}[kind]
        raise TypeError(f"{owner}: {name} must be {what}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value}")
    return value


def _mode(owner, mode, monitor):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


class Callback:
    def __init__(self):
        self.model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']``, ``['val_loss']``, ..., and ``history.epoch``."""

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self):
        return f"History(epochs={len(getattr(self, 'epoch', []))}, keys={list(getattr(self, 'history', {}))})"


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode``: 'min', 'max' or 'auto' (max for names containing 'acc', min otherwise).
    ``restore_best_weights=True`` puts back the weights of the best epoch when it stops
    (and at the end of training). ``stopped_epoch`` is the epoch it stopped at (0 if it never did).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        _check("EarlyStopping", "monitor", monitor, "str")
        _check("EarlyStopping", "min_delta", min_delta, "number")
        _check("EarlyStopping", "patience", patience, "int", 0)
        _check("EarlyStopping", "restore_best_weights", restore_best_weights, "bool")
        _check("EarlyStopping", "start_from_epoch", start_from_epoch, "int", 0)
        if baseline is not None:
            _check("EarlyStopping", "baseline", baseline, "number")
        mode = _mode("EarlyStopping", mode, monitor)
        self.monitor, self.patience, self.verbose, self.mode = monitor, patience, verbose, mode
        self.min_delta = abs(min_delta)
        self.baseline, self.restore_best_weights, self.start_from_epoch = baseline, restore_best_weights, start_from_epoch

    def _better(self, value, ref):
        if self.mode == "min":
            return value < ref - self.min_delta
        return value > ref + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline if self.baseline is not None else (np.inf if self.mode == "min" else -np.inf)
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which is not in the logs "
                             f"(available: {', '.join(logs)}). For 'val_loss' pass validation_split or "
                             "validation_data to fit().")
        if epoch < self.start_from_epoch:
            return
        value = logs[self.monitor]
        self.wait += 1
        if self._better(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping (best {self.monitor} {self.best:.4g} "
                      f"at epoch {self.best_epoch + 1})")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None and not self.model.stop_training:
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(Callback):
    """Multiply the optimiser's learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__()
        _check("ReduceLROnPlateau", "monitor", monitor, "str")
        _check("ReduceLROnPlateau", "factor", factor, "number")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        _check("ReduceLROnPlateau", "patience", patience, "int", 0)
        _check("ReduceLROnPlateau", "cooldown", cooldown, "int", 0)
        _check("ReduceLROnPlateau", "min_delta", min_delta, "number")
        _check("ReduceLROnPlateau", "min_lr", min_lr, "number", 0)
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.mode = _mode("ReduceLROnPlateau", mode, monitor)
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr

    def on_train_begin(self, logs=None):
        self.best = np.inf if self.mode == "min" else -np.inf
        self.wait = self.cooldown_counter = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"ReduceLROnPlateau monitors {self.monitor!r}, not in the logs ({', '.join(logs)})")
        value = logs[self.monitor]
        better = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if better:
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                opt = self.model.optimizer
                new = max(opt.learning_rate * self.factor, self.min_lr)
                if new < opt.learning_rate:
                    opt.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new:.3g}")
                self.cooldown_counter, self.wait = self.cooldown, 0


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_end=None, on_train_begin=None,
                 on_train_end=None):
        super().__init__()
        for name, fn in (("on_epoch_begin", on_epoch_begin), ("on_epoch_end", on_epoch_end),
                         ("on_batch_end", on_batch_end), ("on_train_begin", on_train_begin),
                         ("on_train_end", on_train_end)):
            if fn is not None:
                setattr(self, name, fn)


class ModelCheckpoint(Callback):
    """Save the weights (``.npz``, :meth:`Sequential.save_weights`) after every epoch, or, with
    ``save_best_only=True``, only when ``monitor`` improves on the best value seen so far (as Keras:
    the best value persists across ``fit`` calls and starts at ``initial_value_threshold``).

    ``filepath`` may contain ``{epoch}`` and any log key, e.g. ``"w_{epoch:02d}_{val_loss:.3f}.npz"``;
    a fixed name keeps the best weights, to restore with ``model.load_weights(filepath)``.
    ``save_weights_only`` must be True (rnncore saves weights, not whole models).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=True,
                 mode="auto", initial_value_threshold=None):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: filepath must be a path (str), got {filepath!r}")
        _check("ModelCheckpoint", "monitor", monitor, "str")
        _check("ModelCheckpoint", "save_best_only", save_best_only, "bool")
        if not _check("ModelCheckpoint", "save_weights_only", save_weights_only, "bool"):
            raise NotImplementedError("ModelCheckpoint(save_weights_only=False): rnncore saves weights only (.npz)")
        self.filepath, self.monitor, self.save_best_only, self.verbose = str(filepath), monitor, save_best_only, verbose
        self.mode = _mode("ModelCheckpoint", mode, monitor)
        if initial_value_threshold is not None:
            _check("ModelCheckpoint", "initial_value_threshold", initial_value_threshold, "number")
            self.best = initial_value_threshold
        else:
            self.best = np.inf if self.mode == "min" else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise ValueError(f"ModelCheckpoint monitors {self.monitor!r}, not in the logs ({', '.join(logs)})")
            if not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        self.model.save_weights(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved weights to {path}")
