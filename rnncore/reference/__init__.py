"""The NumPy reference backend (``backend="numpy"``).

Plain NumPy, one time step at a time, written to be read next to the equations.
Each module holds one cell: ``step_forward``/``step_backward`` for a single time
step and ``forward``/``backward`` for a whole sequence.
"""
from . import gru, lstm, peephole, rnn  # noqa: F401
from .activations import sigmoid  # noqa: F401
