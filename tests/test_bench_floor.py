"""The load benchmark's floors (benchmarks/floor.py): their ratios and their table in the report."""
from __future__ import annotations

from pathlib import Path

import pytest

bench_load = pytest.importorskip("benchmarks.bench_load")


def _rows(name: str, rps: float, p95: float = 10.0, count: int = 1000) -> dict:
    return {name: {"count": count, "failures": 0, "p50": p95 / 2, "p95": p95, "p99": p95, "rps": rps},
            "_cpu": {"workers": count * 0.001, "postgres": count * 0.0005}}


def _run(save: float, base: float, **floors: tuple[float, float]) -> dict:
    """A repetition's phases; ``floors``: prefix → (save req/s, trivial req/s)."""
    run = {"save": _rows(bench_load.SAVE, save), "baseline": _rows(bench_load.BASE, base)}
    for prefix, (floor_save, floor_base) in floors.items():
        run[f"{prefix}-save"] = _rows(bench_load.SAVE, floor_save)
        run[f"{prefix}-baseline"] = _rows(bench_load.BASE, floor_base)
    return run


def _dataset(runs: list[dict]):
    return bench_load.Dataset("1×", manifest=None, manifest_path=Path("manifest.json"), built_in=None, runs=runs)


def test_a_floor_s_ratio_is_the_median_of_each_repetition_s_own_ratio():
    data = _dataset([_run(200, 2000, floor=(1400, 3500)), _run(250, 2500, floor=(1300, 3000)),
                     _run(240, 2400, floor=(1500, 3000))])
    ratio, saves, bases = bench_load.throughput_ratio(data, "floor-")
    assert saves == [1400, 1300, 1500] and bases == [3500, 3000, 3000]
    assert ratio == pytest.approx(1300 / 3000)  # the median of 0.40, 0.43 and 0.50
    assert bench_load.throughput_ratio(data)[0] == pytest.approx(0.1)


def test_the_bound_adds_the_floor_s_save_work_to_the_portal_s_trivial_request():
    # Portal's trivial request 0.5 ms; the floor's save 1 ms where its trivial request is 0.25 ms: 0.5 / 1.25.
    assert bench_load.floor_bound(2000, 1000, 4000) == pytest.approx(0.4)
    # A floor whose save costs what its trivial request costs leaves the portal's ratio unbounded below 1.
    assert bench_load.floor_bound(2000, 3000, 3000) == pytest.approx(1.0)


def test_the_floor_table_sets_each_floor_beside_the_portal_in_each_repetition():
    lines = bench_load.floor_table(_dataset([_run(240, 2400, floor=(1200, 3000), sqlfloor=(600, 3000))]))
    rows = [line for line in lines if line.startswith("| 1 |")]
    assert rows == [
        "| 1 | a bare UPDATE + commit | 1200 | 10 | 1.0 / 0.5 | 3000 | 10 | 0.40× | 0.10× | "
        f"{bench_load.floor_bound(2400, 1200, 3000):.2f}× |",
        "| 1 | the save's SQL alone | 600 | 10 | 1.0 / 0.5 | 3000 | 10 | 0.20× | 0.10× | "
        f"{bench_load.floor_bound(2400, 600, 3000):.2f}× |"]


def test_the_budget_row_names_each_floor_s_ratio():
    data = _dataset([_run(240, 2400, floor=(1200, 3000), sqlfloor=(600, 3000))])
    row = next(line for line in bench_load.budget_table(data, None) if "throughput" in line)
    assert "the floors: a bare UPDATE + commit: 0.40×, the save's SQL alone: 0.20×" in row


def test_without_floor_phases_there_is_no_floor_in_the_report():
    data = _dataset([_run(240, 2400)])
    assert bench_load.floor_table(data) == []
    assert all("floor" not in line for line in bench_load.budget_table(data, None))
