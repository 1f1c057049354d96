"""Every hand-derived gradient against central differences (float64)."""
import numpy as np
import pytest

import rnncore as rc
from _cells import CELLS, HAS_C, HOST_BACKENDS, backward, forward, make_params, make_params_off_kinks, relu_inputs


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("cell", CELLS)
def test_bptt_matches_numeric_gradient(cell, backend):
    # relu cells: no relu input within 1e-4 of its kink (re-drawn if need be); tanh cells: seed 1 as drawn
    p = make_params_off_kinks(cell, seed=1)
    rng = np.random.default_rng(2)
    h_seq, h_T, c_T, cache = forward(cell, p, backend)
    # the loss reads every output: the sequence, the final h and (LSTM) the final c
    dh_seq = rng.standard_normal(h_seq.shape)
    dh_T = rng.standard_normal(h_T.shape)
    dc_T = rng.standard_normal(c_T.shape) if cell in HAS_C else None
    grads = backward(cell, dh_seq, cache, dh_T, dc_T)

    def loss():
        h_seq, h_T, c_T, _ = forward(cell, p, backend)
        total = np.sum(h_seq * dh_seq) + np.sum(h_T * dh_T)
        return total + (np.sum(c_T * dc_T) if cell in HAS_C else 0.0)

    for name, value in p.items():
        num = rc.numeric_gradient(loss, value, h=1e-6)
        err = rc.rel_error(num, grads["d" + name])
        assert err < 1e-6, f"{cell}/{backend}: d{name} relative error {err:.1e}"


@pytest.mark.parametrize("cell", ["lstm_relu", "gru_relu"])
def test_relu_gradient_check_sees_both_sides_of_the_kink(cell):
    """The relu gradient checks above mean something: the draw has relu inputs on both
    sides of 0 (so relu' = 0 and relu' = 1 both occur), all at least 1e-4 from it."""
    a = relu_inputs(cell, make_params_off_kinks(cell, seed=1))
    assert (a < 0).sum() >= 3 and (a > 0).sum() >= 3
    assert np.abs(a).min() > 1e-4


def test_gradcheck_catches_a_wrong_gradient():
    """The check must be able to fail: a backward missing the forget-gate path is caught."""
    p = make_params("lstm", seed=3)
    h_seq, _, _, cache = forward("lstm", p, "numpy")
    dh_seq = np.random.default_rng(4).standard_normal(h_seq.shape)
    grads = backward("lstm", dh_seq, cache)
    wrong = grads["dW_hh"].copy()
    wrong[4:8] = 0  # drop the forget gate's rows

    def loss():
        return np.sum(forward("lstm", p, "numpy")[0] * dh_seq)

    num = rc.numeric_gradient(loss, p["W_hh"])
    assert rc.rel_error(num, grads["dW_hh"]) < 1e-6
    assert rc.rel_error(num, wrong) > 1e-2


def test_numeric_gradient_refuses_float32():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        rc.numeric_gradient(lambda: x.sum(), x)


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        rc.rel_error(np.ones(3), np.ones(4))
