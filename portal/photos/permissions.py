"""Who may see, open and delete photos, and keep a project's concealed-works record
(rules of :func:`portal.auth.permissions.can` for Photo, and the photo actions on Project)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role
from portal.photos.models import Photo
from portal.projects.models import Project
from portal.projects.permissions import is_own


def may_view(user, photo) -> bool:
    """Who sees the photo's project; a deleted photo only office."""
    return permissions.can(user, photo.project, "view") and (not photo.is_deleted or has_role(user, Role.OFFICE))


def may_open_original(user, photo) -> bool:
    """The untouched original (no watermark): office and inspectors."""
    return has_role(user, Role.OFFICE, Role.INSPECTOR)


def may_delete(user, photo) -> bool:
    """Its uploader or office (the service refuses while the record or inspection is locked)."""
    return photo.uploaded_by_id == user.id or has_role(user, Role.OFFICE)


def may_mark_up(user, photo) -> bool:
    """Inspectors and office, and the project's foreman and project manager, draw on the photos they see."""
    return may_view(user, photo) and (has_role(user, Role.OFFICE, Role.INSPECTOR) or is_own(user, photo.project))


def may_upload_concealed(user, project) -> bool:
    """The project's foreman and project manager, inspectors and office add concealed-works photos and closure tests."""
    return has_role(user, Role.OFFICE, Role.INSPECTOR) or is_own(user, project)


def may_finish_concealed(user, project) -> bool:
    """Office or an inspector declares the record complete."""
    return has_role(user, Role.OFFICE, Role.INSPECTOR)


def may_download_archive(user, project) -> bool:
    """Office downloads the owner's archive of concealed-works photos."""
    return has_role(user, Role.OFFICE)


def register() -> None:
    """Register the photo rules (called by the app factory, after the project rules)."""
    permissions.register(Photo, {"view": may_view, "original": may_open_original, "delete": may_delete,
                                 "markup": may_mark_up})
    permissions.register(Project, {"upload_concealed": may_upload_concealed, "finish_concealed": may_finish_concealed,
                                   "download_archive": may_download_archive})
