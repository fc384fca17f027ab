"""Write one section of ``benchmarks/RESULTS.md`` and leave the others as they are.

Each benchmark owns a section between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``
markers; running it again replaces only that section, dated, so figures from different
runs stay side by side with the day and machine they were measured on.
"""
from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = ("# Benchmark and audit results\n\n"
          "Written by `make bench` and `make audit`; each section is replaced when its tool runs again.\n")


def machine_description(database: str | None = None) -> str:
    """CPU model, cores, memory, OS and the versions that matter, in one line.

    ``database``: the database the benchmark ran on (e.g. "SQLite 3.40.1"); by default the
    installed PostgreSQL's version."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    postgres = f", {database}" if database else ""
    try:
        postgres = postgres or ", " + subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip().replace(
            "psql (PostgreSQL)", "PostgreSQL")
    except (OSError, subprocess.SubprocessError):
        pass
    distro = ""
    try:
        distro = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines()
                      if "=" in line).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {distro or platform.system()}; "
            f"Python {platform.python_version()}{postgres}")


def write_section(name: str, title: str, body: str, database: str | None = None) -> Path:
    """Replace (or append) section ``name`` with a dated heading ``title`` and ``body`` (Markdown);
    ``database`` as in :func:`machine_description`."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"<!-- begin {name} -->\n## {title}\n\n_Measured {stamp} on {machine_description(database)}._\n\n"
             f"{body.strip()}\n<!-- end {name} -->")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    return RESULTS
