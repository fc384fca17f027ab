"""The load benchmark's floor (benchmarks/floor.py): its ratios and its table in the report."""
from __future__ import annotations

from pathlib import Path

import pytest

bench_load = pytest.importorskip("benchmarks.bench_load")


def _rows(name: str, rps: float, p95: float = 10.0, count: int = 1000) -> dict:
    return {name: {"count": count, "failures": 0, "p50": p95 / 2, "p95": p95, "p99": p95, "rps": rps},
            "_cpu": {"workers": count * 0.001, "postgres": count * 0.0005}}


def _run(save: float, base: float, floor_save: float | None = None, floor_base: float | None = None) -> dict:
    run = {"save": _rows(bench_load.SAVE, save), "baseline": _rows(bench_load.BASE, base)}
    if floor_save is not None:
        run["floor-save"] = _rows(bench_load.SAVE, floor_save)
        run["floor-baseline"] = _rows(bench_load.BASE, floor_base)
    return run


def _dataset(runs: list[dict]):
    return bench_load.Dataset("1×", manifest=None, manifest_path=Path("manifest.json"), built_in=None, runs=runs)


def test_the_floor_ratio_is_the_median_of_each_repetition_s_own_ratio():
    data = _dataset([_run(200, 2000, 1400, 3500), _run(250, 2500, 1300, 3000), _run(240, 2400, 1500, 3000)])
    ratio, saves, bases = bench_load.throughput_ratio(data, "floor-")
    assert saves == [1400, 1300, 1500] and bases == [3500, 3000, 3000]
    assert ratio == pytest.approx(1300 / 3000)  # the median of 0.40, 0.43 and 0.50
    assert bench_load.throughput_ratio(data)[0] == pytest.approx(0.1)


def test_the_floor_table_sets_the_floor_beside_the_portal_in_each_repetition():
    lines = bench_load.floor_table(_dataset([_run(240, 2400, 1200, 3000)]))
    row = lines[-2]
    assert row.startswith("| 1 | 1200 | 10 | 1.0 / 0.5 | 3000 | 10 | 0.40× | 0.10× | 0.50× |")


def test_without_floor_phases_there_is_no_floor_in_the_report():
    data = _dataset([_run(240, 2400)])
    assert bench_load.floor_table(data) == []
    assert all("floor" not in line for line in bench_load.budget_table(data, None))
