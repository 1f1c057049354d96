"""Every public constructor of the Keras-style API, and fit/evaluate/predict, reject bad arguments with a
ValueError or TypeError that names the argument (as Keras does), instead of building silently or
failing later with ZeroDivisionError/OverflowError."""
import numpy as np
import pytest

from rnncore import callbacks, losses, optimizers
from rnncore import layers as L
from rnncore.models import Sequential

CONSTRUCTORS = [
    # (label, call, exception, message)
    ("conv_zero_filters", lambda: L.Conv1D(0, 3), ValueError, "Conv1D: filters must be an integer >= 1, got 0"),
    ("conv_build_shape", lambda: L.Conv1D(4, 3).build((5,)), ValueError,
     r"Conv1D expects input of shape \(batch, steps, channels\).*got \(5,\)"),
    ("conv_negative_filters", lambda: L.Conv1D(-4, 3), ValueError, "Conv1D: filters must be an integer >= 1"),
    ("conv_zero_kernel", lambda: L.Conv1D(4, 0), ValueError, "Conv1D: kernel_size must be an integer >= 1"),
    ("conv_negative_kernel", lambda: L.Conv1D(4, -2), ValueError, "Conv1D: kernel_size must be an integer >= 1"),
    ("conv_zero_strides", lambda: L.Conv1D(4, 3, strides=0), ValueError, "Conv1D: strides must be an integer >= 1"),
    ("conv_float_filters", lambda: L.Conv1D(4.5, 3), TypeError, "Conv1D: filters must be an integer, got 4.5"),
    ("conv_padding", lambda: L.Conv1D(4, 3, padding="causal"), ValueError, "Conv1D: padding must be one of"),
    ("conv_initializer", lambda: L.Conv1D(4, 3, kernel_initializer="xavier"), ValueError,
     "Conv1D: kernel_initializer: unknown initializer 'xavier'"),
    ("pool_zero", lambda: L.MaxPooling1D(0), ValueError, "MaxPooling1D: pool_size must be an integer >= 1, got 0"),
    ("pool_strides", lambda: L.MaxPooling1D(2, strides=0), ValueError, "MaxPooling1D: strides must be"),
    ("pool_padding", lambda: L.MaxPooling1D(2, padding="full"), ValueError, "MaxPooling1D: padding must be one of"),
    ("dense_units_zero", lambda: L.Dense(0), ValueError, "Dense: units must be an integer >= 1, got 0"),
    ("dense_units_str", lambda: L.Dense("3"), TypeError, "Dense: units must be an integer, got '3'"),
    ("dense_activation", lambda: L.Dense(3, activation="swish"), ValueError, "Dense: activation: unknown activation"),
    ("dense_use_bias", lambda: L.Dense(3, use_bias="yes"), TypeError, "Dense: use_bias must be True or False"),
    ("activation", lambda: L.Activation("gelu"), ValueError, "Activation: activation: unknown activation 'gelu'"),
    ("dropout_rate", lambda: L.Dropout(1.0), ValueError, r"Dropout: rate must be in \[0, 1\), got 1.0"),
    ("dropout_rate_type", lambda: L.Dropout("0.5"), TypeError, "Dropout: rate must be a number"),
    ("dropout_noise_shape", lambda: L.Dropout(0.5, noise_shape=3), TypeError, "Dropout: noise_shape must be a tuple"),
    ("masking_value", lambda: L.Masking("pad"), TypeError, "Masking: mask_value must be a number"),
    ("embedding_input_dim", lambda: L.Embedding(0, 3), ValueError, "Embedding: input_dim must be an integer >= 1"),
    ("embedding_output_dim", lambda: L.Embedding(5, -1), ValueError, "Embedding: output_dim must be an integer >= 1"),
    ("embedding_mask_zero", lambda: L.Embedding(5, 3, mask_zero=1), TypeError, "Embedding: mask_zero must be True"),
    ("embedding_input_length", lambda: L.Embedding(5, 3, input_length=0), ValueError,
     "Embedding: input_length must be an integer >= 1"),
    ("lstm_units", lambda: L.LSTM(0), ValueError, "LSTM: units must be an integer >= 1, got 0"),
    ("gru_units_type", lambda: L.GRU(2.0), TypeError, "GRU: units must be an integer, got 2.0"),
    ("rnn_dropout", lambda: L.SimpleRNN(3, dropout=1.5), ValueError, r"SimpleRNN: dropout must be in \[0, 1\)"),
    ("rnn_recurrent_dropout", lambda: L.LSTM(3, recurrent_dropout=-0.1), ValueError,
     r"LSTM: recurrent_dropout must be in \[0, 1\)"),
    ("rnn_return_sequences", lambda: L.LSTM(3, return_sequences="yes"), TypeError,
     "LSTM: return_sequences must be True or False"),
    ("rnn_go_backwards", lambda: L.GRU(3, go_backwards=None), TypeError, "GRU: go_backwards must be True or False"),
    ("rnn_backend", lambda: L.LSTM(3, backend="gpu"), ValueError, "LSTM: backend must be one of 'numpy', 'cpu'"),
    ("rnn_initializer", lambda: L.GRU(3, recurrent_initializer="eye"), ValueError,
     "GRU: recurrent_initializer: unknown initializer 'eye'"),
    ("rnn_unknown_kwarg", lambda: L.SimpleRNN(3, units2=4), TypeError,
     r"SimpleRNN\(\) got unexpected keyword argument\(s\) 'units2'"),
    ("lstm_unit_forget_bias", lambda: L.LSTM(3, unit_forget_bias="no"), TypeError,
     "LSTM: unit_forget_bias must be True or False"),
    ("rnn_cell", lambda: L.RNN("lstm"), TypeError, "RNN: cell must be a SimpleRNNCell, LSTMCell or GRUCell"),
    ("bidirectional_merge", lambda: L.Bidirectional(L.LSTM(3), merge_mode="max"), ValueError,
     "Bidirectional: merge_mode must be one of 'concat', 'sum', 'ave', 'mul', got 'max'"),
    ("bidirectional_layer", lambda: L.Bidirectional(L.Dense(3)), TypeError, "Bidirectional: layer must be RNN"),
    ("bidirectional_backward", lambda: L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3)), ValueError,
     "backward_layer must have go_backwards opposite"),
    ("time_distributed", lambda: L.TimeDistributed(np.tanh), TypeError, "TimeDistributed: layer must be"),
    ("layer_name", lambda: L.Dense(3, name=3), TypeError, "Dense: name must be a string"),
    ("layer_input_shape", lambda: L.Dense(3, input_shape=(0,)), ValueError, "Dense: input_shape must be an integer >= 1"),
    ("layer_input_dim", lambda: L.Dense(3, input_dim="4"), TypeError, "Dense: input_dim must be an integer"),
    ("layer_dtype", lambda: L.Dense(3, dtype="int32"), ValueError, "Dense: dtype must be 'float32' or 'float64'"),
    ("layer_trainable", lambda: L.Dense(3, trainable="no"), TypeError, "Dense: trainable must be True or False"),
    ("layer_seed", lambda: L.Dense(3, seed="0"), TypeError, "Dense: seed must be an integer or None"),
    ("input_shape", lambda: L.Input(), ValueError, "Input: shape is required"),
    ("sequential_layers", lambda: Sequential(L.Dense(3)), TypeError, "Sequential: layers must be a list"),
    ("sequential_dtype", lambda: Sequential(dtype="float16"), ValueError, "Sequential: dtype must be"),
    ("sequential_seed", lambda: Sequential(seed=1.5), TypeError, "Sequential: seed must be an integer"),
    ("sequential_backend", lambda: Sequential(backend="tpu"), ValueError, "unknown backend 'tpu'"),
    ("loss_smoothing", lambda: losses.BinaryCrossentropy(label_smoothing=2), ValueError,
     r"BinaryCrossentropy: label_smoothing must be in \[0, 1\]"),
    ("loss_from_logits", lambda: losses.CategoricalCrossentropy(from_logits="yes"), TypeError,
     "CategoricalCrossentropy: from_logits must be True or False"),
    ("adam_lr_type", lambda: optimizers.Adam(learning_rate="fast"), TypeError, "Adam: learning_rate must be a number"),
    ("adam_lr", lambda: optimizers.Adam(learning_rate=0), ValueError, "Adam: learning_rate must be positive"),
    ("adam_beta", lambda: optimizers.Adam(beta_1=1.0), ValueError, r"Adam: beta_1 must be in \[0, 1\)"),
    ("sgd_momentum", lambda: optimizers.SGD(momentum=-0.5), ValueError, r"SGD: momentum must be in \[0, 1\)"),
    ("sgd_nesterov", lambda: optimizers.SGD(nesterov=1), TypeError, "SGD: nesterov must be True or False"),
    ("rmsprop_epsilon", lambda: optimizers.RMSprop(epsilon=0), ValueError, r"RMSprop: epsilon must be in \(0"),
    ("clipnorm", lambda: optimizers.SGD(clipnorm=-1), ValueError, "SGD: clipnorm must be positive"),
    ("early_patience", lambda: callbacks.EarlyStopping(patience=-1), ValueError, "EarlyStopping: patience must be >= 0"),
    ("early_monitor", lambda: callbacks.EarlyStopping(monitor=None), TypeError, "EarlyStopping: monitor must be a string"),
    ("early_mode", lambda: callbacks.EarlyStopping(mode="up"), ValueError, "EarlyStopping: mode must be 'auto'"),
    ("plateau_factor", lambda: callbacks.ReduceLROnPlateau(factor=2), ValueError, r"ReduceLROnPlateau: factor must be in"),
    ("plateau_patience", lambda: callbacks.ReduceLROnPlateau(patience=1.5), TypeError,
     "ReduceLROnPlateau: patience must be an integer"),
    ("checkpoint_path", lambda: callbacks.ModelCheckpoint(None), TypeError, "ModelCheckpoint: filepath must be a path"),
    ("checkpoint_best_only", lambda: callbacks.ModelCheckpoint("w.npz", save_best_only="yes"), TypeError,
     "ModelCheckpoint: save_best_only must be True or False"),
]


