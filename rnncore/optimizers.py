"""Optimisers (SGD with momentum, RMSprop, Adam, AdamW, Adagrad) with Keras' defaults, weight decay and gradient clipping.

An optimiser updates parameter arrays in place::

    opt.apply_gradients([(param, grad), ...])

The same list order must be used at every step (the model guarantees it): the
optimiser keeps its state (momenta, moving averages) per slot in that list.

Clipping, applied before the update, exactly as Keras' arguments:

* ``clipvalue=v``: every gradient entry clipped to ``[-v, v]``;
* ``clipnorm=c``: each gradient array rescaled so its L2 norm is at most ``c``;
* ``global_clipnorm=c``: all gradients rescaled together so their joint norm is at most ``c``
  (``torch.nn.utils.clip_grad_norm_``; the usual choice for RNNs).

Weight decay, as Keras 3's ``weight_decay=`` argument (every optimiser; ``AdamW`` is ``Adam``
with ``weight_decay=0.004`` by default). It is *decoupled* (Loshchilov & Hutter 2019): after
clipping and before the optimiser's own update, every parameter shrinks towards zero,

    p <- p - p * weight_decay * learning_rate,

whatever the gradient. It is not an L2 term in the loss: with Adam, an L2 penalty's gradient
would be divided by sqrt(v) like any other, so weights with large gradients would barely be
decayed; the decoupled step shrinks every weight by the same factor. As in Keras, all
parameters are decayed, biases included.
"""
import numpy as np


def clip_by_value(grads, clipvalue):
    return [np.clip(g, -clipvalue, clipvalue) for g in grads]


def clip_by_norm(grads, clipnorm):
    out = []
    for g in grads:
        n = np.sqrt(np.sum(g.astype(np.float64) ** 2))
        out.append(g * (clipnorm / n) if n > clipnorm else g)
    return out


def clip_by_global_norm(grads, clipnorm):
    n = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    if n > clipnorm:
        return [g * (clipnorm / n) for g in grads]
    return list(grads)


