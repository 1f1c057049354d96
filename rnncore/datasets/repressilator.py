"""The repressilator (Elowitz & Leibler, Nature 403:335, 2000).

Three genes repress each other in a ring: LacI -| TetR -| cI -| LacI. With
strong enough, cooperative repression the ring has no stable steady state and
oscillates. In the dimensionless model of the paper (time in units of the
mRNA lifetime, proteins in units of the repression threshold K_M):

    dm_i/dt = -m_i + alpha / (1 + p_j**n) + alpha0
    dp_i/dt = -beta * (p_i - m_i)

where ``j`` is the repressor of gene ``i`` (i = lacI, tetR, cI;
j = cI, lacI, tetR), ``alpha0`` the leaky transcription, ``alpha + alpha0`` the
maximal transcription, ``beta`` the ratio of protein to mRNA decay rates and
``n`` the Hill coefficient. Defaults are the values usually quoted for the
paper's Figure 1 (alpha = 216, alpha0 = 0.216, beta = 5, n = 2).

``repressilator_ode`` integrates this with ``scipy.integrate.solve_ivp``;
``repressilator_gillespie`` simulates the same reactions with whole molecules
(Gillespie's direct method, compiled with Numba), so the course can contrast
smooth deterministic and noisy stochastic oscillations.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit
from scipy.integrate import solve_ivp

from .._random import SeedLike, as_generator
from ._base import Bunch, model_params

__all__ = ["REPRESSILATOR_DEFAULTS", "repressilator_ode", "repressilator_gillespie"]

REPRESSILATOR_DEFAULTS = {"alpha": 216.0, "alpha0": 0.216, "beta": 5.0, "n": 2.0}
GENES = ("lacI", "tetR", "cI")
# gene i is repressed by protein REPRESSOR[i]: lacI by cI, tetR by lacI, cI by tetR
REPRESSOR = np.array([2, 0, 1])


def _params(params):
    return model_params(REPRESSILATOR_DEFAULTS, params, "repressilator")


def _grid(t_end, dt):
    if not (t_end > 0 and dt > 0):
        raise ValueError(f"t_end and dt must be positive, got t_end={t_end}, dt={dt}")
    return np.arange(0.0, t_end + 0.5 * dt, dt)


def repressilator_ode(t_end: float = 100.0, dt: float = 0.1, params: dict | None = None,
                      y0: npt.ArrayLike | None = None) -> Bunch:
    """Deterministic repressilator trajectories on a regular time grid.

    Parameters
    ----------
    t_end : float
        Last time point, in mRNA lifetimes (with the defaults one period is
        about 8.7 time units).
    dt : float
        Grid spacing; ``T = round(t_end / dt) + 1`` points.
    params : dict, optional
        Any of ``alpha, alpha0, beta, n`` (see module docstring).
    y0 : array_like (6,), optional
        Initial ``(m_lacI, m_tetR, m_cI, p_lacI, p_tetR, p_cI)``; the default
        is asymmetric so the oscillation starts at once.

    Returns
    -------
    Bunch with
        t : ndarray (T,)
        mrna : ndarray (T, 3), dimensionless mRNA m_i
        protein : ndarray (T, 3), dimensionless protein p_i
        genes : ("lacI", "tetR", "cI")
        params : dict used
    """
    p = _params(params)
    a, a0, b, n = p["alpha"], p["alpha0"], p["beta"], p["n"]
    y0 = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 5.0] if y0 is None else y0, dtype=float)
    if y0.shape != (6,):
        raise ValueError(f"y0 must have 6 entries (3 mRNA, 3 protein), got shape {y0.shape}")
    t = _grid(t_end, dt)

    def rhs(_, z):
        m, prot = z[:3], z[3:]
        dm = -m + a / (1.0 + prot[REPRESSOR] ** n) + a0
        dp = -b * (prot - m)
        return np.concatenate([dm, dp])

    sol = solve_ivp(rhs, (0.0, t[-1]), y0, t_eval=t, method="LSODA", rtol=1e-7, atol=1e-9)
    if not sol.success:
        raise RuntimeError(f"repressilator ODE failed: {sol.message}")
    return Bunch(t=t, mrna=sol.y[:3].T, protein=sol.y[3:].T, genes=GENES, params=p)


def _generator(seed):
    """The Generator the simulation draws from (see ``seed`` in repressilator_gillespie).

    An int seeds MT19937 as ``np.random.seed(int)`` does, so that the trajectories (and the
    figures made from them) stay those of the earlier versions; None or a Generator follow
    :func:`rnncore._random.as_generator`."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        as_generator(seed)                                  # the same checks (>= 0)
        _, key, pos, *_ = np.random.RandomState(int(seed)).get_state()
        bits = np.random.MT19937()
        bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        return np.random.Generator(bits)
    return as_generator(seed)


