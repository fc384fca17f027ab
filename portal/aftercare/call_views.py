"""The warranty's quarterly return calls (003 流程28): office's list of the owners to call this
quarter, each row with its form; a call recorded comes back to the list (a refusal shows on the row)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.aftercare import return_calls
from portal.aftercare.forms import ReturnCallForm
from portal.aftercare.messages import error_text
from portal.aftercare.services import AftercareError
from portal.auth.sessions import permission_required
from portal.params import arg_page
from portal.projects.services import get_project_or_404
from portal.timeutil import local_today

bp = Blueprint("return_calls", __name__, url_prefix="/return-calls")

# Refusals of a call that is right in itself but comes at the wrong time (another desk was quicker).
_CONFLICTS = ("call_done", "call_not_due")
PER_PAGE = 30  # a morning's calls; the owners still to be reached come first


@dataclass(frozen=True)
class ListPage:
    """One page of the list, with what the pager macro asks for."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _form(project_id: int) -> ReturnCallForm:
    """The form of one row: its fields are named after the project (one form per row on the page)."""
    return ReturnCallForm(prefix=f"call-{project_id}")


def _page(quarter: return_calls.Quarter, page: int = 1, status: int = 200, form: ReturnCallForm | None = None,
          project_id: int | None = None, error: str | None = None):
    """A page of the list of ``quarter``; with ``project_id``, the page holding that row, ``form`` (with
    its errors) and ``error`` on it."""
    rows = return_calls.calls_for_quarter(quarter)
    index = next((i for i, row in enumerate(rows) if row.project.id == project_id), None)
    if index is not None:
        page = index // PER_PAGE + 1
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    shown = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
    forms = {row.project.id: form if row.project.id == project_id and form is not None else _form(row.project.id)
             for row in shown if row.done is None}
    return render_template("aftercare/return_calls.html", quarter=quarter, rows=shown, total=len(rows),
                           forms=forms, errors={project_id: error} if error else {}, pager=ListPage(page, pages),
                           done=sum(1 for row in rows if row.done is not None)), status


@bp.get("/")
@permission_required("return_calls")
def index():
    """This quarter's calls: the owners still to be reached first, then those reached."""
    return _page(return_calls.quarter_of(local_today()), arg_page())


@bp.post("/<int:project_id>")
@permission_required("return_calls", "record")
def record(project_id: int):
    """Record a call to the project's owner in the current quarter."""
    project = get_project_or_404(project_id, current_user)
    quarter = return_calls.quarter_of(local_today())
    form = _form(project_id)
    if not form.validate_on_submit():
        return _page(quarter, status=422, form=form, project_id=project_id)
    try:
        call = return_calls.record_call(project, current_user, quarter, reached=form.reached,
                                        satisfied=form.satisfied, note=form.note.data or "")
    except AftercareError as exc:
        message = error_text(exc.code)
        if exc.code == "call_not_due":  # no row to show it on
            flash(message, "error")
        return _page(quarter, status=409 if exc.code in _CONFLICTS else 422, form=form, project_id=project_id,
                     error=message)
    flash(_("Call to %(contract)s recorded.", contract=project.contract_no) if call.reached else
          _("Not reached: %(contract)s stays on the list.", contract=project.contract_no), "success")
    return redirect(url_for(".index", _anchor=f"call-{project_id}"))
