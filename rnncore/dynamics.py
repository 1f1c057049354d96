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

from ._random import as_generator

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
def step(h, W_ih, W_hh, b_ih, b_hh, x=None, cell="rnn", nonlinearity="tanh"):
    """One step of the autonomous map, F(h), with constant input ``x`` (zeros if None).

    h : (H,) or (N, H). Returns an array of the same shape.
    """
    W_ih, W_hh, b_ih, b_hh, x, H = _params(W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    h2, single = _as_batch(h, H)
    F, _ = _forward(h2, W_ih, W_hh, b_ih, b_hh, x, cell, nonlinearity)
    return F[0] if single else F


def jacobian(h, W_ih, W_hh, b_ih, b_hh, x=None, cell="rnn", nonlinearity="tanh"):
    """The Jacobian J(h) = dF/dh, analytic.

    For the tanh RNN, ``J = diag(1 - F(h)^2) W_hh``; for the ReLU RNN
    ``J = diag[F(h) > 0] W_hh``; for the GRU the rows ``e_k^T J`` are the
    backward step applied to the unit vectors.

    h : (H,) -> (H, H);  h : (N, H) -> (N, H, H).  ``J[i, j] = dF_i / dh_j``.
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


def speed(h, W_ih, W_hh, b_ih, b_hh, x=None, cell="rnn", nonlinearity="tanh", grad=False):
    """The speed q(h) = 1/2 |F(h) - h|^2 (and its gradient (J - I)^T (F - h) if ``grad``).

    h : (H,) -> float (and (H,));  h : (N, H) -> (N,) (and (N, H)).
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
def classify(eigvals, tol=1e-6):
    """Stability of a fixed point of a discrete-time map from the Jacobian's eigenvalues.

    eigvals : (H,) or (K, H) complex. Returns ``"stable"`` (all ``|lambda| < 1``),
    ``"unstable"`` (all ``|lambda| > 1``), ``"saddle"`` (some in, some out) or
    ``"marginal"`` (none outside, at least one on the unit circle within ``tol``);
    a list for (K, H).
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


def find_fixed_points(W_ih, W_hh, b_ih, b_hh, inits, x=None, cell="rnn", nonlinearity="tanh",
                      q_tol=1e-10, unique_tol=1e-3, method="BFGS", max_iter=500):
    """Find fixed points of a recurrent cell by minimising q(h) from many initial states.

    Parameters
    ----------
    W_ih, W_hh, b_ih, b_hh : the cell's weights (PyTorch layout, any float dtype)
    inits : (N, H) initial states, e.g. from :func:`sample_states`
    x : (D,) constant input (None = zeros): the fixed points depend on it
    cell : ``"rnn"`` or ``"gru"``;  nonlinearity : ``"tanh"`` or ``"relu"`` (RNN only)
    q_tol : keep a minimum only if q(h) < q_tol (loosen it to keep *slow points*)
    unique_tol : minima closer than this (max-abs distance) count as one point
    method : a gradient-based ``scipy.optimize.minimize`` method (BFGS, L-BFGS-B, CG, ...)
    max_iter : iterations per start

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
def sample_states(h_seq: np.ndarray, n: int, noise: float = 0.0, seed=None, *, rng=None) -> np.ndarray:
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


def pca(X, n_components=2):
    """Principal components of the rows of ``X`` (no scikit-learn needed).

    X : (..., H) states; flattened to rows.
    Returns ``(mean (H,), components (n_components, H), explained variance ratio (n_components,))``;
    project with ``(Y - mean) @ components.T``. Component signs are fixed so that the
    largest entry of each is positive (reproducible plots).
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
