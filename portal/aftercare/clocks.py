"""The response clocks of after-sales service. Plain functions on local wall-clock times.

From 000 报修解决流程 (repairs) and 第三节 投诉处理制度 / 客户投诉处理流程 (complaints):

- repair: the repair team contacts the owner within **3 hours**, gives a solution and a visit
  date within **24 hours**, and customer service calls the owner back **48 hours** after the
  repair (客服专员回访客户解决情况);
- complaint: passed on to the department concerned within **3 hours**, answered (result or
  progress reported back) within **48 hours** of being passed on, then closed after a return visit.

The 3-hour clocks count **service hours** only (08:00–20:00, every day of the week): nobody
phones an owner at 2 a.m., so a request that comes in at night is due at 11:00 the next
morning. The 000 clocks make no exception for weekends (customer service takes calls on
Saturdays and Sundays), so weekends count like weekdays. The 24- and 48-hour clocks are
calendar hours: they already span a night.

All times are naive local times (Asia/Shanghai wall clock); callers convert from UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

SERVICE_START = time(8, 0)
SERVICE_END = time(20, 0)

CONTACT_HOURS = 3      # repair: contact the owner (service hours)
PLAN_HOURS = 24        # repair: solution and visit date (calendar hours)
FOLLOW_UP_HOURS = 48   # repair: call-back after the repair (calendar hours)
PASS_ON_HOURS = 3      # complaint: passed on to the department (service hours)
ANSWER_HOURS = 48      # complaint: answered after being passed on (calendar hours)


def add_service_hours(start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` counted only between SERVICE_START and SERVICE_END."""
    remaining = timedelta(hours=hours)
    moment = _into_service(start)
    while True:
        day_end = datetime.combine(moment.date(), SERVICE_END)
        if moment + remaining <= day_end:
            return moment + remaining
        remaining -= day_end - moment
        moment = datetime.combine(moment.date() + timedelta(days=1), SERVICE_START)


def _into_service(moment: datetime) -> datetime:
    """The moment itself within service hours, else the next opening."""
    opening = datetime.combine(moment.date(), SERVICE_START)
    if moment < opening:
        return opening
    if moment >= datetime.combine(moment.date(), SERVICE_END):
        return opening + timedelta(days=1)
    return moment


@dataclass(frozen=True)
class Step:
    """One step of a clock: when it is due, when it was done (None: not yet)."""

    name: str
    due: datetime | None
    done: datetime | None

    def overdue(self, now: datetime) -> bool:
        """Not done and past due, or done late."""
        if self.due is None:
            return False
        return (self.done or now) > self.due


def repair_steps(received: datetime, contacted: datetime | None, planned: datetime | None,
                 repaired: datetime | None, followed_up: datetime | None) -> list[Step]:
    """The repair clock (000 报修解决流程): contact, solution and visit date, follow-up call."""
    return [
        Step("contact", add_service_hours(received, CONTACT_HOURS), contacted),
        Step("plan", received + timedelta(hours=PLAN_HOURS), planned),
        Step("follow_up", repaired + timedelta(hours=FOLLOW_UP_HOURS) if repaired else None, followed_up),
    ]


def complaint_steps(received: datetime, passed_on: datetime | None, answered: datetime | None) -> list[Step]:
    """The complaint clock (000 投诉处理制度 1): passed on in 3 service hours, answered 48 hours later.

    Until the complaint is passed on, the answer is due 48 hours after the pass-on deadline.
    """
    pass_due = add_service_hours(received, PASS_ON_HOURS)
    return [
        Step("pass_on", pass_due, passed_on),
        Step("answer", (passed_on or pass_due) + timedelta(hours=ANSWER_HOURS), answered),
    ]


def open_overdue(steps: list[Step], now: datetime) -> list[Step]:
    """The steps not done yet whose deadline has passed (what a reminder is about)."""
    return [step for step in steps if step.done is None and step.due is not None and now > step.due]
