"""``benchmarks/plot_results.py``: issue 13's figures come from the committed result files, and
what ``benchmarks/README.md`` says of those results ("2026-12-03, late morning") holds in them;
``benchmarks/floors.py``: its floors are the flop counts at the committed runs' peak, and the committed
``results_floors.json`` is what it gives ("2026-12-04, night")."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import floors  # noqa: E402
import plot_results  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_script_draws_the_four_figures(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "plot_results.py"), "--out-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("busy.png", "coldstart.png", "fit.png", "floors.png"):
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


# ----------------------------------------------------------------------------- floors.py


def test_floors_are_the_flop_count_at_the_peak():
    """The products' floor of a training forward is bench_rnn's flop count over the run's peak; the
    activations' floor five tanh per unit and step on the run's cores; both scale as they should."""
    res = floors.floors(tanh_ns=0.1)
    peak = res["peak_gflops"] * 1e9
    row = next(r for r in res["target_4"] if r["shape"] == [32, 100, 4, 64])
    assert row["products_floor_ms"] == pytest.approx(2 * 32 * 100 * 4 * 64 * (4 + 64) / peak * 1e3)
    assert row["activations_floor_ms"] == pytest.approx(5 * 32 * 100 * 64 * 0.1e-6 / res["cores"])
    assert row["factor"] == 0.4 and row["target_ms"] == pytest.approx(0.4 * row["torch_inference_ms"])
    doubled = next(r for r in floors.floors(tanh_ns=0.2)["target_4"] if r["shape"] == [32, 100, 4, 64])
    assert doubled["activations_floor_ms"] == pytest.approx(2 * row["activations_floor_ms"])
    assert doubled["products_floor_ms"] == row["products_floor_ms"]
    for f in res["target_3"]:
        assert f["target_s"] == pytest.approx(0.5 * f["best_peer_s"])
        assert f["products_share_of_target"] == pytest.approx(f["products_floor_s"] / f["target_s"])


def test_committed_floors_are_what_the_committed_runs_give():
    """results_floors.json is floors.py on the committed result files (with its measured tanh), and
    what benchmarks/README.md and notebook 07 say of it holds: LSTM(256)'s fit target below the
    products alone in all runs but one, the (32,100,4,64) forward's below products and activations."""
    committed = json.loads((ROOT / "benchmarks" / "results_floors.json").read_text())
    again = floors.floors(committed["tanh_ns_per_element"])
    for key in ("peak_gflops", "cores"):
        assert again[key] == committed[key]
    for key in ("target_4", "target_3"):
        assert len(again[key]) == len(committed[key]), key
    for a, c in zip(again["target_4"] + again["target_3"], committed["target_4"] + committed["target_3"]):
        for k, v in c.items():
            assert a[k] == (pytest.approx(v) if isinstance(v, float) else v), k
    t4 = {tuple(r["shape"]): r for r in committed["target_4"]}
    assert t4[(32, 100, 4, 64)]["floor_share_of_target"] > 1
    s256 = [f["products_share_of_target"] for f in committed["target_3"] if f["config"].startswith("LSTM(256)")]
    assert sum(s > 1 for s in s256) == len(s256) - 1


def test_floors_figure_summary():
    """floors.png's points: every committed fit run of each config, and the four LSTM rows of the
    training forward, as fractions of PyTorch's time (the target lines at 0.5, 0.4 and 0.8)."""
    fit, fwd = plot_results.floors_summary()
    committed = json.loads((ROOT / "benchmarks" / "results_floors.json").read_text())
    assert sum(len(v) for v in fit.values()) == len(committed["target_3"])
    assert [s for s, *_ in fwd] == [tuple(r["shape"]) for r in committed["target_4"]]
    for shape, factor, products, activations, rnncore in fwd:
        assert factor == (0.4 if shape == (32, 100, 4, 64) else 0.8)
        assert 0 < products and 0 < activations < products and rnncore > 0
