"""One line on screen while the CPU kernels compile, so a cell that takes
half a minute the first time is not mistaken for a hung one."""
import os
import sys
import threading
from contextlib import contextmanager

# Seconds a first call may take before the line is printed: a warm call (kernels
# loaded from Numba's cache) takes well under this; a compile takes several seconds.
DELAY = 1.5
_seen = set()


@contextmanager
def compile_notice(what):
    """Around the first call of ``what`` in this process: print one line to stderr if
    it is still running after DELAY seconds (Numba is compiling). Later calls: nothing.
    ``RNNCORE_COMPILE_NOTICE=0`` turns the line off (the tests do: see conftest.py)."""
    if what in _seen or os.environ.get("RNNCORE_COMPILE_NOTICE") == "0":
        yield
        return
    _seen.add(what)
    timer = threading.Timer(DELAY, lambda: print(
        f"rnncore: compiling the CPU kernels for {what} (once per machine, then cached)...",
        file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
