"""Data for the course: real biology data shipped with the package, and simulators.

Real data (no download at run time; sources and licences in ``data/README.md``):

* :func:`load_splice` - UCI primate splice junctions, ``X (3190, 60, 4)``; ``dedupe=True``
  gives the 3,004 distinct, consistently labelled windows, and
  :func:`sequence_group_splits` / :func:`sequence_group_holdout` split them so that
  identical sequences never cross a split (module ``splice``)
* :func:`load_yeast_cell_cycle` - Spellman 1998 expression, ``X (800, 73)``
* :func:`load_lynx` - Canadian lynx trappings 1821-1934, ``(114,)``
* :func:`load_protein_ss` - Qian & Sejnowski protein secondary structure, 110 + 17 proteins
  (:func:`protein_split` splits by protein, homologues together)

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
from .protein import homology_groups, load_protein_ss, protein_split
from .real import load_lynx, load_splice, load_yeast_cell_cycle
from .repressilator import repressilator_gillespie, repressilator_ode
from .splice import dedupe_splice, sequence_group_holdout, sequence_group_splits, sequence_groups
from .tasks import (adding_problem, context_integration, copy_task, flip_flop, parity,
                    sine_continuation)

__all__ = [
    "Bunch",
    "load_splice", "load_yeast_cell_cycle", "load_lynx",
    "load_protein_ss", "homology_groups", "protein_split",
    "dedupe_splice", "sequence_groups", "sequence_group_splits", "sequence_group_holdout",
    "adding_problem", "copy_task", "parity", "sine_continuation", "flip_flop",
    "context_integration",
    "lotka_volterra", "logistic_growth",
    "CONSENSUS", "pwm_from_consensus", "sample_from_pwm", "pwm_scan", "consensus_hits",
    "planted_motifs", "split_motifs",
    "repressilator_ode", "repressilator_gillespie",
]
