"""Load benchmark: the portal under gunicorn on the generated PostgreSQL dataset, driven by locust.

Run from the repository root: ``.venv/bin/python benchmarks/bench_load.py`` (``make bench``).

1. ``benchmarks/dataset.py`` builds the dataset in ``BENCH_DATABASE_URL`` (default: database
   ``portal_bench`` on the local PostgreSQL; dropped and recreated) unless ``--reuse``.
2. gunicorn serves ``wsgi:app`` with 2 workers (this machine has 2 cores) on that database.
3. locust, in another process, runs three phases against it:
   * **mixed**: 20 inspectors tapping answers (think time 0.5–1.5 s) and now and then
     reloading the checklist, foremen reading notices, office on the 12-month dashboard,
     finance searching and calling the API, and 20 baseline users asking ``/healthz/live``
     at the same pace: the ratio column divides by that baseline's figure;
   * **save**: 20 inspectors saving answers as fast as the server answers;
   * **baseline**: 20 users asking ``/healthz/live`` as fast as the server answers; answer-save
     throughput is compared with this one.
4. Chromium loads each role's first page cold and counts requests and gzip-compressed bytes.

Writes the section ``load`` of ``benchmarks/RESULTS.md`` and prints it.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dataset  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.server import THREADS, WORKERS, free_port, gunicorn  # noqa: E402

# Budgets (ms unless noted): endpoint name → p95 limit.
P95_BUDGETS = {"answer save": 50, "checklist page": 150, "dashboard (12 months)": 300, "finance API": 30}
THROUGHPUT_RATIO_BUDGET = 0.4
PAGE_BUDGET_KB = 60
MIXED_USERS = {"InspectorUser": 20, "ForemanUser": 3, "OfficeUser": 2, "FinanceUser": 2, "BaselineUser": 20}


def run_locust(phase: str, users: dict[str, int], seconds: int, host: str, manifest: Path, work: Path) -> dict:
    """One locust run (headless, own process); returns its per-endpoint rows from the stats CSV."""
    prefix = work / f"locust-{phase}"
    env = {**os.environ, "BENCH_MANIFEST": str(manifest), "BENCH_PHASE": phase}
    total = sum(users.values())
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
               "--host", host, "-u", str(total), "-r", "10", "--reset-stats", "-t", f"{seconds}s", "--csv", str(prefix),
               "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING", *users]
    subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50": float(row["50%"]), "p95": float(row["95%"]), "p99": float(row["99%"]),
                "rps": float(row["Requests/s"])}
    failures_file = Path(f"{prefix}_failures.csv")
    rows["_failures"] = failures_file.read_text(encoding="utf-8") if failures_file.exists() else ""
    return rows


def page_weights(host: str, manifest: dataset.Manifest) -> list[dict]:
    """Each role's first page, cold cache: request count, transferred and gzip-compressed KB (no photos)."""
    from playwright.sync_api import sync_playwright

    people = [("inspector", manifest.inspectors[0]["username"], manifest.password, "/inspections/today"),
              ("inspector: checklist", manifest.inspectors[0]["username"], manifest.password,
               f"/inspections/{manifest.inspectors[0]['inspection']}"),
              ("foreman", manifest.foremen[0]["username"], manifest.password, "/notices/mine"),
              ("project manager", "pm", "demo1234", "/notices/mine"),
              ("engineering", "engineering", "demo1234", "/schedule/submissions"),
              ("office", "office", "demo1234", "/dashboard/"),
              ("finance", "finance", "demo1234", "/finance/"),
              ("admin", "admin", "demo1234", "/admin/users")]
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        device = p.devices["Pixel 7"]
        for role, username, password, path in people:
            login = browser.new_context(**device, base_url=host, locale="zh-CN")
            page = login.new_page()
            page.goto("/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
            state = login.storage_state()
            login.close()
            context = browser.new_context(**device, base_url=host, locale="zh-CN", storage_state=state)
            page = context.new_page()
            seen = []
            page.on("requestfinished", lambda request: seen.append(request))
            page.goto(path, wait_until="networkidle")
            count = transferred = compressed = 0
            for request in seen:
                if "/photos/" in request.url:
                    continue
                response = request.response()
                body = response.body() if response else b""
                count += 1
                transferred += request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]
                compressed += len(gzip.compress(body, 6)) if body else 0
            results.append({"role": role, "path": path, "requests": count, "transferred": transferred / 1024,
                            "gzip": compressed / 1024})
            context.close()
        browser.close()
    return results


