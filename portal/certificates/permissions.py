"""Who sees and revokes pass certificates (rules of :func:`portal.auth.permissions.can` for PassCertificate)."""
from __future__ import annotations

from portal.auth import permissions
from portal.certificates.models import PassCertificate


def may_view(user, certificate) -> bool:
    """Office and finance see every certificate (the certificates area)."""
    return permissions.can(user, "certificates", "view")


def may_revoke(user, certificate) -> bool:
    """Office revokes (the service refuses a revoked one, and asks to confirm after a payment)."""
    return permissions.can(user, "certificates", "revoke")


def register() -> None:
    """Register the certificate rules (called by the app factory)."""
    permissions.register(PassCertificate, {"view": may_view, "revoke": may_revoke})
