"""Input checks shared by every public entry point.

Kernels assume clean input; these checks turn bad input into a ValueError or
TypeError that says what was expected, instead of a Numba typing traceback or a
silently wrong answer.
"""
import numpy as np

BACKENDS = ("numpy", "cpu", "cuda")
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}")
    return value


def integer_ids(a, needs):
    """``a`` as int64 class labels or token ids: an integer (or bool) array, or floats that hold
    whole numbers (as Keras accepts). ``needs`` starts the error messages, e.g.
    "to_categorical needs integer class labels". The range is the caller's to check."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        if not (np.isfinite(a).all() and np.all(a == np.round(a))):
            raise ValueError(f"{needs}, got non-integer values")
    elif a.dtype.kind not in "iub":
        raise TypeError(f"{needs}, got dtype {a.dtype}")
    return a.astype(np.int64)


def is_device_array(a):
    """True for a CUDA device array: numba's (also the simulator's, which has no
    ``__cuda_array_interface__``) or any ``__cuda_array_interface__`` object."""
    return hasattr(a, "__cuda_array_interface__") or bool(getattr(a, "__cuda_ndarray__", False))


def as_float_array(name, a, dtype=None, allow_device=False):
    """Return ``a`` as a C-contiguous float32/float64 array, or raise a clear error.

    With ``dtype`` given the array must already have it (weights must match x).
    """
    if allow_device and is_device_array(a):
        arr = a
    else:
        if a is None:
            raise TypeError(f"{name} is required, got None")
        arr = np.asarray(a)
        if arr.dtype == object:
            raise TypeError(f"{name} must be a numeric array, got an object array (ragged lists?)")
    dt = np.dtype(arr.dtype)
    if dt not in FLOAT_DTYPES:
        hint = f"; convert with {name}.astype(np.float32)" if dt.kind in "iub" else ""
        raise TypeError(f"{name} must be float32 or float64, got {dt}{hint}")
    if dtype is not None and dt != dtype:
        raise TypeError(f"{name} has dtype {dt} but x has dtype {np.dtype(dtype)}; all arrays must share one dtype")
    if not is_device_array(arr):
        arr = np.ascontiguousarray(arr)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or inf")
    return arr


def check_shape(name, arr, expected, meaning):
    if tuple(arr.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {meaning} = {tuple(expected)}, got {tuple(arr.shape)}")


def check_x(x, allow_device=False):
    x = as_float_array("x", x, allow_device=allow_device)
    if x.ndim != 3:
        hint = ""
        if x.ndim == 2:
            hint = " For one sequence use x[None]; for one feature per step use x[..., None]."
        raise ValueError(f"x must have shape (B, T, D) (batch, time, features; batch-first), "
                         f"got a {x.ndim}-D array of shape {tuple(x.shape)}.{hint}")
    B, T, D = x.shape
    if B == 0 or T == 0 or D == 0:
        raise ValueError(f"x must be non-empty in batch, time and features, got shape {tuple(x.shape)} "
                         "(an empty sequence has no forward pass)")
    return x


def check_weights(x, W_ih, W_hh, b_ih, b_hh, n_gates, allow_device=False):
    """Check PyTorch-layout weights against x; return them as arrays and H."""
    B, T, D = x.shape
    dt = x.dtype
    W_ih = as_float_array("W_ih", W_ih, dt, allow_device)
    W_hh = as_float_array("W_hh", W_hh, dt, allow_device)
    if W_hh.ndim != 2 or W_hh.shape[0] != n_gates * W_hh.shape[1]:
        raise ValueError(f"W_hh must have shape (G*H, H) with G={n_gates} gates, got {tuple(W_hh.shape)}")
    H = W_hh.shape[1]
    if H == 0:
        raise ValueError("hidden size H must be at least 1")
    check_shape("W_ih", W_ih, (n_gates * H, D), "(G*H, D)")
    b_ih = as_float_array("b_ih", b_ih, dt, allow_device)
    b_hh = as_float_array("b_hh", b_hh, dt, allow_device)
    check_shape("b_ih", b_ih, (n_gates * H,), "(G*H,)")
    check_shape("b_hh", b_hh, (n_gates * H,), "(G*H,)")
    return W_ih, W_hh, b_ih, b_hh, H


def state_or_zeros(name, s, B, H, dtype, allow_device=False):
    """An initial state (B, H): ``None`` means zeros."""
    if s is None:
        return np.zeros((B, H), dtype=dtype)
    s = as_float_array(name, s, dtype, allow_device)
    check_shape(name, s, (B, H), "(B, H)")
    return s


def grad_or_zeros(name, g, shape, dtype, allow_device=False):
    """An upstream gradient: ``None`` means zeros; any float dtype is cast to the cache's."""
    if g is None:
        return np.zeros(shape, dtype=dtype)
    if not (allow_device and is_device_array(g)):
        g = np.asarray(g)
        if g.dtype.kind != "f":
            raise TypeError(f"{name} must be a float array, got {g.dtype}")
        g = g.astype(dtype, copy=False)
    g = as_float_array(name, g, dtype, allow_device)
    expected = "(B, T, H)" if len(shape) == 3 else "(B, H)"
    check_shape(name, g, shape, expected)
    return g
