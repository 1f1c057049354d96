"""Scalar activations for the Numba kernels, specialised by dtype.

Why not ``math.tanh``: this llvmlite has no vector math library (SVML), so a
call to libm per element stops LLVM from vectorising the gate loops, and the
gates dominate an RNN's time once the matrix products go to BLAS. In float32
we use a rational approximation (the one Eigen uses, error below 4e-7) that
compiles to plain multiply/add/divide and vectorises; float64 keeps libm's
``tanh`` because gradient checks need full precision.

Constants are typed per dtype: a float64 literal in a float32 expression
promotes the whole expression to float64 (slow, and a different answer).

The Python functions below are the fallbacks outside Numba; inside ``@njit``
code the ``@overload`` implementations are used.
"""
import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload, register_jitable

# No fast-math flags (FASTMATH is empty): IEEE arithmetic, evaluated in the order the source
# gives, so that every compiled copy of a loop (vector body, scalar remainder, kernels that
# inline it differently) rounds the same way: the same bits on one machine whatever the
# thread count, keep_cache, or a fresh vs cached compile (tests/test_determinism.py).
# fastmath=True lets LLVM contract a*b + c into an FMA in one copy and not in another,
# and reassociate sums. Measured (CPU time, one thread, float32, 2 rounds, a busy 2-core
# machine): fastmath=True was 8% to 17% faster on the LSTM forward, 1% to 10% on forward +
# backward; {"nnan", "ninf", "nsz"} gave nothing over no flags.
FASTMATH = set()
# Options for every CPU kernel: cache=True so a warm start skips compilation;
# error_model="numpy" removes the divide-by-zero branch that blocks vectorising;
# nogil=True so that the jobs of one call run on several threads (see _pool).
JIT = dict(cache=True, fastmath=FASTMATH, error_model="numpy", nogil=True)

_CLAMP = np.float32(7.90531110763549805)      # tanh(x) rounds to +-1 in float32 beyond this
_A = [np.float32(c) for c in (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
                              5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
                              -2.76076847742355e-16)]
_B = [np.float32(c) for c in (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
                              1.19825839466702e-06)]
A1, A3, A5, A7, A9, A11, A13 = _A
B0, B2, B4, B6 = _B
HALF32, ONE32, ZERO32 = np.float32(0.5), np.float32(1.0), np.float32(0.0)
HALF64, ONE64, ZERO64 = np.float64(0.5), np.float64(1.0), np.float64(0.0)


@intrinsic
def fmuladd(typingctx, a, b, c):
    """a * b + c through ``llvm.fmuladd``: one fused multiply-add where the CPU has FMA,
    a multiply and an add where it has not (scalar float32 or float64; LLVM's vectoriser
    turns it into vector FMAs).

    Why not fastmath's ``contract`` flag: it lets LLVM fuse a*b + c in one compiled
    copy of a loop and not in another (vector body, scalar remainder, a kernel that
    inlines it differently), so the bits could depend on the thread count or the cache.
    This call is fused or not by the CPU alone, the same in every copy (as the packed
    GEMM's tiles, ``_packed``). Measured, float32 LSTM (32, 100, 4, 64) inference
    forward, one thread, AMD EPYC (AVX2, no AVX-512): 3.9 to 4.8 ms in plain multiplies
    and adds, 3.1 to 3.5 ms with ``contract``, 3.2 to 3.7 ms with these explicit calls
    in the tanh polynomial and the LSTM's gate and cell updates."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        fty = args[0].type
        suffix = "f32" if isinstance(fty, ir.FloatType) else "f64"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(fty, [fty, fty, fty]),
                                            f"llvm.fmuladd.{suffix}")
        return builder.call(fn, args)
    return a(a, b, c), codegen


@register_jitable
def _tanh_f32(x):
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    # Horner's rule, each step one fmuladd (see fmuladd: the same bits in every compiled copy)
    p = fmuladd(x2, A13, A11)
    p = fmuladd(x2, p, A9)
    p = fmuladd(x2, p, A7)
    p = fmuladd(x2, p, A5)
    p = fmuladd(x2, p, A3)
    p = x * fmuladd(x2, p, A1)
    q = fmuladd(x2, B6, B4)
    q = fmuladd(x2, q, B2)
    q = fmuladd(x2, q, B0)
    return p / q


def tanh(x):
    return np.tanh(x)


def sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


def dtanh(y):
    """tanh'(a) from y = tanh(a)."""
    return 1 - y * y


def dsigmoid(s):
    """sigmoid'(a) from s = sigmoid(a)."""
    return s * (1 - s)


def relu(x):
    return np.maximum(x, 0)


def drelu(y):
    """relu'(a) from y = relu(a)."""
    return (y > 0).astype(np.asarray(y).dtype)


def _float_kind(x):
    if x == types.float32:
        return 32
    if x == types.float64:
        return 64
    return None


@overload(tanh)
def _ol_tanh(x):
    kind = _float_kind(x)
    if kind == 32:
        return _tanh_f32
    if kind == 64:
        return lambda x: math.tanh(x)


@overload(sigmoid)
def _ol_sigmoid(x):
    # sigmoid(x) = 0.5 tanh(x/2) + 0.5: one fast tanh, no exp, no overflow.
    kind = _float_kind(x)
    if kind == 32:
        return lambda x: HALF32 * _tanh_f32(HALF32 * x) + HALF32
    if kind == 64:
        return lambda x: HALF64 * math.tanh(HALF64 * x) + HALF64


@overload(dtanh)
def _ol_dtanh(y):
    kind = _float_kind(y)
    if kind == 32:
        return lambda y: ONE32 - y * y
    if kind == 64:
        return lambda y: ONE64 - y * y


@overload(dsigmoid)
def _ol_dsigmoid(s):
    kind = _float_kind(s)
    if kind == 32:
        return lambda s: s * (ONE32 - s)
    if kind == 64:
        return lambda s: s * (ONE64 - s)


@overload(relu)
def _ol_relu(x):
    kind = _float_kind(x)
    if kind == 32:
        return lambda x: max(x, ZERO32)
    if kind == 64:
        return lambda x: max(x, ZERO64)


@overload(drelu)
def _ol_drelu(y):
    kind = _float_kind(y)
    if kind == 32:
        return lambda y: ONE32 if y > ZERO32 else ZERO32
    if kind == 64:
        return lambda y: ONE64 if y > ZERO64 else ZERO64


def activation_flag(activation):
    """The CPU kernels' activation argument, ``use_relu``: None for "tanh", True for "relu".

    Not a bool, because Numba removes a branch ``if use_relu is None:`` while compiling when
    the argument's type is None (dead-branch pruning on argument types), so a tanh model,
    the default, compiles only the tanh side of every kernel: a cold float32 LSTM forward +
    backward took 24.0 to 24.7 CPU s before, 19.4 to 19.5 after (benchmarks/README.md). With
    True (a bool, which Numba does not prune on) both sides are compiled, as before."""
    return None if activation == "tanh" else True
