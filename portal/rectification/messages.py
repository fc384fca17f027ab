"""User-facing texts for notice rules."""
from flask_babel import gettext as _


def error_text(exc) -> str:
    """Why a notice action was refused."""
    if exc.code == "items_open":
        names = "；".join(item.item_text for item in exc.detail)
        return _("These items are not marked rectified yet: %(items)s", items=names)
    return {
        "not_open": _("This notice is no longer open for rework."),
        "photo_required": _("Add an “after” photo of this item first."),
        "already_scheduled": _("The reinspection is already scheduled."),
        "foreman_replaced": _("The foreman was replaced on this site after round 3: assign the new foreman to the project first."),
        "date_past": _("The reinspection date cannot be in the past."),
    }.get(exc.code, _("This is not possible now."))
