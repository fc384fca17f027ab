"""Who may do what: one rule, ``can(user, obj, action)``, read from tables.

Two kinds of target:

- an **area** of the portal, named by a string (``can(user, "dashboard", "view")``): the roles
  in :data:`AREAS` decide. :func:`portal.auth.sessions.permission_required` guards views with
  the same table, and the navigation (:mod:`portal.auth.navigation`) is derived from it;
- an **object** (an inspection, a notice, a photo ...): each feature registers the rules for
  its own model type at start-up (:func:`register`), so this module imports no feature.

``can`` is pure: it reads the user's id and roles and the object's own attributes, never the
database; loaders (``get_<x>_or_404``) fetch what a rule needs and then ask it. Every action on
an object requires seeing it first: a user who may not see an object gets 404 from its
loader (:func:`authorise`), one who sees it but may not act gets 403.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort

from portal.auth.roles import ALL_PROJECT_ROLES, PROJECT_EDITOR_ROLES, Role

Rule = Callable[[object, object], bool]

# Any logged-in user, whatever his roles (e.g. the project list, his notifications).
LOGGED_IN = "logged_in"

# Area → action → the roles that may (or LOGGED_IN). An area is what one menu entry opens;
# its actions are what the user does there (every guarded view names one, see permission_required).
_OFFICE = frozenset({Role.OFFICE})
_ADMIN = frozenset({Role.ADMIN})
_INSPECTOR = frozenset({Role.INSPECTOR})
AREAS: dict[str, dict[str, frozenset[Role] | str]] = {
    "dashboard": {"view": _OFFICE, "report": _OFFICE},
    "awards": {"view": _OFFICE, "confirm": _OFFICE},
    # Office sees every inspection and schedules them for any inspector; an inspector for himself.
    "inspections": {"view": _INSPECTOR | _OFFICE, "schedule": _INSPECTOR | _OFFICE, "view_all": _OFFICE,
                    "assign_inspector": _OFFICE},
    "checklists": {"view": _OFFICE, "edit": _OFFICE, "publish": _OFFICE},
    "equipment": {"view": _OFFICE, "edit": _OFFICE},
    "my_notices": {"view": frozenset({Role.FOREMAN, Role.PROJECT_MANAGER})},
    "my_awards": {"view": frozenset({Role.FOREMAN})},
    "weekly_list": {"view": frozenset({Role.ENGINEERING, Role.OFFICE}), "edit": frozenset({Role.ENGINEERING})},
    "week_schedule": {"view": _OFFICE, "schedule": _OFFICE, "reschedule": _OFFICE},
    "my_week": {"view": _INSPECTOR, "share_calendar": _INSPECTOR},
    "settlement": {"view": frozenset({Role.FINANCE, Role.OFFICE}), "record_payment": frozenset({Role.FINANCE})},
    "notices": {"view": _OFFICE | _INSPECTOR, "schedule_reinspection": _OFFICE},
    "penalties": {"view": _OFFICE, "annul": _OFFICE},
    # Desk roles see every project; foremen and project managers only their own (the Project rule).
    "projects": {"view": LOGGED_IN, "view_all": ALL_PROJECT_ROLES, "edit": PROJECT_EDITOR_ROLES},
    "notifications": {"view": LOGGED_IN},
    "certificates": {"view": frozenset({Role.OFFICE, Role.FINANCE}), "issue": _OFFICE, "revoke": _OFFICE},
    # After the pass: the inspector records the completion acceptance; office runs repairs and
    # complaints; a crew leader (foreman) sees the repairs dispatched to him; finance the month-end deductions.
    "completion": {"record": _INSPECTOR | _OFFICE},
    "repairs": {"view": _OFFICE, "record": _OFFICE},
    "my_repairs": {"view": frozenset({Role.FOREMAN})},
    "repair_deductions": {"view": frozenset({Role.FINANCE})},
    "complaints": {"view": _OFFICE, "record": _OFFICE},
    "return_calls": {"view": _OFFICE, "record": _OFFICE},  # the warranty's quarterly calls (003 流程28)
    "owner_links": {"manage": _OFFICE},
    # The owner's final payment (尾款) is received by finance or collected on site and told to office.
    "final_payment": {"record": _OFFICE | frozenset({Role.FINANCE})},
    "users": {"view": _ADMIN, "edit": _ADMIN},
    "api_tokens": {"view": _ADMIN, "create": _ADMIN, "revoke": _ADMIN},
}

# Model class name → action → rule(user, obj). Filled by the features at start-up.
_OBJECT_RULES: dict[str, dict[str, Rule]] = {}


def register(model: type | str, rules: dict[str, Rule]) -> None:
    """Add (or replace) the rules for ``model``'s actions; a feature may add actions to another's type.

    Rules are found by class name, so that table tests can use plain stand-ins of that name.
    Registering again replaces the same actions (the app factory runs once per test app).
    """
    name = model if isinstance(model, str) else model.__name__
    _OBJECT_RULES.setdefault(name, {}).update(rules)


def area_rules(area: str, *actions: str) -> dict[str, Rule]:
    """Rules for objects that whoever may do an action in ``area`` may do on every one of them
    (accounts, checklist templates, equipment, certificates): each action is the area's."""
    return {action: (lambda user, _obj, action=action: can(user, area, action)) for action in actions}


def has_role(user, *roles: Role) -> bool:
    """True when ``user`` holds one of ``roles`` (for the rules; templates use :func:`can`)."""
    return bool(set(user.roles).intersection(roles))


def can(user, obj, action: str = "view") -> bool:
    """May ``user`` do ``action`` on ``obj`` (an area name or a registered object)? Never for anonymous users.

    Raises LookupError for an area, type or action nobody registered: a typo must not deny silently.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if isinstance(obj, str):
        return _area_allows(user, obj, action)
    rules = _rules_for(obj)
    if not rules["view"](user, obj):
        return False
    return action == "view" or _rule(rules, obj, action)(user, obj)


def _area_allows(user, area: str, action: str) -> bool:
    try:
        allowed = AREAS[area][action]
    except KeyError:
        raise LookupError(f"no permission {action!r} on area {area!r}") from None
    return allowed == LOGGED_IN or has_role(user, *allowed)


def _rules_for(obj) -> dict[str, Rule]:
    rules = _OBJECT_RULES.get(type(obj).__name__)
    if not rules or "view" not in rules:
        raise LookupError(f"no permission rules registered for {type(obj).__name__}")
    return rules


def _rule(rules: dict[str, Rule], obj, action: str) -> Rule:
    try:
        return rules[action]
    except KeyError:
        raise LookupError(f"no permission {action!r} on {type(obj).__name__}") from None


def authorise(user, obj, action: str = "view", denied: int = 403):
    """``obj`` if ``user`` may do ``action`` on it; 404 when he may not even see it, else ``denied``.

    The loaders call it after loading (``obj`` None is 404 too), so no view forgets the check.
    """
    if obj is None or not can(user, obj, "view"):
        abort(404)
    if action != "view" and not can(user, obj, action):
        abort(denied)
    return obj


def init_app(app: Flask) -> None:
    """Templates ask the same rule: ``{% if can(current_user, inspection, 'reopen') %}``."""
    app.add_template_global(can, "can")
