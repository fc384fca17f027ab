"""Demo data: one company's year, told by a seeded story and played through the portal's services. Demo only.

``seed_demo()`` (``flask seed-demo``, ``make run``) runs the chapters of :mod:`portal.demo.chapters`
in order; :mod:`portal.demo.story` is the pure generator it shares with the benchmark dataset.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app, has_request_context

from portal.demo.chapters import (
    CHAPTERS, DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USERS, REFERENCE_CHAPTERS, Demo, demo_storage,
)
from portal.extensions import db
from portal.storage import get_storage
from portal.timeutil import local_today

__all__ = ["CHAPTERS", "DEMO_PASSWORD", "DEMO_PROJECTS", "DEMO_USERS", "REFERENCE_CHAPTERS", "seed_demo"]


def seed_demo(chapters: Iterable[Callable[[Demo], bool]] | None = None) -> bool:
    """Load the demo data where missing; True when something was created.

    Idempotent: a second run the same day changes nothing. Run on a later day, it moves the demo
    inspector's unstarted work to today, so that he always has an inspection to open. The services
    render texts and PDFs as in a request, so the chapters run inside one (a test request context).
    """
    if not has_request_context():
        with current_app.test_request_context():
            return seed_demo(chapters)
    demo = Demo(today=local_today(), storage=demo_storage(get_storage()))
    created = False
    for chapter in CHAPTERS if chapters is None else chapters:
        created |= chapter(demo)
    db.session.flush()
    return created
