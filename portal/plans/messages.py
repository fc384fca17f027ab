"""User-facing texts for plans and pins."""
from flask_babel import gettext as _


def rejection_text(code: str) -> str:
    """Why a plan or a pin was refused."""
    return {
        "empty": _("The file is empty."),
        "too_large": _("The plan file is too large (at most 20 MB)."),
        "not_a_plan": _("This file is not a floor plan: upload a PDF, JPEG, PNG or WebP file."),
        "too_many_pixels": _("The plan image is too large (more than 50 megapixels)."),
        "bad_pdf": _("The PDF could not be read."),
        "pdf_timeout": _("The PDF takes too long to read; export the plan as an image or a simpler PDF."),
        "outside": _("The pin must be on the plan."),
        "no_plan": _("Choose a plan of this project."),
        "bad_client_id": _("The pin is missing its identifier. Please reload the page and try again."),
        "client_id_conflict": _("This identifier belongs to another pin."),
        "locked": _("The notice with this pin has been signed; the pin can no longer move."),
        "storage": _("The plan could not be stored (storage error). Nothing was saved; please try again."),
    }.get(code, _("The plan could not be saved."))
