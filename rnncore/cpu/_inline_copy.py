"""Numba's inliner copies a function's IR once, not once per block.

Every step and rows function of the CPU kernels is compiled with ``inline="always"``
(``_common.INLINE_ROWS``, ``INLINE_STEPS``): Numba copies the callee's IR into the caller.
``InlineWorker.inline_ir`` (numba/core/inline_closurecall.py) makes that copy block by
block, each block with a ``copy.deepcopy`` of its own, so with a memo of its own. Every
variable refers to the function's scope, and the scope holds every variable: each block's
copy copies all the variables of the function again, blocks x variables in all. The LSTM's
``_backward_rows``, with its step inlined, has 87 blocks and 977 variables, and inlining it
took 0.55 to 0.70 s; the deep copies of a cold LSTM forward and backward took 1.7 to 2.1 s
of its 10 to 12 CPU s (2026-12-04, the 2-core AMD EPYC VM of benchmarks/README.md).
Numba's maintainers know it (numba/numba#8989, open since 2023; NVIDIA/numba-cuda#689).

Here the same ``inline_ir``, with one change: one memo for all the blocks of one copy, as a
single ``copy.deepcopy`` of the whole function would use. The copy holds the same statements
and variables, with one scope shared by its blocks as in the function copied. The IR that comes
out of the inliner is the same (``tests/test_inline_copy.py`` compiles a kernel both ways and
compares Numba's typed IR and the optimised LLVM IR). Measured (benchmarks/bench_inline_copy.py,
each driver compiled afresh both ways in turn, CPU s, medians of 5, two runs): the LSTM's and GRU's
backward drivers 0.61x to 0.76x of the time, their forward drivers 0.76x to 0.80x, all eight
18.0 -> 14.3 and 20.9 -> 16.7, and the same LLVM IR in every round of the second. Only a Numba
whose ``inline_ir`` source is the one read here (the same text in every release from 0.61.2 to
0.68.1 that was read) is changed; any other is left alone.
``RNNCORE_NUMBA_INLINE_COPY=0`` leaves Numba as it is.

The change applies to the whole process, so to any Numba code compiled in it, not only
rnncore's: the copy it makes is the one Numba meant, made once.
"""
import hashlib
import inspect
import os
import re
import textwrap

from numba.core import inline_closurecall

ORIGINAL = inline_closurecall.InlineWorker.inline_ir

# sha256 of ``textwrap.dedent(inspect.getsource(InlineWorker.inline_ir))``, the same in the wheels
# of Numba 0.61.2, 0.62.1, 0.63.1, 0.64.0, 0.65.1, 0.66.0, 0.67.0 and 0.68.1 (rnncore allows 0.61 to 0.68)
CHECKED_SOURCE = "a16b53c6f9e858e6acbd54f71eaad377dbe552fab09acc9124f558d07f86567a"

_PER_BLOCK = "new_block = copy.deepcopy(the_ir.blocks[block_label])"
_ONE_MEMO = "new_block = copy.deepcopy(the_ir.blocks[block_label], memo)"
_NEW_BLOCKS = "kernel_copy.blocks = {}"


def _source():
    try:
        return textwrap.dedent(inspect.getsource(ORIGINAL))
    except (OSError, TypeError):    # no source installed: nothing to check it against
        return None


def one_memo_inline_ir():
    """``InlineWorker.inline_ir`` with one memo per copy of the callee, or None where this
    Numba's ``inline_ir`` is not the source this change was written for."""
    src = _source()
    if src is None or hashlib.sha256(src.encode()).hexdigest() != CHECKED_SOURCE:
        return None
    indent = src.split(_NEW_BLOCKS)[0].rsplit("\n", 1)[1]
    src = src.replace(_NEW_BLOCKS, f"{_NEW_BLOCKS}\n{indent}memo = {{}}", 1).replace(_PER_BLOCK, _ONE_MEMO, 1)
    namespace = {}
    exec(compile(src, "<rnncore.cpu._inline_copy: InlineWorker.inline_ir, one memo per copy>", "exec"),
         vars(inline_closurecall), namespace)
    inline_ir = namespace["inline_ir"]
    inline_ir.__qualname__ = ORIGINAL.__qualname__
    inline_ir.__doc__ = ORIGINAL.__doc__
    return inline_ir


def apply():
    """Install ``one_memo_inline_ir`` (once; not with RNNCORE_NUMBA_INLINE_COPY=0). Returns
    whether Numba's inliner now copies with one memo."""
    if inline_closurecall.InlineWorker.inline_ir is not ORIGINAL:
        return getattr(inline_closurecall.InlineWorker.inline_ir, "_rnncore_one_memo", False)
    if os.environ.get("RNNCORE_NUMBA_INLINE_COPY", "1") == "0":
        return False
    inline_ir = one_memo_inline_ir()
    if inline_ir is None:
        return False
    inline_ir._rnncore_one_memo = True
    inline_closurecall.InlineWorker.inline_ir = inline_ir
    return True


_LABEL = re.compile(r"^([-\w.$]+):", re.M)
_LOCAL = re.compile(r'%(?:"[^"]*"|[-\w.$]+)')
_GLOBAL = re.compile(r'@(?:"[^"]*"|[-\w.$]+)')
_STRING = re.compile(r'\[\d+ x i8\] c"([^"]*)"')


def canonical_llvm_ir(text):
    """LLVM IR with its local names (values and block labels) renamed in order of first
    appearance, the digits of its global names and strings set aside, and runs of spaces made one: what
    two compiles of the same function in one process share. Numba's block labels, variable
    versions and function ids count up through a process, and LLVM cuts long block names short
    at a length that depends on how many digits they hold, so the raw text of the same code
    differs between compiles. For comparing the code two inliners produce
    (``tests/test_inline_copy.py``, ``benchmarks/bench_inline_copy.py``)."""
    text = _LABEL.sub(r"%\1:", text)
    names = {}
    text = _LOCAL.sub(lambda m: names.setdefault(m.group(0), f"%v{len(names)}"), text)
    text = _GLOBAL.sub(lambda m: re.sub(r"\d+", "#", m.group(0)), text)
    # strings (error messages) name functions by their ids too, and their length with them
    text = _STRING.sub(lambda m: '[# x i8] c"' + re.sub(r"\d+", "#", m.group(1)) + '"', text)
    return re.sub(r"\s+", " ", text)