def _number(owner, name, value, low=None, high=None, low_open=False, high_open=True):
    """A real number argument, optionally in [low, high) (open ends as given); errors name the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high or not np.isfinite(value):
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}"
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        raise ValueError(f"{owner}: {name} must be in {lo or '(-inf'}, {hi or 'inf)'}, got {value}")
    return value


_OPTIM = []


def _cpu_optim():
    """rnncore.cpu.optim, imported on first use (importing rnncore.optimizers alone loads no
    kernel) and kept: an import statement per update cost about 1.5 us."""
    if not _OPTIM:
        from .cpu import optim
        _OPTIM.append(optim)
    return _OPTIM[0]


_STEP_TYPES = {}


def _step_type(dtype):
    """The type of Adam's step ``lr_t * m / (sqrt(v) + eps)`` for parameters of ``dtype``, as NumPy
    computes it below: ``lr_t`` is a NumPy float64, which NumPy 2 keeps (a float64 step for float32
    parameters, rounded before the subtraction) and NumPy 1's value-based casting drops (a float32
    step). The compiled update takes ``lr_t`` of this type, so it follows the same arithmetic."""
    t = _STEP_TYPES.get(dtype)
    if t is None:
        t = _STEP_TYPES[dtype] = np.result_type(np.float64(0.5), np.zeros(1, dtype)).type
    return t


def _fusable(p, *arrays):
    """True when the compiled update applies: C-contiguous arrays of p's float dtype and shape.
    (A loop, not ``all`` over a generator, and the dtype by its character code: 0.3 instead of
    0.8 us a call, five calls a training step.)"""
    dt, shape = p.dtype, p.shape
    if dt.char not in "fd" or not p.flags.c_contiguous or not p.flags.writeable:
        return False
    for a in arrays:
        if a.dtype != dt or a.shape != shape or not a.flags.c_contiguous:
            return False
    return True


class Optimizer:
    name = "optimizer"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if weight_decay is not None:
            _number(type(self).__name__, "weight_decay", weight_decay, 0)
        for arg, val in (("learning_rate", learning_rate), ("clipnorm", clipnorm), ("clipvalue", clipvalue),
                         ("global_clipnorm", global_clipnorm)):
            if val is not None and (isinstance(val, (bool, np.bool_))
                                    or not isinstance(val, (int, float, np.integer, np.floating))):
                raise TypeError(f"{type(self).__name__}: {arg} must be a number, got {val!r}")
            if val is not None and not val > 0:
                raise ValueError(f"{type(self).__name__}: {arg} must be positive, got {val}")
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self.state = None

    lr = property(lambda self: self.learning_rate, lambda self, v: setattr(self, "learning_rate", v))

    def clip(self, grads):
        if self.clipvalue is not None:
            grads = clip_by_value(grads, self.clipvalue)
        if self.clipnorm is not None:
            grads = clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            grads = clip_by_global_norm(grads, self.global_clipnorm)
        return grads

    def apply_gradients(self, pairs):
        """Update every ``param`` in place from its ``grad``. ``pairs``: list of (param, grad)."""
        params = [p for p, _ in pairs]
        grads = self.clip([g for _, g in pairs])
        if self.state is None:
            self.state = [self.init_state(p) for p in params]
        if len(self.state) != len(params):
            raise ValueError("the optimizer was used with a different set of parameters; "
                             "create a new optimizer for each model")
        self.iterations += 1
        self.apply_weight_decay(params)
        for i, (p, g) in enumerate(zip(params, grads)):
            self.update(p, g.astype(p.dtype, copy=False), self.state[i])

    def apply_weight_decay(self, params):
        """Decoupled weight decay, in place: ``p -= p * weight_decay * learning_rate`` (Keras' order and dtype)."""
        if self.weight_decay is None:
            return
        for p in params:
            p -= p * p.dtype.type(self.weight_decay) * p.dtype.type(self.learning_rate)

    def init_state(self, p):
        return {}

    def update(self, p, g, s):
        raise NotImplementedError

    def reset(self):
        self.iterations, self.state = 0, None

    def get_config(self):
        cfg = {k: v for k, v in vars(self).items() if k not in ("state", "iterations") and not k.startswith("_")}
        return {"name": self.name, **cfg}

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name" and v is not None)
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """v <- momentum v - lr g;  p <- p + v  (Nesterov: p <- p + momentum v - lr g)."""
    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _number("SGD", "momentum", momentum, 0, 1)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        self.momentum, self.nesterov = momentum, nesterov

    def init_state(self, p):
        return {"v": np.zeros_like(p)} if self.momentum else {}

    def update(self, p, g, s):
        if not self.momentum:
            p -= self.learning_rate * g
            return
        v = s["v"]
        v *= self.momentum
        v -= self.learning_rate * g
        if self.nesterov:
            p += self.momentum * v - self.learning_rate * g
        else:
            p += v


class RMSprop(Optimizer):
    """a <- rho a + (1 - rho) g^2;  p <- p - lr g / sqrt(a + eps).

    Keras' form: eps inside the square root (PyTorch adds it outside, sqrt(a) + eps); the two
    differ while a is small, in the first steps, and most with a large ``epsilon``."""
    name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _number("RMSprop", "rho", rho, 0, 1)
        _number("RMSprop", "epsilon", epsilon, 0, low_open=True)
        self.rho, self.epsilon = rho, epsilon

    def init_state(self, p):
        return {"a": np.zeros_like(p)}

    def update(self, p, g, s):
        a = s["a"]
        a *= self.rho
        a += (1 - self.rho) * g * g
        p -= self.learning_rate * g / np.sqrt(a + self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, Keras defaults (eps = 1e-7)."""
    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _number("Adam", "beta_1", beta_1, 0, 1)
        _number("Adam", "beta_2", beta_2, 0, 1)
        _number("Adam", "epsilon", epsilon, 0, low_open=True)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._constants = None        # (key, lr_t, scalars) of _step_scalars

    def init_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _step_scalars(self, dtype):
        """``lr_t`` of this step, and the compiled update's scalars for this step and dtype: the
        betas, 1 - the betas and epsilon in the parameters' dtype, lr_t in the step's type. Built
        once per step and dtype instead of once per array (every array of a step takes the same
        ones). Measured 2026-12-04 (2-core Zen 5 VM, one process, alternating): the step of
        bench_fit.py's LSTM(64) -> Dense(1), five float32 arrays, 21.5 us instead of 24.8 (medians
        of 40 rounds of 1,000 steps) with the scalars built once; with lr_t too, and the leaner
        ``_fusable``, 16.6 against 20.1 us (best of 7 x 5,000 steps, later that evening)."""
        key = (self.iterations, dtype, self.learning_rate, self.beta_1, self.beta_2, self.epsilon)
        if self._constants is None or self._constants[0] != key:
            t = self.iterations
            lr_t = self.learning_rate * np.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
            dt = dtype.type
            self._constants = (key, lr_t, (dt(self.beta_1), dt(self.beta_2), dt(1 - self.beta_1),
                                           dt(1 - self.beta_2), _step_type(dtype)(lr_t), dt(self.epsilon)))
        return self._constants[1], self._constants[2]

    def update(self, p, g, s):
        m, v = s["m"], s["v"]
        lr_t, scalars = self._step_scalars(p.dtype)
        if p.ndim > 1 and p.flags.f_contiguous and not p.flags.c_contiguous:
            # a Fortran-ordered parameter (the Orthogonal initializer's recurrent kernels, whose
            # state arrays follow it): the update is elementwise, so the transposes, C-ordered
            # views of the same memory, take the compiled way (the gradient too, without a copy
            # where it is the transposed view the recurrent layers give)
            p, g, m, v = p.T, g.T, m.T, v.T
        g = np.ascontiguousarray(g)          # a transposed view is copied (see below)
        if _fusable(p, g, m, v):
            # The same arithmetic as below in one compiled loop, with the same bits
            # (rnncore.cpu.optim). Measured 2026-12-04 (2-core Zen 5 VM, 7 runs of 2,000 steps,
            # alternating): a step of bench_fit.py's LSTM(64) -> Dense(1), five float32 arrays,
            # 34 us (29-41) against 81 us (76-103) for the NumPy form. The NumPy form stays for
            # reading, and for other arrays. A gradient need not be C-contiguous: the recurrent
            # layers' kernel gradients are transposed views (Keras' layout of PyTorch's), and until
            # 2026-12-04 the two largest arrays, the kernels, took the NumPy form (the recurrent one
            # also for its Fortran order, above). Now the five arrays' update takes 39-40 us per step
            # instead of 91-93 us (medians of 2,000 steps, one process).
            _cpu_optim().adam_update(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), *scalars)
            return
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * g * g
        p -= (lr_t * m / (np.sqrt(v) + self.epsilon)).astype(p.dtype, copy=False)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): Keras' ``AdamW``, ``weight_decay=0.004``.

    Each step: ``p <- p - p * weight_decay * learning_rate``, then the Adam update.
    """
    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number (AdamW without decay is Adam), got None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, weight_decay=weight_decay,
                         **kwargs)


class Adagrad(Optimizer):
    """a <- a + g^2;  p <- p - lr g / (sqrt(a) + eps)."""
    name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _number("Adagrad", "initial_accumulator_value", initial_accumulator_value, 0)
        _number("Adagrad", "epsilon", epsilon, 0, low_open=True)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def init_state(self, p):
        return {"a": np.full_like(p, self.initial_accumulator_value)}

    def update(self, p, g, s):
        s["a"] += g * g
        p -= self.learning_rate * g / (np.sqrt(s["a"]) + self.epsilon)


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad}


def get(identifier):
    """An optimiser from a name (``'adam'``, ``'adamw'``, ``'sgd'``, ``'rmsprop'``, ``'adagrad'``) or an instance."""
    # Resolved as losses.get resolves a loss (instance, class, Keras name); each error names its own registry.
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}; expected one of {', '.join(map(repr, OPTIMIZERS))} "
                     "or an optimizer object such as rnncore.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)")
