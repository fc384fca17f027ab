"""Hypothesis strategies for what a route reads: path ids, query strings, form fields, files and headers.

Each kind of value mixes what a careful user sends (real ids of stored objects, dates inside the
business window, the form's own choices) with what a careless or hostile one sends (dates at
both ends of the calendar, 20-digit and negative numbers, 2**31, empty values, any Unicode with
control and bidi characters, texts one longer than the form allows and 100,000 characters long).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from urllib.parse import quote

from hypothesis import strategies as st

from portal.penalties.models import PenaltyKind
from portal.params import EARLIEST_DAY, MAX_ID, latest_planned_day, latest_report_day
from portal.schedule.rules import TIME_SLOTS
from portal.timeutil import local_today
from tests.battery.routes import Field, Route
from tests.battery.world import World
from tests.factories import make_image_bytes
from tests.hostile import HOSTILE

# Controls that disguise or break text: bidi overrides and isolates, zero-width, BOM, NUL, CR/LF, ESC.
CONTROLS = ["\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff", "\x00", "\r\n", "\t", "\x1b[31m",
            "\u0301", "\U0001f600", "\u0645\u0631\u062d\u0628\u0627"]
EDGE_INTS = ["0", "1", "-1", str(MAX_ID), str(MAX_ID + 1), str(-MAX_ID - 2), str(2**63 - 1), str(2**63),
             "9" * 20, "-" + "9" * 20, "1e308", "NaN", "0x10", "+5", " 5", "5.0", "١٢٣"]
EDGE_DECIMALS = ["0", "0.00", "0.01", "-0.01", "99999999.99", "100000000.00", "9999999999.99", "1e308", "-1e308",
                 "NaN", "Infinity", "-Infinity", "1,000.00", "0.0001", "999999.9995", "1000000", "-1000000",
                 "1E+999999999"]
# Query strings longer than this are cut by servers and proxies before the portal sees them.
QUERY_LONGEST = 8_000
FORM_LONGEST = 30_000  # and forms this long (a pasted document)
ANY_DATE = st.dates()  # 0001-01-01 … 9999-12-31
ANY_DATETIME = st.datetimes()


@cache
def edge_days() -> tuple[date, ...]:
    """The ends of the calendar and of the business window, one day inside and outside each."""
    one = timedelta(days=1)
    today = local_today()
    return (date.min, date.max, date.max - one, EARLIEST_DAY - one, EARLIEST_DAY, EARLIEST_DAY + one, today - one,
            today, today + one, latest_planned_day(), latest_planned_day() + one, latest_report_day(),
            latest_report_day() + one, date(1970, 1, 1), date(2038, 1, 19), date(2024, 2, 29))


def _iso(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def _local(moment: datetime) -> str:
    return f"{_iso(moment)}T{moment.hour:02d}:{moment.minute:02d}"


def junk(max_size: int = 30) -> st.SearchStrategy[str]:
    """Any text, hostile values, and control and bidi characters mixed in."""
    return st.one_of(
        st.sampled_from([value for value in HOSTILE if len(value) < 1000]),
        st.text(max_size=max_size),
        st.lists(st.one_of(st.sampled_from(CONTROLS), st.text(max_size=5)), max_size=6).map("".join),
    )


def texts(max_length: int | None = None, longest: int = 100_000) -> st.SearchStrategy[str]:
    """Free text: ordinary words, junk, and texts at, one over and far over the form's limit."""
    lengths = sorted({n for n in (max_length, (max_length or 0) + 1, longest // 10, longest) if n})
    return st.one_of(
        st.sampled_from(["整改完成", "Kitchen", "A26101201", "x"]),
        junk(),
        st.tuples(st.sampled_from(["a", "中", "😀", "\u202e"]), st.sampled_from(lengths)).map(lambda t: t[0] * t[1]),
    )


def day_texts() -> st.SearchStrategy[str]:
    """Dates across the whole calendar (as typed and malformed), datetimes, junk."""
    days = st.one_of(st.sampled_from(edge_days()), ANY_DATE)
    return st.one_of(days.map(_iso), days.map(_iso), ANY_DATETIME.map(lambda m: m.isoformat()),
                     days.map(lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"),
                     st.sampled_from(["", "2026-02-30", "2026-13-01", "10000-01-01", "-0001-01-01", "0000-00-00"]),
                     junk(12))


def month_texts() -> st.SearchStrategy[str]:
    """``YYYY-MM`` across the calendar, and malformed months."""
    days = st.one_of(st.sampled_from(edge_days()), ANY_DATE)
    return st.one_of(days.map(lambda d: f"{d.year:04d}-{d.month:02d}"), days.map(_iso),
                     st.sampled_from(["", "2026-00", "2026-13", "9999-12", "0001-01", "10000-01"]), junk(10))


def datetime_texts() -> st.SearchStrategy[str]:
    """``YYYY-MM-DDTHH:MM`` (what a datetime-local input sends) across the calendar and around now."""
    near = st.integers(-10**6, 10**6).map(lambda minutes: datetime.now() + timedelta(minutes=minutes))
    edges = st.sampled_from(edge_days()).map(lambda d: datetime.combine(d, datetime.min.time()))
    moments = st.one_of(edges, near, ANY_DATETIME)
    return st.one_of(moments.map(_local), moments.map(_local), moments.map(lambda m: m.isoformat()),
                     st.sampled_from(["", "9999-12-31T23:59", "0001-01-01T00:00", "2026-01-01T24:00"]), junk(16))


def time_texts() -> st.SearchStrategy[str]:
    """The day's slots, other times, junk."""
    return st.one_of(st.sampled_from([f"{t:%H:%M}" for t in TIME_SLOTS] + ["00:00", "23:59", "24:00", "9:00"]),
                     junk(8))


def int_texts(real: list[int]) -> st.SearchStrategy[str]:
    """Real ids, the edges of the integer types, any integer, junk."""
    options = [st.sampled_from(EDGE_INTS), st.integers().map(str), junk(8)]
    if real:
        options.insert(0, st.sampled_from(real).map(str))
    return st.one_of(*options)


def decimal_texts() -> st.SearchStrategy[str]:
    """Amounts and limits at the edges, any decimal and float, junk."""
    return st.one_of(st.sampled_from(EDGE_DECIMALS), st.decimals().map(str), st.floats().map(repr),
                     st.integers().map(str), junk(10))


def choice_texts(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    """The field's own choices, or anything else."""
    return st.one_of(st.sampled_from(choices), junk(10)) if choices else junk(10)


BOOLS = st.sampled_from(["y", "on", "1", "true", "", "false", "0", "n"])


@cache
def _image() -> bytes:
    return make_image_bytes(64, 48)


def uploads() -> st.SearchStrategy[tuple[bytes, str]]:
    """(bytes, file name): a real photo, empty, random bytes, a PDF header; odd file names."""
    content = st.one_of(st.just(b""), st.builds(_image), st.binary(max_size=256),
                        st.just(b"%PDF-1.7\n%%EOF\n"), st.just(b"GIF89a" + b"\x00" * 20))
    names = st.sampled_from(["photo.jpg", "", "../../etc/passwd", "abc\u202egpj.exe", "a" * 300 + ".jpg", "x.pdf"])
    return st.tuples(content, names)


def value_strategy(spec: Field, world: World, longest: int = 100_000) -> st.SearchStrategy:
    """What a careless or hostile user sends for a parameter of this kind (real values included)."""
    ids = world.ids.get(id_kind(spec.name), [])
    by_kind = {
        "date": day_texts, "month": month_texts, "datetime": datetime_texts, "time": time_texts,
        "decimal": decimal_texts, "bool": lambda: BOOLS, "file": uploads,
        "int": lambda: int_texts(ids),
        "choice": lambda: choice_texts(spec.choices),
        "multi": lambda: st.lists(choice_texts(spec.choices) if spec.choices else int_texts(ids), max_size=4),
        "text": lambda: texts(spec.max_length, longest),
    }
    return by_kind[spec.kind]()


def good_value(spec: Field, world: World) -> st.SearchStrategy:
    """What a careful user sends: real ids, dates inside the business window, the form's choices, plain text."""
    ids = world.ids.get(id_kind(spec.name), []) or [1]
    today, now = local_today(), datetime.now().replace(second=0, microsecond=0)
    days = [today, today + timedelta(days=1), today + timedelta(days=7), today - timedelta(days=30), EARLIEST_DAY,
            latest_planned_day()]
    by_kind = {
        "date": lambda: st.sampled_from(days).map(_iso),
        "month": lambda: st.sampled_from(days).map(lambda d: f"{d.year:04d}-{d.month:02d}"),
        "datetime": lambda: st.sampled_from([now - timedelta(hours=h) for h in (0, 1, 25, 49)]).map(_local),
        "time": lambda: st.sampled_from([f"{t:%H:%M}" for t in TIME_SLOTS]),
        "decimal": lambda: st.sampled_from(["100.00", "0", "12.5", "99999999.99"]),
        "bool": lambda: st.sampled_from(["y", ""]),
        "file": lambda: st.builds(lambda: (_image(), "photo.jpg")),
        "int": lambda: st.sampled_from(ids).map(str),
        "choice": lambda: st.sampled_from(spec.choices or QUERY_CHOICES.get(spec.name) or ("",)),
        "multi": lambda: st.lists(st.sampled_from(spec.choices or tuple(map(str, ids))), max_size=3, unique=True),
        "text": lambda: st.sampled_from(["整改完成", "Kitchen 厨房", "A26101201", "2026-01-01",
                                          "中" * (spec.max_length or 200)]),
    }
    strategy = by_kind[spec.kind]()
    if spec.name in QUERY_CHOICES:
        strategy = st.sampled_from(QUERY_CHOICES[spec.name])
    return strategy


# Values the portal's query names take (the dashboard's CSV tables, the penalty kinds, …).
QUERY_CHOICES = {
    "format": ("csv", "pdf", "json", "html", "xlsx"),
    "kind": tuple(kind.value for kind in PenaltyKind),
    "period": ("week", "month", "custom"),
    "table": ("workload", "notices", "quality", "trend", "items", "categories", "foremen", "managers", "awards"),
    "direction": ("up", "down"),
    "language": ("zh_Hans_CN", "en"),
    "outcome": ("pass", "fail", "na"),
    "slot": ("inspector", "foreman", "project_manager", "owner"),
}


# Parameter name (or its stem) → the kind of stored object whose ids it names.
ID_KINDS = {"person": "user", "foreman": "user", "inspector": "user", "project_manager": "user", "signer": "user",
            "equipment": "equipment", "closure_test": "test", "record": "record", "template": "template",
            "category": "category", "project": "project", "version": "version", "fix": "item"}


def id_kind(name: str) -> str:
    """``project_id`` → project, ``equipment_ids`` → equipment, ``inspector`` → user, ``fix-`` → item."""
    stem = name.removesuffix("_ids").removesuffix("_id").rstrip("-_")
    return ID_KINDS.get(stem, stem)


@dataclass
class Probe:
    """One request the battery sends (as every role)."""

    path: str
    query: dict = field(default_factory=dict)
    form: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)

    def describe(self) -> str:
        """Short enough for a failure message."""
        def short(value):
            if isinstance(value, tuple):
                return f"<file {len(value[0])} bytes {value[1][:20]!r}>"
            text = repr(value)
            return text if len(text) <= 60 else text[:40] + f"…({len(text)} chars)"
        parts = [self.path]
        for title, values in (("query", self.query), ("form", self.form), ("headers", self.headers)):
            if values:
                parts.append(f"{title}={{" + ", ".join(f"{k!r}: {short(v)}" for k, v in values.items()) + "}")
        return " ".join(parts)


def path_value(route: Route, name: str, world: World) -> st.SearchStrategy[str]:
    """A path argument: a real id or string, an edge number, or junk (percent-encoded)."""
    converter = route.arguments[name]
    if converter == "int":
        real = world.ids.get(id_kind(name), [])
        edges = st.sampled_from(["0", "1", "-1", str(MAX_ID), str(MAX_ID + 1), "9" * 20, "1" + "0" * 30])
        return st.one_of(st.sampled_from(real).map(str), edges) if real else edges
    if converter == "any":
        return st.one_of(st.sampled_from(route.any_choices[name]), junk(10)).map(lambda v: quote(v, safe=""))
    real = world.values.get(name, [])
    options = [junk(40)] + ([st.sampled_from(real)] * 2 if real else [])
    return st.one_of(*options).map(lambda v: quote(v, safe=""))


@st.composite
def probes(draw, route: Route, world: World, fragment_targets: tuple[str, ...]) -> Probe:
    """A request for ``route``: path, query string or form, files, htmx and API headers."""
    values = {name: draw(path_value(route, name, world)) for name in route.arguments}
    path = route.rule
    for name, value in values.items():
        path = path.replace(f"<{_placeholder(route.rule, name)}>", value)
    specs = dict(route.fields)
    owner_id = next((values[n] for n, conv in route.arguments.items() if conv == "int"), "1")
    for prefix in route.prefixes:  # forms per object: "<prefix>-<id>-<field>"
        for spec in list(route.fields.values()):
            specs[f"{prefix}-{owner_id}-{spec.name}"] = Field(f"{prefix}-{owner_id}-{spec.name}", spec.kind,
                                                             spec.choices, spec.max_length)
    for prefix in route.dynamic:  # names built from an id, e.g. fix-<item id>
        for item in draw(st.lists(st.sampled_from(world.ids.get(id_kind(prefix), [0]) or [0]), max_size=3)):
            specs[f"{prefix}{item}"] = Field(f"{prefix}{item}", "text", max_length=2000)
    names = sorted(specs)
    if route.method == "GET":  # a few query names at a time, so that one bad value does not hide the others;
        own = sorted(route.reads)  # mostly those the view reads
        others = sorted(set(names) - route.reads)
        chosen_names = (draw(st.lists(st.sampled_from(own), max_size=4, unique=True)) if own else []) + (
            draw(st.lists(st.sampled_from(others), max_size=1)) if others else [])
        bad = set(draw(st.lists(st.sampled_from(chosen_names), max_size=2, unique=True))) if chosen_names else set()
    else:  # the whole form, filled as a careful user would, with a few fields bad or missing
        missing = set(draw(st.lists(st.sampled_from(names), max_size=2, unique=True))) if names else set()
        chosen_names = [name for name in names if name not in missing]
        bad = set(draw(st.lists(st.sampled_from(chosen_names), max_size=3, unique=True))) if chosen_names else set()
    longest = QUERY_LONGEST if route.method == "GET" else FORM_LONGEST
    chosen = {name: draw(value_strategy(specs[name], world, longest) if name in bad else good_value(specs[name], world))
              for name in chosen_names}
    htmx = [{"HX-Request": "true"}, {"HX-Request": "true", "HX-History-Restore-Request": "true"},
            *[{"HX-Request": "true", "HX-Target": target} for target in fragment_targets]]
    headers = draw(st.one_of(st.just({}), st.sampled_from(htmx)))
    if route.rule.startswith("/api/"):
        auth = draw(st.sampled_from([None, f"Bearer {world.api_token}", "Bearer x", f"Basic {world.api_token}"]))
        if auth:
            headers = {**headers, "Authorization": auth}
    if route.method == "GET":
        return Probe(path, query=chosen, headers=headers)
    return Probe(path, form=chosen, headers=headers)


def _placeholder(rule: str, name: str) -> str:
    """The ``converter:name`` text of argument ``name`` inside ``rule``."""
    start = rule.index(f"{name}>")
    return rule[rule.rindex("<", 0, start) + 1:start + len(name)]


def fragment_targets(world: World) -> tuple[str, ...]:
    """The elements htmx swaps (``hx-target`` in the templates, ids filled from the world)."""
    item = (world.ids.get("item") or [1])[0]
    category = (world.ids.get("category") or [1])[0]
    return ("project-results", "finance-results", "week-board", "summary", "dashboard-body", f"item-{item}",
            f"note-state-{item}", f"category-{category}-items", "main")


def real_paths(route: Route, world: World, per_argument: int = 8) -> list[str]:
    """The route's path with real values: pairs that belong together (an item with its own version),
    else up to ``per_argument`` values of each argument (the first two and the newest)."""
    def sample(values: list) -> list:
        return values if len(values) <= per_argument else values[:2] + values[-(per_argument - 2):]

    names = list(route.arguments)
    pair = world.pairs.get(tuple(names)) if len(names) == 2 else None
    if pair is not None:
        combos = sample(pair)
    else:
        choices = []
        for name in names:
            if route.arguments[name] == "any":
                choices.append(list(route.any_choices[name]))
            elif route.arguments[name] == "int":
                choices.append(sample(world.ids.get(id_kind(name), [])))
            else:
                choices.append(sample(world.values.get(name, [])))
        combos = list(itertools.islice(itertools.product(*choices), per_argument * 2))
    paths = []
    for combo in combos:
        path = route.rule
        for name, value in zip(names, combo):
            path = path.replace(f"<{_placeholder(route.rule, name)}>", quote(str(value), safe=""))
        paths.append(path)
    return paths or [route.rule]
