"""Placing a pin from the phone: the page with the project's plans, and the POST that stores it.

A feature that owns the pinned thing (inspections for failed items, photos' concealed works)
loads and authorises it, then calls :func:`pin_page` and :func:`receive_pin` with the target.
The POST carries ``plan_id``, ``x``, ``y`` (fractions of the plan, 0..1) and ``client_id`` (a
UUID made on the phone): the same ``client_id`` again changes nothing, so it may be retried
or queued offline. The answer is JSON: ``{"plan_id", "x", "y"}`` or ``{"error"}`` with 422,
or 409 when a signed record shows the pin (:data:`services.PIN_LOCKS`); a placement stored
before the signature, sent again, still gets its answer.
"""
from __future__ import annotations

import re

from flask import jsonify, render_template, request
from flask_login import current_user

from portal import transaction
from portal.extensions import db
from portal.params import arg_id
from portal.plans import services
from portal.plans.imaging import PlanRejected
from portal.plans.messages import rejection_text
from portal.plans.models import FloorPlan, PlanPin
from portal.projects.models import Project

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pin_page(project: Project, pin: PlanPin | None, action_url: str, title: str, back_url: str, **target):
    """The plan chooser and the zoomable plan to tap on (?plan=<id> picks the floor).

    When a signed record shows the pin of ``target``, the page shows where it is, with the reason.
    """
    if services.pin_locked(**target):
        pinned = services.pinned_plans([(pin, "●")]) if pin is not None else []
        return render_template("plans/place.html", project=project, plans=[], pinned=pinned, title=title,
                               back_url=back_url, locked=rejection_text("locked"))
    plans = services.project_plans(project.id)
    chosen_id = arg_id("plan") or (pin.plan_id if pin else None)
    plan = next((p for p in plans if p.id == chosen_id), plans[0] if plans else None)
    return render_template("plans/place.html", project=project, plans=plans, plan=plan, action_url=action_url,
                           pin=pin if pin is not None and plan is not None and pin.plan_id == plan.id else None,
                           title=title, back_url=back_url, locked=None)


def receive_pin(project: Project, **target):
    """Store the pin of ``target`` (inspection_id + item_id, or photo_id) on a plan of ``project``."""
    client_id = (request.form.get("client_id") or "").strip().lower()
    if not UUID_RE.fullmatch(client_id):
        return pin_error("bad_client_id")
    if services.pin_locked(**target) and services.find_pin(client_id) is None:
        return pin_error("locked", 409)
    plan = _plan_of(project, request.form.get("plan_id", ""))
    if plan is None:
        return pin_error("no_plan")
    try:
        with transaction.savepoint():
            pin, changed = services.place_pin(plan, current_user, client_id, request.form.get("x"),
                                              request.form.get("y"), **target)
    except PlanRejected as exc:
        return pin_error(exc.code)
    except services.PinError as exc:
        return pin_error(exc.code, 409)
    return jsonify({"plan_id": pin.plan_id, "x": pin.x, "y": pin.y}), 201 if changed else 200


def _plan_of(project: Project, raw: str) -> FloorPlan | None:
    """The plan named by the form, when it belongs to ``project`` (another project's plan is no plan)."""
    if not raw.isdigit() or len(raw) > 12:
        return None
    plan = db.session.get(FloorPlan, int(raw))
    return plan if plan is not None and plan.project_id == project.id else None


def pin_error(code: str, status: int = 422):
    """A refused pin, as JSON in the user's language."""
    return jsonify({"error": rejection_text(code), "code": code}), status
