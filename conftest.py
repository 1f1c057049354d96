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


# The longest scopes (a test module, a notebook) first, so that the two workers end together.
# pytest-xdist's --dist loadscope hands out whole scopes in collection order, and by default
# reorders them by their number of tests (--no-loadscope-reorder in pyproject.toml turns that
# off): many quick tests came first and the slow notebooks last, and in CI on 2 cores one worker
# ran 38 s longer than the other (2026-12-03, 12:30 UTC). Seconds per scope from that run, to
# order by, not to check; scopes not named here follow in their usual order.
SLOW_SCOPES = {
    "tests/test_site.py": 87, "tests/test_backends_agree.py": 61, "tests/test_cuda.py": 38,
    "notebooks/13_neural_circuits.ipynb": 36, "tests/test_determinism.py": 35,
    "notebooks/18_training_well.ipynb": 34, "notebooks/14_motif_grammar.ipynb": 33,
    "notebooks/08_gpu_cuda_kernels.ipynb": 28, "notebooks/19_attention.ipynb": 26,
    "tests/test_jupyterlab.py": 25, "notebooks/17_sequence_language_models.ipynb": 23,
    "notebooks/06_gru.ipynb": 20, "notebooks/12_biological_counts.ipynb": 20,
    "notebooks/04_vanishing_exploding_gradients.ipynb": 19, "notebooks/11_yeast_cell_cycle.ipynb": 19,
    "notebooks/07_speed_with_numba.ipynb": 18, "notebooks/15_repressilator.ipynb": 18,
    "tests/test_cpu_kernels.py": 17, "notebooks/10_splice_sites.ipynb": 15,
    "notebooks/16_protein_secondary_structure.ipynb": 15, "tests/test_cpu_cache.py": 14,
}


def _scope(item):
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    first = {}
    for i, item in enumerate(items):
        first.setdefault(_scope(item), i)
    # a stable sort on (slowest first, then where the scope began): each scope stays in one piece,
    # in its own order (nbval runs a notebook's cells in order in one kernel)
    items.sort(key=lambda item: (-SLOW_SCOPES.get(_scope(item), 0), first[_scope(item)]))
