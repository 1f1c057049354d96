"""Data for the course: real biology data shipped with the package, and simulators.

Real data (no download at run time; sources and licences in ``data/README.md``):

* :func:`load_splice` - UCI primate splice junctions, ``X (3190, 60, 4)``
* :func:`load_yeast_cell_cycle` - Spellman 1998 expression, ``X (800, 73)``
* :func:`load_lynx` - Canadian lynx trappings 1821-1934, ``(114,)``

Simulators (all deterministic for a fixed ``seed``):

* ``tasks``: adding problem, copy, parity, sine continuation, flip-flop,
  context-dependent integration
* ``ecology``: Lotka-Volterra predator-prey and logistic growth counts
* ``motifs``: planted TF motifs where order and spacing set the label
* ``repressilator``: Elowitz & Leibler ODE and Gillespie simulation
"""

from ._base import Bunch
from .ecology import logistic_growth, lotka_volterra
from .motifs import (CONSENSUS, consensus_hits, planted_motifs, pwm_from_consensus, pwm_scan,
                     sample_from_pwm, split_motifs)
from .real import load_lynx, load_splice, load_yeast_cell_cycle
from .repressilator import repressilator_gillespie, repressilator_ode
from .tasks import (adding_problem, context_integration, copy_task, flip_flop, parity,
                    sine_continuation)

__all__ = [
    "Bunch",
    "load_splice", "load_yeast_cell_cycle", "load_lynx",
    "adding_problem", "copy_task", "parity", "sine_continuation", "flip_flop",
    "context_integration",
    "lotka_volterra", "logistic_growth",
    "CONSENSUS", "pwm_from_consensus", "sample_from_pwm", "pwm_scan", "consensus_hits",
    "planted_motifs", "split_motifs",
    "repressilator_ode", "repressilator_gillespie",
]
