"""The crawl gate: every page each role reaches, checked by outside checkers.

As each demo user and anonymously, starting at the landing page (and at the pages of every
object the demo data holds), the crawl fetches what the links lead to. It asserts that no
page answers 5xx, that no link shown to a role answers it 403 or 404, that the Nu HTML
checker finds no error but htmx's attributes, and that axe-core in Chromium (Pixel 7) finds
no WCAG 2.2 A/AA violation on one page per endpoint and status — with the menu closed, and on
each landing page with it open.
"""
from __future__ import annotations

import time

import pytest

from tests.gates.checkers import AxeRunner, check_html, client_server, missing_tools
from tests.gates.crawl import ANONYMOUS, ROLES, client_for, crawl, object_pages

pytestmark = pytest.mark.gates

PUBLIC_STARTS = ["/", "/verify"]  # the login, and the certificate check the QR code on a certificate opens


@pytest.fixture(scope="module")
def crawls(demo_portal):
    """Role → Crawl."""
    objects = object_pages(demo_portal)
    result = {}
    for role in [ANONYMOUS, *ROLES]:
        result[role] = crawl(demo_portal, role, PUBLIC_STARTS if role == ANONYMOUS else ["/", *objects])
    summary = ", ".join(f"{role} {len(c.pages)} ({len(c.documents())} pages)" for role, c in result.items())
    print(f"\ncrawl: {summary}; {sum(c.seconds for c in result.values()):.1f} s")
    return result


@pytest.fixture(scope="module")
def checkers():
    missing = missing_tools()
    if missing:
        pytest.fail(f"`make test` installs the checkers; missing: {', '.join(missing)}", pytrace=False)


def test_every_role_reaches_its_pages(crawls):
    for role, result in crawls.items():
        assert result.final_status("/") == 200, role
        assert len(result.documents()) >= (2 if role == ANONYMOUS else 8), role


def test_no_page_answers_a_server_error(crawls):
    errors = [f"{role}: {url} ({page.status})" for role, result in crawls.items()
              for url, page in result.pages.items() if page.status >= 500]
    assert not errors, "\n".join(errors)


def test_no_link_shown_to_a_role_answers_it_403_or_404(crawls):
    dead = [f"{role}: {link}" for role, result in crawls.items() for link in result.dead_links()]
    assert not dead, "\n".join(dead)


def test_the_nu_html_checker_finds_no_error(crawls, checkers, tmp_path):
    documents = {f"{role} {url}": html for role, result in crawls.items() for url, html in result.documents().items()}
    began = time.monotonic()
    errors = check_html(documents, tmp_path / "pages")
    print(f"\nNu HTML checker: {len(documents)} pages in {time.monotonic() - began:.1f} s")
    assert not errors, "\n".join(map(str, errors))


def test_axe_finds_no_wcag_violation(demo_portal, crawls, checkers, playwright):
    """``playwright`` is the suite's one Playwright (pytest-playwright's): a second sync instance
    cannot start while the browser tests' event loop runs."""
    violations = []
    began = time.monotonic()
    checked = 0
    for role, result in crawls.items():
        runner = AxeRunner(playwright, client_server(client_for(demo_portal, role)))
        try:
            for url, html in result.samples(demo_portal).items():
                violations += runner.check(url, html)
                checked += 1
            landing = result.pages["/"].location or "/"
            if role != ANONYMOUS and landing in result.documents():
                violations += runner.check(landing, result.documents()[landing], open_menu=True)
                checked += 1
        finally:
            runner.close()
    print(f"\naxe-core: {checked} pages in {time.monotonic() - began:.1f} s")
    assert not violations, "\n".join(map(str, violations))
