"""PyTorch interop: a state_dict of nn.LSTM/GRU/RNN + nn.Linear loads into Sequential and gives the same predictions.

The layers hold Keras' parameters: SimpleRNN and LSTM have one bias, so import stores
``bias_ih + bias_hh`` (only the sum enters the cell) and export writes it as ``bias_ih`` with
``bias_hh = 0``; the GRU keeps both (Keras' (2, 3H) bias), in Keras' gate order z, r, h.
"""
import numpy as np
import pytest
import torch

from rnncore import layers as L
from rnncore.models import Sequential


class TorchNet(torch.nn.Module):
    def __init__(self, kind, D, H, out, num_layers=1, bidirectional=False, **kw):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(D, H, num_layers=num_layers, batch_first=True,
                                           bidirectional=bidirectional, **kw)
        self.fc = torch.nn.Linear(H * (2 if bidirectional else 1), out)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.fc(h[:, -1])


def _rec(kind, H, **kw):
    return {"LSTM": L.LSTM, "GRU": L.GRU, "RNN": L.SimpleRNN}[kind](H, **kw)


@pytest.mark.parametrize("kind,kw", [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"})])
def test_load_state_dict_matches_torch(kind, kw):
    torch.manual_seed(0)
    B, T, D, H = 4, 7, 3, 5
    net = TorchNet(kind, D, H, 2, **kw).double()
    x = np.random.default_rng(0).standard_normal((B, T, D))
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    act = {"activation": kw["nonlinearity"]} if kind == "RNN" else {}
    model = Sequential([_rec(kind, H, input_shape=(T, D), **act), L.Dense(2)], dtype="float64", backend="numpy")
    model.build()
    model.load_torch_state_dict(net.state_dict())
    np.testing.assert_allclose(model.predict(x), ref, rtol=1e-10, atol=1e-12)

    # export back: a fresh torch module loads our weights and reproduces our predictions
    sd = model.torch_state_dict(prefixes=["rnn", "fc"])
    theirs = {k: v.numpy() for k, v in net.state_dict().items()}
    if kind == "GRU":          # two biases, as Keras' reset_after GRU: both round-trip unchanged
        for k in theirs:
            np.testing.assert_allclose(sd[k], theirs[k], rtol=1e-15, err_msg=k)
    else:                      # one bias: the sum, exported as bias_ih with bias_hh = 0
        np.testing.assert_allclose(sd["rnn.bias_ih_l0"], theirs["rnn.bias_ih_l0"] + theirs["rnn.bias_hh_l0"],
                                   rtol=1e-15)
        assert np.all(sd["rnn.bias_hh_l0"] == 0)
        assert model.layers[0].count_params() == theirs["rnn.weight_ih_l0"].size + theirs["rnn.weight_hh_l0"].size + \
            theirs["rnn.bias_ih_l0"].size
    net2 = TorchNet(kind, D, H, 2, **kw).double()
    net2.load_state_dict(model.torch_state_dict(prefixes=["rnn", "fc"], as_torch=True))
    with torch.no_grad():
        np.testing.assert_allclose(net2(torch.from_numpy(x)).numpy(), ref, rtol=1e-10, atol=1e-12)


def test_stacked_bidirectional_lstm_float32_cpu():
    torch.manual_seed(1)
    B, T, D, H = 3, 6, 4, 5
    net = TorchNet("LSTM", D, H, 3, num_layers=2, bidirectional=True)
    x = np.random.default_rng(1).standard_normal((B, T, D)).astype(np.float32)
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    # torch's head reads the last step; TimeDistributed(Dense) then [:, -1] is the same map
    model = Sequential([L.Bidirectional(L.LSTM(H, return_sequences=True), input_shape=(T, D)),
                        L.Bidirectional(L.LSTM(H, return_sequences=True)),
                        L.TimeDistributed(L.Dense(3))], backend="cpu")
    model.build()
    model.load_torch_state_dict(net.state_dict())
    out = model.predict(x)[:, -1]
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    sd = model.torch_state_dict(prefixes=["rnn", "rnn", "fc"])
    theirs = {k: v.numpy() for k, v in net.state_dict().items()}
    assert set(sd) == set(theirs)
    for k, v in theirs.items():
        if "bias_ih" in k:
            np.testing.assert_allclose(sd[k], v + theirs[k.replace("bias_ih", "bias_hh")], rtol=1e-6, err_msg=k)
        elif "bias_hh" in k:
            assert np.all(sd[k] == 0), k
        else:
            np.testing.assert_array_equal(sd[k], v, err_msg=k)
    net2 = TorchNet("LSTM", D, H, 3, num_layers=2, bidirectional=True)
    net2.load_state_dict(model.torch_state_dict(prefixes=["rnn", "rnn", "fc"], as_torch=True))
    with torch.no_grad():
        np.testing.assert_allclose(net2(torch.from_numpy(x)).numpy(), ref, rtol=1e-4, atol=1e-5)


def test_conv1d_matches_torch():
    torch.manual_seed(2)
    conv = torch.nn.Conv1d(4, 6, kernel_size=5, padding=2).double()
    x = np.random.default_rng(2).standard_normal((2, 9, 4))
    layer = L.Conv1D(6, 5, padding="same", dtype="float64")
    layer.build((9, 4))
    layer.load_torch_state_dict(conv.state_dict())
    with torch.no_grad():
        ref = conv(torch.from_numpy(x.transpose(0, 2, 1))).numpy().transpose(0, 2, 1)
    np.testing.assert_allclose(layer.forward(x), ref, rtol=1e-10, atol=1e-12)


def test_state_dict_mismatch_errors():
    net = TorchNet("LSTM", 3, 5, 2)
    model = Sequential([L.LSTM(4, input_shape=(7, 3)), L.Dense(2)])
    model.build()
    with pytest.raises(ValueError, match="hidden_size=4"):
        model.load_torch_state_dict(net.state_dict())
    model = Sequential([L.GRU(5, input_shape=(7, 3)), L.Dense(2), L.Dense(2)])
    model.build()
    with pytest.raises(ValueError, match="2 weighted modules"):
        model.load_torch_state_dict(net.state_dict())
    # NaN in a torch weight: refused where it enters the layer, under its name
    model = Sequential([L.LSTM(5, input_shape=(7, 3)), L.Dense(2)])
    model.build()
    sd = net.state_dict()
    sd["rnn.weight_hh_l0"] = sd["rnn.weight_hh_l0"].clone().fill_(float("nan"))
    with pytest.raises(ValueError, match="weight_hh_l0' contains NaN or inf"):
        model.load_torch_state_dict(sd)
