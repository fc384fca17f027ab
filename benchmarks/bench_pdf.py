"""Benchmark: render time of the pass certificate PDF and of a rectification notice with 40 photos.

Run from the repository root: ``.venv/bin/python benchmarks/bench_pdf.py``. Builds a fresh
demo database in a temporary folder, issues one certificate, then renders it N times
(warm); does the same for a two-copy notice of 10 failed items with 4 photo thumbnails
each. Prints a Markdown table (median, p90) and writes it to ``benchmarks/RESULTS.md``.
Target for the certificate: ≤ 0.15 s warm.
"""
from __future__ import annotations

import base64
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
CERTIFICATE_TARGET = 0.15  # seconds, warm median


def main() -> int:
    """Set up the demo in a temp dir, certify its inspection, time the renders."""
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
        certificate, render = _certificate()
        rows = [("pass certificate (1 page, QR code)", *_timed(lambda: render(certificate)), CERTIFICATE_TARGET),
                ("rectification notice, 10 items × 4 photos (2 copies)", *_timed(_notice_with_photos()), None)]
    lines = ["| PDF | size | median (warm) | p90 | target |", "|---|---:|---:|---:|:---|"]
    for name, size, median, p90, target in rows:
        verdict = f"≤ {target * 1000:.0f} ms: {'met' if median <= target else '**not met**'}" if target else ""
        lines.append(f"| {name} | {size // 1024} KB | {median * 1000:.0f} ms | {p90 * 1000:.0f} ms | {verdict} |")
    table = "\n".join(lines)
    print(table)
    write_section("pdf", "PDF rendering (WeasyPrint, CJK font subset)", table)
    return 0 if rows[0][2] <= CERTIFICATE_TARGET else 1


def _timed(render) -> tuple[int, float, float]:
    """(size of the PDF, median, p90) of RUNS warm renders; the first render loads fonts and is left out."""
    times = []
    for _ in range(RUNS + 1):
        start = time.perf_counter()
        pdf = render()
        times.append(time.perf_counter() - start)
    times = sorted(times[1:])
    return len(pdf), statistics.median(times), times[int(len(times) * 0.9) - 1]


def _notice_with_photos():
    """A render function for a notice of 10 failed items with 4 photos each (thumbnails from the real pipeline)."""
    import io

    from PIL import Image, ImageDraw

    from portal.pdf import render_pdf
    from portal.photos import imaging
    from portal.storage import get_storage

    storage = get_storage()
    items = []
    for n in range(10):
        thumbs = []
        for k in range(4):
            image = Image.new("RGB", (1600, 1200), (120 + 10 * n, 100 + 20 * k, 90))
            ImageDraw.Draw(image).rectangle((100 * k, 80 * n, 600 + 100 * k, 500 + 50 * n), fill=(30, 60, 200 - 20 * k))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=85)
            processed = imaging.process(buffer.getvalue(), lambda _captured: ["B26092801 · 主卫", "2026-11-20 10:30"])
            key = f"photos/bench/{n}-{k}/thumb.jpg"
            storage.put(key, processed.thumbnail)
            thumbs.append(key)
        items.append({"n": n + 1, "category": "防水工程", "text": f"卫生间防水层闭水试验第{n + 1}项",
                      "value": "", "limit": "", "finding": "墙角渗水", "fix": "重新涂刷防水层并做 24 小时闭水试验",
                      "thumbs": thumbs})
    data = {"company": "西安示例装饰工程有限公司", "number": "ZG-20261120-001", "round": 1,
            "contract_no": "B26092801", "address": "西安市未央区凤城八路首创国际城5号楼903室", "owner": "郑海涛",
            "foreman": "李师傅", "project_manager": "张项目", "inspector": "王建国", "issued": "2026-11-20",
            "deadline": "2026-11-27", "reinspection": "2026-11-28", "items": items, "signatures": [],
            "fingerprint": "0" * 64}
    return lambda: render_pdf("rectification/notice_pdf.html", data=data, copies=["office", "project_manager"])


def _certificate():
    """Finish, sign and certify the demo inspection; returns (certificate, render function)."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.certificates.pdf import render_certificate_pdf
    from portal.certificates.services import issue
    from portal.equipment.models import Equipment
    from portal.extensions import db
    from portal.inspections.models import Inspection
    from portal.inspections.services import answers_version, finish, load_answers, record_start, save_answer
    from portal.signatures.records import RECORD_TYPES
    from portal.signatures.services import SignatureInput, parse_signature_png, record_signatures, sign
    from portal.storage import get_storage
    from tests.factories import make_signature_png

    inspection = db.session.scalar(select(Inspection))
    inspector = inspection.inspector
    equipment = db.session.scalar(select(Equipment).where(Equipment.serial_no == "JC-KC-001"))
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=[equipment])
    for answer in load_answers(inspection):
        limit = answer.item.limit
        if answer.item.is_measured:
            value = limit.nominal if limit.nominal is not None else (limit.maximum if limit.maximum is not None
                                                                     else limit.minimum)
            save_answer(answer, inspector, raw_value=str(value))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))
    png = parse_signature_png("data:image/png;base64," + base64.b64encode(make_signature_png()).decode())
    rtype = RECORD_TYPES["inspection"]
    for slot, name in (("inspector", "王建国"), ("foreman", "李师傅"), ("project_manager", "张项目")):
        sign(rtype, inspection, SignatureInput(slot, name, png, '[{"points":[{"x":1,"y":2,"time":3}]}]',
                                               record_signatures(rtype, inspection).fingerprint),
             get_storage(), user=inspector)
    office = db.session.scalar(select(User).where(User.username == "office"))
    certificate, _key = issue(inspection, office, get_storage(), render_certificate_pdf)
    db.session.commit()
    return certificate, render_certificate_pdf


if __name__ == "__main__":
    sys.exit(main())
