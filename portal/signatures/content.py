"""What a signature is bound to: a SHA-256 fingerprint of the record's canonical content.

The canonical form is JSON with sorted keys, no whitespace, UTF-8, and values as plain
strings/numbers, so that the same content always gives the same hash — on any server,
any database — and any change of an answer, value, note, result or photo gives another.
The certificate issue prints the same fingerprint. Each record type's content function lives
with its feature (``portal/<feature>/signing.py``) and returns plain values for this serialisation.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal


def canonical_json(content: dict) -> bytes:
    """Stable serialisation: sorted keys, compact separators, decimals as normalised strings."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain).encode("utf-8")


def fingerprint(content: dict) -> str:
    """SHA-256 (hex) of the canonical serialisation."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != 0 else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
