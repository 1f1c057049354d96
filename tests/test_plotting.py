"""The plotting helpers draw what they say they draw (Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnncore import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_one_hot_image_is_letters_by_positions():
    x = np.eye(4)[[0, 1, 2, 3, 3, 0]]          # ACGTTA
    ax = plotting.plot_one_hot(x, title="ACGTTA")
    data = np.asarray(ax.images[0].get_array())
    assert data.shape == (4, 6)
    np.testing.assert_array_equal(data, x.T)
    assert [t.get_text() for t in ax.get_yticklabels()] == list("ACGT")
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert ax.get_title() == "ACGTTA"


def test_one_hot_uses_given_axes_and_alphabet():
    fig, ax = plt.subplots()
    out = plotting.plot_one_hot(np.full((3, 2), 0.5), alphabet="XY", ax=ax)
    assert out is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["X", "Y"]


def test_one_hot_rejects_mismatched_alphabet():
    with pytest.raises(ValueError, match="alphabet has 4 letters"):
        plotting.plot_one_hot(np.zeros((5, 20)))
    with pytest.raises(ValueError, match="must be \\(T, A\\)"):
        plotting.plot_one_hot(np.zeros((2, 5, 4)))


def test_mask_shows_rows_per_sequence():
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
    ax = plotting.plot_mask(mask)
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), mask.astype(float))
    assert ax.get_ylabel() == "sequence"


def test_hidden_states_heatmap_is_symmetric_and_transposed():
    h = np.tanh(np.random.default_rng(0).standard_normal((10, 3)))
    ax = plotting.plot_hidden_states(h)
    im = ax.images[0]
    np.testing.assert_allclose(np.asarray(im.get_array()), h.T)
    assert im.get_clim() == (-1.0, 1.0)          # tanh range
    assert len(ax.figure.axes) == 2              # the heatmap and its colour bar
    ax2 = plotting.plot_hidden_states(3 * h, colorbar=False)
    lo, hi = ax2.images[0].get_clim()
    assert hi == pytest.approx(np.abs(3 * h).max()) and lo == -hi
    assert len(ax2.figure.axes) == 1


def test_hidden_states_rejects_a_batch():
    with pytest.raises(ValueError, match="h_seq\\[b\\]"):
        plotting.plot_hidden_states(np.zeros((2, 5, 3)))


def test_gradient_norms_one_line_per_label_on_log_scale():
    lags = np.arange(5)
    norms = {"rho = 0.5": 0.5 ** lags, "rho = 2": 2.0 ** lags}
    ax = plotting.plot_gradient_norms(lags, norms)
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 2
    for line, (label, n) in zip(ax.lines, norms.items()):
        assert line.get_label() == label
        np.testing.assert_array_equal(line.get_xdata(), lags)
        np.testing.assert_allclose(line.get_ydata(), n)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(norms)


def test_gradient_norms_single_array_has_no_legend():
    ax = plotting.plot_gradient_norms(np.arange(3), np.ones(3), logy=False)
    assert len(ax.lines) == 1 and ax.get_legend() is None
    assert ax.get_yscale() == "linear"
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_gradient_norms(np.arange(3), {"a": np.ones(4)})


def test_curves_draw_every_curve_with_labels():
    x = np.array([10, 20, 40])
    curves = {"RNN": [1.0, 0.5, 0.5], "LSTM": [1.0, 1.0, 0.9]}
    ax = plotting.plot_curves(x, curves, xlabel="T", ylabel="accuracy", marker="o", title="memory")
    assert [ln.get_label() for ln in ax.lines] == ["RNN", "LSTM"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), curves["LSTM"])
    assert ax.lines[0].get_marker() == "o"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("T", "accuracy", "memory")
    with pytest.raises(ValueError, match="curve 'RNN'"):
        plotting.plot_curves(x, {"RNN": [1.0]})
