"""Every route of the URL map with the parameters it really reads.

A route's path arguments come from its rule. Its form fields come from the WTForms classes its
view uses (named in the view or in the helpers it calls, with their field types, choices and
length limits, and the prefix a view gives a form per object), plus the names the view and its
helpers read from ``request.args`` / ``request.form`` / ``request.files`` and the
``portal.params`` parsers (``arg_date("from")``…), plus the query names the portal uses
anywhere (``KNOWN_QUERY``).
"""
from __future__ import annotations

import inspect
import re
import tempfile
import textwrap
from dataclasses import dataclass, field
from functools import cache

from flask_wtf import FlaskForm
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter
from wtforms import fields as wtf
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from portal import create_app

# Query names read somewhere in the portal: every GET route gets them too (a view that ignores
# them must not break on them either).
KNOWN_QUERY = ["from", "to", "start", "end", "page", "person", "kind", "format", "q", "category", "project", "all",
               "month", "day", "period", "studio", "foreman", "inspector", "table", "annulled", "next", "v",
               # names url_for takes as its own options: a page that carries its query string into a link must drop them
               "endpoint", "_scheme", "_external", "_anchor"]
SKIPPED_ENDPOINTS = {"static"}  # files, not the portal's code
# Names a view reads in a loop (``for name in (...): request.form.get(name)``), which the scan cannot see.
LOOP_READS = {"inspections.finish_inspection": ("deadline", "reinspection_date")}

READS = re.compile(r"""(?:request\.(?:args|form|files)(?:\.get|\.getlist)?\(|request\.(?:args|form|files)\[|"""
                   r"""\barg_(?:date|int|id|page|choice)\()\s*["']([\w-]+)["']""")
PREFIX = re.compile(r"""prefix=f["']([\w-]+?)-\{""")
FRAGMENTS = re.compile(r"\b(?:render_page_or_fragment|wants_fragment)\(")
DYNAMIC = re.compile(r"""\b(?:key|name)\.startswith\(\s*["']([\w]+[-_])["']\s*\)""")


@dataclass(frozen=True)
class Field:
    """A parameter: its name and what kind of value it takes."""

    name: str
    kind: str  # date, datetime, month, int, decimal, choice, multi, bool, file, text
    choices: tuple[str, ...] = ()
    max_length: int | None = None


@dataclass
class Route:
    """One method of one rule, with what its view reads."""

    method: str
    rule: str
    endpoint: str
    arguments: dict[str, str]  # path argument → int, any, path or text
    any_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fields: dict[str, Field] = field(default_factory=dict)  # form fields (POST) or query names (GET)
    reads: frozenset[str] = frozenset()  # the names the view itself reads (KNOWN_QUERY aside)
    fragments: bool = False  # the view answers htmx with a fragment for some target
    prefixes: tuple[str, ...] = ()  # a form per object: "<prefix>-<id>-<field>"
    dynamic: tuple[str, ...] = ()  # names built from an id: "<prefix><id>"

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def heavy(self) -> bool:
        """PDFs and archives: rendering takes a while, so the battery sends them fewer examples."""
        return self.rule.endswith(("/pdf", ".zip")) or self.endpoint == "rectification.pdf"


def all_routes(app) -> list[Route]:
    """Every GET and POST route of ``app`` (static files aside), sorted by rule."""
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append(_route(app, rule, method))
    return routes


def _route(app, rule, method: str) -> Route:
    arguments = {name: _converter_kind(conv) for name, conv in rule._converters.items()}
    any_choices = {name: tuple(conv.items) for name, conv in rule._converters.items() if hasattr(conv, "items")}
    view = app.view_functions[rule.endpoint]
    forms, names, prefixes, dynamic, fragments = _reads(view)
    fields: dict[str, Field] = {}
    for form in forms:
        fields.update(form_fields(form))
    for name in (*sorted(names), *LOOP_READS.get(rule.endpoint, ())):
        fields.setdefault(name, Field(name, kind_of_name(name)))
    reads = frozenset(fields)
    if method == "GET":
        for name in KNOWN_QUERY:
            fields.setdefault(name, Field(name, kind_of_name(name)))
    return Route(method, rule.rule, rule.endpoint, arguments, any_choices, fields, reads, fragments,
                 tuple(sorted(prefixes)), tuple(sorted(dynamic)))


def _converter_kind(converter) -> str:
    """int (ids), any (a fixed set), path, or text."""
    if isinstance(converter, IntegerConverter):
        return "int"
    if isinstance(converter, AnyConverter):
        return "any"
    return "path" if isinstance(converter, PathConverter) else "text"


