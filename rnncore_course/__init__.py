"""Automatic checks for the exercise notebooks: course material, not part of rnncore's API.

Each course notebook has an exercise notebook (``solutions/`` holds the
complete one, ``exercises/`` the learner's version made from it by
``tools/make_exercises.py``). A check takes the learner's function, compares
it with the reference on fresh inputs, and either prints one line saying it
passed or raises :class:`ExerciseFailed` saying what is wrong.

Checks live in one module per notebook: ``rnncore_course.nb<NN>_<topic>``, importing from ``rnncore`` like any user.
"""
import functools


class ExerciseFailed(AssertionError):
    """Raised by a check when the learner's answer is not right (yet)."""


def exercise_check(func):
    """Decorator for check functions: a pass line, or a clear ExerciseFailed.

    The wrapped function signals failure with ``assert cond, "what is wrong"``.
    A stub that still raises NotImplementedError is reported as not done yet.
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
        print(f"PASSED {name}")
        # Returns None so that a check on a cell's last line shows only its PASSED line (no ``Out: True``).

    return wrapper


def assert_close(actual, expected, what, rtol=1e-6, atol=1e-8):
    """Assert two arrays agree, with a message a learner can act on."""
    import numpy as np

    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what} has shape {actual.shape}, expected {expected.shape}"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        err = np.max(np.abs(actual - expected))
        raise AssertionError(f"{what} differs from the reference (max abs difference {err:.3g})")