@njit(cache=True)
def _gillespie(t_grid, state, a, a0, b, n, omega_m, omega_p, rng):
    """Direct-method SSA; records the state at each grid time. state: (6,) int64.

    rng is a numpy.random.Generator: Numba draws from the caller's stream (no global
    random state), the same numbers NumPy's Generator would give."""
    out = np.empty((t_grid.shape[0], 6), dtype=np.int64)
    props = np.empty(12)
    t = 0.0
    k = 0
    n_out = t_grid.shape[0]
    while k < n_out:
        # propensities: for gene i, [transcription, mRNA decay, translation, protein decay]
        total = 0.0
        for i in range(3):
            rep = state[3 + (i + 2) % 3] / omega_p               # repressor level p_j
            props[4 * i + 0] = omega_m * (a / (1.0 + rep ** n) + a0)
            props[4 * i + 1] = state[i]
            props[4 * i + 2] = b * (omega_p / omega_m) * state[i]
            props[4 * i + 3] = b * state[3 + i]
            total += props[4 * i] + props[4 * i + 1] + props[4 * i + 2] + props[4 * i + 3]
        t_next = t - np.log(1.0 - rng.random()) / total       # tau ~ Exponential(total), inverse CDF
        # the state is piecewise constant: record it at every grid time we pass
        while k < n_out and t_grid[k] < t_next:
            out[k] = state
            k += 1
        if k == n_out:
            break
        t = t_next
        r = rng.random() * total
        j = 0
        acc = props[0]
        while acc < r and j < 11:
            j += 1
            acc += props[j]
        gene, kind = j // 4, j % 4
        if kind == 0:
            state[gene] += 1
        elif kind == 1:
            state[gene] -= 1
        elif kind == 2:
            state[3 + gene] += 1
        else:
            state[3 + gene] -= 1
    return out


def repressilator_gillespie(t_end: float = 300.0, dt: float = 0.1, params: dict | None = None,
                            omega_m: float = 1.0, omega_p: float = 5.0, y0: npt.ArrayLike | None = None,
                            seed: SeedLike = 0) -> Bunch:
    """Stochastic repressilator: exact Gillespie simulation with molecule counts.

    Molecule numbers are ``M_i = omega_m * m_i`` and ``P_i = omega_p * p_i``
    (``omega_p`` = proteins per repression threshold K_M), and the reactions
    per gene ``i`` are chosen so that their mean reproduces the ODE:

        transcription   M_i -> M_i + 1   rate omega_m * (alpha / (1 + (P_j/omega_p)**n) + alpha0)
        mRNA decay      M_i -> M_i - 1   rate M_i
        translation     P_i -> P_i + 1   rate beta * (omega_p / omega_m) * M_i
        protein decay   P_i -> P_i - 1   rate beta * P_i

    Larger ``omega`` means more molecules, less noise and a slower simulation
    (the number of events grows like ``omega_p``). The defaults give clear but
    noisy oscillations, and a few thousand grid points in a fraction of a
    second (the first call also compiles the kernel).

    Parameters
    ----------
    t_end, dt : float
        Output grid ``0, dt, ..., t_end`` (time in mRNA lifetimes).
    params : dict, optional
        Any of ``alpha, alpha0, beta, n``.
    omega_m, omega_p : float
        Molecules per dimensionless unit of mRNA and protein.
    y0 : array_like (6,) of int, optional
        Initial molecule counts ``(M_lacI, M_tetR, M_cI, P_lacI, P_tetR, P_cI)``.
    seed : None, int or numpy.random.Generator
        The randomness: an int gives the same trajectory every run (the one earlier
        versions, which seeded Numba's global generator, gave for that int); a Generator
        is drawn from (and advanced); None draws fresh entropy.

    Returns
    -------
    Bunch with
        t : ndarray (T,)
        mrna : ndarray (T, 3) int64, mRNA molecule counts
        protein : ndarray (T, 3) int64, protein molecule counts
        genes : ("lacI", "tetR", "cI")
        params : dict used (with omega_m, omega_p)
    """
    p = _params(params)
    if not (omega_m > 0 and omega_p > 0):
        raise ValueError(f"omega_m and omega_p must be positive, got {omega_m}, {omega_p}")
    rng = _generator(seed)
    if y0 is None:
        y0 = np.rint(np.array([0.0, 0.0, 0.0, 1.0 * omega_p, 2.0 * omega_p, 5.0 * omega_p]))
    state = np.asarray(y0).astype(np.int64).copy()
    if state.shape != (6,) or np.any(state < 0):
        raise ValueError(f"y0 must be 6 non-negative counts, got {y0}")
    t = _grid(t_end, dt)
    out = _gillespie(t, state, float(p["alpha"]), float(p["alpha0"]), float(p["beta"]),
                     float(p["n"]), float(omega_m), float(omega_p), rng)
    return Bunch(t=t, mrna=out[:, :3], protein=out[:, 3:], genes=GENES,
                 params=dict(p, omega_m=omega_m, omega_p=omega_p))