@pytest.mark.parametrize("label,call,exc,message", CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
def test_constructors_name_the_bad_argument(label, call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def _model():
    model = Sequential([L.LSTM(3, input_shape=(4, 2), backend="numpy"), L.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    return model


X = np.zeros((6, 4, 2), np.float32)
Y = np.zeros((6, 1), np.float32)

CALLS = [
    ("fit_epochs_str", lambda m: m.fit(X, Y, epochs="x"), TypeError, "fit: epochs must be an integer, got 'x'"),
    ("fit_epochs_negative", lambda m: m.fit(X, Y, epochs=-1), ValueError, "fit: epochs must be an integer >= 0"),
    ("fit_batch_size", lambda m: m.fit(X, Y, batch_size=0), ValueError, "fit: batch_size must be an integer >= 1"),
    ("fit_batch_size_float", lambda m: m.fit(X, Y, batch_size=2.0), TypeError, "fit: batch_size must be an integer"),
    ("fit_verbose", lambda m: m.fit(X, Y, verbose=3), ValueError, "fit: verbose must be 0"),
    ("fit_shuffle", lambda m: m.fit(X, Y, shuffle="yes"), TypeError, "fit: shuffle must be True or False"),
    ("fit_initial_epoch", lambda m: m.fit(X, Y, initial_epoch=-1), ValueError, "fit: initial_epoch must be"),
    ("fit_validation_split", lambda m: m.fit(X, Y, validation_split=1.5), ValueError,
     r"fit: validation_split must be in \[0, 1\)"),
    ("fit_validation_split_type", lambda m: m.fit(X, Y, validation_split="0.2"), TypeError,
     "fit: validation_split must be a number"),
    ("fit_validation_data", lambda m: m.fit(X, Y, validation_data=X), ValueError, "fit: validation_data must be a tuple"),
    ("fit_sample_weight_shape", lambda m: m.fit(X, Y, sample_weight=np.ones(5)), ValueError,
     r"fit: sample_weight must have shape \(n_samples,\) = \(6,\), got \(5,\)"),
    ("fit_sample_weight_negative", lambda m: m.fit(X, Y, sample_weight=-np.ones(6)), ValueError,
     "fit: sample_weight must be finite and >= 0"),
    ("fit_class_weight", lambda m: m.fit(X, Y, class_weight=[1, 2]), TypeError, "fit: class_weight must be a dict"),
    ("fit_callbacks", lambda m: m.fit(X, Y, callbacks=callbacks.EarlyStopping()), TypeError,
     "fit: callbacks must be a list"),
    ("fit_callback_class", lambda m: m.fit(X, Y, callbacks=[callbacks.EarlyStopping]), TypeError,
     r"fit: callbacks need instances.*EarlyStopping\(\.\.\.\)"),
    ("fit_y_length", lambda m: m.fit(X, Y[:4]), ValueError, "fit: x and y have different numbers of samples: 6 and 4"),
    ("fit_y_nan", lambda m: m.fit(X, np.full((6, 1), np.nan)), ValueError, "fit: y contains NaN"),
    ("fit_y_type", lambda m: m.fit(X, np.array([["a"]] * 6)), TypeError, "fit: y must be numeric"),
    ("fit_x_none", lambda m: m.fit(None, Y), ValueError, "fit needs both inputs and targets"),
    ("fit_x_nan", lambda m: m.fit(np.full((6, 4, 2), np.nan), Y), ValueError, "x contains NaN or inf"),
    ("evaluate_batch_size", lambda m: m.evaluate(X, Y, batch_size=-3), ValueError,
     "evaluate: batch_size must be an integer >= 1"),
    ("evaluate_return_dict", lambda m: m.evaluate(X, Y, return_dict="yes"), TypeError,
     "evaluate: return_dict must be True or False"),
    ("evaluate_sample_weight", lambda m: m.evaluate(X, Y, sample_weight=np.ones((6, 2))), ValueError,
     "evaluate: sample_weight must have shape"),
    ("evaluate_y_missing", lambda m: m.evaluate(X), ValueError, "evaluate needs both inputs and targets"),
    ("predict_batch_size", lambda m: m.predict(X, batch_size=0), ValueError, "predict: batch_size must be an integer >= 1"),
    ("predict_verbose", lambda m: m.predict(X, verbose="loud"), ValueError, "predict: verbose must be 0"),
    ("predict_x_shape", lambda m: m.predict(np.zeros((6, 4))), ValueError, "LSTM expects input of shape"),
    ("compile_metrics", lambda m: m.compile(optimizer="sgd", loss="mse", metrics="f1"), ValueError,
     "unknown metric 'f1'"),
    ("compile_metrics_type", lambda m: m.compile(optimizer="sgd", loss="mse", metrics=3), TypeError,
     "compile: metrics must be a list"),
    ("compile_loss", lambda m: m.compile(optimizer="sgd", loss="hinge"), ValueError, "unknown loss 'hinge'"),
    ("compile_optimizer", lambda m: m.compile(optimizer="nadam", loss="mse"), ValueError, "unknown optimizer 'nadam'"),
    ("set_weights_count", lambda m: m.set_weights([np.zeros((2, 12))]), ValueError,
     "set_weights: the model has 5 weight arrays, got 1"),
    ("set_weights_shape", lambda m: m.set_weights([np.zeros((3, 12))] + m.get_weights()[1:]), ValueError,
     r"weight 'kernel' has shape \(2, 12\), got \(3, 12\)"),
    ("set_weights_nan", lambda m: m.set_weights([np.ones((2, 12)), np.full((3, 12), np.nan)] + m.get_weights()[2:]),
     ValueError, "weight 'recurrent_kernel' contains NaN or inf"),
    ("set_weights_inf", lambda m: m.set_weights(m.get_weights()[:-1] + [np.array([np.inf])]), ValueError,
     "weight 'bias' contains NaN or inf"),
    ("add_return_state", lambda m: m.add(L.GRU(2, return_state=True)), ValueError, "return_state=True"),
]


@pytest.mark.parametrize("label,call,exc,message", CALLS, ids=[c[0] for c in CALLS])
def test_model_methods_name_the_bad_argument(label, call, exc, message):
    with pytest.raises(exc, match=message):
        call(_model())


def test_valid_edge_values_are_accepted():
    """The limits themselves are fine: epochs=0 trains nothing, dropout=0, kernel_size=(3,) as Keras."""
    model = _model()
    w = model.get_weights()
    hist = model.fit(X, Y, epochs=0, verbose=0)
    assert hist.history == {} and all(np.array_equal(a, b) for a, b in zip(w, model.get_weights()))
    assert L.Conv1D(2, (3,), strides=(1,)).kernel_size == 3
    assert L.Dropout(0).rate == 0.0 and L.LSTM(2, dropout=0.0).dropout == 0.0
    assert callbacks.EarlyStopping(patience=0).patience == 0
