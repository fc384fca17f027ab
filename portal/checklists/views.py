"""Office edits checklist templates (desktop).

Every request runs load → check → process: published and retired versions are frozen
(inspections use them), so edits go into the family's draft, which publishing makes the
version new inspections start on. The services only flush; the request commits once, at its end.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.auth.permissions import authorise
from portal.auth.sessions import permission_required
from portal.checklists import services
from portal.checklists.forms import ItemForm, RetireForm, item_form
from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate, TemplateStatus
from portal.extensions import db
from portal.timeutil import to_local
from portal.web import db_id, is_htmx_request, wants_fragment

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


@dataclass(frozen=True)
class VersionSummary:
    """A version with the facts shown next to it: its inspections and its dates (local)."""

    version: ChecklistTemplate
    in_use: int
    published_on: date | None
    retired_on: date | None

    @property
    def status_label(self) -> str:
        """The status in the user's language."""
        return TemplateStatus(self.version.status).label


def _local_date(value: datetime | None) -> date | None:
    local = to_local(value)
    return local.date() if local else None


def summarise(version: ChecklistTemplate) -> VersionSummary:
    """The summary of one version."""
    return VersionSummary(version, services.template_in_use(version), _local_date(version.published_at),
                          _local_date(version.retired_at))


# --- loading ------------------------------------------------------------------------------

def get_template_or_404(template_id: int, user, action: str = "view") -> ChecklistTemplate:
    """The template version ``template_id`` if ``user`` may ``action`` it; 404 when there is none (or hidden), 403 otherwise."""
    return authorise(user, db.session.get(ChecklistTemplate, template_id), action)


def get_item_or_404(version: ChecklistTemplate, item_id: int) -> ChecklistItem:
    """Item ``item_id`` of ``version``; 404 when it belongs to another version (or none)."""
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.template_id != version.id:
        abort(404)
    return item


def get_category_or_404(version: ChecklistTemplate, category_id: int | None) -> ChecklistCategory:
    """Category ``category_id`` of ``version`` (its first category when None); 404 otherwise."""
    categories = version.categories
    if category_id is None and categories:
        return categories[0]
    category = next((c for c in categories if c.id == category_id), None)
    if category is None:
        abort(404)
    return category


def get_family_or_404(family: str) -> list[ChecklistTemplate]:
    """The versions of ``family``, newest first; 404 for an unknown family."""
    versions = services.family_versions(family)
    if not versions:
        abort(404)
    return versions


# --- versions -----------------------------------------------------------------------------

@bp.get("/")
@permission_required("checklists")
def index():
    """Every checklist family with its versions, newest first."""
    families = db.session.scalars(select(ChecklistTemplate.family).distinct().order_by(ChecklistTemplate.family))
    rows = [(family, [summarise(v) for v in services.family_versions(family)]) for family in families]
    return render_template("checklists/index.html", families=rows)


@bp.get("/<int:template_id>")
@permission_required("checklists")
def detail(template_id: int):
    """One version: its categories and items; editable when it is the draft."""
    return _detail_page(get_template_or_404(template_id, current_user), RetireForm())


@bp.post("/<family>/draft")
@permission_required("checklists", "edit")
def draft(family: str):
    """Open the family's draft (a copy of its newest version), or continue the existing one."""
    get_family_or_404(family)
    continuing = services.draft_of(family) is not None
    try:
        with transaction.savepoint():
            version = services.open_draft(family, current_user.id)
    except IntegrityError:
        # Another office user opened the draft at the same moment (same version number): continue theirs.
        version, continuing = services.draft_of(family), True
        if version is None:
            raise
    if continuing:
        flash(_("You are editing draft version %(n)s.", n=version.version), "success")
    else:
        flash(_("Draft version %(n)s created. Inspections keep the version they use; publish the draft when it "
                "is ready.", n=version.version), "success")
    return redirect(url_for(".detail", template_id=version.id))


@bp.post("/<int:template_id>/publish")
@permission_required("checklists", "publish")
def publish(template_id: int):
    """Publish the draft: new inspections start on it from now on."""
    version = get_template_or_404(template_id, current_user)
    try:
        services.publish(version)
    except services.TemplateError as exc:
        if exc.code != "empty":
            return _conflict(version, exc.code)
        flash(_("Version %(n)s has no active items and cannot be published.", n=version.version), "error")
        return redirect(url_for(".detail", template_id=version.id))
    flash(_("Version %(n)s published. New inspections start on it; inspections already scheduled keep their "
            "version.", n=version.version), "success")
    return redirect(url_for(".detail", template_id=version.id))


@bp.post("/<int:template_id>/retire")
@permission_required("checklists", "publish")
def retire(template_id: int):
    """Retire a published version, after the office confirmed it."""
    version = get_template_or_404(template_id, current_user)
    if version.status != TemplateStatus.PUBLISHED.value:
        return _conflict(version, "not_published")
    form = RetireForm()
    if not form.validate_on_submit():
        return _detail_page(version, form)
    services.retire(version)
    flash(_("Version %(n)s retired. Inspections that use it keep it.", n=version.version), "success")
    return redirect(url_for(".detail", template_id=version.id))


