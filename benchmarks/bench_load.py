"""Load benchmark: the portal under gunicorn on the generated PostgreSQL dataset, driven by locust.

Run from the repository root: ``.venv/bin/python benchmarks/bench_load.py`` (``make bench``).

Made to hold on a noisy, shared machine: every figure is compared with the trivial endpoint
(``/healthz/live``, no database) measured in the same repetition, and every phase runs three times.

1. ``benchmarks/dataset.py`` builds the dataset (about 445,000 answers) in ``BENCH_DATABASE_URL``
   (default: database ``portal_bench``) and the 4× dataset (about 1.8 million answers) in
   ``BENCH_GROWTH_DATABASE_URL`` (default: the same name + ``_4x``); ``--reuse`` keeps datasets
   built by an earlier run (their manifests are under ``BENCH_DIR``).
2. ``benchmarks/queries.py`` counts the statements of one request of each hot path on both
   datasets and writes their ``EXPLAIN (ANALYZE, BUFFERS)`` to ``benchmarks/plans/``.
3. gunicorn serves ``wsgi:app`` with 2 workers × 4 threads (this machine has 2 cores). Each
   repetition (3 by default) runs, in locust processes of their own:
   * **mixed**: 20 inspectors tapping answers (think time 0.5–1.5 s) and now and then reloading
     the checklist, foremen reading notices, office on the 12-month dashboard, finance searching
     and calling the API, and 20 users asking the trivial endpoint at the same pace;
   * **save** then **baseline**: 20 users saving answers, then 20 asking the trivial endpoint,
     each as fast as the server answers (the throughput ratio);
   * **paths**: one user each on the answer save, the checklist page, the dashboard, the API and
     the trivial endpoint, one request after another (0.1–0.3 s pause): each path's own cost.
   On the 4× dataset (its own gunicorn, up at the same time) the save, baseline and paths phases
   follow in the same repetition: the cost growth, measured minutes apart.
   Then the same two saturation phases against the two floors of ``benchmarks/floor.py`` (same
   gunicorn settings, 1× dataset): **floor-…**, whose save is one ``UPDATE`` and a commit and
   nothing else, and **sqlfloor-…**, whose save is the portal's save's SQL and nothing else —
   the yardsticks of the ratio budgets.
   Worker RSS (``/proc/<pid>/status``) is read before and after every phase.
4. py-spy records both workers while each hot path is saturated (1× dataset), into
   ``benchmarks/profiles/``; the top frames go to the ``profile`` section of RESULTS.md.
5. Chromium loads each role's first page cold and counts requests and gzip-compressed bytes.

Writes the sections ``load`` and ``profile`` of ``benchmarks/RESULTS.md`` and prints them.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dataset  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from benchmarks.server import THREADS, WORKERS, free_port, gunicorn  # noqa: E402

BASE = "baseline /healthz/live"
SAVE, CHECKLIST, DASHBOARD, API = "answer save", "checklist page", "dashboard (12 months)", "finance API"
HOT_PATHS = (SAVE, CHECKLIST, DASHBOARD, API)
# In process only (benchmarks/queries.py): the dashboard with its figures computed again, as after a change.
RECOMPUTED = "dashboard (12 months), figures recomputed"
# Budgets of issue #19 (mixed load): p95 limit in ms and, where set, as a multiple of the baseline's p95.
P95_BUDGETS = {SAVE: (30, 2.0), CHECKLIST: (100, None), DASHBOARD: (150, None), API: (30, 2.0)}
THROUGHPUT_RATIO_BUDGET = 0.4
GROWTH_BUDGET = 1.3
RSS_BUDGET_MB, RSS_GROWTH_MB = 200, 5  # growth below 5 MB between two runs is allocator noise
PAGE_BUDGET_KB = 60
MIXED_USERS = {"InspectorUser": 20, "ForemanUser": 3, "OfficeUser": 2, "FinanceUser": 2, "BaselineUser": 20}
SAVE_USERS = {"SaverUser": 20}
BASELINE_USERS = {"BaselineUser": 20}
PATH_USERS = {"SaverUser": 1, "ChecklistUser": 1, "DashboardUser": 1, "ApiUser": 1, "BaselineUser": 1}
PROFILES = {SAVE: {"SaverUser": 20}, CHECKLIST: {"ChecklistUser": 8}, DASHBOARD: {"DashboardUser": 4},
            API: {"ApiUser": 8}}
# The floors of benchmarks/floor.py: phase prefix → (FLOOR_MODE, what its save does).
FLOORS = {"floor": ("write", "a bare UPDATE + commit"), "sqlfloor": ("sql", "the save's SQL alone")}
PROFILE_DIR = ROOT / "benchmarks" / "profiles"
PLAN_DIR = ROOT / "benchmarks" / "plans"


@dataclass
class Dataset:
    """One generated dataset and what was measured on it."""

    label: str  # "1×" or "4×"
    manifest: dataset.Manifest
    manifest_path: Path
    built_in: float | None  # seconds, None when reused
    queries: dict = field(default_factory=dict)  # path name → queries.py summary
    runs: list[dict] = field(default_factory=list)  # one per repetition: phase → locust rows
    rss: list[dict] = field(default_factory=list)  # {"rep", "phase", "before": {pid: kB}, "after": {...}}


# --- running -----------------------------------------------------------------------------------------


def log_in_everyone(host: str, manifest: dataset.Manifest, path: Path) -> Path:
    """Log every account the locust users play in once; their cookies and CSRF tokens go to ``path`` (JSON)."""
    import requests

    accounts = [(i["username"], manifest.password) for i in manifest.inspectors]
    accounts += [(f["username"], manifest.password) for f in manifest.foremen[:3]]
    accounts += [("office", "demo1234"), ("finance", "demo1234")]
    sessions = {}
    for username, password in accounts:
        with requests.Session() as client:
            page = client.get(f"{host}/login", timeout=30).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            response = client.post(f"{host}/login", data={"csrf_token": token, "username": username,
                                                            "password": password}, timeout=30)
            match = re.search(r'"X-CSRFToken": "([^"]+)"', response.text)
            if response.status_code != 200 or match is None:
                raise RuntimeError(f"login as {username} failed: {response.status_code}")
            sessions[username] = {"cookies": client.cookies.get_dict(), "csrf": match.group(1)}
    path.write_text(json.dumps(sessions), encoding="utf-8")
    return path


def run_locust(phase: str, users: dict[str, int], seconds: int, host: str, manifest: Path, work: Path,
               wait: bool = True):
    """One locust run (headless, own process); returns its per-endpoint rows (or the process if not ``wait``)."""
    prefix = work / f"locust-{phase}"
    env = {**os.environ, "BENCH_MANIFEST": str(manifest), "BENCH_PHASE": phase.split("-")[0],
           "BENCH_USERS": json.dumps(users), "BENCH_SESSIONS": str(manifest.parent / "sessions.json")}
    total = sum(users.values())
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
               "--host", host, "-u", str(total), "-r", str(max(total, 10)), "--reset-stats", "-t", f"{seconds}s",
               "--csv", str(prefix), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING", *users]
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    return read_stats(prefix)


def read_stats(prefix: Path) -> dict:
    """Per-endpoint rows of a locust stats CSV, and the failures CSV's text under ``_failures``."""
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


