"""rnncore: recurrent neural networks from the equations up.

RNN, LSTM and GRU forward and backward passes written three ways that agree:
a NumPy reference to read (``backend="numpy"``), Numba CPU kernels to train
with (``backend="cpu"``, the default) and Numba CUDA kernels (``backend="cuda"``).
"""
from .functional import (Cache, gru_backward, gru_forward, lstm_backward, lstm_forward,
                         peephole_lstm_backward, peephole_lstm_forward, rnn_backward, rnn_forward)
from .gradcheck import check_gradients, numeric_gradient, rel_error
from .reference.gru import step_backward as gru_step_backward
from .reference.gru import step_forward as gru_step_forward
from .reference.lstm import step_backward as lstm_step_backward
from .reference.lstm import step_forward as lstm_step_forward
from .reference.rnn import step_backward as rnn_step_backward
from .reference.rnn import step_forward as rnn_step_forward

__version__ = "0.1.0"

__all__ = [
    "Cache", "rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward",
    "gru_backward", "peephole_lstm_forward", "peephole_lstm_backward", "rnn_step_forward",
    "rnn_step_backward", "lstm_step_forward", "lstm_step_backward", "gru_step_forward",
    "gru_step_backward", "rel_error", "numeric_gradient", "check_gradients",
]
