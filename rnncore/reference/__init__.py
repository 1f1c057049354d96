"""The NumPy reference backend (``backend="numpy"``).

Plain NumPy, one time step at a time, written to be read next to the equations.
Each cell module holds ``step_forward``/``step_backward`` for a single time
step and ``forward``/``backward`` for a whole sequence (their shared time loops are in
``_sequence``). A step cache is a NamedTuple: ``cache.W_ih``, ``cache.activation``.

The numpydoc sections (Parameters with shapes) repeat from cell to cell on purpose:
each function states its shapes where it is read, next to its own equations.
"""
from . import gru, lstm, peephole, rnn  # noqa: F401
from .activations import sigmoid  # noqa: F401
