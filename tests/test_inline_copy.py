"""rnncore.cpu._inline_copy: Numba's inliner copies a callee's IR with one memo, and the IR that
comes out is the same."""
import hashlib
import io
import os
import re
import subprocess
import sys

import numba
import pytest
from numba import njit, types
from numba.core import inline_closurecall

from rnncore.cpu import _inline_copy, lstm
from rnncore.cpu._math import JIT


def test_installed_where_the_source_is_the_one_checked():
    src = _inline_copy._source()
    known = src is not None and hashlib.sha256(src.encode()).hexdigest() == _inline_copy.CHECKED_SOURCE
    installed = inline_closurecall.InlineWorker.inline_ir is not _inline_copy.ORIGINAL
    assert installed == known, f"numba {numba.__version__}: source checked {known}, change installed {installed}"
    assert _inline_copy.apply() == known           # a second apply changes nothing and says so
    if known:
        assert getattr(inline_closurecall.InlineWorker.inline_ir, "_rnncore_one_memo", False)


def test_another_source_is_left_alone(monkeypatch):
    monkeypatch.setattr(_inline_copy, "CHECKED_SOURCE", "0" * 64)
    assert _inline_copy.one_memo_inline_ir() is None


def test_off_with_the_environment_variable():
    code = ("import rnncore; from numba.core import inline_closurecall as icc; "
            "from rnncore.cpu import _inline_copy; print(icc.InlineWorker.inline_ir is _inline_copy.ORIGINAL)")
    env = dict(os.environ, RNNCORE_NUMBA_INLINE_COPY="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_the_change_is_one_memo_per_copy():
    patched = _inline_copy.one_memo_inline_ir()
    if patched is None:
        pytest.skip(f"numba {numba.__version__}: inline_ir is not the source the change was written for")
    original, changed = (f.__code__ for f in (_inline_copy.ORIGINAL, patched))
    # the same function, whose nested copy_ir now takes a memo: one more local name, same arguments
    assert original.co_varnames == changed.co_varnames and original.co_argcount == changed.co_argcount
    copy_ir = {c.co_name: c for c in changed.co_consts if hasattr(c, "co_name")}["copy_ir"]
    assert "memo" in copy_ir.co_varnames


def _first_difference(what, new, old):
    at = next((i for i, (a, b) in enumerate(zip(new, old)) if a != b), min(len(new), len(old)))
    return (f"{what} of the LSTM's backward rows changed with one memo per copy, from character {at}: "
            f"{new[max(0, at - 80):at + 80]!r} against {old[max(0, at - 80):at + 80]!r}")


def _compiled(inline_ir, monkeypatch):
    """lstm._backward_rows (its step inlined in it: 87 blocks, 977 variables), float32, compiled
    afresh with ``inline_ir`` as Numba's inliner: (typed IR, optimised LLVM IR)."""
    monkeypatch.setattr(inline_closurecall.InlineWorker, "inline_ir", inline_ir)
    kernel = njit(**{k: v for k, v in JIT.items() if k != "cache"})(lstm._backward_rows.py_func)
    A1, A2, A3 = (types.Array(types.float32, n, "C") for n in (1, 2, 3))
    # dh_seq, dh_T, dc_T, gates, c_seq, c0, W_hh_pk, dA, dh0, dc0, db, use_relu
    sig = (A3, A2, A2, A3, A3, A2, A3, A3, A2, A2, A1, types.none)
    kernel.compile(sig)
    cres = kernel.overloads[sig]
    annotation, dump = cres.type_annotation, io.StringIO()
    for label in sorted(annotation.blocks):          # every statement, the inlined ones too
        annotation.blocks[label].dump(file=dump)
    typed = dump.getvalue() + "".join(f"{name}: {ty}\n" for name, ty in sorted(annotation.typemap.items()))
    # Numba's labels and variable versions count up through the process: their digits dropped
    # (and the spaces that aligned them); the LLVM IR with its names made canonical
    return (re.sub(r"\s+", " ", re.sub(r"\d+", "#", typed)),
            _inline_copy.canonical_llvm_ir(cres.library.get_llvm_str()))


def test_canonical_llvm_ir_keeps_what_the_code_does():
    ir = """define i32 @"_ZN5numba3foo12$3cb$3e$2411"(i32 %.1, i32 %arg.x) {
B12.endif.e...if.3:
  %.5 = add i32 %.1, 3
  br label %B12.endif.e...if.3
}"""
    renamed = ir.replace("%.1", "%.17").replace("B12.endif.e...if.3", "B9.endif.endif.3").replace("$2411", "$2412")
    assert _inline_copy.canonical_llvm_ir(renamed) == _inline_copy.canonical_llvm_ir(ir)      # names only
    for changed in (ir.replace("3\n", "4\n"), ir.replace("%.1, 3", "%arg.x, 3"), ir.replace("add", "sub")):
        assert _inline_copy.canonical_llvm_ir(changed) != _inline_copy.canonical_llvm_ir(ir)   # constants, operands, ops


def test_the_inlined_kernel_is_the_same(monkeypatch):
    patched = _inline_copy.one_memo_inline_ir()
    if patched is None:
        pytest.skip(f"numba {numba.__version__}: inline_ir is not the source the change was written for")
    typed, llvm = _compiled(patched, monkeypatch)
    typed_before, llvm_before = _compiled(_inline_copy.ORIGINAL, monkeypatch)
    assert "_backward_step_v#_" in typed and "act_c" in typed   # the step's variables: inlined into its rows
    # compared outside the assert: pytest's own diff of two 500 kB strings takes minutes
    same_typed, same_llvm = typed == typed_before, llvm == llvm_before
    assert same_typed, _first_difference("Numba's typed IR", typed, typed_before)
    assert same_llvm, _first_difference("the optimised LLVM IR", llvm, llvm_before)
