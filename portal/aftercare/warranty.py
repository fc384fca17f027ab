"""Warranty periods per kind of work, and whether a day is still covered. Plain functions.

Sources:

- The periods are the national minimums for home renovation, 《住宅室内装饰装修管理办法》
  (建设部令第110号) 第三十二条: "在正常使用条件下，住宅室内装饰装修工程的最低保修期限为二年，
  有防水要求的厨房、卫生间和外墙面的防渗漏为五年。保修期自住宅室内装饰装修工程竣工验收合格之日起计算。"
  The company's own rules (004 装修公司售后规章制度 第五条; 003 流程24–26) agree that the
  warranty runs from the signed completion acceptance (竣工验收单) and leave the length to the
  contract and the national rules ("保修期应符合国家相关规定", 004 装饰公司服务准则 3.3).
- A company may give longer periods: ``WARRANTY_MONTHS`` (``kind=months,...``) overrides the
  defaults; a period shorter than the national minimum is refused at start-up.

Counting the period follows the Civil Code (《中华人民共和国民法典》):

- 第二百零一条: "按照年、月、日、小时计算期间的，开始的当日不计入，自下一日开始计算。" The
  acceptance day itself does not count towards the months (the work was accepted, and is covered,
  that day);
- 第二百零二条: "按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的
  最后一日。" So a period of N months from day S ends on the same calendar day N months later: a
  two-year warranty from 2026-03-10 covers 2026-03-10 … 2028-03-10; one from 2024-02-29 (no
  29 February in 2026) ends on 2026-02-28, the last day of that month; a 27-month period from
  2026-01-31 ends on 2028-04-30.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

# Kind of work → months (the national minimum where the regulation names one; 24 otherwise).
DEFAULT_MONTHS: dict[str, int] = {
    "general": 24,
    "waterproofing": 60,  # kitchens, bathrooms, exterior walls: against leaking (防渗漏)
    "plumbing": 24,
    "electrical": 24,
    "tiling": 24,
    "carpentry": 24,
    "painting": 24,
    "doors_windows": 24,
}
NATIONAL_MINIMUM = {kind: (60 if kind == "waterproofing" else 24) for kind in DEFAULT_MONTHS}

# Repairs of these kinds are accepted only after a water test (001 §11.2.7: 水管维修和防水维修一定要坚持做试验).
WATER_TEST_KINDS = frozenset({"waterproofing", "plumbing"})

SOURCE = "《住宅室内装饰装修管理办法》(建设部令第110号) 第三十二条"


class WarrantyConfigError(ValueError):
    """The configured periods name an unknown kind or fall below the national minimum."""


def periods(overrides: dict[str, int] | None = None) -> dict[str, int]:
    """The periods in force: the defaults with ``overrides`` applied (checked against the minimums)."""
    result = dict(DEFAULT_MONTHS)
    for kind, months in (overrides or {}).items():
        if kind not in DEFAULT_MONTHS:
            raise WarrantyConfigError(f"unknown kind of work {kind!r} in WARRANTY_MONTHS")
        if months < NATIONAL_MINIMUM[kind]:
            raise WarrantyConfigError(f"{kind}: {months} months is below the national minimum of "
                                      f"{NATIONAL_MINIMUM[kind]} ({SOURCE})")
        result[kind] = months
    return result


def add_months(day: date, months: int) -> date:
    """The same calendar day ``months`` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_covered_day(start: date, months: int) -> date:
    """The last day the warranty covers: the corresponding day in the month it ends, or that month's
    last day when it has none (民法典 第二百零一条, 第二百零二条; see the module)."""
    return add_months(start, months)


@dataclass(frozen=True)
class Judgement:
    """Whether a day is covered for a kind of work, with the period that decides it."""

    kind: str
    months: int
    start: date
    last_day: date
    covered: bool


def judge(kind: str, start: date | None, day: date, table: dict[str, int]) -> Judgement | None:
    """The warranty judgement for ``kind`` on ``day`` (None before a completion acceptance: no warranty yet).

    Unknown kinds fall under ``general``. A day before the start is not covered either (the work
    was not accepted yet).
    """
    if start is None:
        return None
    months = table.get(kind, table["general"])
    last = last_covered_day(start, months)
    return Judgement(kind if kind in table else "general", months, start, last, start <= day <= last)
