"""What a field action tells the features above fieldsync about their own objects.

The sender is the object the action was about (a signed record, a photo, ...). Receivers run
inside the request's transaction, in the order they were connected at start-up, and only flush.
"""
from __future__ import annotations

from portal.signals import Namespace

_signals = Namespace()

phone_clock_read = _signals.signal("phone-clock-read", doc="""\
A field action about the sender came with the phone's clock (the X-Phone-Clock header).
Keyword arguments: ``user`` (who sent it from his phone), ``offset_seconds`` (server time − the
phone's clock, see fieldsync.clock). The feature that owns the sender keeps it where the office
sees a far-off clock (inspections: on the inspection the signature or photo belongs to).""")
