"""Every view that needs a login says who may use it, in one of three known ways.

1. ``permission_required(area, action)``: the area table decides (the view carries ``permission``);
2. ``login_required`` and a loader that authorises the object it loads (``get_<x>_or_404(..., user)``
   ends in :func:`portal.auth.permissions.authorise`), listed in :data:`LOADER_GUARDED`;
3. ``login_required`` for a view that only touches the user's own session or data, listed in
   :data:`ANY_USER`.

A view needing no login is listed in :data:`PUBLIC`. A new view fits none of these until
somebody decides which it is. The role × URL matrix (``tests/test_access_matrix.py``) then
has to agree with the area table for every view the table guards.
"""
from __future__ import annotations

import inspect
import pathlib
import re

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from portal.auth.permissions import AREAS, LOGGED_IN
from portal.auth.sessions import permission_required
from tests.test_access_matrix import ANON, DENIED, LOGIN, MATRIX

PORTAL = pathlib.Path(__file__).parents[2] / "portal"

# Answer without a login: the login itself, probes, the calendar feed and signing by link
# (their token is the key), the accounting API (Bearer token), the public certificate check,
# and the app shell (manifest, service worker, offline page: nothing of a user).
PUBLIC = {
    "auth.login", "auth.set_language", "health.healthz", "health.live", "favicon", "schedule.ics_feed",
    "signatures.public_sign", "api.settlement_status", "certificates.verify", "certificates.verify_form",
    "offline.manifest", "offline.worker", "offline.offline_page",
    "owner.page", "owner.file_repair", "owner.repair", "owner.repair_photo", "owner.card", "owner.certificate",
    "owner.concealed",
}

# Any logged-in user, on his own session or data only.
ANY_USER = {"auth.logout", "home.index", "notifications.mark_read"}

# login_required views that load their object through a loader that authorises
# (endpoint → the loader, or the view's helper around it, named in the view's body).
LOADER_GUARDED = {
    "projects.detail": "get_project_or_404",
    "projects.edit": "get_project_or_404",
    "inspections.detail": "get_inspection_or_404",
    "inspections.start": "get_inspection_or_404",
    "inspections.answer": "_inspectors_answer",
    "inspections.note": "_inspectors_answer",
    "inspections.summary": "get_inspection_or_404",
    "inspections.finish_inspection": "get_inspection_or_404",
    "inspections.upload_item_photo": "get_inspection_or_404",
    "inspections.reopen_carried_item": "_inspectors_answer",
    "inspections.reopen_inspection": "get_inspection_or_404",
    "inspections.inspection_history": "get_inspection_or_404",
    "rectification.notice": "get_notice_or_404",
    "rectification.upload_after_photo": "_rework_item",
    "rectification.mark_rectified": "_rework_item",
    "rectification.request_reinspection": "get_notice_or_404",
    "rectification.pdf": "get_notice_or_404",
    "signatures.panel": "get_signable_or_404",
    "signatures.sign": "get_signable_or_404",
    "signatures.create_link": "get_signable_or_404",
    "signatures.revoke_link": "get_signable_or_404",
    "signatures.image": "get_signable_or_404",
    "photos.upload_concealed_photo": "get_project_or_404",
    "photos.serve": "get_photo_or_404",
    "photos.delete": "get_photo_or_404",
    "photos.concealed": "get_project_or_404",
    "photos.start_closure_test": "_editable_record",
    "photos.end_closure_test": "_editable_record",
    "photos.finish_record": "_editable_record",
    "photos.owner_archive": "get_project_or_404",
    "photos.markup_editor": "_markable_photo",
    "photos.save_markup": "_markable_photo",
    "plans.index": "get_project_or_404",
    "plans.upload": "get_project_or_404",
    "plans.image": "get_plan_or_404",
    "plans.original": "get_plan_or_404",
    "inspections.item_pin": "get_inspection_or_404",
    "plans.photo_pin": "_pinnable_photo",
    "aftercare.completion": "get_project_or_404",
    "aftercare.hand_over": "get_acceptance_or_404",
    "aftercare.card": "get_acceptance_or_404",
    "aftercare.repair": "get_repair_or_404",
    "aftercare.contact": "get_repair_or_404",
    "aftercare.plan": "get_repair_or_404",
    "aftercare.done": "get_repair_or_404",
    "aftercare.accept": "get_repair_or_404",
    "aftercare.follow_up": "get_repair_or_404",
    "aftercare.repair_photo": "get_repair_or_404",
    "aftercare.complaint": "get_complaint_or_404",
    "aftercare.pass_on": "get_complaint_or_404",
    "aftercare.answer": "get_complaint_or_404",
    "aftercare.close": "get_complaint_or_404",
}


