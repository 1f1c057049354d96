"""Shared by the wrong-answer tests: a check must reject an answer and say where to look."""
import pytest

from rnncore_course import ExerciseFailed


def assert_rejects(check, answer, *where):
    """``check(answer)`` raises ExerciseFailed, and its message contains every string in ``where``."""
    name = check.__name__.removeprefix("check_").replace("_", " ")
    with pytest.raises(ExerciseFailed, match=f"^FAILED {name}: ") as e:
        check(answer)
    for w in where:
        assert w in str(e.value), f"{w!r} not in {str(e.value)!r}"
