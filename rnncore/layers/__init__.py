"""Keras-style layers on rnncore's own kernels, each with a hand-written backward pass.

The package is laid out as Keras' ``keras.layers``:

* :mod:`.base`: the :class:`Layer` protocol (build / forward / backward / get_weights), ``Input``;
* :mod:`.core`: Dense, Activation, Dropout, Flatten, Masking, Embedding;
* :mod:`.conv` and :mod:`.pooling`: Conv1D, MaxPooling1D, GlobalMax/AveragePooling1D;
* :mod:`.recurrent`: the :class:`RNN` layer and its cells (SimpleRNN, LSTM, GRU);
* :mod:`.wrappers`: Bidirectional and TimeDistributed.

Weights are in Keras' layout and order, so ``layer.set_weights(keras_layer.get_weights())``
gives the same layer; the recurrent kernels underneath use PyTorch's layout
(:mod:`rnncore.functional`), and the cells translate.
"""
from .attention import AttentionPooling
from .base import Input, InputLayer, Layer, inference, input_ndim_message
from .conv import Conv1D
from .core import Activation, Dense, Dropout, Embedding, Flatten, Masking
from .pooling import GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from .wrappers import Bidirectional, TimeDistributed

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Masking", "Embedding",
           "TimeDistributed", "Conv1D", "MaxPooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
           "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
           "inference"]
__all__ += ["AttentionPooling"]
