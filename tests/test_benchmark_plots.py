"""``benchmarks/plot_results.py``: issue 13's figures come from the committed result files, and
what ``benchmarks/README.md`` says of those results ("2026-12-03, late morning") holds in them."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import plot_results  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_script_draws_the_three_figures(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "plot_results.py"), "--out-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("busy.png", "coldstart.png", "fit.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name
        assert (ROOT / "benchmarks" / name).is_file(), f"benchmarks/{name} is not committed"
        assert f"]({name})" in (ROOT / "benchmarks" / "README.md").read_text(), f"README does not show {name}"


@pytest.mark.parametrize("key", ["idle_2026_12_03", "afternoon_2026_12_04"])
def test_busy_machine_target_holds_in_the_idle_machine_runs(key):
    """Target 1: threads win on the idle machine, and cost at most 1.2x with competitors."""
    summary = plot_results.busy_summary()
    now = next(v for k, v in summary.items() if key in k)
    assert len(now) == 3
    for workload, rows in now.items():
        by_competitors = {c: median for c, median, _, _ in rows}
        assert set(by_competitors) == {0, 1, 2}, workload
        assert by_competitors[0] < 0.7, f"{workload}: the second thread no longer wins on an idle machine"
        assert max(by_competitors[1], by_competitors[2]) <= plot_results.TARGET_BUSY, workload


def test_fit_target_is_below_the_flop_floor_at_lstm_256():
    """Target 3 at LSTM(256) x T=100 asks for less time than the LSTM's matrix products take at
    the machine's SGEMM peak; at LSTM(64) it does not, and rnncore is above both lines."""
    summary = {name: (times, floor) for name, times, floor in plot_results.fit_summary()}
    for name, (times, floor) in summary.items():
        target = plot_results.TARGET_FIT * min(v for k, v in times.items() if k != "rnncore")
        assert times["rnncore"] > max(floor, target), name
        assert (target < floor) == name.startswith("LSTM(256)"), name


def test_the_flop_count_is_bench_rnns():
    c = {"B": 32, "T": 100, "D": 8, "H": 256, "batches_per_epoch": 4}
    # forward 2*B*T*4H*(D+H) per batch, backward twice that
    assert plot_results.lstm_epoch_gflop(c) == pytest.approx(3 * 2 * 32 * 100 * 1024 * 264 * 4 / 1e9)


def test_coldstart_series_cover_every_cell():
    summary = plot_results.coldstart_summary()
    assert list(summary) == ["rnn", "lstm", "gru", "peephole"]
    for cell, series in summary.items():
        assert series["2026-12-03, background compile (median of 3)"] < series["2026-12-03, one process (median of 3)"], cell
        assert series["2026-12-03, warm cache"] < plot_results.TARGET_WARM_S, cell
        assert series["2026-12-04, default (median of 2)"] < plot_results.TARGET_COLD_S, cell
        assert series["2026-12-04, warm cache (median of 2)"] < plot_results.TARGET_WARM_S, cell
