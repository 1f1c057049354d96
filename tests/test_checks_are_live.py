"""Every exercise check, in every notebook, rejects answers that are not answers.

The checks are discovered by introspection (every ``check_*`` made by
``exercise_check`` in an ``rnncore_course.nb*`` module), so a new check is
covered without editing this file. A check that was turned into a no-op, or
that calls the answer but never compares its result, fails here.
"""
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import rnncore_course
from rnncore_course import ExerciseFailed


def _checks():
    found = []
    for mod in pkgutil.iter_modules(rnncore_course.__path__):
        if not mod.name.startswith("nb"):
            continue
        module = importlib.import_module(f"rnncore_course.{mod.name}")
        for name, obj in vars(module).items():
            if name.startswith("check_") and callable(obj) and hasattr(obj, "__wrapped__") \
                    and obj.__module__ == module.__name__:
                found.append(pytest.param(obj, id=f"{mod.name[:4]}.{name}"))
    return found


CHECKS = _checks()


def test_every_notebook_module_has_checks():
    # one check module per exercise notebook in solutions/ (nbNN for NN_*_exercises.ipynb)
    solutions = Path(__file__).resolve().parents[1] / "solutions"
    expected = {f"nb{p.name[:2]}" for p in solutions.glob("[0-9][0-9]_*_exercises.ipynb")}
    modules = {p.id.split(".")[0] for p in CHECKS}
    assert modules == expected and len(CHECKS) >= 3 * len(expected), sorted(modules ^ expected)


def not_written(*args, **kwargs):
    raise NotImplementedError("exercise: write your code here")


def returns_none(*args, **kwargs):
    return None


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("answer", [not_written, returns_none], ids=["stub", "None"])
def test_check_rejects_a_non_answer(check, answer, capsys):
    with pytest.raises(ExerciseFailed, match="^FAILED "):
        check(answer)
    assert "PASSED" not in capsys.readouterr().out


# Answers of the right type and shape whose values are all zeros: a check that looks
# at shapes only would pass them. One entry per check whose output shape is known
# from its arguments; the rest are covered by the two answers above.
def _zeros_like_first(*args, **kwargs):
    return np.zeros_like(np.asarray(args[0], dtype=float))


def _zero_grads(keys, shapes):
    return {k: np.zeros(s) for k, s in zip(keys, shapes)}


ZEROS = {
    "check_rnn_step": lambda x_t, h_prev, *a, **k: np.zeros_like(h_prev),
    "check_stacked_rnn_forward": lambda x, layers: (np.zeros(x.shape[:2] + (layers[0][1].shape[0],)),
                                                    np.zeros((len(layers), x.shape[0], layers[0][1].shape[0]))),
    "check_birnn_forward": lambda x, fwd, bwd: (np.zeros(x.shape[:2] + (2 * fwd[1].shape[0],)),
                                                np.zeros((2, x.shape[0], fwd[1].shape[0]))),
    "check_relu_step_backward": lambda dh_t, x_t, h_prev, h_t, W_ih, W_hh: (
        np.zeros_like(x_t), np.zeros_like(h_prev), np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])),
    "check_relu_rnn_backward": lambda dh_seq, dh_T, x, h0, h_seq, W_ih, W_hh: {
        "dx": np.zeros_like(x), "dh0": np.zeros_like(h0), "dW_ih": np.zeros_like(W_ih), "dW_hh": np.zeros_like(W_hh),
        "db_ih": np.zeros(W_hh.shape[0]), "db_hh": np.zeros(W_hh.shape[0])},
    "check_tbptt_gradients": lambda x, dh_seq, W_ih, W_hh, b_ih, b_hh, k: {
        "dW_ih": np.zeros_like(W_ih), "dW_hh": np.zeros_like(W_hh), "db_ih": np.zeros_like(b_ih),
        "db_hh": np.zeros_like(b_hh)},
    "check_input_projection": lambda x, W_ih, b_ih: np.zeros(x.shape[:2] + (W_ih.shape[0],), dtype=x.dtype),
    "check_lstm_pointwise_kernel": lambda a, c_prev: (np.zeros_like(c_prev), np.zeros_like(c_prev)),
    "check_matmul_kernel": lambda A, B: np.zeros((A.shape[0], B.shape[1])),
    "check_lstm_step_forward": lambda x_t, h_prev, c_prev, *a: (np.zeros_like(h_prev), np.zeros_like(c_prev)),
    "check_cifg_step_forward": lambda x_t, h_prev, c_prev, *a: (np.zeros_like(h_prev), np.zeros_like(c_prev)),
    "check_peephole_step_forward": lambda x_t, h_prev, c_prev, *a: (np.zeros_like(h_prev), np.zeros_like(c_prev)),
    "check_gru_step_forward": lambda x_t, h_prev, *a: np.zeros_like(h_prev),
    "check_cho_gru_step_forward": lambda x_t, h_prev, *a: np.zeros_like(h_prev),
    "check_scale_to_spectral_radius": _zeros_like_first,
    "check_rnn_jacobian": lambda h, *a: np.zeros((len(h), len(h))),
    "check_flip_flop_targets": _zeros_like_first,
    "check_masked_softmax": _zeros_like_first,
    "check_attention_forward": lambda h, W, b, v, mask: (np.zeros(h.shape[::2]), np.zeros(h.shape[:2])),
    "check_attention_backward": lambda dcontext, h, W, b, v, mask: (
        np.zeros_like(h), np.zeros_like(W), np.zeros_like(b), np.zeros_like(v)),
}


@pytest.mark.parametrize("check", [p for p in CHECKS if p.values[0].__name__ in ZEROS])
def test_check_rejects_zeros_of_the_right_shape(check, capsys):
    with pytest.raises(ExerciseFailed, match="^FAILED "):
        check(ZEROS[check.__name__])
    assert "PASSED" not in capsys.readouterr().out


def test_the_zeros_table_names_real_checks():
    names = {p.values[0].__name__ for p in CHECKS}
    assert set(ZEROS) <= names, set(ZEROS) - names
