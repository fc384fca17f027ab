"""Receiving a markup save from the phone (an ordinary POST, safe to send again).

The form carries ``client_id`` (a UUID made on the phone when the user taps "save") and
``markup`` (the JSON of :mod:`portal.photos.markup`). Sending the same ``client_id`` again
answers with the version it stored, so an offline queue may replay it freely. The answer is
JSON: ``{"version", "display", "thumb"}`` or ``{"error"}`` with 409/422/507. Once a signed
record shows the photo (:func:`portal.photos.locks.markup_locked`) a new version is refused
with 409; a save stored before the signature, sent again, still gets its version.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.photos import markup, services
from portal.photos.locks import markup_locked
from portal.photos.messages import rejection_text
from portal.photos.models import Photo, PhotoMarkup
from portal.storage import StorageError, discard, get_storage


def receive_markup(photo: Photo):
    """Store the posted markup as the photo's next version: 201 new, 200 the same save again."""
    try:
        client_id = services.normalise_uuid(request.form.get("client_id"))
        if markup_locked(photo) and services.find_markup(client_id) is None:
            raise services.PhotoError("markup_locked")
        shapes = markup.parse(request.form.get("markup"))
        row, created = _store(photo, client_id, shapes)
    except services.PhotoError as exc:
        return markup_error(exc.code, 409 if exc.code in ("uuid_conflict", "markup_conflict", "markup_locked") else 422)
    except markup.MarkupError as exc:
        return markup_error(exc.code, 422)
    except StorageError:
        current_app.logger.exception("markup storage failed")
        return markup_error("storage", 507)
    return jsonify(markup_answer(photo, row)), 201 if created else 200


def markup_answer(photo: Photo, row: PhotoMarkup) -> dict:
    """What the phone learns about a stored version: its number and where the marked versions are."""
    return {"version": row.version, "shapes": row.shape_count,
            "display": url_for("photos.serve", photo_uuid=photo.uuid, variant="display", v=row.version),
            "thumb": url_for("photos.serve", photo_uuid=photo.uuid, variant="thumb", v=row.version)}


def markup_error(code: str, status: int):
    """A refusal in the user's language, as JSON."""
    return jsonify({"error": rejection_text(code), "code": code}), status


def _store(photo: Photo, client_id: str, shapes: list[dict]) -> tuple[PhotoMarkup, bool]:
    """Render and write the marked versions, save the row, commit; on any failure remove the files."""
    storage = get_storage()
    try:
        with transaction.savepoint():
            row, created, written = services.save_markup(photo, client_id, shapes, current_user, storage)
    except IntegrityError:
        return _saved_meanwhile(photo, client_id), False
    try:
        transaction.commit_now("the marked versions are written already")
    except IntegrityError:
        discard(storage, written)
        return _saved_meanwhile(photo, client_id), False
    except BaseException:
        discard(storage, written)
        raise
    return row, created


def _saved_meanwhile(photo: Photo, client_id: str) -> PhotoMarkup:
    """After a unique clash: the same save stored by a concurrent retry, or a version-number race."""
    row = services.find_markup(client_id)
    if row is None:
        raise services.PhotoError("markup_conflict")
    if row.photo_id != photo.id:
        raise services.PhotoError("uuid_conflict")
    return row
