"""The company's year as plain data: people, projects, inspection rounds with every answer, and what
happened after each round, all on dates counted back from ``today``.

Pure and seeded: no database, no Flask, no clock. The same story feeds the demo (applied through the
portal's services by :mod:`portal.demo.chapters`) and the benchmark dataset (``benchmarks/dataset.py``
applies it in bulk at a hundred times the size). Results are decided with the portal's own scoring
rules (:func:`portal.inspections.scoring.evaluate`), so the story knows in advance what the services
will compute from its answers.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from portal.checklists.limits import Limit
from portal.inspections.scoring import Evaluation, evaluate

# Rounds a project needed, with weights: the average (~2.5 rounds a project).
ROUND_WEIGHTS = {1: 25, 2: 30, 3: 25, 4: 12, 5: 8}
ROUND_GAP_DAYS = 14
PASSING_FAILURES = (0, 0, 0, 1, 1, 2, 5, 6)  # failed items in a passing round (drawn from)  # notice deadline (7 days), rework, then the reinspection
STUDIOS = {"A": "A 曲江设计室", "B": "B 经开设计室", "C": "C 城南设计室"}
DESIGNERS = {"A": ["孙雅", "许静"], "B": ["马晨", "唐宁"], "C": ["韩雪", "彭丽"]}
DISTRICTS = ["雁塔区", "高新区", "未央区", "碑林区", "长安区", "莲湖区", "灞桥区", "新城区"]
ESTATES = ["曲江六号", "绿地世纪城", "首创国际城", "中贸广场", "紫薇西棠", "万科城", "龙湖香醍", "融创宸院"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建华", "丽娟", "志强", "海燕", "晓东", "玉兰", "国庆", "秀英", "文博", "雪梅"]

# What became of a project whose last round failed (the notice's state today).
OPEN, OVERDUE, REQUESTED, SCHEDULED = "open", "overdue", "requested", "scheduled"


@dataclass(frozen=True)
class ItemSpec:
    """What the story needs to know about a checklist item."""

    id: int
    category: str
    measured: bool
    limit: Limit | None = None


@dataclass(frozen=True)
class Size:
    """How big the year is. ``inspections`` counts finished rounds."""

    projects: int
    inspections: int
    foremen: int
    managers: int
    inspectors: int
    rectifying: int  # projects whose last round failed and whose notice is still open
    upcoming: int  # work complete, never inspected: next week's list and this week's plan
    failures: tuple[int, ...] = (1, 1, 2, 2, 3, 4)  # failed items in a failing round (drawn from)


DEMO_SIZE = Size(projects=50, inspections=125, foremen=5, managers=3, inspectors=3, rectifying=8, upcoming=6)


@dataclass(frozen=True)
class Answer:
    """An inspector's answer: the outcome, and for measured items the value typed (as text)."""

    outcome: str
    value: str | None = None


@dataclass
class Round:
    """One finished inspection round: when, by whom, its answers (items carried over are left out)."""

    number: int
    day: date
    inspector: int
    answers: dict[int, Answer]
    evaluation: Evaluation
    handbook_present: bool = True
    project_manager_present: bool = True

    @property
    def passed(self) -> bool:
        """What the scoring rules give for this round."""
        return self.evaluation.passed

    @property
    def failed_items(self) -> list[int]:
        """Ids of the items that failed in this round."""
        return [item for item, answer in self.answers.items() if answer.outcome == "fail"]


@dataclass
class Project:
    """A flat: contract facts, its people (indexes into the story's lists) and its rounds."""

    contract_no: str
    studio: str
    address: str
    owner_name: str
    owner_phone: str
    designer: str
    amount: Decimal
    start: date
    planned_completion: date
    foreman: int
    manager: int
    rounds: list[Round] = field(default_factory=list)
    ending: str | None = None  # for a failed last round: OPEN, OVERDUE, REQUESTED or SCHEDULED
    paid: bool = False  # the settlement was paid (passed projects only)

    @property
    def passed(self) -> bool:
        """The last round passed."""
        return bool(self.rounds) and self.rounds[-1].passed


@dataclass
class Story:
    """The year: projects with their history (oldest first) and the projects waiting for a first round."""

    today: date
    size: Size
    projects: list[Project]
    upcoming: list[Project]

    @property
    def rounds(self) -> list[tuple[Project, Round]]:
        """Every finished round, in the order they happened."""
        return sorted(((p, r) for p in self.projects for r in p.rounds), key=lambda pr: (pr[1].day, pr[1].number))


