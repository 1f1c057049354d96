"""The one-line compile notice (rnncore/cpu/_notice.py): shown when a first call is slow, off with
RNNCORE_COMPILE_NOTICE=0 (the test runs set it, see conftest.py)."""
import time

from rnncore.cpu import _notice


def _slow_first_call(monkeypatch, capsys, what, env):
    monkeypatch.setattr(_notice, "DELAY", 0.05)
    if env is None:
        monkeypatch.delenv("RNNCORE_COMPILE_NOTICE", raising=False)
    else:
        monkeypatch.setenv("RNNCORE_COMPILE_NOTICE", env)
    with _notice.compile_notice(what):
        time.sleep(0.3)
    return capsys.readouterr().err


def test_a_slow_first_call_prints_one_line(monkeypatch, capsys):
    err = _slow_first_call(monkeypatch, capsys, "test cell A (float32)", None)
    assert err.strip() == ("rnncore: compiling the CPU kernels for test cell A (float32) "
                           "(once per machine, then cached)...")
    # the second call of the same thing: nothing
    assert _slow_first_call(monkeypatch, capsys, "test cell A (float32)", None) == ""


def test_the_notice_can_be_turned_off(monkeypatch, capsys):
    assert _slow_first_call(monkeypatch, capsys, "test cell B (float32)", "0") == ""
