"""How after-sales answers the packages below it. Registered at start-up by :func:`register`."""
from __future__ import annotations

from portal.aftercare.owner_links import owner_url_for_certificate
from portal.certificates.services import OWNER_PAGES


def register() -> None:
    """Let certificates print the owner's page as a QR code (the project gets its link at the pass)."""
    OWNER_PAGES.add("aftercare", owner_url_for_certificate)
