"""Benchmark: render time of the pass certificate PDF and of a rectification notice with 40 photos.

Run from the repository root: ``.venv/bin/python benchmarks/bench_pdf.py``. Builds a fresh
demo database in a temporary folder and takes the latest certificate it issued (signed, two
QR codes); makes a two-copy notice of 10 failed items with 4 photo thumbnails each (thumbnails
from the real photo pipeline); and a minimal WeasyPrint document (one line of Chinese, same
font configuration) as the baseline of the same run. The three are rendered in turns, RUNS
times each after one warm-up render, so a busy machine slows them alike. Prints a Markdown
table (median, p90, CPU median, ratio to the minimal document) with the budgets of issue #19
(certificate ≤ 100 ms and notice ≤ 250 ms, warm median) marked met / not met, and writes it to
``benchmarks/RESULTS.md``. A notice of 40 long items (the worst case) is timed too, for scale.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 15
WORST_RUNS = 3
BUDGETS = {"certificate": 0.100, "notice": 0.250}  # seconds, warm median (issue #19)
# Issue #19 set them where a minimal WeasyPrint PDF rendered in ~13 ms: on a busy host the same
# budgets are also judged as multiples of the minimal document rendered in this run.
REFERENCE_MINIMAL = 0.013
MINIMAL = '<!doctype html><html lang="zh-CN"><body><p style="font-family: \'WenQuanYi Micro Hei\'">预验收 PDF</p></body></html>'


def main() -> int:
    """Set up the demo in a temp dir, time the renders, write the table."""
    load = _load()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
           "UPLOAD_DIR": str(tmp / "uploads"), "SECRET_KEY": "bench-" + "x" * 40, "LANGUAGE": "zh_CN"}
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    os.environ.update(env)
    from benchmarks.results import write_section
    from portal import create_app

    app = create_app()
    with app.test_request_context():
        renders = {"minimal": _minimal(), "certificate": _certificate(), "notice": _notice_with_photos()}
        times = _interleaved(renders)
        worst = _timed(_notice_with_photos(items=40, long_texts=True), WORST_RUNS)
    base = statistics.median(times["minimal"][0])
    names = {"minimal": "minimal WeasyPrint document (baseline, 1 line)",
             "certificate": "pass certificate (1 page, 4 signatures, 2 QR codes)",
             "notice": "rectification notice, 10 items × 4 photos (2 copies)"}
    lines = ["| PDF | size | median (warm) | p90 | CPU median | × minimal | budget (median) |",
             "|---|---:|---:|---:|---:|---:|:---|"]
    met = True
    for key, (wall, cpu, size) in times.items():
        median = statistics.median(wall)
        budget = BUDGETS.get(key)
        verdict = ""
        if budget is not None:
            ratio = budget / REFERENCE_MINIMAL
            met &= median <= budget
            verdict = (f"≤ {budget * 1000:.0f} ms: {'met' if median <= budget else '**not met**'}; "
                       f"≤ {ratio:.1f}× minimal: {'met' if median / base <= ratio else '**not met**'}")
        lines.append(f"| {names[key]} | {size // 1024} KB | {median * 1000:.0f} ms | {_p90(wall) * 1000:.0f} ms | "
                     f"{statistics.median(cpu) * 1000:.0f} ms | {median / base:.1f}× | {verdict} |")
    wall, cpu, size = worst
    lines.append(f"| worst case: notice of 40 long items × 4 photos (2 copies), {WORST_RUNS} runs | {size // 1024} KB | "
                 f"{statistics.median(wall) * 1000:.0f} ms | — | {statistics.median(cpu) * 1000:.0f} ms | "
                 f"{statistics.median(wall) / base:.1f}× | for scale |")
    table = "\n".join(lines) + (f"\n\n{RUNS} warm runs each, in turns; budgets from issue #19, also as multiples of "
                                f"the minimal document (the issue's {REFERENCE_MINIMAL * 1000:.0f} ms), which hold "
                                f"when the host is busy. Load average at the start: {load}.")
    print(table)
    write_section("pdf", "PDF rendering (WeasyPrint, CJK font subset)", table)
    return 0 if met else 1


def _interleaved(renders: dict) -> dict[str, tuple[list[float], list[float], int]]:
    """(wall times, CPU times, size of the PDF) per render; one warm-up each (fonts, caches), then RUNS turns."""
    sizes = {key: len(render()) for key, render in renders.items()}
    times: dict[str, tuple[list[float], list[float]]] = {key: ([], []) for key in renders}
    for _ in range(RUNS):
        for key, render in renders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            render()
            times[key][0].append(time.perf_counter() - wall)
            times[key][1].append(time.process_time() - cpu)
    return {key: (wall, cpu, sizes[key]) for key, (wall, cpu) in times.items()}


def _timed(render, runs: int) -> tuple[list[float], list[float], int]:
    """(wall times, CPU times, size of the PDF) of ``runs`` renders after a warm-up."""
    size = len(render())
    wall_times, cpu_times = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        render()
        wall_times.append(time.perf_counter() - wall)
        cpu_times.append(time.process_time() - cpu)
    return wall_times, cpu_times, size


def _load() -> str:
    """The 1-minute load average (how busy the host was)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def _p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.9) - 1)]


