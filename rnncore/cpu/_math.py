"""Scalar activations for the Numba kernels, specialised by dtype.

Why not ``math.tanh``: this llvmlite has no vector math library (SVML), so a
call to libm per element stops LLVM from vectorising the gate loops, and the
gates dominate an RNN's time once the matrix products go to BLAS. Both dtypes
use code that compiles to plain multiply/add/divide and vectorises:

* float32: a rational approximation (the one Eigen uses, error below 4e-7);
* float64: full precision, as gradient checks need, at most 1.5 ulp from the exact
  tanh (libm's: 2.1 ulp; 2.1 million points over [-25, 25], against long double):
  Cephes' rational form for |x| < 0.625, and (1 - e) / (1 + e) with e = exp(-2|x|)
  from a degree-13 polynomial and a power of two built from its bits beyond.
  Measured, one thread, AMD EPYC (AVX2): 2.8 ns per element against libm's 27.5 ns;
  a float64 LSTM(32) at (16, 50, 8), as notebook 17 trains it, went from 2.8-2.9 ms
  (8.5 times float32's) to 0.80-0.86 ms forward, and from 1.6-1.7 ms to 0.96-1.1 ms
  backward (best of 300 calls; three runs each, old and new code alternating, 2 threads).

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


@intrinsic
def _f64_as_int64(typingctx, x):
    """The bits of a float64, as an int64 (a reinterpretation, not a conversion)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(x), codegen


@intrinsic
def _int64_as_f64(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(i), codegen


# float64 tanh, see the module docstring. exp(y) = 2**k * exp(r), y = k ln 2 + r, |r| <= ln(2)/2:
# k is rounded by adding 1.5 * 2**52 (its low bits then hold k, read back by _f64_as_int64:
# AVX2 has no vector float64 -> int64 conversion), ln 2 is split in two so that k ln 2 is exact
# to 2**-60, and exp(r) is its Taylor polynomial to r**13 (the next term is below 5e-18).
_LOG2E = np.float64(1.4426950408889634)
_LN2_HI = np.float64(6.93147180369123816490e-01)
_LN2_LO = np.float64(1.90821492927058770002e-10)
_ROUND = np.float64(6755399441055744.0)
_ROUND_BITS = np.int64(_ROUND.view(np.int64))
_EXP = [np.float64(1.0 / math.factorial(n)) for n in range(14)]
E0, E1, E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13 = _EXP
# Cephes' tanh.c for |x| < 0.625: tanh(x) = x + x^3 P(x^2) / Q(x^2)
P0, P1, P2 = (np.float64(c) for c in (-9.64399179425052238628e-1, -9.92877231001918586564e1,
                                      -1.61468768441708447952e3))
Q0, Q1, Q2 = (np.float64(c) for c in (1.12811678491632931402e2, 2.23548839060100448583e3,
                                      4.84406305325125486048e3))
_SMALL64 = np.float64(0.625)
_CLAMP64 = np.float64(20.0)                   # tanh(x) rounds to +-1 in float64 beyond 19.06
TWO64 = np.float64(2.0)


@register_jitable
def _exp_f64(y):
    """exp(y) for y in [-40, 0] (what _tanh_f64 asks for; no overflow or subnormal handling)."""
    t = fmuladd(y, _LOG2E, _ROUND)
    k = t - _ROUND
    r = fmuladd(-k, _LN2_HI, y)
    r = fmuladd(-k, _LN2_LO, r)
    p = fmuladd(r, E13, E12)
    p = fmuladd(r, p, E11)
    p = fmuladd(r, p, E10)
    p = fmuladd(r, p, E9)
    p = fmuladd(r, p, E8)
    p = fmuladd(r, p, E7)
    p = fmuladd(r, p, E6)
    p = fmuladd(r, p, E5)
    p = fmuladd(r, p, E4)
    p = fmuladd(r, p, E3)
    p = fmuladd(r, p, E2)
    p = fmuladd(r, p, E1)
    p = fmuladd(r, p, E0)
    k_int = _f64_as_int64(t) - _ROUND_BITS
    return p * _int64_as_f64((k_int + 1023) << 52)


@register_jitable
def _tanh_f64(x):
    # Both branches are computed and one is selected, so that the loop stays a vector loop.
    a = min(abs(x), _CLAMP64)                 # NaN stays NaN
    z = x * x
    num = fmuladd(fmuladd(P0, z, P1), z, P2)
    den = fmuladd(fmuladd(z + Q0, z, Q1), z, Q2)
    small = fmuladd(x * z, num / den, x)
    e = _exp_f64(-TWO64 * a)
    big = (ONE64 - e) / (ONE64 + e)
    big = big if x >= ZERO64 else -big
    return small if a < _SMALL64 else big


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
        return _tanh_f64


@overload(sigmoid)
def _ol_sigmoid(x):
    # sigmoid(x) = 0.5 tanh(x/2) + 0.5: one fast tanh, no exp, no overflow.
    kind = _float_kind(x)
    if kind == 32:
        return lambda x: HALF32 * _tanh_f32(HALF32 * x) + HALF32
    if kind == 64:
        return lambda x: HALF64 * _tanh_f64(HALF64 * x) + HALF64


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
