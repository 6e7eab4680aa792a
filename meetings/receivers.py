"""What the other stages' changes ask of the meetings: connected in ``MeetingsConfig.ready``.

A meeting becomes ready by itself. The gate is computed on every read (the meeting
page, the readiness page, and ``meeting_hold`` at the moment of holding), so what a
user sees and what is allowed never lag. The stored state — planned or ready — is kept
in step for lists, filters and figures: when feedback, talks or documents announce a
change (``campaign.events.records_changed``, sent after their commit), the campaign's
open meetings are evaluated again by a task (``meetings.follow_gate``) enqueued on
commit. No rule lives here.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaign.events import records_changed
from meetings import tasks

# The sources whose changes can move a gate: feedback lists, talk cards (and the team
# seats and charges the talks announce for the organisation), documents. A new opinion
# alone moves none (a list is needed), nor do the meetings' own changes.
GATE_SOURCES = frozenset({"feedback", "talks", "documents"})


def records_changed_received(
    sender: Any, *, campaign_id: int, sources: frozenset[str] = frozenset(), **kwargs: Any
) -> None:
    if not sources & GATE_SOURCES:
        return
    transaction.on_commit(lambda: tasks.follow_gate.delay(campaign_id), robust=True)


def connect() -> None:
    records_changed.connect(records_changed_received, dispatch_uid="meetings.receivers.records_changed")
