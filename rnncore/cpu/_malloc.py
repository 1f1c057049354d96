"""Keep freed memory for the next call instead of returning it to the OS (glibc only).

Every training step allocates the same large arrays (the gates kept for backward,
their gradients dA, (B, T, 4H) each) and frees them at its end. glibc's malloc
gives a freed block back to the OS once more than its trim threshold is free at
the top of the heap (about twice the largest block freed so far, 6.6 MB for the
3.3 MB gates of an LSTM (32, 100, 4, 64)), so the next step touches fresh pages
again, one page fault per 4 KB. Measured there (AMD EPYC, 2-core VM, where a page
fault is dear): forward + backward 13.8 to 16.3 ms, of which about 5 ms page faults;
9.6 to 11.0 ms with the thresholds below (benchmarks/README.md).

So on import of the CPU backend rnncore sets glibc's ``M_MMAP_THRESHOLD`` to 32 MB
(what glibc's own adaptive threshold reaches at most) and ``M_TRIM_THRESHOLD`` to
128 MB: a process keeps up to 128 MB of freed heap for reuse. This is process-wide.
It is skipped where the C library is not glibc, where the user set either threshold
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``), and with
``RNNCORE_MALLOPT=0``. Arrays above the mmap threshold are rnncore's own business: ``_reuse``.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # glibc's malloc.h
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 128 * 1024 * 1024
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory():
    """Set the two thresholds (see the module docstring). True if they were set."""
    if os.environ.get("RNNCORE_MALLOPT") == "0" or any(k in os.environ for k in _USER_SETTINGS):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # M_MMAP_THRESHOLD first: setting either one turns glibc's adaptive mmap threshold
    # off, and without it every block over 128 KB would be a fresh mmap (faults each time)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
