"""Every backend module has the interface CONTRIBUTING.md documents (the same arguments in
the same order), so that rnncore.functional can hand any of them the same call."""
import inspect

import pytest

import rnncore.functional as F
from rnncore._validation import BACKENDS

# CONTRIBUTING.md, "Backend module interface": the leading arguments of forward and backward
FORWARD = {
    "rnn": ["x", "W_ih", "W_hh", "b_ih", "b_hh", "h0", "nonlinearity"],
    "lstm": ["x", "W_ih", "W_hh", "b_ih", "b_hh", "h0", "c0", "activation"],
    "gru": ["x", "W_ih", "W_hh", "b_ih", "b_hh", "h0", "activation"],
    "peephole": ["x", "W_ih", "W_hh", "b_ih", "b_hh", "w_peep", "h0", "c0"],
}
BACKWARD = {"rnn": ["dh_seq", "data", "dh_T"], "gru": ["dh_seq", "data", "dh_T"],
            "lstm": ["dh_seq", "data", "dh_T", "dc_T"], "peephole": ["dh_seq", "data", "dh_T", "dc_T"]}
MODULES = [(b, c) for b in BACKENDS for c in FORWARD if not (b == "cuda" and c == "peephole")]


def _params(fn):
    return list(inspect.signature(fn).parameters)


@pytest.mark.parametrize("backend, cell", MODULES)
def test_backend_module_interface(backend, cell):
    mod = F._backend(backend, cell)
    assert mod.__name__.endswith(f".{cell}")
    fwd = _params(mod.forward)
    assert fwd[:len(FORWARD[cell])] == FORWARD[cell], (mod.__name__, fwd)
    assert fwd[len(FORWARD[cell])] == "keep_cache", (mod.__name__, fwd)
    assert inspect.signature(mod.forward).parameters["keep_cache"].default is True
    bwd = _params(mod.backward)[:len(BACKWARD[cell])]
    bwd[1] = "data" if bwd[1] == "caches" else bwd[1]      # the reference calls its data "caches"
    assert bwd == BACKWARD[cell], (mod.__name__, bwd)


def test_public_peephole_order_matches_the_backends():
    """The documented order: peephole_lstm_forward(x, W_ih, W_hh, b_ih, b_hh, w_peep, h0, c0, ...)."""
    assert _params(F.peephole_lstm_forward)[:8] == FORWARD["peephole"]


def test_backends_are_listed_once():
    """The functional API and its error messages take the backends from one tuple."""
    assert F.v.BACKENDS is BACKENDS
    with pytest.raises(ValueError, match="expected one of " + ", ".join(map(repr, BACKENDS))):
        F.rnn_forward([[[0.0]]], [[0.0]], [[0.0]], [0.0], [0.0], backend="gpu")
