"""``backend="cuda"``: Numba CUDA kernels for RNN, LSTM and GRU.

Needs the optional ``numba-cuda`` package (``pip install rnncore[cuda]``) and
either an NVIDIA GPU or Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``,
set before anything imports ``numba.cuda``; slow, for tests and teaching).

Modules: :mod:`._kernels_common` (tiled shared-memory GEMM, activations, small
helper kernels), :mod:`.rnn`, :mod:`.lstm`, :mod:`.gru` (fused per-step forward
and backward kernels plus the host functions), :mod:`._host` (what those host
functions share: transfers, launches, the time loops, the backward tail),
:mod:`.persistent` (forward kernels that keep W_hh in shared memory for the
whole sequence).
"""
import os
import sys

_REASON = None
# Device nodes of an NVIDIA driver on Linux (/dev/dxg: the GPU under WSL2)
DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg")


def _driver_present():
    """False when this machine plainly has no CUDA driver: no NVIDIA device node and no CUDA
    driver library that the loader knows of. Checked before importing numba.cuda, whose import
    and driver probe took 1.0-1.4 s on a machine without a GPU (2026-12-03), in the first cell
    of every notebook that picks its backend. NUMBA_CUDA_DRIVER (a driver library at a path of
    its own) always takes the full check."""
    if os.environ.get("NUMBA_CUDA_DRIVER"):
        return True
    if sys.platform == "darwin":
        return False                                   # no CUDA driver for macOS since 2019
    if sys.platform.startswith("linux") and any(os.path.exists(node) for node in DEVICE_NODES):
        return True
    import ctypes.util
    return ctypes.util.find_library("nvcuda" if sys.platform == "win32" else "cuda") is not None


def _numba_cuda():
    """Import numba.cuda, or return None and remember why not."""
    global _REASON
    try:
        from numba import cuda
        return cuda
    except Exception as exc:  # numba-cuda missing or broken
        _REASON = f"numba.cuda could not be imported ({exc}); install it with `pip install rnncore[cuda]`"
        return None


def simulator_enabled():
    """True when Numba runs CUDA kernels in its simulator (NUMBA_ENABLE_CUDASIM=1)."""
    try:
        from numba import config
        return bool(config.ENABLE_CUDASIM)
    except Exception:
        return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"


def is_available():
    """True when CUDA kernels can run here: a working GPU, or the simulator."""
    global _REASON
    simulated = simulator_enabled()
    if not simulated and not _driver_present():
        _REASON = "no CUDA driver was found (no NVIDIA device and no CUDA driver library)"
        return False
    cuda = _numba_cuda()
    if cuda is None:
        return False
    if simulated:
        return True
    try:
        ok = bool(cuda.is_available())
    except Exception as exc:
        _REASON = f"the CUDA driver check failed ({exc})"
        return False
    if not ok:
        _REASON = "no CUDA GPU was found (numba.cuda.is_available() is False)"
    return ok


def require_cuda():
    """Raise a RuntimeError that says what to do when ``backend="cuda"`` cannot run."""
    if not is_available():
        raise RuntimeError(
            f'backend="cuda" is not available: {_REASON or "no CUDA GPU found"}. '
            'Use backend="cpu" or backend="numpy", run on a machine with an NVIDIA GPU and '
            "numba-cuda installed, or set NUMBA_ENABLE_CUDASIM=1 before importing rnncore "
            "to run the kernels in Numba's (slow) CUDA simulator.")