def _reads(view) -> tuple[list[type[FlaskForm]], set[str], set[str], set[str], bool]:
    """The form classes, request names, form prefixes and dynamic name prefixes of ``view`` and its helpers,
    and whether it answers htmx with fragments."""
    forms: list[type[FlaskForm]] = []
    names: set[str] = set()
    prefixes: set[str] = set()
    dynamic: set[str] = set()
    fragments = False
    for function in _functions(inspect.unwrap(view)):
        source = _source(function)
        fragments = fragments or bool(FRAGMENTS.search(source))
        names.update(READS.findall(source))
        prefixes.update(PREFIX.findall(source))
        dynamic.update(DYNAMIC.findall(source))
        for name in _names(function.__code__):
            value = function.__globals__.get(name)
            if isinstance(value, type) and issubclass(value, FlaskForm) and value not in forms:
                forms.append(value)
    return forms, names, prefixes, dynamic, fragments


def _functions(view, depth: int = 2) -> list:
    """``view`` and the portal functions it calls, ``depth`` levels deep (helpers build forms too)."""
    found, todo = [view], [(view, 0)]
    while todo:
        function, level = todo.pop()
        if level >= depth:
            continue
        for name in _names(function.__code__):
            value = function.__globals__.get(name)
            if inspect.isfunction(value) and value.__module__.startswith("portal.") and value not in found:
                found.append(value)
                todo.append((value, level + 1))
    return found


def _names(code) -> set[str]:
    """Global names used by ``code`` and the functions and lambdas defined in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


@cache
def _source(function) -> str:
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""


def form_fields(form: type[FlaskForm]) -> dict[str, Field]:
    """The fields of a WTForms class, with their kind, static choices and maximum length."""
    fields = {}
    for name in dir(form):
        unbound = getattr(form, name, None)
        if not isinstance(unbound, UnboundField) or name == "csrf_token":
            continue
        cls, kwargs = unbound.field_class, unbound.kwargs
        choices = kwargs.get("choices")
        choices = choices() if callable(choices) else choices
        choice_values = tuple(str(getattr(c, "value", c[0] if isinstance(c, tuple) else c))
                              for c in choices or ())
        lengths = [v.max for v in kwargs.get("validators") or () if isinstance(v, Length) and v.max > 0]
        kind = _kind_of_field(cls, name)
        if kind == "choice" and not choice_values and kind_of_name(name) != "text":
            kind = kind_of_name(name)  # choices filled per request: ids, time slots
        fields[name] = Field(name, kind, choice_values, min(lengths) if lengths else None)
    return fields


def _kind_of_field(cls, name: str) -> str:
    checks = [
        (wtf.DateTimeLocalField, "datetime"), (wtf.MonthField, "month"), (wtf.DateField, "date"),
        (wtf.DateTimeField, "datetime"), (wtf.DecimalField, "decimal"), (wtf.FloatField, "decimal"),
        (wtf.IntegerField, "int"), (wtf.SelectMultipleField, "multi"), (wtf.SelectField, "choice"),
        (wtf.RadioField, "choice"), (wtf.BooleanField, "bool"), (wtf.FileField, "file"),
    ]
    for base, kind in checks:
        if issubclass(cls, base):
            return kind
    return kind_of_name(name)


def kind_of_name(name: str) -> str:
    """The kind of value a parameter takes, judged by its name (for names without a form field)."""
    if name in ("from", "to", "start", "end", "day", "date", "deadline", "reinspection_date") or name.endswith(
            ("_date", "_on", "_day")):
        return "date"
    if name.endswith("_at"):
        return "datetime"
    if name.endswith("_time"):
        return "time"
    if name == "month":
        return "month"
    if name in ("page", "person", "project", "foreman", "inspector", "category", "version") or name.endswith("_id"):
        return "int"
    if name in ("amount",):
        return "decimal"
    if name in ("all", "annulled", "confirm", "confirm_paid"):
        return "bool"
    if name in ("file", "pdf"):
        return "file"
    return "text"


def url_map_app():
    """An app for reading the URL map while tests are collected (no database is opened)."""
    directory = tempfile.gettempdir()
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": "url-map-" + "x" * 40, "DATABASE_URL": "sqlite://",
           "UPLOAD_DIR": directory, "BASE_URL": "https://portal.test", "COMPANY_NAME": "URL map",
           "RATELIMIT_STORAGE_URI": "memory://"}
    return create_app(env, {"TESTING": True})
