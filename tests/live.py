"""What the tests that run the portal as a real server process share (browser and fault tests).

Each such server gets its own database: a SQLite file, or — when TEST_DATABASE_URL points
at PostgreSQL — a separate database on that server, dropped and created here, so the shared
``test`` database of the other tests is never touched.
"""
from __future__ import annotations

import os
import socket
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT = 180.0


def postgres_urls(database: str) -> tuple[str, str] | None:
    """(admin URL of the ``postgres`` database, URL of ``database``) on TEST_DATABASE_URL's server;
    None when the tests run on SQLite."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith("postgres"):
        return None
    parsed = urllib.parse.urlsplit(test_url)
    scheme = parsed.scheme.split("+", 1)[0]  # psycopg wants plain postgresql://
    admin = urllib.parse.urlunsplit((scheme, parsed.netloc, "/postgres", parsed.query, ""))
    own = urllib.parse.urlunsplit((scheme, parsed.netloc, f"/{database}", parsed.query, ""))
    return admin, own


def recreate_postgres_database(admin_url: str, database: str, drop_only: bool = False) -> None:
    """Drop ``database`` (closing its connections) and, unless ``drop_only``, create it empty."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def server_env(tmp: Path, database_url: str, base_url: str, portal_env: str) -> dict[str, str]:
    """The environment of a server and its ``flask`` commands: this test's database and uploads."""
    env = dict(os.environ)
    for name in ("FLASK_DEBUG", "FLASK_APP", "FLASK_RUN_HOST", "FLASK_RUN_PORT", "PROXY_COUNT", "TEST_DATABASE_URL",
                 "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    env.update({
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "BASE_URL": base_url,
        "COMPANY_NAME": "测试装饰工程有限公司",
        "LANGUAGE": "zh_CN",  # a shell's gettext LANGUAGE (e.g. en_US:en) would be rejected
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": "1" if base_url.startswith("https:") else "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_checked(env: dict[str, str], cmd: list[str]) -> subprocess.CompletedProcess:
    """Run ``cmd`` in the repository root; fails the test on a non-zero exit."""
    result = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd[1:4])} … exited with {result.returncode}\n"
                    f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}", pytrace=False)
    return result


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