def workers(master: int) -> list[int]:
    """Pids of the gunicorn master's worker processes."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            pids.append(int(status.parent.name))
    return sorted(pids)


def worker_rss(master: int) -> dict[int, int]:
    """VmRSS (kB) of each worker now."""
    rss = {}
    for pid in workers(master):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1])
        except OSError:
            pass
    return rss


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (``/proc/<pid>/stat``)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def postgres_backends(database: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to ``database`` (their title names it)."""
    pids = []
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            if f" {database} ".encode() in (folder / "cmdline").read_bytes():
                pids.append(int(folder.name))
        except OSError:
            pass
    return pids


def phase(data: Dataset, master: int, rep: int, name: str, users: dict[str, int], seconds: int, host: str,
          work: Path) -> dict:
    """One phase of one repetition, with the workers' RSS before and after, and the CPU time it cost the
    workers and the database's backends (``_cpu``: seconds)."""
    before = worker_rss(master)
    database = data.manifest.database_url.rsplit("/", 1)[-1]
    pids, backends = workers(master), postgres_backends(database)
    cpu = (cpu_seconds(pids), cpu_seconds(backends))
    rows = run_locust(f"{name}-{data.label[0]}x-{rep}", users, seconds, host, data.manifest_path, work)
    rows["_cpu"] = {"workers": cpu_seconds(pids) - cpu[0], "postgres": cpu_seconds(backends) - cpu[1]}
    data.rss.append({"rep": rep, "phase": name, "before": before, "after": worker_rss(master)})
    return rows


def repetitions(served: list[tuple[Dataset, int, str]], work: Path, args,
                floors: dict[str, tuple[int, str]] | None = None) -> None:
    """``args.repeats`` repetitions; in each, the phases on the 1× dataset then on the 4× one.

    ``served``: (dataset, gunicorn master pid, host) — both servers stay up for the whole run, so the
    two datasets are measured minutes apart, not a quarter of an hour: the growth ratio compares
    like with like on a machine whose load drifts. ``floors``: phase prefix → (master pid, host) of
    ``benchmarks/floor.py`` on the 1× dataset (see FLOORS), whose saturation phases close each
    repetition of the 1× dataset.
    """
    for rep in range(1, args.repeats + 1):
        for data, master, host in served:
            run = {}
            if data.label == "1×":
                run["mixed"] = phase(data, master, rep, "mixed", MIXED_USERS, args.seconds, host, work)
            run["save"] = phase(data, master, rep, "save", SAVE_USERS, args.saturation_seconds, host, work)
            run["baseline"] = phase(data, master, rep, "baseline", BASELINE_USERS, args.saturation_seconds, host,
                                    work)
            run["paths"] = phase(data, master, rep, "paths", PATH_USERS, args.paths_seconds, host, work)
            if data.label == "1×":
                for prefix, (floor_master, floor_host) in (floors or {}).items():
                    run.update(floor_phases(data, prefix, floor_master, floor_host, rep, args.saturation_seconds,
                                            work))
            data.runs.append(run)
            figures = [f"{p} {n} p95 {rows[n]['p95']:.0f} ms" for p, rows in run.items() for n in HOT_PATHS if n in rows]
            print(f"{data.label} repetition {rep}: " + ", ".join(figures), flush=True)


