"""Who may see a record's signatures and collect them (rules of :func:`portal.auth.permissions.can`).

The rules read a :class:`Signable`: the record with the facts about its project that the
loader gathered, so that the rule itself stays pure. One rule for every record type:

- **collect** (sign any slot on one's phone, create and withdraw signing links): the user sees
  the record's project, and is office, or runs the record: for a record run by one person
  (an inspection: its own inspector, see ``RecordType.run_by``) that person; for other records
  (notices, concealed-works records, closure tests) an inspector assigned to one of the
  project's inspections, or the project's foreman or project manager;
- **view** (the signature panel and images): the user sees the project, and collects or has a
  slot of his own on the record; the person who runs the record always sees it.
"""
from __future__ import annotations

from dataclasses import dataclass

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role


@dataclass(frozen=True)
class Signable:
    """A record that takes signatures, with its project and the inspectors assigned to that project."""

    type_name: str
    slots: tuple[str, ...]
    record: object
    project: object
    run_by: int | None  # the user who runs the record on site, for record types that have one
    inspector_ids: frozenset[int]


def own_slots(user, signable: Signable) -> set[str]:
    """The slots that are this user's own on this record."""
    slots = set()
    if signable.run_by is not None and signable.run_by == user.id:
        slots.add("inspector")
    if signable.project.foreman_id == user.id:
        slots.add("foreman")
    if signable.project.project_manager_id == user.id:
        slots.add("project_manager")
    return slots & set(signable.slots)


def runs_record(user, signable: Signable) -> bool:
    """Office, or the person who runs the record on site (see the module's docstring)."""
    if has_role(user, Role.OFFICE):
        return True
    if signable.run_by is not None:
        return signable.run_by == user.id
    project = signable.project
    return user.id in signable.inspector_ids or user.id in (project.foreman_id, project.project_manager_id)


def may_view(user, signable: Signable) -> bool:
    """Who sees the project and collects, or has a slot of his own; and the person who runs the
    record even when the project is not his (a repair crew leader on another foreman's site)."""
    if signable.run_by is not None and signable.run_by == user.id:
        return True
    return permissions.can(user, signable.project, "view") and (
        runs_record(user, signable) or bool(own_slots(user, signable)))


def may_collect(user, signable: Signable) -> bool:
    """Who runs the record collects every slot (``can`` checks :func:`may_view` first)."""
    return runs_record(user, signable)


def register() -> None:
    """Register the signature rules (called by the app factory)."""
    permissions.register(Signable, {"view": may_view, "collect": may_collect})
