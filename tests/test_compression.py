"""Gzip of text responses: pages, htmx fragments and static files, never files sent as they are.

Requests for files pass ``buffered=True``: the test client then reads and closes the file.
"""
import gzip
import io

import pytest
from flask import Response, send_file

from portal.auth.roles import Role
from portal.compression import compress_response
from portal.extensions import db
from tests.factories import make_project

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def static_bytes(app, filename: str) -> bytes:
    with open(f"{app.static_folder}/{filename}", "rb") as file:
        return file.read()


def test_page_is_gzipped_when_the_client_accepts_it(client):
    response = client.get("/login", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.data)
    html = gzip.decompress(response.data).decode()
    assert html.startswith("<!doctype html>") and 'name="csrf_token"' in html


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, deflate"])
def test_page_is_plain_when_gzip_is_not_accepted(client, accept):
    response = client.get("/login", headers={"Accept-Encoding": accept} if accept else {})
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]  # a cache must not hand this to a gzip client
    assert response.text.startswith("<!doctype html>")


def test_htmx_fragment_is_gzipped_and_is_still_the_fragment(client, login_as):
    login_as(Role.OFFICE)
    for _ in range(6):
        make_project()
    db.session.commit()
    htmx = {"HX-Request": "true", "HX-Target": "project-results"}
    response = client.get("/projects/", headers={**GZIP, **htmx})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    fragment = gzip.decompress(response.data).decode()
    assert "<html" not in fragment and 'id="project-results"' in fragment
    assert {"HX-Target", "Accept-Encoding"} <= set(response.vary)


def test_small_responses_stay_plain(client):
    response = client.get("/healthz/live", headers=GZIP)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_compression_can_be_turned_off(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "COMPRESS_RESPONSES", False)
    response = client.get("/login", headers=GZIP)
    assert "Content-Encoding" not in response.headers and "Accept-Encoding" not in response.vary


def test_static_file_is_gzipped_with_a_weak_etag(app, client):
    response = client.get("/static/css/portal.css", headers=GZIP, buffered=True)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == static_bytes(app, "css/portal.css")
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert response.headers["ETag"].startswith('W/"') and "Accept-Ranges" not in response.headers


def test_static_file_revalidates_with_either_etag(client):
    compressed = client.get("/static/js/portal.js", headers=GZIP, buffered=True)
    plain = client.get("/static/js/portal.js", buffered=True)
    assert plain.headers["ETag"] == compressed.headers["ETag"].removeprefix("W/")
    again = client.get("/static/js/portal.js", headers={**GZIP, "If-None-Match": compressed.headers["ETag"]},
                       buffered=True)
    assert again.status_code == 304 and not again.data
    assert again.headers["ETag"] == compressed.headers["ETag"]
    revalidated = client.get("/static/js/portal.js", headers={"If-None-Match": plain.headers["ETag"]}, buffered=True)
    assert revalidated.status_code == 304


def test_range_request_on_a_static_file_gets_plain_bytes(app, client):
    response = client.get("/static/css/portal.css", headers={**GZIP, "Range": "bytes=0-9"}, buffered=True)
    assert response.status_code == 206 and "Content-Encoding" not in response.headers
    assert response.data == static_bytes(app, "css/portal.css")[:10]


def test_small_static_file_stays_plain(app, client):
    response = client.get("/static/favicon.svg", headers=GZIP, buffered=True)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.data == static_bytes(app, "favicon.svg")


def compressed(app, response: Response) -> Response:
    """``compress_response`` as the after-request hook would run it for a gzip client."""
    with app.test_request_context("/somewhere", headers=GZIP):
        return compress_response(response)


def test_files_sent_as_they_are_stay_untouched(app):
    with app.test_request_context("/somewhere"):
        response = send_file(io.BytesIO(b"a,b\n" * 1000), mimetype="text/csv")
    response = compressed(app, response)
    assert response.direct_passthrough and "Content-Encoding" not in response.headers


def test_streamed_response_stays_untouched(app):
    response = compressed(app, Response((b"line\n" for _ in range(1000)), mimetype="text/plain"))
    assert response.is_streamed and "Content-Encoding" not in response.headers


@pytest.mark.parametrize("mimetype", ["image/png", "application/pdf", "application/zip"])
def test_binary_types_stay_untouched(app, mimetype):
    response = compressed(app, Response(b"\x00" * 5000, mimetype=mimetype))
    assert "Content-Encoding" not in response.headers and "Accept-Encoding" not in response.vary


def test_already_encoded_response_stays_untouched(app):
    body = gzip.compress(b"x" * 5000)
    response = compressed(app, Response(body, mimetype="text/plain", headers={"Content-Encoding": "gzip"}))
    assert response.get_data() == body


def test_json_and_csv_bodies_are_compressed(app):
    for mimetype in ("application/json", "text/csv"):
        body = b'{"contract_no": "A26101201"}\n' * 100
        response = compressed(app, Response(body, mimetype=mimetype))
        assert response.headers["Content-Encoding"] == "gzip" and gzip.decompress(response.get_data()) == body
