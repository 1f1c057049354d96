"""Fixed points and their stability for trained recurrent cells.

A recurrent cell driven by a constant input ``x`` is an autonomous map of the
hidden state, ``h -> F(h)``; for the Elman RNN

    F(h) = act(W_ih x + b_ih + W_hh h + b_hh).

Following Sussillo and Barak (2013, "Opening the black box"), the fixed points
``F(h*) = h*`` are found by minimising the *speed*

    q(h) = 1/2 |F(h) - h|^2,      grad q(h) = (J(h) - I)^T (F(h) - h),

from many initial states, where ``J(h) = dF/dh`` is the Jacobian. The gradient
is analytic: it is one vector-Jacobian product, which is exactly the backward
pass of one step (``rnncore.reference.<cell>.step_backward``). A fixed point of
this discrete-time map is **stable** (attracting) when every eigenvalue of
``J(h*)`` lies inside the unit circle, ``|lambda| < 1``; a **saddle** has some
eigenvalues inside and some outside; an **unstable** point (a repeller) has all
of them outside.

Functions (weights in rnncore's PyTorch layout; cells ``"rnn"`` and ``"gru"``;
states ``h`` are ``(H,)`` or a batch ``(N, H)``):

* :func:`step`: ``F(h)``;
* :func:`jacobian`: ``J(h)`` (``(H, H)`` or ``(N, H, H)``), analytic;
* :func:`speed`: ``q(h)`` and, with ``grad=True``, its analytic gradient;
* :func:`find_fixed_points`: minimise ``q`` from many starts with SciPy, keep the
  points with ``q`` below a tolerance, merge duplicates, classify them;
* :func:`classify`: ``"stable"`` / ``"saddle"`` / ``"unstable"`` from eigenvalues;
* :func:`sample_states`: initial states drawn from recorded trajectories, plus noise;
* :func:`pca`: principal components of hidden states, to draw the dynamics in 2-D/3-D.

Example (a 2-unit network with 9 fixed points: 4 stable, 4 saddles, 1 unstable)::

    W_hh = 2 * np.eye(2); zero = np.zeros(2)
    fps = find_fixed_points(np.zeros((2, 1)), W_hh, zero, zero,
                            inits=np.random.default_rng(0).uniform(-1, 1, (200, 2)))
    fps.points, fps.kind          # (9, 2), ['stable', 'saddle', ..., 'unstable']
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._random import SeedLike, as_generator

_CELLS = ("rnn", "gru")


# ----------------------------------------------------------------------------- helpers
def _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity):
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {_CELLS}, got {cell!r}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if cell == "gru" and nonlinearity != "tanh":
        raise ValueError("the GRU has a tanh candidate; nonlinearity must be 'tanh'")
    W_ih, W_hh, b_ih, b_hh = (np.asarray(a, dtype=np.float64) for a in (W_ih, W_hh, b_ih, b_hh))
    G = 1 if cell == "rnn" else 3
    if W_hh.ndim != 2 or W_hh.shape[0] != G * W_hh.shape[1]:
        raise ValueError(f"W_hh must be ({G}*H, H) for cell {cell!r}, got shape {W_hh.shape}")
    H = W_hh.shape[1]
    if W_ih.ndim != 2 or W_ih.shape[0] != G * H:
        raise ValueError(f"W_ih must be ({G}*H, D) = ({G * H}, D), got shape {W_ih.shape}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b.shape != (G * H,):
            raise ValueError(f"{name} must have shape ({G * H},), got {b.shape}")
    D = W_ih.shape[1]
    x = np.zeros(D) if x is None else np.asarray(x, dtype=np.float64)
    if x.shape != (D,):
        raise ValueError(f"x (the constant input) must have shape ({D},), got {x.shape}")
    return W_ih, W_hh, b_ih, b_hh, x, H


def _as_batch(h, H):
    h = np.asarray(h, dtype=np.float64)
    single = h.ndim == 1
    h2 = h[None] if single else h
    if h2.ndim != 2 or h2.shape[1] != H:
        raise ValueError(f"h must be (H,) or (N, H) with H = {H}, got shape {h.shape}")
    return h2, single


def _forward(h, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity):
    """F(h) for a batch (N, H) and the cache of one reference step."""
    xb = np.broadcast_to(x, (h.shape[0], x.shape[0]))
    if cell == "rnn":
        from .reference import rnn as ref
        return ref.step_forward(xb, h, W_ih, W_hh, b_ih, b_hh, nonlinearity)
    from .reference import gru as ref
    return ref.step_forward(xb, h, W_ih, W_hh, b_ih, b_hh)


def _vjp(v, cache, cell):
    """v @ J(h) for a batch: the dh_prev of one backward step."""
    if cell == "rnn":
        from .reference import rnn as ref
    else:
        from .reference import gru as ref
    return ref.step_backward(v, cache)[1]


# ----------------------------------------------------------------------------- the map
def step(h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
         x: np.ndarray | None = None, cell: str = "rnn", nonlinearity: str = "tanh") -> np.ndarray:
    """One step of the autonomous map, F(h), with constant input ``x``.

    Parameters
    ----------
    h : ndarray, shape (H,) or (N, H)
    W_ih : ndarray, shape (G*H, D)
    W_hh : ndarray, shape (G*H, H)
    b_ih, b_hh : ndarray, shape (G*H,)
        The cell's weights in PyTorch layout (G = 1 for "rnn", 3 for "gru").
    x : ndarray, shape (D,), optional
        The constant input (None: zeros); the map, and its fixed points, depend on it.
    cell : {"rnn", "gru"}
    nonlinearity : {"tanh", "relu"}
        The RNN's (the GRU uses tanh).

    Returns
    -------
    ndarray, the shape of ``h``
    """
    W_ih, W_hh, b_ih, b_hh, x, H = _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    h2, single = _as_batch(h, H)
    F, _ = _forward(h2, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    return F[0] if single else F


def jacobian(h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
             x: np.ndarray | None = None, cell: str = "rnn", nonlinearity: str = "tanh") -> np.ndarray:
    """The Jacobian J(h) = dF/dh, analytic.

    For the tanh RNN, ``J = diag(1 - F(h)^2) W_hh``; for the ReLU RNN
    ``J = diag[F(h) > 0] W_hh``; for the GRU the rows ``e_k^T J`` are the
    backward step applied to the unit vectors.

    Parameters
    ----------
    h : ndarray, shape (H,) or (N, H)
    W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity
        As in :func:`step`.

    Returns
    -------
    J : ndarray, shape (H, H) for h (H,), (N, H, H) for h (N, H)
        ``J[i, j] = dF_i / dh_j``.
    """
    W_ih, W_hh, b_ih, b_hh, x, H = _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    h2, single = _as_batch(h, H)
    N = h2.shape[0]
    if cell == "rnn":
        F, _ = _forward(h2, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
        d = 1 - F**2 if nonlinearity == "tanh" else (F > 0).astype(np.float64)
        J = d[:, :, None] * W_hh[None]
    else:
        hr = np.repeat(h2, H, axis=0)                     # (N*H, H): each state H times
        _, cache = _forward(hr, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
        eye = np.tile(np.eye(H), (N, 1))                  # unit vectors e_k
        J = _vjp(eye, cache, cell).reshape(N, H, H)       # row k = e_k^T J
    return J[0] if single else J


def speed(h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
          x: np.ndarray | None = None, cell: str = "rnn", nonlinearity: str = "tanh",
          grad: bool = False):
    """The speed q(h) = 1/2 |F(h) - h|^2, and with ``grad`` its gradient (J - I)^T (F - h).

    Parameters
    ----------
    h : ndarray, shape (H,) or (N, H)
    W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity
        As in :func:`step`.
    grad : bool
        Also return the analytic gradient (one backward step).

    Returns
    -------
    q : float for h (H,), ndarray (N,) for h (N, H)
    grad : ndarray, the shape of ``h``; only with ``grad=True``
    """
    W_ih, W_hh, b_ih, b_hh, x, H = _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    h2, single = _as_batch(h, H)
    F, cache = _forward(h2, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    r = F - h2
    q = 0.5 * np.sum(r**2, axis=1)
    if not grad:
        return q[0] if single else q
    g = _vjp(r, cache, cell) - r                          # r @ (J - I)
    return (q[0], g[0]) if single else (q, g)


# ----------------------------------------------------------------------------- stability
def classify(eigvals: np.ndarray, tol: float = 1e-6) -> str | list[str]:
    """Stability of a fixed point of a discrete-time map from the Jacobian's eigenvalues.

    Parameters
    ----------
    eigvals : ndarray, shape (H,) or (K, H), complex or real
    tol : float
        How close to the unit circle counts as on it.

    Returns
    -------
    str, or list of K str for (K, H)
        ``"stable"`` (all ``|lambda| < 1``), ``"unstable"`` (all ``|lambda| > 1``),
        ``"saddle"`` (some in, some out) or ``"marginal"`` (none outside, at least
        one on the unit circle within ``tol``).
    """
    ev = np.abs(np.asarray(eigvals))
    if ev.ndim == 2:
        return [classify(e, tol) for e in ev]
    if ev.ndim != 1:
        raise ValueError(f"eigvals must be (H,) or (K, H), got shape {ev.shape}")
    outside = ev > 1 + tol
    inside = ev < 1 - tol
    if inside.all():
        return "stable"
    if outside.all():
        return "unstable"
    if outside.any():
        return "saddle"
    return "marginal"


@dataclass
class FixedPoints:
    """What :func:`find_fixed_points` found.

    points : (K, H) the distinct fixed points (or slow points, if ``q_tol`` is loose)
    q : (K,) their speed q(h*)
    eigvals : (K, H) complex eigenvalues of J(h*), sorted by decreasing modulus
    kind : list of K strings, from :func:`classify`
    counts : (K,) how many initial states converged to each point
    n_inits : how many initial states were tried
    n_converged : how many of them reached q < q_tol
    """
    points: np.ndarray
    q: np.ndarray
    eigvals: np.ndarray
    kind: list
    counts: np.ndarray
    n_inits: int
    n_converged: int
    raw: np.ndarray = field(repr=False, default=None)   # (n_inits, H) where each start ended

    @property
    def stable(self):
        """(K,) bool: which points are stable."""
        return np.array([k == "stable" for k in self.kind], dtype=bool)

    def summary(self):
        """Counts per kind, e.g. ``{'stable': 8, 'saddle': 18, 'unstable': 1}``."""
        out = {}
        for k in self.kind:
            out[k] = out.get(k, 0) + 1
        return out

    def __len__(self):
        return len(self.points)


def find_fixed_points(W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                      inits: np.ndarray, x: np.ndarray | None = None, cell: str = "rnn",
                      nonlinearity: str = "tanh", q_tol: float = 1e-10, unique_tol: float = 1e-3,
                      method: str = "BFGS", max_iter: int = 500) -> FixedPoints:
    """Find fixed points of a recurrent cell by minimising q(h) from many initial states.

    Parameters
    ----------
    W_ih : ndarray, shape (G*H, D)
    W_hh : ndarray, shape (G*H, H)
    b_ih, b_hh : ndarray, shape (G*H,)
        The cell's weights in PyTorch layout (G = 1 for "rnn", 3 for "gru"), any float dtype.
    inits : ndarray, shape (N, H)
        Initial states, e.g. from :func:`sample_states`.
    x : ndarray, shape (D,), optional
        The constant input (None: zeros); the fixed points depend on it.
    cell : {"rnn", "gru"}
    nonlinearity : {"tanh", "relu"}
        The RNN's (the GRU uses tanh).
    q_tol : float
        Keep a minimum only if q(h) < q_tol (loosen it to keep *slow points*).
    unique_tol : float
        Minima closer than this (max-abs distance) count as one point.
    method : str
        A gradient-based ``scipy.optimize.minimize`` method (BFGS, L-BFGS-B, CG, ...).
    max_iter : int
        Iterations per start.

    Returns
    -------
    :class:`FixedPoints`, sorted stable first, then by decreasing count.
    """
    from scipy.optimize import minimize

    W_ih, W_hh, b_ih, b_hh, x, H = _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    inits, _ = _as_batch(inits, H)

    def fun(h):
        return speed(h, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity, grad=True)

    raw, qs = [], []
    for h0 in inits:
        res = minimize(fun, h0, jac=True, method=method,
                       options={"maxiter": max_iter, "gtol": 1e-12})
        raw.append(res.x)
        qs.append(fun(res.x)[0])
    raw, qs = np.array(raw).reshape(-1, H), np.array(qs)
    good = np.flatnonzero(qs < q_tol)

    points, pq, counts = [], [], []
    for i in good[np.argsort(qs[good], kind="stable")]:     # best first: it represents the group
        for k, p in enumerate(points):
            if np.max(np.abs(p - raw[i])) < unique_tol:
                counts[k] += 1
                break
        else:
            points.append(raw[i])
            pq.append(qs[i])
            counts.append(1)
    points = np.array(points).reshape(-1, H)
    pq, counts = np.array(pq), np.array(counts, dtype=int)
    if len(points):
        J = jacobian(points, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
        ev = np.linalg.eigvals(J)
        ev = np.take_along_axis(ev, np.argsort(-np.abs(ev), axis=1, kind="stable"), axis=1)
    else:
        ev = np.zeros((0, H), dtype=complex)
    kind = classify(ev) if len(points) else []
    order = sorted(range(len(points)), key=lambda k: (kind[k] != "stable", -counts[k]))
    return FixedPoints(points=points[order], q=pq[order], eigvals=ev[order],
                       kind=[kind[k] for k in order], counts=counts[order],
                       n_inits=len(inits), n_converged=len(good), raw=raw)


# ----------------------------------------------------------------------------- states
def sample_states(h_seq: np.ndarray, n: int, noise: float = 0.0, seed: SeedLike = None, *,
                  rng: SeedLike = None) -> np.ndarray:
    """``n`` initial states drawn from recorded hidden states, plus Gaussian noise.

    Parameters
    ----------
    h_seq : ndarray, shape (..., H)
        Any array of states, e.g. ``(B, T, H)`` from ``rnn_forward``.
    n : int
        How many states to draw (with replacement).
    noise : float
        Standard deviation of the noise added to each sampled state.
    seed : None, int or numpy.random.Generator
        The randomness (:func:`rnncore._random.as_generator`).
    rng : None, int or numpy.random.Generator
        The former name of ``seed``, still accepted; give one of the two.

    Returns
    -------
    ndarray, shape (n, H), float64
    """
    if rng is not None:
        if seed is not None:
            raise TypeError("give seed or its former name rng, not both")
        seed = rng
    gen = as_generator(seed)
    h = np.asarray(h_seq, dtype=np.float64)
    h = h.reshape(-1, h.shape[-1])
    idx = gen.integers(0, len(h), n)
    return h[idx] + noise * gen.standard_normal((n, h.shape[1]))


def pca(X: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal components of the rows of ``X`` (no scikit-learn needed).

    Component signs are fixed so that the largest entry of each is positive
    (reproducible plots). Project with ``(Y - mean) @ components.T``.

    Parameters
    ----------
    X : ndarray, shape (..., H)
        States; flattened to rows.
    n_components : int

    Returns
    -------
    mean : ndarray, shape (H,)
    components : ndarray, shape (n_components, H)
    explained_variance_ratio : ndarray, shape (n_components,)
    """
    X = np.asarray(X, dtype=np.float64)
    X = X.reshape(-1, X.shape[-1])
    mean = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    comps = Vt[:n_components]
    signs = np.sign(comps[np.arange(len(comps)), np.argmax(np.abs(comps), axis=1)])
    comps = comps * signs[:, None]
    var = s**2
    return mean, comps, (var / var.sum())[:n_components]
