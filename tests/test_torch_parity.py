"""PyTorch parity: copy the weights of torch.nn.RNN/LSTM/GRU, compare outputs and every gradient."""
import numpy as np
import pytest
import torch

from _cells import HOST_BACKENDS, backward, forward, make_params

MODULES = {"rnn_tanh": ("RNN", {"nonlinearity": "tanh"}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
           "lstm": ("LSTM", {}), "gru": ("GRU", {})}


def torch_run(cell, p, dh_seq, dh_T, dc_T):
    cls, kw = MODULES[cell]
    B, T, D = p["x"].shape
    H = p["W_hh"].shape[1]
    m = getattr(torch.nn, cls)(D, H, batch_first=True, **kw).double()
    with torch.no_grad():
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            tname = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[name]
            getattr(m, tname).copy_(torch.from_numpy(p[name]))
    x = torch.from_numpy(p["x"]).requires_grad_(True)
    h0 = torch.from_numpy(p["h0"])[None].clone().requires_grad_(True)
    if cell == "lstm":
        c0 = torch.from_numpy(p["c0"])[None].clone().requires_grad_(True)
        out, (hT, cT) = m(x, (h0, c0))
        loss = (out * torch.from_numpy(dh_seq)).sum() + (hT[0] * torch.from_numpy(dh_T)).sum() \
            + (cT[0] * torch.from_numpy(dc_T)).sum()
    else:
        out, hT = m(x, h0)
        loss = (out * torch.from_numpy(dh_seq)).sum() + (hT[0] * torch.from_numpy(dh_T)).sum()
    loss.backward()
    grads = {"dx": x.grad, "dh0": h0.grad[0], "dW_ih": m.weight_ih_l0.grad, "dW_hh": m.weight_hh_l0.grad,
             "db_ih": m.bias_ih_l0.grad, "db_hh": m.bias_hh_l0.grad}
    if cell == "lstm":
        grads["dc0"] = c0.grad[0]
    return out.detach().numpy(), {k: g.numpy() for k, g in grads.items()}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
@pytest.mark.parametrize("cell", list(MODULES))
def test_matches_torch(cell, backend):
    p = make_params(cell, B=3, T=6, D=4, H=5, seed=21)
    rng = np.random.default_rng(22)
    dh_seq = rng.standard_normal((3, 6, 5))
    dh_T = rng.standard_normal((3, 5))
    dc_T = rng.standard_normal((3, 5))
    t_out, t_grads = torch_run(cell, p, dh_seq, dh_T, dc_T)
    h_seq, _, _, cache = forward(cell, p, backend)
    np.testing.assert_allclose(h_seq, t_out, rtol=1e-10, atol=1e-12)
    grads = backward(cell, dh_seq, cache, dh_T, dc_T if cell == "lstm" else None)
    assert set(grads) == set(t_grads)
    for k in t_grads:
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-9, atol=1e-11, err_msg=f"{cell} {k}")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_float32_matches_torch(cell):
    cls, kw = MODULES[cell]
    torch.manual_seed(0)
    m = getattr(torch.nn, cls)(8, 16, batch_first=True)
    x = torch.randn(4, 50, 8)
    with torch.no_grad():
        expected = m(x)[0].numpy()
    sd = {k: v.numpy() for k, v in m.state_dict().items()}
    p = {"x": x.numpy(), "W_ih": sd["weight_ih_l0"], "W_hh": sd["weight_hh_l0"], "b_ih": sd["bias_ih_l0"],
         "b_hh": sd["bias_hh_l0"], "h0": np.zeros((4, 16), np.float32)}
    if cell == "lstm":
        p["c0"] = np.zeros((4, 16), np.float32)
    h_seq = forward(cell, p, "cpu")[0]
    assert h_seq.dtype == np.float32
    np.testing.assert_allclose(h_seq, expected, rtol=1e-5, atol=1e-5)
