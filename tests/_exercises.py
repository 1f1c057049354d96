"""Shared by the wrong-answer tests (tests/test_wrong_answers_nb*.py).

A check must accept a right answer, printing its one PASSED line, and reject each known-wrong answer
with ExerciseFailed, its message naming the check and saying where to look. The tables of
``(wrong answer, where)`` that :func:`rejects_each` takes look alike from file to file; each row is
a different mistake and a different message, so they stay.
"""
import contextlib
import io
import re

import pytest

from rnncore_course import ExerciseFailed


def _label(check):
    """The name a check's PASSED/FAILED line gives it: ``check_one_hot_iupac`` -> ``one hot iupac``."""
    return check.__name__.removeprefix("check_").replace("_", " ")


def assert_accepts(check, *answers):
    """``check(answer)`` passes for each answer, and prints nothing but its PASSED line."""
    for answer in answers:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            check(answer)
        assert out.getvalue().strip() == f"PASSED {_label(check)}"


def _rejection(check, answer):
    with pytest.raises(ExerciseFailed, match=f"^FAILED {re.escape(_label(check))}: ") as e:
        check(answer)
    return str(e.value)


def assert_rejects(check, answer, *where):
    """``check(answer)`` raises ExerciseFailed, and its message contains every string in ``where``."""
    message = _rejection(check, answer)
    for w in where:
        assert w in message, f"{w!r} not in {message!r}"


def assert_rejects_matching(check, answer, pattern):
    """``check(answer)`` raises ExerciseFailed, and the regular expression ``pattern`` is found in its message."""
    message = _rejection(check, answer)
    assert re.search(pattern, message), f"{pattern!r} not found in {message!r}"


def _case_ids(cases):
    """Each case's answer's name, or its ``where`` when that name is not unique (a lambda, answers from one maker)."""
    names = [getattr(answer, "__name__", "<lambda>") for answer, _ in cases]
    return [name if names.count(name) == 1 and name != "<lambda>" else where
            for name, (_, where) in zip(names, cases)]


def rejects_each(check, cases, regex=False):
    """A test that ``check`` rejects every wrong answer in ``cases``, a list of ``(answer, where)``.

    ``where`` is text the message must contain, or with ``regex`` a regular expression it must match.
    Assign the result to a ``test_...`` name; the test is parametrised over the cases, each case named
    after its answer (or after ``where``), so a failure names the wrong answer.
    """
    assert_one = assert_rejects_matching if regex else assert_rejects

    @pytest.mark.parametrize("wrong, where", cases, ids=_case_ids(cases))
    def test(wrong, where):
        assert_one(check, wrong, where)

    return test


def stub(*args):
    """An unwritten answer, as the exercise notebooks hand it out."""
    raise NotImplementedError


def assert_rejects_non_answers(check, none_says=""):
    """``check`` says a stub is not written yet, and rejects an answer that returns None, saying ``none_says``."""
    assert_rejects(check, stub, "not implemented")
    assert_rejects(check, lambda *args: None, none_says)
