"""User-facing texts for photo uploads."""
from flask_babel import gettext as _


def rejection_text(code: str) -> str:
    """Why an upload was refused."""
    accepted = _("Accepted formats: JPEG, PNG, WebP and HEIC (iPhone).")
    return {
        "empty": _("The file is empty."),
        "not_an_image": _("This file is not a photo.") + " " + accepted,
        "corrupt": _("The photo is damaged or incomplete (interrupted upload?). Please take it again."),
        "too_many_pixels": _("The image is too large (more than 50 megapixels)."),
        "exif_too_large": _("The photo's metadata (EXIF) is too large."),
        "bad_uuid": _("The upload is missing its identifier. Please reload the page and try again."),
        "no_file": _("Choose a photo to upload."),
        "uuid_conflict": _("This upload identifier belongs to another photo."),
        "locked": _("This record is finished; its photos can no longer change."),
        "not_yours": _("Only the person who uploaded the photo or the office can delete it."),
        "reason_required": _("Write why the photo is deleted."),
        "storage": _("The photo could not be stored (storage error). Nothing was saved; please try again."),
        "not_allowed": _("You cannot add photos here."),
        "markup_missing": _("The markup is missing."),
        "markup_too_large": _("The markup is too large (at most 64 KB)."),
        "markup_not_json": _("The markup could not be read."),
        "markup_shape": _("The markup contains a shape that cannot be drawn."),
        "markup_colour": _("The markup uses a colour that is not offered."),
        "markup_coordinates": _("A shape of the markup lies outside the photo."),
        "markup_too_many": _("The markup has too many shapes or points (at most 60 shapes)."),
        "markup_text": _("A markup text must be one line of at most 40 characters."),
        "markup_conflict": _("Somebody saved a markup of this photo at the same moment. Please save again."),
        "markup_locked": _("This photo is part of a signed record; its markup can no longer change."),
    }.get(code, _("The photo could not be saved."))


def colour_names() -> list[tuple[str, str]]:
    """The markup colours with their names, in the order the phone offers them."""
    return [("#e53935", _("Red")), ("#fdd835", _("Yellow")), ("#43a047", _("Green")), ("#1e88e5", _("Blue")),
            ("#ffffff", _("White")), ("#000000", _("Black"))]