def floor_phases(data: Dataset, prefix: str, master: int, host: str, rep: int, seconds: int,
                 work: Path) -> dict[str, dict]:
    """The saturation phases against one floor (``benchmarks/floor.py``), with the CPU they cost."""
    database = data.manifest.database_url.rsplit("/", 1)[-1]
    rows = {}
    for name, users in ((f"{prefix}-save", SAVE_USERS), (f"{prefix}-baseline", BASELINE_USERS)):
        pids, backends = workers(master), postgres_backends(database)
        cpu = (cpu_seconds(pids), cpu_seconds(backends))
        rows[name] = run_locust(f"{name}-{data.label[0]}x-{rep}", users, seconds, host, data.manifest_path, work)
        rows[name]["_cpu"] = {"workers": cpu_seconds(pids) - cpu[0], "postgres": cpu_seconds(backends) - cpu[1]}
    return rows


def profile(master: int, host: str, manifest: Path, work: Path, seconds: int) -> dict[str, dict]:
    """py-spy on every worker while each hot path is saturated: path → {"cpu": ..., "active": ...} summaries.

    Two samplers per worker: ``--gil`` (only the thread holding the GIL: where the CPU goes) and
    the default (every thread that is not idle, waits on the database included).
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    results = {}
    for path, users in PROFILES.items():
        slug = path.split(" (")[0].replace(" ", "-")
        load = run_locust(f"profile-{slug}", users, seconds + 8, host, manifest, work, wait=False)
        time.sleep(4)  # up to speed
        outputs, spies = {"cpu": [], "active": []}, []
        for pid in workers(master):
            for mode, flags in (("cpu", ["--gil"]), ("active", [])):
                output = PROFILE_DIR / f"{slug}-{mode}-{pid}.txt"
                outputs[mode].append(output)
                spies.append(subprocess.Popen(
                    [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100", "--format", "raw",
                     "--nolineno", "--nonblocking", *flags, "-o", str(output)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        errors = [s.communicate()[0] for s in spies if s.wait() != 0]
        load.wait()
        results[path] = {mode: summarise(files) for mode, files in outputs.items()} if not errors \
            else {"error": errors[0].strip()[-500:]}
    return results


BOILERPLATE = ("threading.py", "concurrent/futures/", "gunicorn/", "flask/app.py", "selectors.py")


def summarise(outputs: list[Path], top: int = 15) -> dict:
    """Self and total share of the samples per frame, from py-spy's collapsed stacks.

    The total column leaves out the frames every request passes through (threads, gunicorn, Flask's
    dispatch), which would fill it at ~95 % and say nothing.
    """
    own, total, samples = {}, {}, 0
    for output in outputs:
        if not output.exists():
            continue
        for line in output.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
            n = int(count)
            samples += n
            if frames:
                own[frames[-1]] = own.get(frames[-1], 0) + n
            for frame in set(frames):
                if not any(part in frame for part in BOILERPLATE):
                    total[frame] = total.get(frame, 0) + n

    def share(table):
        return [(f, 100 * n / samples) for f, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]]

    return {"samples": samples, "self": share(own) if samples else [], "total": share(total) if samples else []}


# --- datasets and queries --------------------------------------------------------------------------------


def prepare(url: str, work: Path, scale: int, reuse: bool) -> Dataset:
    """Build the dataset at ``scale`` into ``url`` (or reuse the one built earlier) and return it."""
    work.mkdir(parents=True, exist_ok=True)
    manifest_path = work / "manifest.json"
    label = f"{scale}×"
    if reuse and manifest_path.exists():
        manifest = dataset.Manifest.load(manifest_path)
        if manifest.database_url == url and manifest.scale == scale:
            print(f"{label} dataset reused: {manifest.counts.get('answers', 0):,} answers", flush=True)
            return Dataset(label, manifest, manifest_path, None)
    started = time.perf_counter()
    manifest = dataset.build(url, work / "uploads", scale=scale)
    manifest.save(manifest_path)
    built = time.perf_counter() - started
    print(f"{label} dataset built in {built:.0f} s", flush=True)
    return Dataset(label, manifest, manifest_path, built)


def count_queries(datasets: list[Dataset]) -> None:
    """Statements per request, their plans and in-process cost (``benchmarks/queries.py``, its own process)."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "queries.py"),
                             *(str(d.manifest_path) for d in datasets), "--plans", str(PLAN_DIR)],
                            cwd=ROOT, capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        print(f"queries.py failed:\n{result.stderr[-3000:]}", flush=True)
        return
    summary = json.loads(lines[-1])
    for data in datasets:
        data.queries = summary.get(data.label, {})


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


