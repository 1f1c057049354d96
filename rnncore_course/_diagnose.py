"""Shared diagnostics for the cell checks (notebooks 4, 5, 6, 9): say *where* an answer goes wrong.

Three tools, none of which contains an answer:

* :func:`probe` runs the learner's step and rnncore's reference on a list of *probe* inputs, each built so
  that one gate or term is isolated (weights zero, gates driven fully open or shut by large biases). The
  first probe on which they disagree names the gate or term to look at.
* :func:`blocks_that_differ` says which gate blocks (rows ``k*H:(k+1)*H``) of a gradient are wrong.
* :func:`earlier_failures` finds the functions the learner's answer calls (``sigmoid``, an earlier
  exercise) and reports those that are themselves wrong, so that an error is traced to where it comes from.
"""
import contextlib
import io

import numpy as np

OPEN, SHUT = 30.0, -30.0     # sigmoid(30) = 1 - 1e-13: a gate fully open / shut


def _close(a, b, rtol=1e-6, atol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def earlier_failures(func, checks):
    """Names and messages of the functions called by ``func`` that fail their own test.

    ``checks`` maps a global name (``"sigmoid"``, ``"lstm_step_forward"``) to a test ``f(callee) -> message
    or None``. Only names that ``func``'s code refers to and that exist in its globals are tested.
    """
    code = getattr(func, "__code__", None)
    if code is None:
        return []
    used = _code_names(code)
    found = []
    for name, test in checks.items():
        callee = getattr(func, "__globals__", {}).get(name)
        if name in used and callable(callee) and callee is not func:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    msg = test(callee)
            except Exception as e:   # noqa: BLE001  (any failure of the callee is worth reporting)
                msg = f"{type(e).__name__}: {e}"
            if msg:
                found.append(f"{name} ({msg})")
    return found


def with_earlier(message, func, checks):
    """``message``, plus a note naming any earlier function ``func`` calls that is itself wrong."""
    bad = earlier_failures(func, checks)
    if bad:
        message += ("; the error may come from an earlier function your answer calls, which is wrong too: "
                    + "; ".join(bad) + ". Fix that first")
    return message


@contextlib.contextmanager
def tracing(func, checks, where=""):
    """Inside the block, a failed assertion also names the earlier functions ``func`` calls that are wrong.

    ``checks`` is as for :func:`earlier_failures`; ``where`` (the sizes, say) is added in parentheses.
    """
    try:
        yield
    except AssertionError as e:
        message = f"{e} ({where})" if where else str(e)
        raise AssertionError(with_earlier(message, func, checks)) from None


def sigmoid_test(sigmoid):
    """None if ``sigmoid`` is the logistic function, else what is wrong with it."""
    a = np.linspace(-6, 6, 13)
    got = np.asarray(sigmoid(a), dtype=float)
    if not _close(got, 0.5 * (1 + np.tanh(a / 2))):
        return "sigmoid(a) must be 1 / (1 + exp(-a)): sigmoid(0) = 0.5, sigmoid(6) = 0.9975"
    return None


def probe(learner, reference, probes, outputs, rtol=1e-6, atol=1e-8):
    """Compare ``learner(*args)`` with ``reference(*args)`` on each probe; raise at the first disagreement.

    ``probes`` is a list of ``(message, args)`` or ``(message, args, focus)``; ``outputs`` names the returned
    arrays (``("h_t", "c_t")``, or ``("h_t",)`` for a single array); ``focus`` is the subset of ``outputs`` the
    probe is about (default all). The assertion names the outputs that differ and the probe's message.
    """
    for message, args, *focus in probes:
        focus = focus[0] if focus and focus[0] else outputs
        got = learner(*args)
        exp = reference(*args)
        if len(outputs) == 1:
            got, exp = (got,), (exp,)
        elif not (isinstance(got, tuple) and len(got) == len(outputs)):
            raise AssertionError(f"return a tuple ({', '.join(outputs)})")
        wrong = []
        for name, g, e in zip(outputs, got, exp):
            g = np.asarray(g)
            assert g.shape == np.shape(e), f"{name} has shape {g.shape}, expected {np.shape(e)}"
            if name in focus and not _close(g, e, rtol, atol):
                wrong.append(name)
        if wrong:
            raise AssertionError(f"{' and '.join(wrong)} wrong: {message}")


def probe_message(learner, reference, probes, outputs):
    """None if ``learner`` agrees with ``reference`` on every probe, else :func:`probe`'s message.

    For the tests in :func:`earlier_failures`' ``checks``: a later exercise's failure traced back to this one.
    """
    try:
        probe(learner, reference, probes, outputs)
    except AssertionError as e:
        return str(e)
    return None


def probe_sizes(learner, reference, rng, cases, gates, outputs, sizes, n_states=1, extra=()):
    """:func:`probe` on the :func:`cell_probes` of ``cases`` at each ``(B, D, H)`` in ``sizes``, all from ``rng``.

    A failure names the sizes, and ``sigmoid`` when the learner's answer calls a wrong one.
    """
    for B, D, H in sizes:
        with tracing(learner, {"sigmoid": sigmoid_test}, f"B={B}, D={D}, H={H}"):
            probe(learner, reference, cell_probes(rng, cases, gates, B=B, D=D, H=H, n_states=n_states, extra=extra),
                  outputs)


def blocks_that_differ(got, exp, gates, rtol=1e-6, atol=1e-8):
    """Gate names whose row block of ``got`` differs from ``exp`` (rows ``k*H:(k+1)*H`` for gate ``k``)."""
    got, exp = np.asarray(got), np.asarray(exp)
    H = exp.shape[0] // len(gates)
    return [g for k, g in enumerate(gates)
            if not _close(got[k * H:(k + 1) * H], exp[k * H:(k + 1) * H], rtol, atol)]


def compare_gradients(got, exp, keys, gates, hints, where):
    """Assert every gradient in ``got`` matches ``exp``; the message names the keys, the gate blocks, a hint.

    ``gates`` names the row blocks of the weight and bias gradients; ``hints`` maps a key (or a frozenset of
    keys) that is wrong *alone* to a sentence saying which term to look at.
    """
    wrong = []
    for k in keys:
        assert k in got, f"the returned gradients have no {k!r}"
        g = np.asarray(got[k])
        assert g.shape == np.shape(exp[k]), (f"{k} has shape {g.shape}, expected {np.shape(exp[k])} (the shape of "
                                             "the array it is the gradient of; a transpose?)")
        if not _close(g, exp[k]):
            wrong.append(k)
    if not wrong:
        return
    parts = []
    for k in wrong:
        if np.ndim(exp[k]) >= 1 and np.shape(exp[k])[0] % len(gates) == 0 and k.startswith(("dW", "db")):
            blocks = blocks_that_differ(got[k], exp[k], gates)
            parts.append(f"{k} (gate block{'s' if len(blocks) > 1 else ''} {', '.join(blocks)})")
        else:
            parts.append(k)
    msg = f"wrong {', '.join(parts)} ({where})"
    hint = hints.get(frozenset(wrong)) or (hints.get(wrong[0]) if len(wrong) == 1 else None)
    if hint:
        msg += f": {hint}"
    raise AssertionError(msg)


def cell_probes(rng, cases, gates, B=3, D=4, H=5, n_states=1, extra=()):
    """Probe inputs for a gated step ``f(x_t, *states, W_ih, W_hh, b_ih, b_hh, *extra)``.

    ``cases`` is a list of ``(message, settings, kind)`` or ``(message, settings, kind, focus)``.
    ``settings`` maps a gate name to ``OPEN``, ``SHUT`` or a number (the other gates get random
    pre-activations in [-1.5, 1.5]); ``kind`` says where the pre-activations come from: ``"b_ih"`` or
    ``"b_hh"`` (weights zero, so the gates are set by that bias alone), ``"W_ih"`` (no recurrent weights),
    ``"W_hh"`` (no input weights) or ``"all"`` (everything random); ``focus`` is passed on to :func:`probe`.
    ``extra`` is a function ``(case_index, H) -> tuple`` of further arguments, or an empty tuple.
    """
    G = len(gates)
    out = []
    for n, (message, settings, kind, *focus) in enumerate(cases):
        x_t = rng.standard_normal((B, D))
        states = [rng.standard_normal((B, H)) * 0.8 for _ in range(n_states)]
        pre = rng.uniform(-1.5, 1.5, G * H)
        for gate, value in settings.items():
            k = gates.index(gate)
            pre[k * H:(k + 1) * H] = value
        W_ih = rng.standard_normal((G * H, D)) * 0.5 if kind in ("W_ih", "all") else np.zeros((G * H, D))
        W_hh = rng.standard_normal((G * H, H)) * 0.5 if kind in ("W_hh", "all") else np.zeros((G * H, H))
        b_ih = pre if kind != "b_hh" else np.zeros(G * H)
        b_hh = pre * 0.0 if kind != "b_hh" else pre
        if kind == "all":
            b_hh = rng.standard_normal(G * H) * 0.2
        more = extra(n, H) if callable(extra) else tuple(extra)
        out.append((message, (x_t, *states, W_ih, W_hh, b_ih, b_hh, *more), focus[0] if focus else None))
    return out
