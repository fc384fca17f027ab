"""What the hostile-input tests share: the hostile values and a request that reports an escaped exception.

With ``TESTING`` on, Flask lets unexpected exceptions through instead of answering 500; :func:`call`
turns such an exception into a one-line summary (type, message, the portal line it came from),
which the batteries count as a 500.
"""
from __future__ import annotations

import traceback

SCRIPT = "<script>alert(1)</script>"
IMG = "\"><img src=x onerror=alert(1)>"
HOSTILE = [
    "", " ", "a" * 100_000, "\x01\x02\x1b[31m", "😀👍🏽", "'; DROP TABLE users; --", SCRIPT, IMG,
    "-1", "-99999999999999999999", "1e308", "NaN", "[]", "{}", "../../etc/passwd", "\u202e", "%00",
    "\x00",  # NUL is refused with 400 on purpose (portal/security.py)
]


def call(client, *args, **kwargs):
    """The response, or a ``(None, summary)`` when the app raised (what production answers 500)."""
    try:
        response = client.open(*args, **kwargs)
        response.get_data()  # drain streamed answers (archives) while their context is there
        response.close()
        return response, None
    except Exception as exc:  # noqa: BLE001 - an escaped exception is the 500 we are looking for
        return None, exception_summary(exc)


def exception_summary(exc: BaseException) -> str:
    """``Type: message at portal/<file>:<line>`` (the innermost portal frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f"{f.filename.split('/portal/')[-1]}:{f.lineno}" for f in reversed(frames)
                  if "/portal/" in f.filename and "/tests/" not in f.filename), "?")
    return f"{type(exc).__name__}: {str(exc)[:200]} at {where}"


def label(value: str) -> str:
    """A short printable form of a (possibly huge) value for failure messages."""
    return repr(value if len(value) <= 40 else value[:20] + f"…({len(value)} chars)")
