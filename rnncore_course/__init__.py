"""Automatic checks for the exercise notebooks: course material, not part of rnncore's API.

Each course notebook has an exercise notebook (``solutions/`` holds the
complete one, ``exercises/`` the learner's version made from it by
``tools/make_exercises.py``). A check takes the learner's function, compares
it with the reference on fresh inputs, and either prints one line saying it
passed or raises :class:`ExerciseFailed` saying what is wrong.

Checks live in one module per notebook: ``rnncore_course.nb<NN>_<topic>``, importing from ``rnncore`` like any user.
"""
import contextlib
import functools
import io


class ExerciseFailed(AssertionError):
    """Raised by a check when the learner's answer is not right (yet)."""


def exercise_check(func):
    """Decorator for check functions: a pass line, or a clear ExerciseFailed.

    The wrapped function signals failure with ``assert cond, "what is wrong"``.
    A stub that still raises NotImplementedError is reported as not done yet, and
    an answer that crashes (a shape error, say) as a failure naming the exception.
    """
    name = func.__name__.removeprefix("check_").replace("_", " ")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            func(*args, **kwargs)
        except NotImplementedError:
            raise ExerciseFailed(f"FAILED {name}: not implemented yet; replace "
                                 "`raise NotImplementedError` with your code") from None
        except ExerciseFailed:
            raise
        except AssertionError as e:
            raise ExerciseFailed(f"FAILED {name}: {e}") from None
        except Exception as e:             # the answer crashed: say so, with the first line of the error
            first = str(e).splitlines()[0] if str(e) else ""
            raise ExerciseFailed(f"FAILED {name}: your function raised {type(e).__name__}: {first}") from e
        print(f"PASSED {name}")
        # Returns None so that a check on a cell's last line shows only its PASSED line (no ``Out: True``).

    return wrapper


def elman_params(rng, D, H):
    """Random Elman RNN weights (W_ih (H, D), W_hh (H, H), b_ih (H,), b_hh (H,)), drawn from ``rng`` in that order."""
    return (rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5,
            rng.standard_normal(H) * 0.2, rng.standard_normal(H) * 0.2)


def assert_close(actual, expected, what, rtol=1e-6, atol=1e-8):
    """Assert two arrays agree, with a message a learner can act on."""
    import numpy as np

    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what} has shape {actual.shape}, expected {expected.shape}"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        err = np.max(np.abs(actual - expected))
        raise AssertionError(f"{what} differs from the reference (max abs difference {err:.3g})")


def blame_earlier(answer, name, check):
    """A message when ``answer`` calls the learner's own ``name`` and that function fails ``check``.

    An exercise often builds on the previous one (a sequence loop calls the step the
    learner wrote before). When the later answer is wrong because the earlier one is,
    the learner should fix the earlier one first. Returns None when ``answer`` does not
    call ``name`` or when ``name`` passes its check.
    """
    code = getattr(answer, "__code__", None)
    helper = getattr(answer, "__globals__", {}).get(name)
    if code is None or helper is None or name not in code.co_names:
        return None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            getattr(check, "__wrapped__", check)(helper)
    except NotImplementedError:
        return f"{answer.__name__} calls your {name}, which is not written yet: write {name} first"
    except AssertionError as e:
        return (f"{answer.__name__} calls your {name}, which fails its own check ({e}): fix {name} first")
    return None


@contextlib.contextmanager
def blaming(answer, name, check):
    """Inside the block, a failed assertion names the earlier function ``name`` when it is the cause."""
    try:
        yield
    except AssertionError as e:
        earlier = blame_earlier(answer, name, check)
        if earlier is None:
            raise
        raise AssertionError(f"{e}; {earlier}") from None


def lstm_from_preactivation(a, c_prev):
    """The LSTM step's (h_t, c_t) from its pre-activation ``a`` (B, 4H) and c_prev (B, H).

    rnncore's NumPy reference with W_ih = I and everything else zero, so that its
    ``a = x_t W_ih^T + ...`` is exactly ``a``: the checks hold no LSTM equations of their own.
    """
    import numpy as np

    from rnncore.reference import lstm as ref_lstm

    a = np.asarray(a, dtype=np.float64)
    c_prev = np.asarray(c_prev, dtype=np.float64)
    (B, G), H = a.shape, c_prev.shape[1]
    zeros = np.zeros(G)
    h_t, c_t, _ = ref_lstm.step_forward(a, np.zeros((B, H)), c_prev, np.eye(G), np.zeros((G, H)), zeros, zeros)
    return h_t, c_t


LSTM_GATES = ("i", "f", "g", "o")


def lstm_gate_diagnosis(a, c_prev, h, c):
    """Where to look when an LSTM step's (h, c) from pre-activation ``a`` is wrong.

    Compares with the reference under the mistakes learners make: gate blocks in
    another order (PyTorch's is i, f, g, o), a missing term of c_t, sigmoid/tanh
    exchanged. Returns a hint, or "" when no known mistake matches.
    """
    import itertools

    import numpy as np

    from rnncore.reference.activations import sigmoid

    H = c_prev.shape[1]
    blocks = [a[:, k * H:(k + 1) * H] for k in range(4)]

    def same(x, y):
        return np.shape(x) == np.shape(y) and np.allclose(x, y, rtol=1e-5, atol=1e-6)

    for perm in itertools.permutations(range(4)):
        if perm == (0, 1, 2, 3):
            continue
        h_p, c_p = lstm_from_preactivation(np.concatenate([blocks[k] for k in perm], axis=1), c_prev)
        if same(c, c_p) and same(h, h_p):
            wrong = [f"{LSTM_GATES[k]} reads the rows of {LSTM_GATES[perm[k]]}" for k in range(4) if perm[k] != k]
            return ("the gates are in the wrong order (" + "; ".join(wrong) + "): PyTorch's order is i, f, g, o, "
                    "in the row blocks 0:H, H:2H, 2H:3H, 3H:4H of a")
    i, f, g, o = sigmoid(blocks[0]), sigmoid(blocks[1]), np.tanh(blocks[2]), sigmoid(blocks[3])
    h_ref, c_ref = lstm_from_preactivation(a, c_prev)
    if not same(c, c_ref):
        for cand, hint in ((i * g, "c_t misses the forget term f * c_prev"),
                           (f * c_prev, "c_t misses the input term i * g"),
                           (f * c_prev + i * sigmoid(blocks[2]), "g (the candidate) takes tanh, not sigmoid"),
                           ((1 - f) * c_prev + i * g, "the forget term is f * c_prev, not (1 - f) * c_prev")):
            if same(c, cand):
                return hint
        return "c_t = f * c_prev + i * g is wrong (h_t depends on it: fix c_t first)"
    if same(h, o * c):
        return "h_t = o * tanh(c_t): the tanh of c_t is missing"
    if same(h, np.tanh(blocks[3]) * np.tanh(c)):
        return "the output gate o takes sigmoid, not tanh"
    if same(h, o * np.tanh(c_prev)):
        return "h_t uses tanh(c_prev); it should use the new cell tanh(c_t)"
    return "c_t is right; h_t = o * tanh(c_t) is wrong"