def _minimal():
    """A render function for the smallest document WeasyPrint makes with the portal's font configuration."""
    from weasyprint import HTML

    from portal.pdf import font_config

    return lambda: HTML(string=MINIMAL).write_pdf(font_config=font_config())


def _notice_with_photos(items: int = 10, long_texts: bool = False):
    """A render function for a notice of ``items`` failed items with 4 photos each (thumbnails from the
    real pipeline; 10 distinct items, repeated beyond); ``long_texts`` makes findings and fixes a paragraph."""
    import io

    from PIL import Image, ImageDraw

    from portal.photos import imaging
    from portal.rectification.pdf import render_notice_data
    from portal.storage import get_storage

    storage = get_storage()
    rows = []
    for n in range(items):
        thumbs = []
        for k in range(4):
            key = f"photos/bench/{n % 10}-{k}/thumb.jpg"
            if n < 10:
                image = Image.new("RGB", (1600, 1200), (120 + 10 * n, 100 + 20 * k, 90))
                ImageDraw.Draw(image).rectangle((100 * k, 80 * n, 600 + 100 * k, 500 + 50 * n),
                                                fill=(30, 60, 200 - 20 * k))
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=85)
                processed = imaging.process(buffer.getvalue(), lambda _captured: ["B26092801 · 主卫", "2026-11-20 10:30"])
                storage.put(key, processed.thumbnail)
            thumbs.append(key)
        finding, fix = "墙角渗水", "重新涂刷防水层并做 24 小时闭水试验"
        if long_texts:
            finding, fix = "墙角与地面交接处渗水，墙面返潮起皮，" * 6, "铲除空鼓部位，重新涂刷防水层并做 24 小时闭水试验。" * 5
        rows.append({"n": n + 1, "category": "防水工程", "text": f"卫生间防水层闭水试验第{n + 1}项",
                     "value": "", "limit": "", "finding": finding, "fix": fix, "thumbs": thumbs})
    data = {"company": "西安示例装饰工程有限公司", "number": "ZG-20261120-001", "round": 1,
            "contract_no": "B26092801", "address": "西安市未央区凤城八路首创国际城5号楼903室", "owner": "郑海涛",
            "foreman": "李师傅", "project_manager": "张项目", "inspector": "王建国", "issued": "2026-11-20",
            "deadline": "2026-11-27", "reinspection": "2026-11-28", "items": rows, "signatures": [],
            "fingerprint": "0" * 64, "plans": []}
    return lambda: render_notice_data(data)


def _certificate():
    """A render function for the latest certificate the demo issued (signed by four, two QR codes)."""
    from sqlalchemy import select

    from portal.certificates.models import PassCertificate
    from portal.certificates.pdf import render_certificate_pdf
    from portal.extensions import db

    certificate = db.session.scalar(select(PassCertificate).where(PassCertificate.revoked_at.is_(None))
                                    .order_by(PassCertificate.id.desc()).limit(1))
    return lambda: render_certificate_pdf(certificate)


if __name__ == "__main__":
    sys.exit(main())
