"""One seed convention for every function that draws random numbers.

A function that draws randomness takes ``seed``: ``None`` (fresh entropy from the
operating system), an ``int`` (the same numbers every run), or a
``numpy.random.Generator`` (draw from the caller's stream, so that several calls
share one reproducible sequence). Nothing touches NumPy's global random state.
"""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

# What a ``seed`` argument accepts (for type hints).
SeedLike = Optional[Union[int, np.integer, np.random.Generator]]


def as_generator(seed: SeedLike = None, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``seed``.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        None: fresh OS entropy; int >= 0: a reproducible stream; a Generator is
        returned as it is (the caller's stream continues).
    name : str
        The argument's name, for the error message.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be None, an int or a numpy.random.Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))


def as_int_seed(seed: SeedLike = None, name: str = "seed") -> int:
    """An ``int`` seed for code that takes one (scikit-learn's ``random_state``, seed arithmetic).

    An int is returned as it is, so ``seed`` and ``seed + 1`` stay two documented streams;
    None or a Generator give an int drawn from :func:`as_generator` (a Generator's
    stream advances by one draw).

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
    name : str
        The argument's name, for the error message.

    Returns
    -------
    int
        In ``[0, 2**31 - 1)``, or ``seed`` itself when it is an int.
    """
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        as_generator(seed, name)                # the same checks (>= 0)
        return int(seed)
    return int(as_generator(seed, name).integers(2**31 - 1))