# --- items of a draft ---------------------------------------------------------------------

@bp.route("/<int:template_id>/items/new", methods=["GET", "POST"])
@permission_required("checklists", "edit")
def new_item(template_id: int):
    """Add an item to a category of the draft (``?category=<id>``, default the first)."""
    version = get_template_or_404(template_id, current_user)
    if not version.is_draft:
        return _conflict(version, "not_draft")
    category = get_category_or_404(version, request.args.get("category", type=db_id))
    return _item_form(version, None, item_form(version, None, category.id))


@bp.route("/<int:template_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@permission_required("checklists", "edit")
def edit_item(template_id: int, item_id: int):
    """Reword an item, change its kind, limits, flags, or move it to another category."""
    version = get_template_or_404(template_id, current_user)
    item = get_item_or_404(version, item_id)
    if not version.is_draft:
        return _conflict(version, "not_draft")
    return _item_form(version, item, item_form(version, item, None))


@bp.post("/<int:template_id>/items/<int:item_id>/move")
@permission_required("checklists", "edit")
def move_item(template_id: int, item_id: int):
    """Move an item one place up or down within its category."""
    version = get_template_or_404(template_id, current_user)
    item = get_item_or_404(version, item_id)
    steps = {"up": -1, "down": 1}
    if request.form.get("direction") not in steps:
        abort(400)
    if not version.is_draft:
        return _conflict(version, "not_draft")
    services.move_item(item, steps[request.form["direction"]])
    return _item_list_or_redirect(item)


@bp.post("/<int:template_id>/items/<int:item_id>/retire")
@permission_required("checklists", "edit")
def retire_item(template_id: int, item_id: int):
    """Retire an item: new inspections on this version leave it out."""
    return _set_retired(template_id, item_id, True)


@bp.post("/<int:template_id>/items/<int:item_id>/restore")
@permission_required("checklists", "edit")
def restore_item(template_id: int, item_id: int):
    """Bring a retired item of the draft back."""
    return _set_retired(template_id, item_id, False)


def _set_retired(template_id: int, item_id: int, retired: bool):
    """Retire or restore an item of a draft."""
    version = get_template_or_404(template_id, current_user)
    item = get_item_or_404(version, item_id)
    if not version.is_draft:
        return _conflict(version, "not_draft")
    services.set_item_retired(item, retired)
    if not wants_fragment(_item_list_id(item.category)):
        flash(_("Item retired.") if retired else _("Item restored."), "success")
    return _item_list_or_redirect(item)


# --- rendering ----------------------------------------------------------------------------

def _detail_page(version: ChecklistTemplate, retire_form: RetireForm):
    """The version page; 422 when the retire confirmation was missing."""
    published = [v for v in services.family_versions(version.family) if v.status == TemplateStatus.PUBLISHED.value]
    context = {
        **_draft_context(version),
        "summary": summarise(version),
        "only_published": published == [version],
        "based_on": db.session.get(ChecklistTemplate, version.based_on_id) if version.based_on_id else None,
        "retire_form": retire_form,
    }
    return render_template("checklists/detail.html", **context), 422 if retire_form.errors else 200


def _draft_context(version: ChecklistTemplate) -> dict:
    """What the "Edit" button of a frozen version needs: the family's draft, or what a new one copies."""
    newest = services.family_versions(version.family)[0]
    return {"version": version, "draft": services.draft_of(version.family), "newest": newest,
            "next_version": newest.version + 1}


def _item_form(version: ChecklistTemplate, item: ChecklistItem | None, form: ItemForm):
    """Validate and save the item form, or show it (422 with inline errors)."""
    if form.validate_on_submit():
        category = get_category_or_404(version, form.category_id.data)
        item = services.save_item(version, item, category, form.item_values())
        flash(_("Item saved in version %(n)s.", n=version.version), "success")
        return redirect(url_for(".detail", template_id=version.id, _anchor=f"item-{item.id}"))
    status = 422 if form.errors else 200
    return render_template("checklists/item_form.html", form=form, version=version, item=item), status


def _item_list_id(category: ChecklistCategory) -> str:
    """The id of a category's item list: the element the item buttons swap."""
    return f"category-{category.id}-items"


def _item_list_or_redirect(item: ChecklistItem):
    """The category's item list for htmx requests aimed at it; otherwise back to the version page."""
    category = item.category
    if wants_fragment(_item_list_id(category)):
        response = make_response(render_template("checklists/_items.html", version=category.template,
                                                 category=category))
    else:
        response = redirect(url_for(".detail", template_id=category.template_id, _anchor=f"item-{item.id}"))
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def _conflict(version: ChecklistTemplate, code: str):
    """409: the version's state does not allow the change (a page, or a fragment for htmx)."""
    if code == "not_draft":
        message = _("Version %(n)s is not a draft and cannot be changed: inspections may use it. Changes go into "
                    "a draft version.", n=version.version)
    else:
        message = _("Only a published version can be retired.")
    template = "checklists/_conflict.html" if is_htmx_request() else "checklists/conflict.html"
    context = {**_draft_context(version), "summary": summarise(version), "message": message}
    return render_template(template, **context), 409
