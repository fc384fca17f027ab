"""Storing floor plans, placing pins, and the plans with numbered pins that notices show.

A plan's row and its two files (the upload untouched, the plan image) exist together or not
at all: files first, then the row; when the row cannot be saved the files are removed.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.extensions import db
from portal.plans import imaging
from portal.photos.models import Photo
from portal.plans.models import FloorPlan, PlanPin
from portal.projects.models import Project
from portal.registry import Registry
from portal.storage import Storage, discard, put_all

# target (inspection_id + item_id, or photo_id, as keywords) → True when a signed record shows its pin.
# Plans do not know notices: rectification registers the rule for items of a signed notice.
PIN_LOCKS: Registry[Callable[..., bool]] = Registry("pin lock rule")


class PinError(ValueError):
    """A pin that cannot be placed; ``code`` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def get_plan_or_404(plan_id: int, user: User, action: str = "view") -> FloorPlan:
    """A plan the user may see: its project must be visible to him (404 otherwise)."""
    return authorise(user, db.session.get(FloorPlan, plan_id), action)


def can_upload_plan(project: Project, user: User) -> bool:
    """Office, engineering (the designers' side) and inspectors add plans."""
    return can(user, project, "upload_plan")


def project_plans(project_id: int) -> list[FloorPlan]:
    """The plans of a project, in upload order (floors as they were added)."""
    return list(db.session.scalars(select(FloorPlan).where(FloorPlan.project_id == project_id).order_by(FloorPlan.id)))


def store_plan(project: Project, title: str, data: bytes, user: User, storage: Storage) -> tuple[FloorPlan, list[str]]:
    """Check and store an uploaded plan; returns (plan, keys written). Raises imaging.PlanRejected."""
    prepared = imaging.prepare(data)
    base = f"plans/{project.id}/{secrets.token_hex(8)}"
    files = {f"{base}/original.{prepared.extension}": data, f"{base}/plan.jpg": prepared.image}
    written = put_all(storage, files)
    original_key, image_key = files
    plan = FloorPlan(project_id=project.id, title=title[:100], source_format=prepared.source_format,
                     sha256=prepared.sha256, original_key=original_key, image_key=image_key, width=prepared.width,
                     height=prepared.height, uploaded_by_id=user.id)
    db.session.add(plan)
    try:
        db.session.flush()
    except Exception:
        discard(storage, written)
        raise
    return plan, written



def orphaned_plan_folders(storage, older_than_seconds: int = 3600) -> list[str]:
    """Plan folders (as keys) that no plan row points to, older than ``older_than_seconds``."""
    root = getattr(storage, "root", None)
    if root is None or not (root / "plans").is_dir():
        return []
    known = {key.rsplit("/", 1)[0] for key in db.session.scalars(select(FloorPlan.original_key))}
    cutoff = time.time() - older_than_seconds
    orphans = []
    for folder in sorted((root / "plans").glob("*/*")):
        key = folder.relative_to(root).as_posix()
        try:
            old = folder.is_dir() and folder.stat().st_mtime < cutoff
        except FileNotFoundError:
            old = False
        if key not in known and old:
            orphans.append(key)
    return orphans


# --- pins -----------------------------------------------------------------------------------

def pin_locked(**target) -> bool:
    """Whether the pin of ``target`` no longer moves (a signed record shows it)."""
    return any(rule(**target) for rule in PIN_LOCKS.values())


def find_pin(client_id: str) -> PlanPin | None:
    """The placement stored under this client id."""
    return db.session.scalar(select(PlanPin).where(PlanPin.client_id == client_id))


def place_pin(plan: FloorPlan, user: User, client_id: str, x, y, *, inspection_id: int | None = None,
              item_id: int | None = None, photo_id: int | None = None) -> tuple[PlanPin, bool]:
    """Put the pin of a failed item (inspection + item) or of a photo at (x, y) on ``plan``.

    Every placement is a new row; the newest one of a target is its pin (placing again moves
    it, also to another plan of the project, and the earlier places stay on record). Returns
    (pin, created). The same ``client_id`` again changes nothing, even after a newer
    placement. Raises PlanRejected("outside") and PinError("client_id_conflict").
    """
    x, y = imaging.check_point(x, y)
    same = find_pin(client_id)
    if same is not None:
        if (same.inspection_id, same.item_id, same.photo_id) != (inspection_id, item_id, photo_id):
            raise PinError("client_id_conflict")
        return same, False
    pin = PlanPin(plan_id=plan.id, inspection_id=inspection_id, item_id=item_id, photo_id=photo_id, x=x, y=y,
                  client_id=client_id, placed_by_id=user.id)
    db.session.add(pin)
    db.session.flush()
    return pin, True