# --- figures ---------------------------------------------------------------------------------------------


def median_p95(data: Dataset, phase_name: str, name: str) -> tuple[float, float, list[float]]:
    """Median p95 over the repetitions, median ratio to the same repetition's baseline p95, and the p95s."""
    p95s, ratios = [], []
    for run in data.runs:
        rows = run.get(phase_name, {})
        if name in rows:
            p95s.append(rows[name]["p95"])
            base = rows.get(BASE, {}).get("p95")
            if base:
                ratios.append(rows[name]["p95"] / base)
    return (statistics.median(p95s) if p95s else float("nan"), statistics.median(ratios) if ratios else float("nan"),
            p95s)


def throughput_ratio(data: Dataset, prefix: str = "") -> tuple[float, list[float], list[float]]:
    """Median of the per-repetition ratios save req/s ÷ baseline req/s, and both req/s per repetition
    (``prefix``: of a floor, e.g. ``"floor-"``)."""
    runs = [run for run in data.runs if f"{prefix}save" in run]
    saves = [run[f"{prefix}save"].get(SAVE, {}).get("rps", 0.0) for run in runs]
    bases = [run[f"{prefix}baseline"].get(BASE, {}).get("rps", 0.0) for run in runs]
    ratios = [s / b for s, b in zip(saves, bases) if b]
    return (statistics.median(ratios) if ratios else float("nan")), saves, bases


def met(ok: bool) -> str:
    """The verdict column."""
    return "met" if ok else "**not met**"


def mb(kb: int) -> str:
    """kB → MB, as written in the tables."""
    return f"{kb / 1024:.0f}"


def report(one: Dataset, four: Dataset | None, pages: list[dict], seconds: dict[str, int], repeats: int) -> str:
    """The Markdown of the ``load`` section."""
    counts = one.manifest.counts
    built = lambda d: f"built in {d.manifest.build_seconds:.0f} s" + ("" if d.built_in else ", reused")  # noqa: E731
    people = ", ".join(f"{n} × {kind.removesuffix('User').lower()}" for kind, n in MIXED_USERS.items())
    lines = [f"Dataset (`benchmarks/dataset.py`): {counts.get('projects', 0):,} projects, "
             f"{counts.get('inspections', 0):,} inspections over 12 months, {counts.get('answers', 0):,} answers, "
             f"{counts.get('rectification_notices', 0):,} notices ({counts.get('notice_items', 0):,} items), "
             f"{counts.get('penalties', 0):,} penalties, {counts.get('pass_certificates', 0):,} certificates, "
             f"{counts.get('photos', 0):,} photo rows, {counts.get('users', 0):,} users ({built(one)})."]
    if four:
        c4 = four.manifest.counts
        lines[-1] += (f" The 4× dataset: {c4.get('projects', 0):,} projects, {c4.get('inspections', 0):,} inspections, "
                      f"{c4.get('answers', 0):,} answers, {c4.get('photos', 0):,} photo rows ({built(four)}).")
    lines += ["", f"Server: gunicorn (`gunicorn.conf.py`), {WORKERS} workers × {THREADS} threads, PostgreSQL; locust in "
                  f"other processes on "
                  f"the same machine. Each phase ran **{repeats} times**; a figure is the median of the {repeats} "
                  f"runs' p95s, and a ratio is the median of each run's p95 divided by the p95 of the trivial "
                  f"endpoint (`/healthz/live`, no database) measured in that same run. Mixed: {seconds['mixed']} s, "
                  f"think time 0.5–1.5 s, {people}. "
                  f"Saturation: {seconds['saturation']} s, 20 users, no think time, answer saves then the trivial "
                  f"endpoint. Per path: {seconds['paths']} s, one user per path, 0.1–0.3 s between requests. An answer "
                  f"save is sent as the phone's outbox sends it (client id, capture time, phone clock): the server "
                  f"also checks and records the action id. The dashboard's figures come from its cache while the "
                  f"data they are computed from has not changed (`portal/dashboard/freshness.py`); what a "
                  f"recompute costs is in the statements table.", ""]
    lines += [*budget_table(one, four), ""]
    lines += phase_table(one, "mixed", "Mixed load")
    lines += saturation_table(one)
    lines += floor_table(one)
    lines += growth_table(one, four)
    lines += rss_table(one)
    lines += query_table(one, four)
    total_errors = sum(r["failures"] for d in (one, four) if d for run in d.runs for rows in run.values()
                       for n, r in rows.items() if not n.startswith("_") and n != "Aggregated")
    lines += ["", f"Errors in all phases: **{total_errors}** (budget 0: {met(total_errors == 0)})."]
    if pages:
        lines += ["", "### First page load per role (Pixel 7, cold cache, photos excluded)", "",
                  "| role | page | requests | transferred KB | gzip KB | budget ≤ 60 KB |", "|---|---|---:|---:|---:|:--|"]
        lines += [f"| {p['role']} | `{p['path']}` | {p['requests']} | {p['transferred']:.1f} | {p['gzip']:.1f} | "
                  f"{met(p['gzip'] <= PAGE_BUDGET_KB)} |" for p in pages]
    failures = "\n".join(rows["_failures"] for d in (one, four) if d for run in d.runs for rows in run.values()
                         if rows.get("_failures", "").count("\n") > 1)
    if failures:
        lines += ["", "Failures (locust):", "", "```", failures.strip()[:3000], "```"]
    return "\n".join(lines)


