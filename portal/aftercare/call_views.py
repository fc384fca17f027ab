"""The warranty's quarterly return calls (003 流程28): office's list of the owners to call this
quarter, each row with its form; a call recorded comes back to the list (a refusal shows on the row)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.aftercare import return_calls
from portal.aftercare.forms import ReturnCallForm
from portal.aftercare.messages import error_text
from portal.aftercare.services import AftercareError
from portal.auth.sessions import permission_required
from portal.projects.services import get_project_or_404
from portal.timeutil import local_today

bp = Blueprint("return_calls", __name__, url_prefix="/return-calls")

# Refusals of a call that is right in itself but comes at the wrong time (another desk was quicker).
_CONFLICTS = ("call_done", "call_not_due")


def _form(project_id: int) -> ReturnCallForm:
    """The form of one row: its fields are named after the project (one form per row on the page)."""
    return ReturnCallForm(prefix=f"call-{project_id}")


def _page(quarter: return_calls.Quarter, status: int = 200, form: ReturnCallForm | None = None,
          project_id: int | None = None, error: str | None = None):
    """The list of ``quarter``; ``form`` (with its errors and ``error``) on the row of ``project_id``."""
    rows = return_calls.calls_for_quarter(quarter)
    forms = {row.project.id: form if row.project.id == project_id and form is not None else _form(row.project.id)
             for row in rows if row.done is None}
    return render_template("aftercare/return_calls.html", quarter=quarter, rows=rows, forms=forms,
                           errors={project_id: error} if error else {},
                           done=sum(1 for row in rows if row.done is not None)), status


@bp.get("/")
@permission_required("return_calls")
def index():
    """This quarter's calls: the owners still to be reached first, then those reached."""
    return _page(return_calls.quarter_of(local_today()))


@bp.post("/<int:project_id>")
@permission_required("return_calls", "record")
def record(project_id: int):
    """Record a call to the project's owner in the current quarter."""
    project = get_project_or_404(project_id, current_user)
    quarter = return_calls.quarter_of(local_today())
    form = _form(project_id)
    if not form.validate_on_submit():
        return _page(quarter, 422, form, project_id)
    try:
        call = return_calls.record_call(project, current_user, quarter, reached=form.reached,
                                        satisfied=form.satisfied, note=form.note.data or "")
    except AftercareError as exc:
        message = error_text(exc.code)
        if exc.code == "call_not_due":  # no row to show it on
            flash(message, "error")
        return _page(quarter, 409 if exc.code in _CONFLICTS else 422, form, project_id, message)
    flash(_("Call to %(contract)s recorded.", contract=project.contract_no) if call.reached else
          _("Not reached: %(contract)s stays on the list.", contract=project.contract_no), "success")
    return redirect(url_for(".index", _anchor=f"call-{project_id}"))
