"""The SQL of one request of each hot path, counted and explained on a generated dataset.

Run by ``benchmarks/bench_load.py`` (one process per dataset) or alone::

    .venv/bin/python benchmarks/queries.py 1X/manifest.json [4X/manifest.json] [--plans benchmarks/plans]

The app runs in this process (Flask test client, production settings) against the dataset's
database. A ``before_cursor_execute`` listener records every statement of one request per path
(after one warm-up request, so first-use work is not counted): an answer save, the checklist
page, the 12-month dashboard (as the office sees it: figures from the cache while the data has
not changed; and recomputed, the process's figures cache emptied before the request) and the
finance JSON API. The save is sent as the phone's outbox sends it (client id, capture time,
phone clock), so it includes the server's check and record of the action id. Each distinct statement is then run
again as ``EXPLAIN (ANALYZE, BUFFERS)`` with the parameters it had, inside a transaction that
is rolled back, and the plans are written to ``<plans>/<path>.txt`` (``<path>-4x.txt`` for the
4× dataset). Then each path's request is timed ``--timed`` times per dataset in this process,
one after another and the datasets taking turns (no HTTP, no other load from this benchmark:
the request's own cost, and its growth with the data free of the machine's drift). Prints a
JSON summary (per dataset and path: query count, summed execution time, median and best
in-process time) on the last line of its output.
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dataset  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HEADER_CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
EXECUTION_RE = re.compile(r"Execution Time: ([\d.]+) ms")
PATHS = ("answer-save", "checklist-page", "dashboard-12-months", "dashboard-recomputed", "finance-api")
# Paths timed with their cache warm: "dashboard-recomputed" empties this process's figures cache (both
# datasets' apps share it), so the cached dashboard is asked once untimed before it is timed.
WARMED = frozenset({"dashboard-12-months"})


def login(client, username: str, password: str) -> str:
    """Log ``client`` in through the form; returns the CSRF token the pages give htmx."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": CSRF_RE.search(page).group(1), "username": username,
                                            "password": password}, follow_redirects=True)
    match = HEADER_CSRF_RE.search(response.get_data(as_text=True))
    if response.status_code != 200 or match is None:
        raise RuntimeError(f"login as {username} failed: {response.status_code}")
    return match.group(1)


def requests_of(app, manifest: dataset.Manifest) -> dict[str, callable]:
    """One callable per path that makes its request and checks the status."""
    from portal.dashboard.freshness import forget

    inspector = manifest.inspectors[0]
    item_id = next(item for item, kind, _good, _bad in inspector["items"] if kind != "measured")
    outcomes = itertools.cycle(["na", "pass"])  # each save changes the answer: the write is measured too
    end = date.today()
    clients = {name: app.test_client() for name in ("inspector", "office")}
    token = login(clients["inspector"], inspector["username"], manifest.password)
    login(clients["office"], "office", "demo1234")
    api = app.test_client()
    contract = manifest.contract_numbers[len(manifest.contract_numbers) // 2]

    def check(response):
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.path}: {response.status_code}")

    def save():
        """One tap as the outbox sends it (static/js/outbox.js)."""
        now = datetime.now(timezone.utc).isoformat()
        check(clients["inspector"].post(
            f"/inspections/{inspector['inspection']}/items/{item_id}",
            data={"outcome": next(outcomes), "client_id": str(uuid.uuid4()), "captured_at": now},
            headers={"HX-Request": "true", "HX-Target": f"item-{item_id}", "X-CSRFToken": token,
                     "X-Phone-Clock": now, "X-Outbox": "1"}))

    def dashboard():
        check(clients["office"].get(f"/dashboard/?period=custom&start={end - timedelta(days=365)}&end={end}"))

    def dashboard_recomputed():
        forget()  # this process's figures: as after a change to what they are computed from
        dashboard()

    return {
        "answer-save": save,
        "checklist-page": lambda: check(clients["inspector"].get(f"/inspections/{inspector['inspection']}")),
        "dashboard-12-months": dashboard,
        "dashboard-recomputed": dashboard_recomputed,
        "finance-api": lambda: check(api.get(f"/api/v1/settlement/{contract}",
                                             headers={"Authorization": f"Bearer {manifest.api_token}"})),
    }


