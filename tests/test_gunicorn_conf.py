"""gunicorn.conf.py: the production server settings the README and the load benchmark use."""
import gc
import runpy
import sys
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_one_worker_per_core_with_threads_unless_configured(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("PORTAL_THREADS", raising=False)
    settings = runpy.run_path(str(CONF))
    assert settings["wsgi_app"] == "wsgi:app"
    assert settings["workers"] >= 1 and settings["threads"] == 4
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORTAL_THREADS", "2")
    settings = runpy.run_path(str(CONF))
    assert (settings["workers"], settings["threads"]) == (3, 2)


def test_workers_hand_the_gil_over_every_millisecond():
    settings = runpy.run_path(str(CONF))
    before = sys.getswitchinterval()
    try:
        settings["post_worker_init"](None)
        assert sys.getswitchinterval() == settings["SWITCH_INTERVAL"] == 0.001
    finally:
        sys.setswitchinterval(before)


def test_workers_leave_the_loaded_app_out_of_garbage_collection():
    settings = runpy.run_path(str(CONF))
    before = sys.getswitchinterval()
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # the process's modules and objects so far
        assert len(gc.get_objects()) < 1_000  # what a collection walks now: only what came after
    finally:
        gc.unfreeze()
        sys.setswitchinterval(before)
