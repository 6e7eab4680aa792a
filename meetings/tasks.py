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


@shared_task(name="meetings.appraisal_public_closed", acks_late=True, reject_on_worker_lost=True)
def appraisal_public_closed() -> int:
    """The public's ratings of teams count once the public rating has closed: the ledger
    takes them in the night after (idempotent)."""
    from meetings.appraisal import services as appraisal

    return appraisal.announce_public_rating_closed()
