"""The gates' own portal: a fresh database with the demo data, shared by the crawl and the header test."""
from __future__ import annotations

import pytest

from tests.gates.crawl import crawl_app, drop_crawl_database


@pytest.fixture(scope="session")
def demo_portal(tmp_path_factory):
    """The portal as ``make run`` serves it (migrations, ``seed-demo``), on its own database."""
    app = crawl_app(tmp_path_factory.mktemp("gates"))
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    drop_crawl_database()
