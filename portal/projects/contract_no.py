"""The contract/archive number 档案号: studio letter, contract date YYMMDD, day's sequence."""
from __future__ import annotations

import re
from datetime import date

CONTRACT_NO_RE = re.compile(r"[A-Z][0-9]{8}")  # ASCII digits only: \d would accept full-width ones


def parse_contract_no(value: str) -> tuple[str, date, int]:
    """Split ``A25110301`` into (studio letter, contract date, sequence).

    Raises ValueError with a reason when the number is malformed or the date is not real.
    """
    if not CONTRACT_NO_RE.fullmatch(value or ""):
        raise ValueError("format")
    studio, yy, mm, dd, seq = value[0], int(value[1:3]), int(value[3:5]), int(value[5:7]), int(value[7:9])
    try:
        contract_date = date(2000 + yy, mm, dd)
    except ValueError as exc:
        raise ValueError("date") from exc
    if seq < 1:
        raise ValueError("sequence")
    return studio, contract_date, seq


def is_valid_contract_no(value: str) -> bool:
    """True when ``value`` is a well-formed 档案号 with a real date."""
    try:
        parse_contract_no(value)
    except ValueError:
        return False
    return True
