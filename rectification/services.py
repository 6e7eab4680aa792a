"""Writes of problems. Other stages create problems through ``problem_record`` only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from rectification.models import PROBLEM_TEXT_MAX_CHARS, Problem, ProblemSource

SOURCE = "problems"


@transaction.atomic
def problem_record(
    *,
    campaign: Campaign,
    unit: OrgUnit,
    text: str,
    source: str,
    source_id: int,
    member: Member | None = None,
    team: LeadershipTeam | None = None,
    aspect: str = "",
    user: Any = None,
) -> Problem:
    """A problem found by another stage, for the rectification capability to track.
    The same source record names one problem: asked again, it returns that one."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Say what the problem is.")})
    if len(text) > PROBLEM_TEXT_MAX_CHARS:
        raise ValidationError(
            {"text": _("Keep the problem under %(limit)d characters.") % {"limit": PROBLEM_TEXT_MAX_CHARS}}
        )
    if source not in ProblemSource.values:
        raise ValueError(f"Unknown problem source {source!r}")
    existing = Problem.objects.filter(source=source, source_id=source_id).first()
    if existing is not None:
        return existing
    problem = Problem(
        campaign=campaign,
        unit=unit,
        member=member,
        team=team,
        text=text,
        aspect=aspect,
        source=source,
        source_id=source_id,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if getattr(user, "is_authenticated", False):
        problem._history_user = user  # type: ignore[attr-defined]
    problem.save()
    # The problems' figures come with the rectification stage's ledger source.
    announce_change(campaign_id=campaign.pk, unit_ids={unit.pk}, source=SOURCE)
    return problem