def make_story(today: date, items: list[ItemSpec], size: Size = DEMO_SIZE, seed: int = 2026,
               taken: set[str] = frozenset()) -> Story:
    """The seeded story of the year before ``today`` for a checklist of ``items``; ``taken`` contract numbers are avoided."""
    return _Writer(random.Random(seed), today, items, size, set(taken)).write()


class _Writer:
    def __init__(self, rng: random.Random, today: date, items: list[ItemSpec], size: Size, taken: set[str]):
        self.rng, self.today, self.items, self.size, self.taken = rng, today, items, size, taken

    def write(self) -> Story:
        counts = self.round_counts()
        projects = []
        endings = self.endings()
        demo_overdue = min(i for i, e in endings.items() if e == OVERDUE)
        short = next(i for i, c in enumerate(counts) if c <= 2)  # the foreman stays on a site failed at most twice
        counts[demo_overdue], counts[short] = counts[short], counts[demo_overdue]
        finished = [n for n in range(self.size.projects) if n not in endings]
        singles = [n for n in finished[3:] if counts[n] == 1]
        for n, single in zip(finished[:3], singles):  # the latest ones pass the first time
            counts[n], counts[single] = counts[single], counts[n]
        for n, rounds in enumerate(counts):
            ending = endings.get(n)
            last_day = self.last_day(rounds, ending)
            if n in finished[:3]:  # this week's reports and this month's certificates are never empty
                last_day = self.today - timedelta(days=(0, 1, 7)[finished.index(n)])
            first_day = last_day - timedelta(days=ROUND_GAP_DAYS * (rounds - 1))
            project = self.project(first_day - timedelta(days=self.rng.randrange(70, 120)))
            project.ending = ending
            if project.foreman == 0 and (rounds >= 4 or (rounds == 3 and ending in (REQUESTED, SCHEDULED))):
                # Replaced after a third failed round: the demo foreman's own sites never come to that
                # (his messages about a site he was taken off would lead to notices he may no longer open).
                project.foreman = 1 + n % (self.size.foremen - 1)
            if n == demo_overdue:  # the demo foreman and project manager have an overdue notice to look at
                project.foreman, project.manager = 0, 0
            self.add_rounds(project, rounds, first_day, want_pass=ending is None)
            project.paid = project.passed and last_day < self.today - timedelta(days=30) and self.rng.random() < 0.6
            projects.append(project)
        upcoming = [self.project(self.today - timedelta(days=self.rng.randrange(80, 110)))
                    for _ in range(self.size.upcoming)]
        projects.sort(key=lambda p: p.rounds[0].day)
        return Story(self.today, self.size, projects, upcoming)

    def round_counts(self) -> list[int]:
        """Rounds per project, summing to the size's finished inspections."""
        counts = self.rng.choices(list(ROUND_WEIGHTS), list(ROUND_WEIGHTS.values()), k=self.size.projects)
        while sum(counts) != self.size.inspections:
            index = self.rng.randrange(self.size.projects)
            if sum(counts) < self.size.inspections and counts[index] < 6:
                counts[index] += 1
            elif sum(counts) > self.size.inspections and counts[index] > 1:
                counts[index] -= 1
        return counts

    def endings(self) -> dict[int, str]:
        """Which projects are still in rectification, and in which state (every state at least once)."""
        chosen = self.rng.sample(range(self.size.projects), self.size.rectifying)
        states = [OVERDUE, OPEN, REQUESTED, SCHEDULED]
        return {index: states[n % len(states)] for n, index in enumerate(chosen)}

    def last_day(self, rounds: int, ending: str | None) -> date:
        """The day of the last round: any time in the year for finished projects, recent for open notices."""
        back = {OPEN: (1, 6), OVERDUE: (10, 25), REQUESTED: (6, 10), SCHEDULED: (7, 12)}.get(ending)
        if back is None:  # the first round within the year, the last one at least three days ago
            span = ROUND_GAP_DAYS * (rounds - 1)
            return self.today - timedelta(days=self.rng.randrange(span + 3, 362)) + timedelta(days=span)
        return self.today - timedelta(days=self.rng.randrange(*back))

    def project(self, start: date) -> Project:
        letter = self.rng.choice(list(STUDIOS))
        for seq in range(1, 100):
            number = f"{letter}{start:%y%m%d}{seq:02d}"
            if number not in self.taken:
                break
        self.taken.add(number)
        return Project(
            contract_no=number, studio=STUDIOS[letter],
            address=(f"西安市{self.rng.choice(DISTRICTS)}{self.rng.choice(ESTATES)}{self.rng.randrange(1, 30)}号楼"
                     f"{self.rng.randrange(1, 4)}单元{self.rng.randrange(2, 33)}{self.rng.randrange(1, 5):02d}室"),
            owner_name=self.rng.choice(SURNAMES) + self.rng.choice(GIVEN),
            owner_phone=f"137{self.rng.randrange(10**8):08d}", designer=self.rng.choice(DESIGNERS[letter]),
            amount=Decimal(self.rng.randrange(60_000, 400_000)), start=start,
            planned_completion=start + timedelta(days=self.rng.randrange(60, 120)),
            foreman=self.rng.randrange(self.size.foremen), manager=self.rng.randrange(self.size.managers))

    def add_rounds(self, project: Project, rounds: int, first_day: date, want_pass: bool) -> None:
        """Round 1 answers every item; a reinspection answers again only what failed before."""
        carried: dict[int, Answer] = {}
        for number in range(1, rounds + 1):
            last = number == rounds
            to_answer = [item for item in self.items if item.id not in carried]
            answers, evaluation = self.answers(to_answer, carried, passing=last and want_pass)
            project.rounds.append(Round(
                number=number, day=first_day + timedelta(days=ROUND_GAP_DAYS * (number - 1)),
                inspector=self.rng.randrange(self.size.inspectors), answers=answers, evaluation=evaluation,
                handbook_present=self.rng.random() < 0.95, project_manager_present=self.rng.random() < 0.85))
            carried.update({item: answer for item, answer in answers.items() if answer.outcome != "fail"})

    def answers(self, items: list[ItemSpec], carried: dict[int, Answer], passing: bool):
        """Answers for ``items`` that pass or fail as wanted under the scoring rules (carried answers count too)."""
        while True:
            outcomes = {item.id: ("na" if self.rng.random() < 0.04 else "pass") for item in items}
            if passing:  # at most one failure in a category big enough to stay at 85 %: excellent or good
                groups: dict[str, list[ItemSpec]] = {}
                for item in items:
                    groups.setdefault(item.category, []).append(item)
                roomy = [group for group in groups.values() if len(group) >= 7]
                # A first round always finds something (a perfect score is left to the best reinspections).
                failures = min(max(self.rng.choice(PASSING_FAILURES), 0 if carried else 1), len(roomy))
                failing = [self.rng.choice(group) for group in self.rng.sample(roomy, failures)]
            else:
                failing = self.rng.sample(items, min(self.rng.choice(self.size.failures), len(items)))
            for item in failing:
                outcomes[item.id] = "fail"
            answers = {item.id: Answer(outcomes[item.id], self.value(item, outcomes[item.id])) for item in items}
            evaluation = self.evaluate({**carried, **answers})
            if evaluation.passed == passing:
                return answers, evaluation

    def evaluate(self, answers: dict[int, Answer]) -> Evaluation:
        return evaluate(((item.category, answers[item.id].outcome) for item in self.items if item.id in answers),
                        has_valid_equipment=True)

    def value(self, item: ItemSpec, outcome: str) -> str | None:
        """A measured value inside the limit for a pass, just outside for a fail (varied, as measured)."""
        if not item.measured or outcome == "na" or item.limit is None:
            return None
        return _text(measured_value(item.limit, outcome == "fail", self.rng.random()))


def measured_value(limit: Limit, fail: bool, spread: float) -> Decimal:
    """A value for ``limit``: inside it (placed by ``spread`` in 0..1), or outside it when ``fail``."""
    step = Decimal(int(spread * 10)) / 10
    if limit.nominal is not None and limit.tolerance is not None:
        if fail:
            return limit.nominal + limit.tolerance * (1 + step + Decimal("0.1"))
        return limit.nominal + limit.tolerance * (step * 2 - 1) * Decimal("0.9")
    if limit.minimum is not None and limit.maximum is not None:
        width = limit.maximum - limit.minimum
        return limit.maximum + width * (step + Decimal("0.1")) if fail else limit.minimum + width * step
    if limit.maximum is not None:
        return limit.maximum * (Decimal("1.1") + step) if fail else limit.maximum * (Decimal("0.3") + step * Decimal("0.6"))
    return limit.minimum * (Decimal("0.9") - step * Decimal("0.3")) if fail else limit.minimum * (1 + step * Decimal("0.2"))


def _text(value: Decimal) -> str:
    """As typed on the phone: at most two decimals, no trailing zeros."""
    return format(value.quantize(Decimal("0.01")).normalize(), "f")
