"""Locust users for the load benchmark (driven by ``benchmarks/bench_load.py``, not run alone).

Each user logs in through the real login form once and then works like the person it
plays: the inspector opens his checklist and taps answers (htmx POSTs with the CSRF
header), the foreman reads his notices, the office opens the 12-month dashboard, finance
searches by 档案号 and calls the accounting API. ``BaselineUser`` asks ``/healthz/live``
(no database) at the same pace: the yardstick the report divides by.

Single-path users (``SaverUser``, ``ChecklistUser``, ``DashboardUser``, ``ApiUser``) ask one
thing only: the saturation phases and the per-path phase are made of them.

Logging in costs a deliberately slow password hash; so that it does not weigh on the phases,
``bench_load.py`` logs every account in once per server and hands the session cookies over in
BENCH_SESSIONS (JSON file: username → cookies and the CSRF token); a user found there starts
with that session instead of the login form.

Environment: BENCH_MANIFEST (JSON from benchmarks/dataset.py), BENCH_PHASE (``mixed``:
people with think time 0.5–1.5 s; ``paths``: one request after another with a short pause,
so each figure is the request's own cost rather than queueing; anything else, e.g. ``save`` /
``baseline``: as fast as the server answers), BENCH_USERS (JSON: user class → how many).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import urllib.parse
import uuid
from datetime import date, datetime, timedelta, timezone

from locust import FastHttpUser, between, constant, task
from requests.cookies import create_cookie

MANIFEST = json.loads(open(os.environ["BENCH_MANIFEST"], encoding="utf-8").read())
PHASE = os.environ.get("BENCH_PHASE", "mixed")
THINK = {"mixed": between(0.5, 1.5), "paths": between(0.1, 0.3)}.get(PHASE, constant(0))
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HEADER_CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')

SESSIONS = json.loads(open(os.environ["BENCH_SESSIONS"], encoding="utf-8").read()) \
    if os.environ.get("BENCH_SESSIONS") else {}

_inspectors = itertools.cycle(MANIFEST["inspectors"])
_foremen = itertools.cycle(MANIFEST["foremen"])


class PortalUser(FastHttpUser):
    """A logged-in person; ``username()`` says who."""

    abstract = True
    wait_time = THINK
    csrf = ""

    password = MANIFEST["password"]

    def username(self) -> str:
        """The account this simulated person logs in with."""
        raise NotImplementedError

    def on_start(self):
        """Take the session made before the phase, else log in through the form and keep the page's token."""
        session = SESSIONS.get(self.username())
        if session:
            host = urllib.parse.urlsplit(self.host).hostname
            for name, value in session["cookies"].items():
                self.client.cookiejar.set_cookie(create_cookie(name, value, domain=host, path="/"))
            self.csrf = session["csrf"]
            return
        page = self.client.get("/login", name="login form").text
        token = CSRF_RE.search(page).group(1)
        with self.client.post("/login", data={"csrf_token": token, "username": self.username(),
                                               "password": self.password},
                              name="login", catch_response=True) as response:
            match = HEADER_CSRF_RE.search(response.text or "")
            if response.status_code != 200 or match is None:
                response.failure(f"login as {self.username()} failed: {response.status_code}")
                return
            self.csrf = match.group(1)


