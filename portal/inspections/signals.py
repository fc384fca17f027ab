"""What happens to an inspection, for the features that react to it (rectification, penalties, ...).

The sender is the :class:`~portal.inspections.models.Inspection`. Receivers run inside the
request's transaction, in the order they were connected at start-up (see
``portal.register_features``), and only flush. A receiver of a ``...ing`` signal may refuse by
raising :class:`~portal.inspections.services.InspectionError`; nothing is changed then.
"""
from __future__ import annotations

from portal.signals import Namespace

_signals = Namespace()

inspection_finishing = _signals.signal("inspection-finishing", doc="""\
Before the result is frozen; answers are complete and unchanged since the summary.
Keyword arguments: ``user``, ``summary`` (services.Summary), ``notice_input`` (what the
inspector decided for the rectification notice, or None). Raise InspectionError to refuse.""")

inspection_finished = _signals.signal("inspection-finished", doc="""\
The result is frozen and flushed (status completed, event logged).
Keyword arguments: ``user``, ``notice_input``, ``answers`` (the frozen answers with their items,
in checklist order: receivers need not load them again).""")

inspection_reopening = _signals.signal("inspection-reopening", doc="""\
Office asks to reopen a completed inspection (no later round exists).
Keyword arguments: ``user``, ``reason``. Raise InspectionError to refuse.""")

inspection_reopened = _signals.signal("inspection-reopened", doc="""\
The result is cleared, the inspection is in progress again and the event logged.
Keyword arguments: ``user``, ``reason``.""")
