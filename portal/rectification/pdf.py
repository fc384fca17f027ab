"""The printable rectification notice (two copies: office/inspector and project manager)."""
from __future__ import annotations

import base64

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.pdf import render_pdf
from portal.photos.models import Photo
from portal.photos.services import shown_thumb_keys
from portal.plans.services import labelled_item_pins, pinned_image
from portal.rectification.models import RectificationNotice
from portal.rectification.signing import NOTICE_RECORD
from portal.signatures.services import record_signatures
from portal.storage import get_storage
from portal.timeutil import to_local


def notice_data(notice: RectificationNotice) -> dict:
    """Plain data for the PDF template (no ORM objects in the template)."""
    photos = db.session.scalars(select(Photo).where(Photo.inspection_id == notice.inspection_id,
                                                    Photo.item_id.in_([i.item_id for i in notice.items]),
                                                    Photo.deleted_at.is_(None)).order_by(Photo.id)).all()
    shown = shown_thumb_keys(photos)  # with the markup burned in
    thumbs: dict[int, list[str]] = {}
    for photo in photos:
        thumbs.setdefault(photo.item_id, []).append(shown[photo.id])
    project = notice.project
    signatures = []
    state = record_signatures(NOTICE_RECORD, notice)
    for slot in state.slots:
        sig = slot.signature
        signatures.append({"slot": slot.slot, "name": sig.signer_name if sig else "", "image": sig.image_key if sig else None,
                           "refused": bool(sig and sig.refused), "witness": sig.witness_name if sig else "",
                           "reason": sig.refusal_reason if sig else "",
                           "at": f"{to_local(sig.signed_at):%Y-%m-%d %H:%M}" if sig else ""})
    return {
        "company": current_app.config["COMPANY_NAME"], "number": notice.number, "round": notice.round,
        "contract_no": project.contract_no, "address": project.address, "owner": project.owner_name,
        "foreman": project.foreman.display_name if project.foreman else "",
        "project_manager": project.project_manager.display_name if project.project_manager else "",
        "inspector": notice.inspector.display_name, "issued": f"{to_local(notice.created_at):%Y-%m-%d}",
        "deadline": notice.deadline.isoformat(), "reinspection": notice.reinspection_date.isoformat(),
        "items": [{"n": i.position, "category": i.category_title, "text": i.item_text,
                   "value": (format(i.measured_value.normalize(), "f") if i.measured_value is not None else ""),
                   "limit": i.limit_text, "finding": i.finding, "fix": i.required_fix,
                   "thumbs": thumbs.get(i.item_id, [])[:4]} for i in notice.items],
        "signatures": signatures, "fingerprint": state.fingerprint,
        "plans": plan_images(notice),
    }


def plan_images(notice: RectificationNotice) -> list[dict]:
    """The floor plans with the numbered pins of the notice's items, as inline JPEG images."""
    pinned = labelled_item_pins(notice.inspection_id, {i.item_id: str(i.position) for i in notice.items})
    storage = get_storage()
    return [{"title": plan.plan.title, "numbers": "、".join(label for _x, _y, label in plan.pins),
             "image": "data:image/jpeg;base64," + base64.b64encode(pinned_image(plan, storage)).decode()}
            for plan in pinned]


def render_notice_pdf(notice: RectificationNotice) -> bytes:
    """Two copies of the notice in one A4 PDF."""
    return render_notice_data(notice_data(notice))


def render_notice_data(data: dict) -> bytes:
    """Two copies of a notice given as ``notice_data`` gives it (the benchmarks render made-up notices)."""
    return render_pdf("rectification/notice_pdf.html", stylesheets=("rectification/notice_pdf.css",),
                      data=data, copies=["office", "project_manager"])