def item_pins(inspection_id: int, item_ids: list[int] | None = None) -> dict[int, PlanPin]:
    """The current pin (newest placement) of each of an inspection's items, by item id (one query)."""
    query, values = ((_ITEM_PINS, {"inspection_id": inspection_id}) if item_ids is None else
                     (_SOME_ITEMS_PINS, {"inspection_id": inspection_id, "item_ids": list(item_ids)}))
    return {pin.item_id: pin for pin in db.session.scalars(query, values)}


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every checklist page and failed item asks.
_ITEM_PINS = select(PlanPin).where(PlanPin.inspection_id == bindparam("inspection_id")).order_by(PlanPin.id)
_SOME_ITEMS_PINS = _ITEM_PINS.where(PlanPin.item_id.in_(bindparam("item_ids", expanding=True)))


def photo_pins(photo_ids: list[int]) -> dict[int, PlanPin]:
    """The current pin of each of these photos that has one, by photo id (one query)."""
    if not photo_ids:
        return {}
    query = select(PlanPin).where(PlanPin.photo_id.in_(photo_ids)).order_by(PlanPin.id)
    return {pin.photo_id: pin for pin in db.session.scalars(query)}


@dataclass
class PinnedPlan:
    """A plan with the numbered pins to show on it (label = the notice's item number)."""

    plan: FloorPlan
    pins: list[tuple[float, float, str]]


def concealed_pins(plans: list[FloorPlan]) -> dict[int, tuple[PinnedPlan, list[tuple[str, Photo]]]]:
    """Plan id → (the plan with numbered pins, legend of number → photo) for the photos pinned on it now.

    A photo's newest placement decides its plan; numbers follow the photos' upload order.
    """
    plan_ids = [plan.id for plan in plans]
    if not plan_ids:
        return {}
    on_these = select(PlanPin.photo_id).where(PlanPin.plan_id.in_(plan_ids), PlanPin.photo_id.is_not(None))
    rows = db.session.execute(select(PlanPin, Photo).join(Photo, Photo.id == PlanPin.photo_id)
                              .where(PlanPin.photo_id.in_(on_these), Photo.deleted_at.is_(None))
                              .order_by(PlanPin.id)).all()
    current = {photo.id: (pin, photo) for pin, photo in rows}  # newest placement wins
    by_plan = {plan.id: plan for plan in plans}
    result: dict[int, tuple[PinnedPlan, list[tuple[str, Photo]]]] = {}
    for pin, photo in sorted(current.values(), key=lambda row: row[1].id):
        if pin.plan_id not in by_plan:
            continue
        entry, legend = result.setdefault(pin.plan_id, (PinnedPlan(by_plan[pin.plan_id], []), []))
        label = str(len(legend) + 1)
        entry.pins.append((pin.x, pin.y, label))
        legend.append((label, photo))
    return result


def pinned_plans(pins_with_labels: list[tuple[PlanPin, str]]) -> list[PinnedPlan]:
    """Group labelled pins by plan, plans in upload order."""
    grouped: dict[int, PinnedPlan] = {}
    for pin, label in pins_with_labels:
        grouped.setdefault(pin.plan_id, PinnedPlan(pin.plan, [])).pins.append((pin.x, pin.y, label))
    return [grouped[key] for key in sorted(grouped)]


def labelled_item_pins(inspection_id: int, labels: dict[int, str]) -> list[PinnedPlan]:
    """The plans with the pins of these items of an inspection; ``labels`` maps item id → number shown."""
    pins = item_pins(inspection_id, list(labels))
    return pinned_plans([(pins[item_id], label) for item_id, label in labels.items() if item_id in pins])


def pinned_image(pinned: PinnedPlan, storage: Storage, long_side: int = 1600) -> bytes:
    """The plan image with its numbered pins drawn in (for PDFs)."""
    with storage.open(pinned.plan.image_key) as handle:
        return imaging.draw_pins(handle.read(), pinned.pins, long_side)