def budget_table(one: Dataset, four: Dataset | None) -> list[str]:
    """Every budget of issue #19 that this benchmark measures, met or not."""
    lines = ["| budget (issue #19) | measured | |", "|---|---|:--|"]
    for name, (limit, times) in P95_BUDGETS.items():
        p95, ratio, runs = median_p95(one, "mixed", name)
        ok = p95 <= limit and (times is None or ratio <= times)
        rule = f"≤ {limit} ms" + (f" and ≤ {times:g}× trivial" if times else "")
        lines.append(f"| {name} p95, mixed load: {rule} | {p95:.0f} ms, {ratio:.1f}× trivial "
                     f"(runs: {', '.join(f'{v:.0f}' for v in runs)} ms) | {met(ok)} |")
    ratio, saves, bases = throughput_ratio(one)
    floors = []
    for prefix, (_mode, what) in FLOORS.items():
        floor_ratio, floor_saves, _bases = throughput_ratio(one, f"{prefix}-")
        if floor_saves:
            floors.append(f"{what}: {floor_ratio:.2f}×")
    lines.append(f"| answer-save throughput at saturation ≥ {THROUGHPUT_RATIO_BUDGET}× trivial | {ratio:.2f}× "
                 f"(runs: {', '.join(f'{s:.0f}/{b:.0f}' for s, b in zip(saves, bases))} req/s)"
                 + (f"; the floors: {', '.join(floors)}" if floors else "")
                 + f" | {met(ratio >= THROUGHPUT_RATIO_BUDGET)} |")
    if one.queries and four and four.queries:
        for name in (DASHBOARD, RECOMPUTED):
            if slug(name) in one.queries and slug(name) in four.queries:
                q1, q4 = one.queries[slug(name)]["queries"], four.queries[slug(name)]["queries"]
                lines.append(f"| {name}: query count constant (1× vs 4× data) | {q1} vs {q4} | {met(q1 == q4)} |")
    after = [max(r["after"].values(), default=0) for r in one.rss if r["phase"] == "mixed"]
    if after:
        grown = after[-1] - after[-2] if len(after) > 1 else 0
        lines.append(f"| worker RSS after the mixed load ≤ {RSS_BUDGET_MB} MB | {mb(max(after))} MB (largest worker) "
                     f"| {met(max(after) <= RSS_BUDGET_MB * 1024)} |")
        lines.append(f"| no RSS growth between two mixed runs (≤ {RSS_GROWTH_MB} MB) | {grown / 1024:+.1f} MB "
                     f"(runs {len(after) - 1} → {len(after)}) | {met(grown <= RSS_GROWTH_MB * 1024)} |")
    if four and four.runs:
        for name in HOT_PATHS:
            g = growth(one, four, name)
            lines.append(f"| cost growth 4×/1× ≤ {GROWTH_BUDGET}×: {name} (p95, per path) | {g:.2f}× (in process, "
                         f"interleaved: {in_process_growth(one, four, name)}) | {met(g <= GROWTH_BUDGET)} |")
    return lines


def in_process_growth(one: Dataset, four: Dataset | None, name: str) -> str:
    """4×/1× of the best in-process time (timed interleaved), as a table cell."""
    q1 = one.queries.get(slug(name), {})
    q4 = (four.queries if four else {}).get(slug(name), {})
    if not q1.get("in_process_best_ms") or not q4.get("in_process_best_ms"):
        return "—"
    return f"{q4['in_process_best_ms'] / q1['in_process_best_ms']:.2f}×"


def slug(name: str) -> str:
    """The name ``queries.py`` uses for a path."""
    return {SAVE: "answer-save", CHECKLIST: "checklist-page", DASHBOARD: "dashboard-12-months", API: "finance-api",
            RECOMPUTED: "dashboard-recomputed"}[name]


def growth(one: Dataset, four: Dataset, name: str, figure: str = "p95", normalised: bool = False) -> float:
    """4×/1× of the path's ``figure`` in the per-path phase: the median of the repetitions' ratios (4× runs
    right after 1×); ``normalised`` divides each side by the trivial endpoint's figure of its own phase first."""
    ratios = []
    for a, b in zip(one.runs, four.runs):
        pa, pb = a.get("paths", {}), b.get("paths", {})
        if name not in pa or name not in pb or not pa[name][figure]:
            continue
        ratio = pb[name][figure] / pa[name][figure]
        if normalised and pa.get(BASE, {}).get(figure) and pb.get(BASE, {}).get(figure):
            ratio *= pa[BASE][figure] / pb[BASE][figure]
        ratios.append(ratio)
    return statistics.median(ratios) if ratios else float("nan")


