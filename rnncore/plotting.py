"""Plotting helpers for the course notebooks.

Every function draws on a Matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns that Axes, so a notebook can add titles, lines or legends
afterwards. Matplotlib is imported lazily: importing :mod:`rnncore` never
needs a display.

* :func:`plot_one_hot`: a one-hot (or probability) sequence as an image, one row per letter;
* :func:`plot_mask`: which positions of a padded batch are real (1) and which padding (0);
* :func:`plot_hidden_states`: the hidden states of one sequence, units against time;
* :func:`plot_gradient_norms`: gradient norm against time lag, one line per setting;
* :func:`plot_curves`: several curves over a shared x axis (losses, accuracies, ...).
"""
import numpy as np

DNA = "ACGT"


def _axes(ax, figsize=(8, 3)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_one_hot(onehot, alphabet=DNA, ax=None, title=None, cmap="Greys"):
    """Show an encoded sequence as an image: letters on the y axis, positions on the x axis.

    Parameters
    ----------
    onehot : (T, A) array, one row per position (one-hot, or ambiguity-code
        probabilities such as 0.5/0.5 for ``R`` = A or G)
    alphabet : str or sequence of A labels for the rows of the image (default ``"ACGT"``)
    ax : Axes to draw on, or None for a new figure
    title : optional title
    cmap : colour map; the colour scale is fixed to [0, 1]

    Returns
    -------
    The Axes. The image is ``ax.images[0]``, its data the transposed input (A, T).
    """
    onehot = np.asarray(onehot, dtype=float)
    if onehot.ndim != 2:
        raise ValueError(f"onehot must be (T, A), got shape {onehot.shape}")
    T, A = onehot.shape
    labels = list(alphabet)
    if len(labels) != A:
        raise ValueError(f"alphabet has {len(labels)} letters but onehot has {A} columns")
    ax = _axes(ax, figsize=(8, min(3.5, max(1.5, 0.25 * A))))
    ax.imshow(onehot.T, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_yticks(range(A))
    ax.set_yticklabels(labels)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("position")
    if title:
        ax.set_title(title)
    return ax


def plot_mask(mask, ax=None, title=None):
    """Show the mask of a padded batch: one row per sequence, 1 = real position, 0 = padding.

    Parameters
    ----------
    mask : (B, T) array of 0/1 (or bool)
    ax, title : as in :func:`plot_one_hot`

    Returns
    -------
    The Axes; ``ax.images[0]`` holds the mask as floats.
    """
    mask = np.asarray(mask, dtype=float)
    if mask.ndim != 2:
        raise ValueError(f"mask must be (B, T), got shape {mask.shape}")
    ax = _axes(ax, figsize=(8, max(1.5, 0.3 * mask.shape[0])))
    ax.imshow(mask, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xlabel("time step")
    ax.set_ylabel("sequence")
    ax.set_yticks(range(mask.shape[0]))
    if title:
        ax.set_title(title)
    return ax


def plot_hidden_states(h_seq, ax=None, title=None, cmap="RdBu_r", vmax=None, colorbar=True):
    """Heatmap of the hidden states of one sequence: hidden units (rows) against time (columns).

    Parameters
    ----------
    h_seq : (T, H) hidden states of one sequence (take ``h_seq[b]`` from a batch)
    ax, title : as in :func:`plot_one_hot`
    cmap : a diverging colour map, centred on 0
    vmax : colour limit (symmetric, -vmax..vmax); default max |h|, or 1 for tanh-range states
    colorbar : add a colour bar

    Returns
    -------
    The Axes; ``ax.images[0]`` holds ``h_seq.T``.
    """
    h_seq = np.asarray(h_seq, dtype=float)
    if h_seq.ndim != 2:
        raise ValueError(f"h_seq must be (T, H) for one sequence, got shape {h_seq.shape}; "
                         "for a batch pass h_seq[b]")
    if vmax is None:
        m = float(np.max(np.abs(h_seq))) if h_seq.size else 1.0
        vmax = 1.0 if m <= 1.0 else m
    ax = _axes(ax)
    im = ax.imshow(h_seq.T, aspect="auto", cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("time step t")
    ax.set_ylabel("hidden unit")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    if title:
        ax.set_title(title)
    return ax


def plot_gradient_norms(lags, norms, ax=None, title=None, logy=True, xlabel="time lag k",
                        ylabel=r"$\|\partial L / \partial h_t\|$"):
    """Gradient norm against time lag, one line per setting, on a log scale by default.

    Parameters
    ----------
    lags : (K,) time lags (how many steps the gradient has travelled back)
    norms : dict label -> (K,) gradient norms (e.g. ``{"rho = 0.9": ..., "rho = 1.1": ...}``),
        or a single (K,) array
    ax, title : as in :func:`plot_one_hot`
    logy : log-scale y axis (exponential decay or growth shows as a straight line)

    Returns
    -------
    The Axes, with one ``Line2D`` per entry of ``norms`` (labelled, with a legend when
    there are labels).
    """
    lags = np.asarray(lags)
    if not isinstance(norms, dict):
        norms = {None: norms}
    ax = _axes(ax)
    for label, n in norms.items():
        n = np.asarray(n, dtype=float)
        if n.shape != lags.shape:
            raise ValueError(f"norms[{label!r}] has shape {n.shape}, lags has {lags.shape}")
        ax.plot(lags, n, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(label is not None for label in norms):
        ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_curves(x, curves, ax=None, title=None, xlabel="step", ylabel="loss", logy=False, marker=None):
    """Several curves over a shared x axis: training losses, accuracies against T, ...

    Parameters
    ----------
    x : (N,) x values shared by every curve
    curves : dict label -> (N,) y values
    ax, title : as in :func:`plot_one_hot`
    xlabel, ylabel : axis labels
    logy : log-scale y axis
    marker : Matplotlib marker for the points (e.g. ``"o"``), None for plain lines

    Returns
    -------
    The Axes, with one labelled ``Line2D`` per curve and a legend.
    """
    x = np.asarray(x)
    ax = _axes(ax)
    for label, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"curve {label!r} has shape {y.shape}, x has {x.shape}")
        ax.plot(x, y, label=label, marker=marker)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
