"""Small helpers shared by the loaders: a dict with attribute access, model parameters, data paths.

(The seed rule is :func:`rnncore._random.as_generator`.)
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


class Bunch(dict):
    """A dict whose keys are also attributes (``b.X is b["X"]``), like scikit-learn's.

    Loaders return one so a notebook can write ``data.X, data.y`` and still
    list everything with ``data.keys()``.
    """

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def __dir__(self):
        return list(self.keys())

    def __repr__(self):
        parts = []
        for k, v in self.items():
            shape = getattr(v, "shape", None)
            parts.append(f"{k}: shape {shape}" if shape is not None else f"{k}: {type(v).__name__}")
        return "Bunch(" + ", ".join(parts) + ")"


def model_params(defaults: dict, params: dict | None, model: str) -> dict:
    """``defaults`` updated with ``params``; an unknown name is a ValueError naming ``model``."""
    p = dict(defaults)
    if params:
        unknown = set(params) - set(p)
        if unknown:
            raise ValueError(f"unknown {model} parameters {sorted(unknown)}; expected some of {sorted(p)}")
        p.update(params)
    return p


def data_path(name: str) -> Traversable:
    """Path to a file shipped in ``rnncore/datasets/data/`` (no download at run time).

    Parameters
    ----------
    name : str
        The file's path below ``data/``, e.g. ``"lynx.csv"``.

    Returns
    -------
    importlib.resources.abc.Traversable
        Open it with ``.open()`` or ``.read_text()``.
    """
    return resources.files("rnncore.datasets").joinpath("data").joinpath(name)