def phase_table(data: Dataset, phase_name: str, title: str) -> list[str]:
    """Every endpoint of a phase: median figures over the repetitions."""
    lines = [f"### {title} ({data.label} dataset)", "",
             "| request | count | req/s | p50 ms | p95 ms (median) | p95 of each run | p95 / trivial p95 | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    names = sorted({n for run in data.runs for n in run.get(phase_name, {}) if not n.startswith("_") and n != "Aggregated"})
    for name in names:
        rows = [run[phase_name][name] for run in data.runs if name in run.get(phase_name, {})]
        p95, ratio, runs = median_p95(data, phase_name, name)
        lines.append(f"| {name} | {sum(r['count'] for r in rows):,} | {statistics.median(r['rps'] for r in rows):.1f} | "
                     f"{statistics.median(r['p50'] for r in rows):.0f} | {p95:.0f} | {', '.join(f'{v:.0f}' for v in runs)} "
                     f"| {ratio:.1f}× | {sum(r['failures'] for r in rows)} |")
    return lines + [""]


def saturation_table(data: Dataset) -> list[str]:
    """Answer saves and the trivial endpoint at saturation, per repetition."""
    lines = [f"### Saturation ({data.label} dataset)", "",
             "CPU per request: the phase's CPU time (`/proc/<pid>/stat`) of the gunicorn workers and of the "
             "database's PostgreSQL backends, divided by the requests served.", "",
             "| run | answer save req/s | p95 ms | CPU ms per save: workers / PostgreSQL | trivial req/s | p95 ms | "
             "CPU ms per trivial request: workers | ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, run in enumerate(data.runs, 1):
        s, b = run["save"].get(SAVE, {}), run["baseline"].get(BASE, {})
        if s and b:
            sc, bc = run["save"].get("_cpu"), run["baseline"].get("_cpu")
            per = lambda c, row, key: f"{1000 * c[key] / row['count']:.1f}" if c and row["count"] else "—"  # noqa: E731
            lines.append(f"| {n} | {s['rps']:.0f} | {s['p95']:.0f} | {per(sc, s, 'workers')} / {per(sc, s, 'postgres')} | "
                         f"{b['rps']:.0f} | {b['p95']:.0f} | {per(bc, b, 'workers')} | {s['rps'] / b['rps']:.2f}× |")
    return lines + [""]


def floor_table(data: Dataset) -> list[str]:
    """The floors' saturation phases beside the portal's, per repetition."""
    rows = []
    for n, run in enumerate(data.runs, 1):
        ps, pb = run["save"].get(SAVE, {}), run["baseline"].get(BASE, {})
        for prefix, (_mode, what) in FLOORS.items():
            s, b = run.get(f"{prefix}-save", {}).get(SAVE), run.get(f"{prefix}-baseline", {}).get(BASE)
            if not (s and b and ps and pb):
                continue
            c = run[f"{prefix}-save"].get("_cpu")
            per = lambda key: f"{1000 * c[key] / s['count']:.1f}" if c and s["count"] else "—"  # noqa: E731
            rows.append(f"| {n} | {what} | {s['rps']:.0f} | {s['p95']:.0f} | {per('workers')} / {per('postgres')} | "
                        f"{b['rps']:.0f} | {b['p95']:.0f} | {s['rps'] / b['rps']:.2f}× | {ps['rps'] / pb['rps']:.2f}× | "
                        f"{floor_bound(pb['rps'], s['rps'], b['rps']):.2f}× |")
    if not rows:
        return []
    return ["### The floors (`benchmarks/floor.py`)", "",
            "The same saturation phases against an app served by the same gunicorn settings on the same dataset, "
            "whose trivial endpoint returns a constant and whose save is, for the first floor, one `UPDATE` of the "
            "answer and a commit; for the second, the portal's save's 8 statements with their values and the "
            "commit, through psycopg alone (no Flask-Login, CSRF, ORM objects, rules or templates). Last column: "
            "the most a save of the portal could reach that does the floor's work on top of what the portal's "
            "trivial request costs — the portal's trivial request time plus the floor's save time less the "
            "floor's trivial request time, set against the portal's trivial request time.", "",
            "| run | floor | save req/s | p95 ms | CPU ms per save: workers / PostgreSQL | trivial req/s | p95 ms "
            "| floor's ratio | portal's ratio | bound for the portal |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]


def floor_bound(portal_trivial_rps: float, floor_save_rps: float, floor_trivial_rps: float) -> float:
    """The highest throughput ratio a portal save could reach that costs the portal's trivial request plus
    what the floor's save costs beyond the floor's trivial request (each cost as 1 / req/s at saturation)."""
    trivial = 1 / portal_trivial_rps
    return trivial / (trivial + 1 / floor_save_rps - 1 / floor_trivial_rps)


def growth_table(one: Dataset, four: Dataset | None) -> list[str]:
    """Per-path phase on both datasets: p95 and the ratio 4×/1×."""
    lines = ["### Per path, one request at a time: cost growth with the data", "",
             "Each repetition runs this phase on the 1× dataset, then (other server, same code) on the 4× one; "
             "4× / 1× is the median of the repetitions' ratios (the budget reads the p95 column; the other two "
             "say how much of it is the machine's drift between the two halves of a repetition).", "",
             "| path | 1× p95 ms (runs) | 1× / trivial | 4× p95 ms (runs) | 4× / trivial | 4× / 1× p95 | "
             "4× / 1× p95, each ÷ its trivial | 4× / 1× p50 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in (*HOT_PATHS, BASE):
        p1, r1, runs1 = median_p95(one, "paths", name)
        cells = [f"{p1:.0f} ({', '.join(f'{v:.0f}' for v in runs1)})", f"{r1:.1f}×"]
        if four and four.runs:
            p4, r4, runs4 = median_p95(four, "paths", name)
            cells += [f"{p4:.0f} ({', '.join(f'{v:.0f}' for v in runs4)})", f"{r4:.1f}×", f"{growth(one, four, name):.2f}×",
                      f"{growth(one, four, name, normalised=True):.2f}×", f"{growth(one, four, name, 'p50'):.2f}×"]
        else:
            cells += ["—"] * 6
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if four and four.runs:
        ratio4, saves, bases = throughput_ratio(four)
        lines += ["", f"Save throughput at saturation on the 4× dataset: {ratio4:.2f}× trivial "
                      f"(1×: {throughput_ratio(one)[0]:.2f}×)."]
    return lines + [""]


def rss_table(data: Dataset) -> list[str]:
    """Worker RSS before and after each mixed and save phase (MB, per worker)."""
    lines = [f"### gunicorn worker RSS ({data.label} dataset, MB per worker, /proc/<pid>/status VmRSS)", "",
             "| run | phase | before | after |", "|---:|---|---|---|"]
    for r in data.rss:
        fmt = lambda d: ", ".join(f"{mb(v)}" for _p, v in sorted(d.items()))  # noqa: E731
        lines.append(f"| {r['rep']} | {r['phase']} | {fmt(r['before'])} | {fmt(r['after'])} |")
    return lines + [""]


def query_table(one: Dataset, four: Dataset | None) -> list[str]:
    """Statements per request and their summed EXPLAIN ANALYZE time; plans in benchmarks/plans/."""
    if not one.queries:
        return []
    lines = ["### Statements per request, and the request's own cost", "",
             "One request after a warm-up, in process (`benchmarks/queries.py`); the SQL summed from `EXPLAIN "
             "ANALYZE` of each statement (plans in `benchmarks/plans/`); in-process time: median (best) of 30 "
             "requests one at a time through the Flask test client, the two datasets taking turns.", "",
             "| path | queries 1× | queries 4× | SQL ms 1× | SQL ms 4× | in-process ms 1× | 4× | 4× / 1× (best) | "
             "slowest statement (1×) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name in (*HOT_PATHS, RECOMPUTED):
        q1 = one.queries.get(slug(name), {})
        q4 = (four.queries if four else {}).get(slug(name), {})
        if not q1:
            continue
        cell = lambda q, key: f"{q[key]:.1f}" if q.get(key) is not None else "—"  # noqa: E731
        timed = lambda q: f"{cell(q, 'in_process_ms')} ({cell(q, 'in_process_best_ms')})"  # noqa: E731
        lines.append(f"| {name} | {q1.get('queries', '—')} | {q4.get('queries', '—')} | {cell(q1, 'execution_ms')} | "
                     f"{cell(q4, 'execution_ms')} | {timed(q1)} | {timed(q4)} | {in_process_growth(one, four, name)} | "
                     f"{q1.get('slowest_ms', 0):.1f} ms: `{q1.get('slowest', '')[:90]}` |")
    return lines + [""]


def profile_report(profiles: dict[str, dict], seconds: int) -> str:
    """The ``profile`` section: top frames (self and total) per hot path, on CPU and active."""
    lines = [f"py-spy (`record --format raw --nolineno --nonblocking`, 100 Hz, {seconds} s) on both gunicorn workers "
             f"while each path alone is saturated on the 1× dataset. **CPU**: samples of the thread holding the GIL "
             f"(`--gil`): where the Python time goes. **Active**: every thread that is not idle, database waits "
             f"included. Figures are shares of that sampler's samples; the total column leaves out the frames every "
             f"request passes through (threads, gunicorn, Flask's dispatch). Raw stacks: `benchmarks/profiles/` "
             f"(not committed)."]
    for path, result in profiles.items():
        lines += ["", f"### {path} ({', '.join(f'{n} × {k}' for k, n in PROFILES[path].items())})", ""]
        if "error" in result:
            lines += ["py-spy could not record:", "", "```", result["error"], "```"]
            continue
        cpu, active = result["cpu"], result["active"]
        lines += [f"CPU: {cpu['samples']:,} samples; active: {active['samples']:,} samples.", "",
                  "| CPU self % | frame | CPU total % | frame | active self % | frame |", "|---:|---|---:|---|---:|---|"]
        for (f1, s1), (f2, s2), (f3, s3) in zip(cpu["self"], cpu["total"], active["self"]):
            lines.append(f"| {s1:.1f} | `{f1}` | {s2:.1f} | `{f2}` | {s3:.1f} | `{f3}` |")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the datasets, serve them, run the phases, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reuse", action="store_true", help="keep the datasets of the previous run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=60, help="duration of each mixed phase")
    parser.add_argument("--saturation-seconds", type=int, default=20)
    parser.add_argument("--paths-seconds", type=int, default=45)
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--no-growth", action="store_true", help="skip the 4× dataset")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-pages", action="store_true", help="skip the page weights (Chromium)")
    parser.add_argument("--report-only", action="store_true", help="write the report from the last run's figures")
    parser.add_argument("--requery", action="store_true",
                        help="with --report-only: count and explain the statements again (no load)")
    args = parser.parse_args(argv)
    work = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "portal-bench"))
    figures = work / "figures.json"
    if not args.report_only:
        measure(args, work, figures)
    saved = json.loads(figures.read_text(encoding="utf-8"))
    one, four = (load_dataset(saved, label) for label in ("1×", "4×"))
    if args.report_only and args.requery:
        count_queries([d for d in (one, four) if d])
        for data in (d for d in (one, four) if d):
            saved[data.label]["queries"] = data.queries
        figures.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    body = report(one, four, saved["pages"], saved["seconds"], saved["repeats"])
    write_section("load", "Load on the generated dataset (PostgreSQL, gunicorn, locust)", body)
    print(body)
    if saved["profiles"]:
        text = profile_report(saved["profiles"], saved["seconds"]["profile"])
        write_section("profile", "Where the hot paths spend their time (py-spy)", text)
        print(text)
    return 0


def measure(args, work: Path, figures: Path) -> None:
    """Every measurement of the run, saved to ``figures`` (JSON) for the report."""
    url = os.environ.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL)
    url4 = os.environ.get("BENCH_GROWTH_DATABASE_URL", url + "_4x")
    one = prepare(url, work / "1x", 1, args.reuse)
    four = None if args.no_growth else prepare(url4, work / "4x", 4, args.reuse)
    count_queries([d for d in (one, four) if d])
    profiles, pages = {}, []
    with contextlib.ExitStack() as stack:
        served = []
        for data in (d for d in (one, four) if d):
            port = free_port()
            host = f"http://127.0.0.1:{port}"
            env = {**os.environ, **dataset.app_env(data.manifest.database_url, Path(data.manifest.upload_dir)),
                   "BASE_URL": host}
            server = stack.enter_context(gunicorn(env, port, work / f"gunicorn-{data.label[0]}x.log"))
            log_in_everyone(host, data.manifest, data.manifest_path.parent / "sessions.json")
            run_locust(f"warmup-{data.label[0]}x", {"InspectorUser": 20, "OfficeUser": 1, "FinanceUser": 1,
                                                    "ForemanUser": 1}, 15, host, data.manifest_path, work)
            served.append((data, server.pid, host))
        floors = {}
        for prefix, (mode, _what) in FLOORS.items():
            port = free_port()
            floor_env = {**os.environ, "FLOOR_DATABASE_URL": one.manifest.database_url, "FLOOR_MODE": mode}
            floor = stack.enter_context(gunicorn(floor_env, port, work / f"gunicorn-{prefix}.log",
                                                 app="benchmarks.floor:app"))
            # Every thread opens its connection before the first phase: their backends' CPU counts from the start.
            run_locust(f"{prefix}-warmup", SAVE_USERS, 5, f"http://127.0.0.1:{port}", one.manifest_path, work)
            floors[prefix] = (floor.pid, f"http://127.0.0.1:{port}")
        repetitions(served, work, args, floors)
        _data, master, host = served[0]
        if not args.no_profile:
            profiles = profile(master, host, one.manifest_path, work, args.profile_seconds)
        if not args.no_pages:
            pages = page_weights(host, one.manifest)
    seconds = {"mixed": args.seconds, "saturation": args.saturation_seconds, "paths": args.paths_seconds,
               "profile": args.profile_seconds}
    saved = {"repeats": args.repeats, "seconds": seconds, "pages": pages, "profiles": profiles}
    for data in (one, four):
        if data:
            saved[data.label] = {"manifest": str(data.manifest_path), "built_in": data.built_in, "runs": data.runs,
                                 "rss": data.rss, "queries": data.queries}
    figures.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")


def load_dataset(saved: dict, label: str) -> Dataset | None:
    """A dataset's figures as saved by :func:`measure` (RSS pids come back as text)."""
    if label not in saved:
        return None
    d = saved[label]
    path = Path(d["manifest"])
    return Dataset(label, dataset.Manifest.load(path), path, d["built_in"], d["queries"], d["runs"], d["rss"])


if __name__ == "__main__":
    raise SystemExit(main())
