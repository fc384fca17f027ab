"""The battery's stored worlds: seeded once per module with real commits, deleted again afterwards.

Seeding a world takes seconds, so it is stored once for a module (like ``real_commits`` tests
do) instead of once per test; every test still runs inside the rolled-back transaction of
``tests/conftest.py``, and every request of the battery inside a savepoint of its own, so
requests never see each other's changes and the world is the same for every example.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from portal.extensions import db, limiter
from portal.storage import FileSystemStorage
from tests.battery.world import World, seed_world, session_cookie
from tests.conftest import restore, snapshot


def _stored_world(app, tmp_path_factory, *, boundary: bool):
    """Seed, commit, hand out the world with every role's session cookie; delete it all afterwards."""
    previous = app.extensions.get("portal_storage")
    app.extensions["portal_storage"] = FileSystemStorage(tmp_path_factory.mktemp("battery-uploads"))
    with app.test_request_context():  # certificates render with a request, as in the view
        before = snapshot()
        world = seed_world(boundary=boundary)
        db.session.commit()
        world.cookies = {role: session_cookie(app, token, world.users[role]) for role, token in world.sessions.items()}
        db.session.remove()
    try:
        yield world
    finally:
        with app.app_context():
            restore(before)
            db.session.remove()
        app.extensions["portal_storage"] = previous


@pytest.fixture(scope="module")
def world(app, tmp_path_factory) -> World:
    """The ordinary world: one object of every kind."""
    yield from _stored_world(app, tmp_path_factory, boundary=False)


@pytest.fixture(scope="module")
def boundary_world(app, tmp_path_factory) -> World:
    """The world with objects at the edges of what the forms accept."""
    yield from _stored_world(app, tmp_path_factory, boundary=True)


@contextmanager
def isolated():
    """Run requests in a savepoint of the test's connection that is rolled back, with fresh rate limits."""
    limiter.reset()
    savepoint = db.session.get_bind().begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()
