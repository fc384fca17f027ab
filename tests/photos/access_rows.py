"""Access rows for the photo routes (see tests/test_access_matrix.py).

Concealed-works pages: everybody who sees the project sees the record; its foreman and
project manager, inspectors and office add photos and closure tests; office and inspectors
finish it; only office downloads the owner's archive. The matrix posts empty forms, so
allowed uploads answer 422. It knows no photo UUIDs or closure tests: those rows use ids
that do not exist (404 once past the role check); real photos are checked role by role in
``test_views.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, DENIED, DESK, HIDDEN, OK, expect

UPLOADERS = {Role.FOREMAN, Role.PROJECT_MANAGER, Role.INSPECTOR, Role.OFFICE}
FINISHERS = {Role.INSPECTOR, Role.OFFICE}
OWN_SIDE = {Role.FOREMAN, Role.PROJECT_MANAGER}
NO_PHOTO = "/photos/00000000-0000-4000-8000-000000000000"
NO_TEST = "999999"


def on_other(rows: dict) -> dict:
    """The same answers on somebody else's project: his foreman and PM do not see it (404)."""
    return {**rows, **{role: HIDDEN for role in OWN_SIDE}}


def inspection_rows(ok, office) -> dict:
    """Item uploads: the inspection's inspector gets ``ok``, office ``office``, everybody else 404."""
    rows = expect({Role.INSPECTOR}, ok=ok, denied=HIDDEN)
    rows[Role.OFFICE] = office
    return rows


UPLOAD = expect(UPLOADERS, ok=422)
# Foremen and PMs pass the uploader check, then finishing needs office or an inspector.
FINISH = {**expect(FINISHERS, ok=422), **{role: DENIED for role in OWN_SIDE}}

ROWS = [
    ("GET", "/projects/{own}/concealed", "photos.concealed", expect(set(Role))),
    ("GET", "/projects/{other}/concealed", "photos.concealed", expect(DESK, denied=HIDDEN)),
    ("GET", "/projects/999999/concealed", "photos.concealed", expect(set(), denied=HIDDEN)),
    ("POST", "/projects/{own}/concealed/photos", "photos.upload_concealed_photo", UPLOAD),
    ("POST", "/projects/{other}/concealed/photos", "photos.upload_concealed_photo", on_other(UPLOAD)),
    ("POST", "/projects/{own}/concealed/closure-tests", "photos.start_closure_test", UPLOAD),
    ("POST", "/projects/{other}/concealed/closure-tests", "photos.start_closure_test", on_other(UPLOAD)),
    ("POST", f"/projects/{{own}}/concealed/closure-tests/{NO_TEST}", "photos.end_closure_test",
     expect(UPLOADERS, ok=HIDDEN)),
    ("POST", f"/projects/{{other}}/concealed/closure-tests/{NO_TEST}", "photos.end_closure_test",
     on_other(expect(UPLOADERS, ok=HIDDEN))),
    ("POST", "/projects/{own}/concealed/finish", "photos.finish_record", FINISH),
    ("POST", "/projects/{other}/concealed/finish", "photos.finish_record", on_other(FINISH)),
    ("GET", "/projects/{own}/concealed/archive.zip", "photos.owner_archive", expect({Role.OFFICE})),
    ("GET", "/projects/{other}/concealed/archive.zip", "photos.owner_archive", on_other(expect({Role.OFFICE}))),
    ("GET", f"{NO_PHOTO}/thumb", "photos.serve", expect(set(), denied=HIDDEN)),
    ("GET", f"{NO_PHOTO}/original", "photos.serve", expect(set(), denied=HIDDEN)),
    ("GET", "/photos/not-a-uuid/display", "photos.serve", expect(set(), denied=HIDDEN)),
    ("POST", f"{NO_PHOTO}/delete", "photos.delete", expect(set(), denied=HIDDEN)),
    ("GET", f"{NO_PHOTO}/plain", "photos.serve", expect(set(), denied=HIDDEN)),
    ("GET", f"{NO_PHOTO}/markup", "photos.markup_editor", expect(set(), denied=HIDDEN)),
    ("POST", f"{NO_PHOTO}/markup", "photos.save_markup", expect(set(), denied=HIDDEN)),
    ("POST", "/inspections/{insp_own}/items/{item}/photos", "inspections.upload_item_photo",
     inspection_rows(ok=422, office=DENIED)),
    ("POST", "/inspections/{insp_own}/items/999999/photos", "inspections.upload_item_photo",
     inspection_rows(ok=HIDDEN, office=HIDDEN)),
    # {item} belongs to {insp_own}'s checklist version: other inspections have no such answer row.
    ("POST", "/inspections/{insp_other}/items/{item}/photos", "inspections.upload_item_photo",
     {**expect(set(), denied=HIDDEN), Role.OFFICE: HIDDEN}),
    ("POST", "/inspections/{insp_done}/items/{item}/photos", "inspections.upload_item_photo",
     inspection_rows(ok=HIDDEN, office=HIDDEN)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and OK