def _views(app) -> dict:
    """Endpoint → view function, for every route but static files and the test-only blueprint."""
    return {rule.endpoint: app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.endpoint.startswith("failing.")}


def _needs_login(view) -> bool:
    """Whether Flask-Login's ``login_required`` wraps ``view`` (directly or inside permission_required)."""
    while view is not None:
        if "flask_login" in pathlib.Path(view.__code__.co_filename).parts:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _calls(function, name: str) -> bool:
    """Whether ``function``'s own source calls ``name``."""
    return re.search(rf"\b{re.escape(name)}\(", inspect.getsource(inspect.unwrap(function))) is not None


def _authorises(function, seen=()) -> bool:
    """Whether ``function`` calls ``authorise`` or a loader that does (followed through the module's names)."""
    function = inspect.unwrap(function)
    if _calls(function, "authorise"):
        return True
    source = inspect.getsource(function)
    for name in set(re.findall(r"\b(get_\w+_or_404)\(", source)) - set(seen):
        loader = function.__globals__.get(name)
        if loader is None:  # called as module.name: find it on the module
            match = re.search(rf"\b(\w+)\.{name}\(", source)
            loader = getattr(function.__globals__.get(match.group(1)), name, None) if match else None
        if loader is not None and _authorises(loader, (*seen, name)):
            return True
    return False


def test_roles_required_is_gone():
    offenders = [str(path.relative_to(PORTAL.parent)) for path in PORTAL.rglob("*.py")
                 if "roles_required" in path.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_every_view_is_guarded_in_a_known_way(app):
    unguarded = []
    for endpoint, view in sorted(_views(app).items()):
        known = {hasattr(view, "permission"), endpoint in LOADER_GUARDED, endpoint in ANY_USER, endpoint in PUBLIC}
        if known != {True, False}:  # exactly one of them
            unguarded.append(f"{endpoint}: guarded by none or several of the known ways")
        elif _needs_login(view) == (endpoint in PUBLIC):
            unguarded.append(f"{endpoint}: {'needs a login' if endpoint in PUBLIC else 'does not need a login'}")
    assert not unguarded, "\n".join(unguarded)


@pytest.mark.parametrize("endpoint", sorted(LOADER_GUARDED))
def test_loader_guarded_views_authorise_what_they_load(app, endpoint):
    view = inspect.unwrap(app.view_functions[endpoint])
    helper = LOADER_GUARDED[endpoint]
    assert _calls(view, helper), f"{endpoint} does not call {helper}"
    assert _authorises(view.__globals__.get(helper) or view), f"{helper} does not authorise"


def test_every_guarded_view_names_an_area_action(app):
    for endpoint, view in _views(app).items():
        if hasattr(view, "permission"):
            area, action = view.permission
            assert action in AREAS.get(area, {}), endpoint


def test_a_mistyped_area_fails_when_the_view_is_defined():
    with pytest.raises(LookupError):
        permission_required("dashbaord")
    with pytest.raises(LookupError):
        permission_required("dashboard", "delete")


def _matrix_rows_of_guarded_views(app):
    """(row, area, action) for each matrix row whose URL reaches a view the area table guards."""
    urls = app.url_map.bind("localhost")
    views = _views(app)
    for method, url, endpoint, expected in MATRIX:
        try:
            reached, _args = urls.match(re.sub(r"\{\w+}", "1", url.split("?")[0]), method)
        except (NotFound, MethodNotAllowed):
            continue  # not a route at all (404 for everybody)
        assert reached == endpoint, f"{method} {url} reaches {reached}, its row says {endpoint}"
        if hasattr(views[endpoint], "permission"):
            yield (method, url, endpoint, expected), *views[endpoint].permission


def test_the_access_matrix_agrees_with_the_area_table(app):
    """Anonymous users are sent to log in; a role gets 403 exactly when the area refuses it, whatever the URL."""
    rows = list(_matrix_rows_of_guarded_views(app))
    assert rows
    for (method, url, _endpoint, expected), area, action in rows:
        allowed = AREAS[area][action]
        assert expected[ANON] == LOGIN, f"{method} {url}"
        for role, status in expected.items():
            if role != ANON:
                refused = allowed != LOGGED_IN and role not in allowed
                assert (status == DENIED) is refused, (
                    f"{method} {url} as {role}: the matrix says {status}, {area}/{action} {'refuses' if refused else 'allows'}")


def test_every_view_guarded_by_the_table_is_reached_by_matrix_rows(app):
    guarded = {endpoint for endpoint, view in _views(app).items() if hasattr(view, "permission")}
    reached = {row[2] for row, _area, _action in _matrix_rows_of_guarded_views(app)}
    assert guarded == reached, sorted(guarded - reached)
