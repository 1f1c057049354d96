"""rnncore.cpu._malloc: freed arrays are reused, not faulted in afresh each call (glibc)."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the thresholds are glibc's; elsewhere rnncore leaves malloc alone")

# A training step's pattern: allocate and touch the large arrays (gates, c_seq, h_seq,
# then dA), free them all, again; count the minor page faults of the later steps.
SIZES = (819200, 204800, 204800, 819200)                  # float32 elements
PAGES_PER_STEP = sum(SIZES) * 4 // 4096                   # 2000 pages of 4 KB
CHILD = f"""
import resource, numpy as np
import rnncore.cpu
def step():
    arrays = [np.ones(n, dtype=np.float32) for n in {SIZES}]
    return sum(float(a[-1]) for a in arrays)
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | env
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def test_freed_arrays_are_reused_without_page_faults():
    kept = _faults()
    returned = _faults(RNNCORE_MALLOPT="0")
    # Without the setting glibc hands most of each step's 8 MB back and faults it in again;
    # with it the later steps reuse the same pages.
    assert returned > 5 * PAGES_PER_STEP, returned
    assert kept < PAGES_PER_STEP, kept


@pytest.mark.parametrize("name, value", [("MALLOC_TRIM_THRESHOLD_", "1000000"), ("RNNCORE_MALLOPT", "0")])
def test_user_settings_and_switch_leave_malloc_alone(monkeypatch, name, value):
    from rnncore.cpu import _malloc
    monkeypatch.setenv(name, value)
    assert _malloc.keep_freed_memory() is False


def test_user_thresholds_win():
    assert _faults(MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072") > 5 * PAGES_PER_STEP
