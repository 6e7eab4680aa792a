"""Celery tasks of the meetings: thin wrappers over services, taking ids."""

from __future__ import annotations

from celery import shared_task

from meetings import services


@shared_task(name="meetings.follow_gate", acks_late=True, reject_on_worker_lost=True)
def follow_gate(campaign_id: int) -> int:
    """Bring the campaign's open meetings in step with their gate (idempotent)."""
    return services.meetings_follow_gate(campaign_id=campaign_id)


@shared_task(name="meetings.follow_all_gates", acks_late=True, reject_on_worker_lost=True)
def follow_all_gates() -> int:
    """The safety net: every campaign with open meetings, in step with their gates."""
    return sum(
        services.meetings_follow_gate(campaign_id=campaign_id)
        for campaign_id in services.campaigns_with_open_meetings()
    )