def report(mixed: dict, save: dict, baseline: dict, pages: list[dict], manifest: dataset.Manifest,
           seconds: dict[str, int]) -> str:
    """The Markdown of the section: dataset, the three phases, budgets and page weights."""
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    counts = manifest.counts
    people = ", ".join(f"{n} × {kind.removesuffix('User').lower()}" for kind, n in MIXED_USERS.items())
    lines = [f"Dataset (generated by `benchmarks/dataset.py`): {counts.get('projects', 0):,} projects, "
             f"{counts.get('inspections', 0):,} inspections over 12 months, {counts.get('answers', 0):,} answers, "
             f"{counts.get('rectification_notices', 0):,} notices ({counts.get('notice_items', 0):,} items), "
             f"{counts.get('penalties', 0):,} penalties, {counts.get('pass_certificates', 0):,} certificates, "
             f"{counts.get('photos', 0):,} photo rows, {counts.get('users', 0):,} users. "
             f"Server: gunicorn, {WORKERS} workers × {THREADS} threads, PostgreSQL; load from locust in another "
             f"process on the same machine.", "",
             f"### Mixed load ({seconds['mixed']} s; think time 0.5–1.5 s; "
             f"{people})", "",
             "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors | p95 / baseline p95 | budget p95 | |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|:--|"]
    base = mixed.get("baseline /healthz/live")
    for name, row in mixed.items():
        if name.startswith("_") or name in ("Aggregated",):
            continue
        budget = P95_BUDGETS.get(name)
        ratio = f"{row['p95'] / base['p95']:.1f}×" if base and base["p95"] else "—"
        lines.append(f"| {name} | {row['count']:,} | {row['rps']:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | "
                     f"{row['p99']:.0f} | {row['failures']} | {ratio} | {f'≤ {budget}' if budget else ''} | "
                     f"{met(row['p95'] <= budget) if budget else ''} |")
    total_errors = sum(r["failures"] for phase in (mixed, save, baseline) for n, r in phase.items()
                       if not n.startswith("_") and n != "Aggregated")
    save_row, base_row = save.get("answer save"), baseline.get("baseline /healthz/live")
    ratio = save_row["rps"] / base_row["rps"] if save_row and base_row and base_row["rps"] else 0.0
    lines += ["", f"### Saturation ({seconds['saturation']} s each, 20 users, no think time)", "",
              "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row, name in ((save_row, "answer save"), (base_row, "baseline /healthz/live")):
        if row:
            lines.append(f"| {name} | {row['count']:,} | {row['rps']:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | "
                         f"{row['p99']:.0f} | {row['failures']} |")
    lines += ["", f"Answer-save throughput = **{ratio:.2f} ×** the baseline's (budget ≥ {THROUGHPUT_RATIO_BUDGET}: "
                  f"{met(ratio >= THROUGHPUT_RATIO_BUDGET)}). Errors in all phases: **{total_errors}** "
                  f"(budget 0: {met(total_errors == 0)}).", "",
              "### First page load per role (Pixel 7, cold cache, photos excluded)", "",
              "| role | page | requests | transferred KB | gzip KB | budget ≤ 60 KB |", "|---|---|---:|---:|---:|:--|"]
    for page in pages:
        lines.append(f"| {page['role']} | `{page['path']}` | {page['requests']} | {page['transferred']:.1f} | "
                     f"{page['gzip']:.1f} | {met(page['gzip'] <= PAGE_BUDGET_KB)} |")
    failures = "\n".join(f for f in (mixed.get("_failures"), save.get("_failures"), baseline.get("_failures"))
                         if f and f.count("\n") > 1)
    if failures:
        lines += ["", "Failures (locust):", "", "```", failures.strip(), "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the dataset, serve it, run the phases, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reuse", action="store_true", help="keep the dataset of the previous run")
    parser.add_argument("--seconds", type=int, default=90, help="duration of the mixed phase")
    parser.add_argument("--saturation-seconds", type=int, default=30)
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL)
    work = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "portal-bench"))
    work.mkdir(parents=True, exist_ok=True)
    manifest_path = work / "manifest.json"
    if args.reuse and manifest_path.exists():
        manifest = dataset.Manifest.load(manifest_path)
    else:
        manifest = dataset.build(url, work / "uploads")
        manifest.save(manifest_path)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, **dataset.app_env(url, Path(manifest.upload_dir)), "BASE_URL": host}
    with gunicorn(env, port, work / "gunicorn.log"):
        run_locust("warmup", {"InspectorUser": 20, "OfficeUser": 1, "FinanceUser": 1, "ForemanUser": 1}, 15, host,
                   manifest_path, work)
        mixed = run_locust("mixed", MIXED_USERS, args.seconds, host, manifest_path, work)
        save = run_locust("save", {"InspectorUser": 20}, args.saturation_seconds, host, manifest_path, work)
        baseline = run_locust("baseline", {"BaselineUser": 20}, args.saturation_seconds, host, manifest_path, work)
        pages = page_weights(host, manifest)
    body = report(mixed, save, baseline, pages, manifest, {"mixed": args.seconds, "saturation": args.saturation_seconds})
    write_section("load", "Load on the generated dataset (PostgreSQL, gunicorn, locust)", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