class _Inspector(PortalUser):
    """On site with his open inspection; what he does is up to the subclass."""

    abstract = True

    def on_start(self):
        """Take the next benchmark inspector and his open inspection."""
        self.me = next(_inspectors)
        super().on_start()

    def username(self) -> str:
        return self.me["username"]

    def checklist(self):
        """The whole checklist page (89 items)."""
        self.client.get(f"/inspections/{self.me['inspection']}", name="checklist page")

    def save_answer(self):
        """One tap: pass / fail / N/A, or a measured value inside or outside the limit.

        Sent as the phone's outbox sends it (static/js/outbox.js): with the action's client id and
        capture time and the phone's clock, so the server also checks and records the action id.
        """
        item_id, kind, good, bad = random.choice(self.me["items"])
        if kind == "measured":
            data = {"value": good if random.random() < 0.85 else bad}
        else:
            data = {"outcome": random.choices(["pass", "fail", "na"], [85, 10, 5])[0]}
        now = datetime.now(timezone.utc).isoformat()
        data.update(client_id=str(uuid.uuid4()), captured_at=now)
        self.client.post(f"/inspections/{self.me['inspection']}/items/{item_id}", data=data, name="answer save",
                         headers={"HX-Request": "true", "HX-Target": f"item-{item_id}", "X-CSRFToken": self.csrf,
                                  "X-Phone-Clock": now, "X-Outbox": "1"})


class InspectorUser(_Inspector):
    """Opens the checklist now and then, taps an answer every second or so."""

    fixed_count = 20
    tasks = {_Inspector.checklist: 1, _Inspector.save_answer: 10}


class SaverUser(_Inspector):
    """An inspector who only taps answers (the save saturation phase)."""

    fixed_count = 20
    tasks = [_Inspector.save_answer]


class ChecklistUser(_Inspector):
    """An inspector who only reloads his checklist page."""

    fixed_count = 1
    tasks = [_Inspector.checklist]


class ForemanUser(PortalUser):
    """Checks his rectification notices."""

    fixed_count = 3

    def on_start(self):
        """Take the next foreman with open notices."""
        self.me = next(_foremen)
        super().on_start()

    def username(self) -> str:
        return self.me["username"]

    @task(1)
    def notices(self):
        """His notice list."""
        self.client.get("/notices/mine", name="notice list")

    @task(2)
    def notice(self):
        """One of his notices."""
        self.client.get(f"/notices/{random.choice(self.me['notices'])}", name="notice page")


class OfficeUser(PortalUser):
    """Opens the dashboard for the last 12 months."""

    fixed_count = 2
    password = "demo1234"  # the demo's office account

    def username(self) -> str:
        return "office"

    @task
    def dashboard(self):
        """The dashboard over a 12-month custom period."""
        end = date.today()
        start = end - timedelta(days=365)
        self.client.get(f"/dashboard/?period=custom&start={start}&end={end}", name="dashboard (12 months)")


class FinanceUser(PortalUser):
    """Looks projects up by 档案号 before paying; the accounting system asks the API."""

    fixed_count = 2
    password = "demo1234"  # the demo's finance account

    def username(self) -> str:
        return "finance"

    @task(1)
    def search(self):
        """Search by 档案号."""
        self.client.get(f"/finance/?q={random.choice(MANIFEST['contract_numbers'])}", name="finance search")

    @task(2)
    def api(self):
        """The accounting system's settlement query (bearer token, no session)."""
        self.client.get(f"/api/v1/settlement/{random.choice(MANIFEST['contract_numbers'])}", name="finance API",
                        headers={"Authorization": f"Bearer {MANIFEST['api_token']}"})


class BaselineUser(FastHttpUser):
    """The trivial endpoint of the same app (no database), at the same pace as the others."""

    fixed_count = 20
    wait_time = THINK

    @task
    def live(self):
        """``/healthz/live``."""
        self.client.get("/healthz/live", name="baseline /healthz/live")



class DashboardUser(OfficeUser):
    """The office's 12-month dashboard, nothing else (as ``OfficeUser``, one at a time)."""

    fixed_count = 1


class ApiUser(FastHttpUser):
    """The accounting system: the settlement query with its bearer token, no session."""

    fixed_count = 1
    wait_time = THINK

    @task
    def api(self):
        """The settlement query of one project."""
        FinanceUser.api(self)


def _counts() -> None:
    """How many of each user class this run starts (BENCH_USERS), overriding the classes' defaults."""
    for name, count in json.loads(os.environ.get("BENCH_USERS", "{}")).items():
        globals()[name].fixed_count = count


_counts()
