"""Who sees and revokes pass certificates: office and finance see every one, office revokes
(the certificates area; the service refuses a revoked one and asks to confirm after a payment)."""
from __future__ import annotations

from portal.auth import permissions
from portal.certificates.models import PassCertificate


def register() -> None:
    """Register the certificate rules (called by the app factory)."""
    permissions.register(PassCertificate, permissions.area_rules("certificates", "view", "revoke"))
