"""Configuration is read from the environment and validated at start-up."""
import re

import pytest

from portal.config import ConfigError, load_config

GOOD_KEY = "k" * 40


def test_production_requires_secret_key_and_base_url(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config({"PORTAL_ENV": "production"}, str(tmp_path))
    assert "SECRET_KEY is required" in str(info.value)
    assert "BASE_URL is required" in str(info.value)


def test_production_with_everything_set(tmp_path):
    config = load_config({"SECRET_KEY": GOOD_KEY, "BASE_URL": "https://portal.example.com/",
                          "DATABASE_URL": "postgresql://u:p@db/portal"}, str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/portal"
    assert config["BASE_URL"] == "https://portal.example.com"
    assert config["LANGUAGE"] == "zh_CN"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_development_generates_secret_once(tmp_path):
    first = load_config({"PORTAL_ENV": "development"}, str(tmp_path))["SECRET_KEY"]
    second = load_config({"PORTAL_ENV": "development"}, str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load_config({"PORTAL_ENV": "development"}, str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


@pytest.mark.parametrize("name, value, message", [
    ("SECRET_KEY", "short", "at least 32 characters"),
    ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be"),
    ("BASE_URL", "portal.example.com", "BASE_URL must be an http(s) address"),
    ("LANGUAGE", "fr", "LANGUAGE must be one of"),
    ("RATELIMIT_STORAGE_URI", "memcached://x", "RATELIMIT_STORAGE_URI must be"),
    ("PROXY_COUNT", "two", "PROXY_COUNT must be a whole number"),
    ("PORTAL_ENV", "staging", "PORTAL_ENV must be one of"),
    ("COMPRESS_RESPONSES", "maybe", "COMPRESS_RESPONSES must be 1 or 0"),
    ("WARRANTY_MONTHS", "general=two", "WARRANTY_MONTHS: 'general=two' is not kind=months"),
])
def test_invalid_values_are_reported(tmp_path, name, value, message):
    env = {"PORTAL_ENV": "development", name: value}
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(env, str(tmp_path))


@pytest.mark.parametrize("value, expected", [("", True), ("1", True), ("on", True), ("0", False), ("False", False)])
def test_compress_responses_is_on_unless_turned_off(tmp_path, value, expected):
    config = load_config({"PORTAL_ENV": "development", "COMPRESS_RESPONSES": value}, str(tmp_path))
    assert config["COMPRESS_RESPONSES"] is expected


def test_env_example_documents_every_variable():
    from portal.config import PROJECT_ROOT

    documented = (PROJECT_ROOT / ".env.example").read_text()
    for name in ("PORTAL_ENV", "SECRET_KEY", "DATABASE_URL", "UPLOAD_DIR", "BASE_URL", "COMPANY_NAME",
                 "LANGUAGE", "RATELIMIT_STORAGE_URI", "PROXY_COUNT", "COMPRESS_RESPONSES", "SESSION_COOKIE_SECURE",
                 "HSTS_INCLUDE_SUBDOMAINS"):
        assert f"\n{name}=" in documented


def test_production_forces_secure_cookies(tmp_path):
    base = {"SECRET_KEY": GOOD_KEY, "BASE_URL": "https://portal.example.com"}
    assert load_config(base, str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    assert load_config({"PORTAL_ENV": "development"}, str(tmp_path))["SESSION_COOKIE_SECURE"] is False
    with pytest.raises(ConfigError) as info:
        load_config({**base, "BASE_URL": "http://portal.intranet"}, str(tmp_path))
    assert "SESSION_COOKIE_SECURE=0" in str(info.value)
    plain = load_config({**base, "BASE_URL": "http://portal.intranet", "SESSION_COOKIE_SECURE": "0"}, str(tmp_path))
    assert plain["SESSION_COOKIE_SECURE"] is False
