"""Population-dynamics simulators: Lotka-Volterra predator-prey and logistic growth.

Both integrate a deterministic ODE for the expected abundance and then, by
default, observe it with Poisson noise, the simplest model of counting
animals (or cells, or reads): ``count_t ~ Poisson(abundance_t)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.integrate import solve_ivp

from .._random import SeedLike, as_generator
from ._base import Bunch, model_params

__all__ = ["lotka_volterra", "logistic_growth", "time_block_split"]

# Hare/lynx-like defaults (per year; abundances in thousands of pelts).
LV_DEFAULTS = {"alpha": 0.55, "beta": 0.028, "delta": 0.024, "gamma": 0.8}


def _observe(rates, noise, rng):
    """Integer counts from expected abundances."""
    if noise == "poisson":
        return rng.poisson(np.maximum(rates, 0.0)).astype(np.int64)
    if noise is None or noise == "none":
        return np.rint(np.maximum(rates, 0.0)).astype(np.int64)
    raise ValueError(f"noise must be 'poisson' or None, got {noise!r}")


def _check_grid(T, dt):
    if not isinstance(T, (int, np.integer)) or T < 2:
        raise ValueError(f"T (number of time points) must be an integer >= 2, got {T!r}")
    if not dt > 0:
        raise ValueError(f"dt must be positive, got {dt!r}")


def lotka_volterra(T: int = 200, dt: float = 0.5, params: dict | None = None, x0: tuple[float, float] = (30.0, 4.0),
                   noise: str | None = "poisson", seed: SeedLike = None) -> Bunch:
    """Predator-prey counts from the Lotka-Volterra model.

    The expected abundances of prey ``x`` and predators ``y`` follow

        dx/dt = alpha * x - beta * x * y        (prey grow, are eaten)
        dy/dt = delta * x * y - gamma * y       (predators grow by eating, die)

    integrated with ``scipy.integrate.solve_ivp`` (RK45, tight tolerances) and
    sampled every ``dt``. The closed orbits give the famous out-of-phase
    cycles, with the predator peak lagging the prey peak.

    Parameters
    ----------
    T : int
        Number of time points (``t = 0, dt, ..., (T-1) dt``).
    dt : float
        Sampling interval (same time unit as the rates).
    params : dict, optional
        Any of ``alpha, beta, delta, gamma``; defaults ``LV_DEFAULTS``
        (0.55, 0.028, 0.024, 0.8: hare/lynx-like cycles of about 10 time units).
    x0 : (float, float)
        Initial prey and predator abundance.
    noise : {"poisson", None}
        ``"poisson"``: counts ~ Poisson(abundance). ``None``: rounded abundance.
    seed : int, None or numpy.random.Generator

    Returns
    -------
    Bunch with
        t : ndarray (T,)
        rates : ndarray (T, 2) float, expected prey and predator abundance
        counts : ndarray (T, 2) int64, observed counts (non-negative integers)
        params : dict of the parameters used
    """
    _check_grid(T, dt)
    p = model_params(LV_DEFAULTS, params, "Lotka-Volterra")
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (2,) or np.any(x0 < 0):
        raise ValueError(f"x0 must be two non-negative numbers (prey, predator), got {x0}")
    a, b, d, g = p["alpha"], p["beta"], p["delta"], p["gamma"]

    def rhs(_, z):
        x, y = z
        return [a * x - b * x * y, d * x * y - g * y]

    t = np.arange(T) * dt
    sol = solve_ivp(rhs, (0.0, t[-1]), x0, t_eval=t, rtol=1e-8, atol=1e-8)
    rates = sol.y.T
    return Bunch(t=t, rates=rates, counts=_observe(rates, noise, as_generator(seed)), params=p)


def logistic_growth(T: int = 100, dt: float = 0.25, r: float = 0.5, K: float = 1000.0, n0: float = 10.0,
                    noise: str | None = "poisson", seed: SeedLike = None) -> Bunch:
    """Counts from logistic (density-limited) growth.

    The expected population obeys

        dN/dt = r * N * (1 - N / K)

    whose solution is ``N(t) = K / (1 + (K / n0 - 1) * exp(-r t))``, used here
    exactly: growth is exponential at first and saturates at the carrying
    capacity ``K``.

    Parameters
    ----------
    T : int
        Number of time points; ``dt`` the spacing.
    r : float
        Intrinsic growth rate (per time unit).
    K : float
        Carrying capacity (> 0).
    n0 : float
        Initial population (> 0).
    noise : {"poisson", None}
    seed : int, None or numpy.random.Generator

    Returns
    -------
    Bunch with
        t : ndarray (T,)
        rates : ndarray (T,) float, expected population N(t)
        counts : ndarray (T,) int64, observed counts
    """
    _check_grid(T, dt)
    if not (K > 0 and n0 > 0):
        raise ValueError(f"K and n0 must be positive, got K={K}, n0={n0}")
    t = np.arange(T) * dt
    rates = K / (1.0 + (K / n0 - 1.0) * np.exp(-r * t))
    return Bunch(t=t, rates=rates, counts=_observe(rates, noise, as_generator(seed)))


def time_block_split(t_target: npt.ArrayLike, n_test: int, n_val: int, n_train: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chronological train / validation / test masks for one-step forecasts.

    The test set is the last ``n_test`` targets, validation the ``n_val`` targets
    just before it, training everything earlier (or only the ``n_train`` targets
    just before validation). A forecast window reaches back before its target,
    so a validation or test target's inputs may include training values (the
    past is known when forecasting), but no target is in two blocks, and every
    training target precedes every validation target, which precedes every test
    target.

    Parameters
    ----------
    t_target : ndarray (N,) of int
        Time index of each target, increasing.
    n_test, n_val : int
        Number of test and validation targets (``n_val`` may be 0).
    n_train : int, optional
        Use only this many training targets, the most recent ones.

    Returns
    -------
    train, val, test : boolean masks of shape (N,)
    """
    t_target = np.asarray(t_target)
    if t_target.ndim != 1 or np.any(np.diff(t_target) <= 0):
        raise ValueError("t_target must be a strictly increasing 1-D array of time indices")
    if n_test < 1 or n_val < 0 or n_test + n_val >= len(t_target):
        raise ValueError(f"n_test={n_test} and n_val={n_val} leave no training targets "
                         f"out of {len(t_target)}")
    N = len(t_target)
    order = np.arange(N)
    test = order >= N - n_test
    val = (order >= N - n_test - n_val) & ~test
    train = order < N - n_test - n_val
    if n_train is not None:
        if n_train < 1:
            raise ValueError(f"n_train must be positive, got {n_train}")
        train &= order >= N - n_test - n_val - n_train
    return train, val, test
