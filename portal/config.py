"""Configuration read from the environment and validated at start-up.

Every variable is documented in ``.env.example``. Secrets have no literal default:
outside development ``SECRET_KEY`` must be set; in development one is generated once
and kept in the instance folder.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_CN", "en")
ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """Raised at start-up when the environment describes an unusable configuration."""


def load_config(env: dict[str, str], instance_path: str) -> dict:
    """Build the Flask config from the environment ``env`` and validate it."""
    portal_env = env.get("PORTAL_ENV", "production")
    problems: list[str] = []
    if portal_env not in ENVIRONMENTS:
        problems.append(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {portal_env!r}")
    config = {
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": _secret_key(env, portal_env, instance_path, problems),
        "SQLALCHEMY_DATABASE_URI": _database_url(env, instance_path, problems),
        "UPLOAD_DIR": str(Path(env.get("UPLOAD_DIR") or PROJECT_ROOT / "uploads").resolve()),
        "BASE_URL": _base_url(env, portal_env, problems),
        "COMPANY_NAME": env.get("COMPANY_NAME") or "西安示范装饰工程有限公司",
        "LANGUAGE": _language(env, problems),
        "RATELIMIT_STORAGE_URI": _ratelimit_storage(env, problems),
        "PROXY_COUNT": _int(env, "PROXY_COUNT", 0, problems),
        "RECTIFICATION_DAYS": _int(env, "RECTIFICATION_DAYS", 7, problems),
        "SERVICE_PHONE": env.get("SERVICE_PHONE", ""),
        "WARRANTY_MONTHS": _months_table(env, problems),
        "COMPLAINT_REPEAT_PENALTY": env.get("COMPLAINT_REPEAT_PENALTY", ""),
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": _int(env, "SMTP_PORT", 25, problems),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", ""),
        "COMPRESS_RESPONSES": _bool(env, "COMPRESS_RESPONSES", True, problems),
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", portal_env == "production", problems),
        "HSTS_INCLUDE_SUBDOMAINS": _bool(env, "HSTS_INCLUDE_SUBDOMAINS", False, problems),
    }
    _check_secure_cookie(config, problems)
    config.update(_fixed_settings(config))
    if problems:
        raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))
    return config


def _check_secure_cookie(config: dict, problems: list[str]) -> None:
    """A Secure cookie is never sent back over plain HTTP: logins would silently fail."""
    if config["PORTAL_ENV"] == "production" and config["SESSION_COOKIE_SECURE"] \
            and config["BASE_URL"].startswith("http://"):
        problems.append("BASE_URL must be an https:// address in production (session cookies are Secure); "
                        "on a plain-HTTP intranet set SESSION_COOKIE_SECURE=0")


def _fixed_settings(config: dict) -> dict:
    """Settings that follow from the validated ones and are not meant to be tuned."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "portal_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "SESSION_REFRESH_EACH_REQUEST": False,  # once a day instead (portal/security.py)
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # SQLite only: how long a request waits for another one's write lock before it answers 503.
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; phones keep pages open for hours
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_STRATEGY": "fixed-window",
        "BABEL_DEFAULT_LOCALE": config["LANGUAGE"],
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    }


def _months_table(env: dict, problems: list[str]) -> dict[str, int]:
    """``WARRANTY_MONTHS=waterproofing=72,general=36``: longer warranty periods than the national minimums
    (the kinds and minimums are checked by the aftercare package at start-up)."""
    table = {}
    for part in filter(None, (p.strip() for p in env.get("WARRANTY_MONTHS", "").split(","))):
        name, _sep, value = part.partition("=")
        if not value.strip().isdigit():
            problems.append(f"WARRANTY_MONTHS: {part!r} is not kind=months")
            continue
        table[name.strip()] = int(value)
    return table


def _secret_key(env: dict, portal_env: str, instance_path: str, problems: list[str]) -> str:
    key = env.get("SECRET_KEY", "")
    if key:
        if len(key) < 32:
            problems.append("SECRET_KEY must be at least 32 characters long")
        return key
    if portal_env == "production":
        problems.append("SECRET_KEY is required (generate one with: python -c 'import secrets; print(secrets.token_hex(32))')")
        return ""
    return _instance_secret(instance_path)


def _instance_secret(instance_path: str) -> str:
    """Generate a development secret once and keep it, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(env: dict, instance_path: str, problems: list[str]) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.db'}"
    scheme = url.split(":", 1)[0]
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg:" + url.split(":", 1)[1]
    if scheme not in ("sqlite", "postgresql+psycopg"):
        problems.append(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {scheme}://")
    return url


def _base_url(env: dict, portal_env: str, problems: list[str]) -> str:
    url = (env.get("BASE_URL") or "").rstrip("/")
    if not url:
        if portal_env == "production":
            problems.append("BASE_URL is required (the address printed in PDFs and QR codes)")
        return "http://127.0.0.1:5000"
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"BASE_URL must be an http(s) address, not {url!r}")
    return url


def _language(env: dict, problems: list[str]) -> str:
    language = env.get("LANGUAGE") or "zh_CN"
    if language not in LANGUAGES:
        problems.append(f"LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


def _ratelimit_storage(env: dict, problems: list[str]) -> str:
    uri = env.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.split(":", 1)[0] not in ("memory", "redis", "rediss"):
        problems.append("RATELIMIT_STORAGE_URI must be memory:// or redis://host:port")
    return uri


def _int(env: dict, name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, not {raw!r}")
        return default


def _bool(env: dict, name: str, default: bool, problems: list[str]) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    problems.append(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {env[name]!r}")
    return default