def capture(engine, request) -> list[tuple[str, object]]:
    """Every (statement, parameters) that ``request()`` sends to the database, in order."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        seen.append((statement, parameters[0] if executemany and parameters else parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def explain(url: str, statements: list[tuple[str, object]]) -> list[tuple[str, object, str, float]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each distinct statement, rolled back: (sql, params, plan, ms)."""
    import psycopg

    done, plans = set(), []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for statement, parameters in statements:
            if statement in done or not re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", statement, re.I):
                continue
            done.add(statement)
            try:
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or None).fetchall()
                plan = "\n".join(row[0] for row in rows)
            except psycopg.Error as error:
                plan = f"(could not explain: {error})"
            conn.rollback()
            match = EXECUTION_RE.search(plan)
            plans.append((statement, parameters, plan, float(match.group(1)) if match else 0.0))
    return plans


def write_plans(path: Path, name: str, count: int, plans: list[tuple[str, object, str, float]]) -> None:
    """The plans of one path, slowest statement first, with the statement and its parameters."""
    total = sum(ms for *_rest, ms in plans)
    lines = [f"# {name}: {count} statements in one request, {len(plans)} distinct; "
             f"summed execution time {total:.2f} ms (EXPLAIN ANALYZE, rolled back)", ""]
    for n, (statement, parameters, plan, ms) in enumerate(sorted(plans, key=lambda p: -p[3]), 1):
        lines += [f"## {n}. {ms:.3f} ms", "", statement.strip(), "", f"parameters: {parameters!r}", "", plan, "", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Count and explain the statements of each path on each dataset, time them interleaved; JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("manifests", type=Path, nargs="+", help="one per dataset (1× first)")
    parser.add_argument("--plans", type=Path, default=ROOT / "benchmarks" / "plans")
    parser.add_argument("--timed", type=int, default=30, help="requests timed per path and dataset")
    args = parser.parse_args(argv)
    args.plans.mkdir(parents=True, exist_ok=True)

    from portal import create_app
    from portal.extensions import db

    datasets = {}  # label → (manifest, engine, requests)
    for path in args.manifests:
        manifest = dataset.Manifest.load(path)
        app = create_app(dataset.app_env(manifest.database_url, Path(manifest.upload_dir)))
        with app.app_context():
            engine = db.engine
        # No app context held across requests: each request gets its own (and its own ``g``), as in production.
        datasets[f"{manifest.scale}×"] = (manifest, engine, requests_of(app, manifest))
    summary = {label: {} for label in datasets}
    for label, (manifest, engine, requests) in datasets.items():
        suffix = "" if manifest.scale == 1 else f"-{manifest.scale}x"
        for name in PATHS:
            requests[name]()  # warm-up: first-use caches are not the path's cost
            statements = capture(engine, requests[name])
            plans = explain(manifest.database_url, statements)
            write_plans(args.plans / f"{name}{suffix}.txt", name, len(statements), plans)
            slowest = max(plans, key=lambda p: p[3]) if plans else ("", None, "", 0.0)
            summary[label][name] = {"queries": len(statements), "distinct": len(plans),
                                    "execution_ms": round(sum(p[3] for p in plans), 3),
                                    "slowest_ms": slowest[3], "slowest": " ".join(slowest[0].split())[:160]}
    for name, timings in time_interleaved(datasets, args.timed).items():
        for label, values in timings.items():
            summary[label][name].update(in_process_ms=round(statistics.median(values), 2),
                                        in_process_best_ms=round(min(values), 2))
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def time_interleaved(datasets: dict, rounds: int) -> dict[str, dict[str, list[float]]]:
    """ms of each path's request on each dataset, the datasets taking turns: drift hits both alike."""
    timings = {name: {label: [] for label in datasets} for name in PATHS}
    for _ in range(rounds):
        for name in PATHS:
            for label, (_manifest, _engine, requests) in datasets.items():
                if name in WARMED:
                    requests[name]()  # untimed: the recomputed path emptied the cache since
                started = time.perf_counter()
                requests[name]()
                timings[name][label].append((time.perf_counter() - started) * 1000)
    return timings


if __name__ == "__main__":
    raise SystemExit(main())
