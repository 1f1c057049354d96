"""Settings every test and notebook run shares; loaded by pytest before anything imports numba."""
import os

# No GPU (CI, laptops): run the CUDA kernels in Numba's simulator. This must be
# set before numba is first imported, so no pytest option may name a numba class
# (that would import numba while the configuration is read). Notebook kernels
# inherit these variables from this process.
if not os.path.exists("/dev/nvidiactl"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS", "0")
# Keras 3 is the reference of the Keras-style API's parity tests, on PyTorch.
os.environ.setdefault("KERAS_BACKEND", "torch")
# No "rnncore: compiling ..." line (rnncore/cpu/_notice.py): it goes to stderr, and in a cell
# nbval checks (NBVAL_CHECK_OUTPUT) any stderr is an unexpected output. Whether a compile
# lands in such a cell depends on the test order and the machine's load (CI failed on it).
os.environ["RNNCORE_COMPILE_NOTICE"] = "0"
# No second process compiling a cell's backward kernels at its first forward (rnncore/cpu/
# _background.py): the two test workers already keep both cores compiling (tests/conftest.py),
# and each child would compile the kernels the cells share once more. tests/test_determinism.py
# turns it on for its fresh compile, and checks it there.
os.environ["RNNCORE_BACKGROUND_COMPILE"] = "0"


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore::numba.core.errors.NumbaPerformanceWarning")
