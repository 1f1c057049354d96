"""The pages of large arrays, kept for the next array of the same size instead of given back.

A training step allocates the same large arrays every time (the gates kept for backward and
their gradients, (B, T, G*H) each; the outputs and cell states, (B, T, H)) and frees them at its
end. Below 32 MB glibc's heap keeps freed blocks for the next allocation (``_malloc``). Above it
every block is a mapping of its own, given back to the OS when freed, and the next one's pages
come back fresh: the kernel zeroes each one at its first write. At (128, 500, 4, 256) the LSTM's
training forward writes 390 MB of such pages per call.

Raising glibc's thresholds so that its heap kept these blocks too (``mallopt``, 512 MB and 1 GB)
made that training forward 0.87 to 0.91 of its time, but the heap, cut into holes that the next
step's blocks did not fit, grew: peak memory 1247 instead of 872 MB. So rnncore keeps the pages
itself, of its own arrays of at least ``MIN_BYTES`` only: :func:`empty` takes a private anonymous
mapping of the same size from the kept ones (or maps a new one) and returns an array over it;
when the last array or view over that memory is gone, the mapping goes back to the kept ones,
the most recently freed last; past ``KEEP_BYTES`` in all the oldest are let go (unmapped).
Reuse is as safe as freeing: every NumPy view of the array holds its owner, and the owner's
finalizer runs only when nothing holds it. The bits of every result are the same either way
(the kernels write these arrays before they read them). Measured at (128, 500, 4, 256), float32,
2-core Zen 5 VM (``benchmarks/bench_ab.py``, alternating fresh processes, 3 pairs, medians of the
ratios new / old, ``results_ab_reuse_pages.json``): the training forward took 0.84 of its time
(LSTM), 0.85 (GRU), 0.79 (peephole LSTM), 0.87 (RNN); the GRU's and RNN's backward 0.87 and 0.91;
the same bits. A training step of the LSTM there kept the same peak memory (880 MB): the mappings
kept are those the next step takes. Smaller arrays do not come here, and their times did not move.

``RNNCORE_REUSE_PAGES=0`` turns it off (plain ``np.empty``); :func:`release` lets every kept
mapping go. Where ``mmap`` has no anonymous private mappings (Windows), arrays are plain.
"""
import ctypes
import math
import mmap
import os
import threading
import weakref

import numpy as np

from ._malloc import MMAP_THRESHOLD

MIN_BYTES = MMAP_THRESHOLD              # below this, glibc's heap keeps freed blocks (``_malloc``)
KEEP_BYTES = 1024 * 1024 * 1024       # mappings kept for reuse, at most, in all
_FLAGS = getattr(mmap, "MAP_PRIVATE", None), getattr(mmap, "MAP_ANONYMOUS", None)
_kept = []                            # [(size in bytes, mmap)], the most recently freed last
_lock = threading.Lock()


def enabled():
    return os.environ.get("RNNCORE_REUSE_PAGES", "") != "0" and None not in _FLAGS


def empty(shape, dtype):
    """Like ``np.empty(shape, dtype)`` (C order); an array of ``MIN_BYTES`` or more lies in a kept
    mapping of its size where there is one."""
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes < MIN_BYTES or not enabled():
        return np.empty(shape, dtype)
    size = -(-nbytes // mmap.PAGESIZE) * mmap.PAGESIZE
    mapping = None
    with _lock:
        for k in range(len(_kept) - 1, -1, -1):
            if _kept[k][0] == size:
                mapping = _kept.pop(k)[1]
                break
    if mapping is None:
        # private: a forked child gets its own copy on write, never the parent's pages
        mapping = mmap.mmap(-1, size, flags=_FLAGS[0] | _FLAGS[1])
    owner = (ctypes.c_char * size).from_buffer(mapping)
    weakref.finalize(owner, _give_back, mapping, size).atexit = False
    return np.frombuffer(owner, dtype=dtype, count=count).reshape(shape)


def _give_back(mapping, size):
    """The owner of ``mapping`` is gone, and with it every array over it: keep the mapping, and let
    the oldest kept ones go past KEEP_BYTES (an mmap unmaps when its last reference goes; closing it
    here could find the owner's buffer export not yet released)."""
    with _lock:
        _kept.append((size, mapping))
        total = sum(s for s, _ in _kept)
        while total > KEEP_BYTES:
            total -= _kept.pop(0)[0]


def kept_bytes():
    """Bytes of mappings kept for reuse now."""
    with _lock:
        return sum(s for s, _ in _kept)


def release():
    """Let every kept mapping go: the memory goes back to the OS, and the next large array's pages
    are fresh again."""
    with _lock:
        _kept.clear()
