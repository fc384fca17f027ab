"""User-facing texts for signatures."""
from flask_babel import gettext as _

from portal.signatures.records import SLOT_LABELS


def slot_label(slot: str) -> str:
    """The role slot in the user's language."""
    return str(SLOT_LABELS.get(slot, slot))


def error_text(code: str) -> str:
    """Why a signature was refused."""
    return {
        "empty": _("The signature is empty. Sign in the box with your finger."),
        "bad_image": _("The signature image is not valid. Please sign again."),
        "bad_strokes": _("The signature data is not valid. Please sign again."),
        "changed": _("The record changed, please review it again before signing."),
        "already_signed": _("This role has already signed."),
        "not_ready": _("The record cannot be signed yet (it is not finished)."),
        "bad_slot": _("Unknown signer role."),
        "name_required": _("Type the signer's name."),
        "witness_required": _("A refusal needs a witness (name and role) who signs."),
        "not_yours": _("You cannot sign for this role."),
    }.get(code, _("The signature could not be saved."))


def link_state_text(state: str) -> str:
    """Why a signing link no longer works."""
    return {
        "used": _("This signing link has already been used."),
        "revoked": _("This signing link has been withdrawn."),
        "expired": _("This signing link has expired."),
        "invalid": _("This signing link is not valid."),
    }.get(state, _("This signing link is not valid."))
