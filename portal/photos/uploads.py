"""Receiving an upload for any feature (checklist items, concealed works, rectified notice items).

A view decides *whether* the user may upload for a target; :func:`receive_upload` stores the
file and answers the upload queue on the phone; :func:`upload_error` answers a refusal in
the same shape.
"""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.fieldsync.actions import field_time, report_phone_clock
from portal.photos import services
from portal.photos.imaging import ImageRejected
from portal.photos.messages import rejection_text
from portal.photos.models import Photo
from portal.storage import StorageError, discard, get_storage


def receive_upload(target: services.PhotoTarget):
    """Store the uploaded file for ``target``: 201 new, 200 same UUID again, 4xx/507 with a message."""
    try:
        photo_uuid = services.normalise_uuid(request.form.get("uuid"))
        upload = request.files.get("file")
        if upload is None:
            raise services.PhotoError("no_file")
        photo, created = _store(target, photo_uuid, upload.read())
    except services.PhotoError as exc:
        return upload_error(exc.code, 409 if exc.code == "uuid_conflict" else 422)
    except ImageRejected as exc:
        return upload_error(exc.code, 422)
    except StorageError:
        current_app.logger.exception("photo storage failed")
        return upload_error("storage", 507)
    return render_template("photos/_photo.html", photo=photo, can_delete=False), 201 if created else 200


def _store(target: services.PhotoTarget, photo_uuid: str, data: bytes) -> tuple[Photo, bool]:
    """Write files and row, commit; on any failure remove the files again."""
    storage = get_storage()
    try:
        with transaction.savepoint():
            photo, created, written = services.store_photo(target, photo_uuid, data, current_user, storage,
                                                           phone_captured_at=field_time().happened_at)
            report_phone_clock(photo)
    except IntegrityError:
        # The same UUID was stored by a concurrent retry a moment ago: answer with that photo.
        photo = services.find_by_uuid(photo_uuid)
        if photo is None or not target.matches(photo):
            raise services.PhotoError("uuid_conflict") from None
        return photo, False
    try:
        transaction.commit_now("the photo's files are written already")
    except IntegrityError:
        discard(storage, written)
        photo = services.find_by_uuid(photo_uuid)
        if photo is None or not target.matches(photo):
            raise services.PhotoError("uuid_conflict") from None
        return photo, False
    except BaseException:
        discard(storage, written)
        raise
    return photo, created


def upload_error(code: str, status: int):
    """The upload queue's error fragment for refusal ``code`` (see photos.messages), with ``status``."""
    return render_template("photos/_upload_error.html", message=rejection_text(code)), status
