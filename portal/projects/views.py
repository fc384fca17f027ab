"""Project list, detail, create and edit."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.sessions import permission_required
from portal.extensions import db
from portal.projects.forms import ProjectForm
from portal.projects.models import Project
from portal.projects.services import can_edit_projects, get_project_or_404, search_projects
from portal.web import render_page_or_fragment, save_or_field_error

bp = Blueprint("projects", __name__, url_prefix="/projects")

PER_PAGE = 20


@bp.get("/")
@permission_required("projects")
def index():
    """Projects the user may see, with search by 档案号, address or owner."""
    q = request.args.get("q", "")[:100]
    page = db.paginate(search_projects(current_user, q), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_page_or_fragment("projects/index.html", "projects/_results.html", "project-results",
                                   page=page, q=q, can_edit=can_edit_projects(current_user))


@bp.route("/new", methods=["GET", "POST"])
@permission_required("projects", "edit")
def create():
    """Create a project (office, engineering)."""
    form = ProjectForm()
    if form.validate_on_submit():
        project = Project()
        form.populate_obj(project)
        if _save_or_report(form, lambda: db.session.add(project)):
            flash(_("Project %(no)s created.", no=project.contract_no), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return _form_page(form, None)


@bp.get("/<int:project_id>")
@login_required
def detail(project_id: int):
    """One project."""
    project = get_project_or_404(project_id, current_user)
    return render_template("projects/detail.html", project=project, can_edit=can_edit_projects(current_user))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    """Edit a project (office, engineering)."""
    project = get_project_or_404(project_id, current_user, "edit")
    form = ProjectForm(obj=project, project_id=project.id)
    if form.validate_on_submit():
        if _save_or_report(form, lambda: form.populate_obj(project)):
            flash(_("Project %(no)s saved.", no=project.contract_no), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    return _form_page(form, project)


def _save_or_report(form, change) -> bool:
    """Make the change, or report on the form that another request took the same value meanwhile."""
    return save_or_field_error(change, form.contract_no, _("Another project already has this contract number."))


def _form_page(form: ProjectForm, project: Project | None):
    """The form page; 422 when the submitted form had errors."""
    status = 422 if form.errors else 200
    return render_template("projects/form.html", form=form, project=project), status
