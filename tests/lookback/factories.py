"""Builders of the look-back's records for the tests: through the services where the
test is about them, directly where it only needs them to exist."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaign.models import Member, OrgUnit
from lookback import services
from lookback.models import BranchSecretary, LookbackCheck, TrainingSession
from lookback.services import ItemJudgement


def today() -> datetime.date:
    return timezone.localdate()


def secretary(branch: OrgUnit, member: Member | None = None) -> BranchSecretary:
    member = member or Member.objects.filter(branch=branch).order_by("pk").first()
    assert member is not None
    return BranchSecretary.objects.create(
        campaign_id=branch.campaign_id, branch=branch, member=member, since=today() - datetime.timedelta(days=30)
    )


def session(committee: OrgUnit, *, held_on: datetime.date | None = None) -> TrainingSession:
    return TrainingSession.objects.create(
        campaign_id=committee.campaign_id,
        committee=committee,
        held_on=held_on or today() - datetime.timedelta(days=1),
        place="党校报告厅",
        trainer="培训老师",
    )


def judgements(met: bool = True, **overrides: bool) -> dict[int, ItemJudgement]:
    """Six judgements, all ``met`` but those named ``item_<n>=…``."""
    found = {n: ItemJudgement(met=met, notes="") for n in range(1, 7)}
    for name, value in overrides.items():
        found[int(name.rsplit("_", 1)[-1])] = ItemJudgement(met=value, notes="说明", reason="")
    return found


def self_checked(world, **overrides: bool) -> LookbackCheck:
    return services.check_self(user=world.users["secretary"], unit=world.unit, judgements=judgements(**overrides))


def overruled(proposed: dict[int, bool], *, short: tuple[int, ...] = ()) -> dict[int, ItemJudgement]:
    """A verdict: not met on ``short``, met elsewhere with a reason where the figures
    propose "not met"."""
    return {
        n: ItemJudgement(
            met=n not in short,
            notes="督导组意见",
            reason="督导组复核后认定" if proposed.get(n) and n not in short else "",
        )
        for n in range(1, 7)
    }
