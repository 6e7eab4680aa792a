"""A warning when a campaign's dates disagree with its stages' and steps' (issue 16, 14)."""

from __future__ import annotations

import datetime

from django.urls import reverse

from campaign.models import Stage, StageKind, Step
from campaign.selectors import campaign_date_warnings


def test_consistent_dates_give_no_warning(world) -> None:
    assert campaign_date_warnings(world.campaign) == []


def test_a_stage_outside_the_campaign_and_overlapping_stages_are_named(world) -> None:
    campaign = world.campaign
    rectification = Stage.objects.get(campaign=campaign, kind=StageKind.RECTIFICATION)
    rectification.ends_on = campaign.ends_on + datetime.timedelta(days=3)
    analysis = Stage.objects.get(campaign=campaign, kind=StageKind.ANALYSIS)
    rectification.starts_on = analysis.ends_on
    rectification.save()
    step = Step.objects.filter(stage=analysis).order_by("order").first()
    step.starts_on = analysis.starts_on - datetime.timedelta(days=1)
    step.save()
    warnings = campaign_date_warnings(campaign)
    assert len(warnings) == 3, warnings
    text = "\n".join(warnings)
    assert "“Rectification and improvement”" in text or "lies outside the campaign's dates" in text
    assert sum("lies outside the campaign's dates" in w for w in warnings) == 1
    assert sum("lies outside its stage" in w for w in warnings) == 1
    assert sum(f"starts on {analysis.ends_on.isoformat()}, before the stage" in w for w in warnings) == 1


def test_the_office_sees_the_warning_on_the_campaigns_page(world, login) -> None:
    campaign = world.campaign
    Stage.objects.filter(campaign=campaign, kind=StageKind.LEARNING).update(
        starts_on=campaign.starts_on - datetime.timedelta(days=10)
    )
    url = reverse("campaign:campaign_detail", args=[campaign.pk])
    page = login(world.users["office"]).get(url).content.decode()
    assert 'id="date-warnings"' in page and "lies outside the campaign&#x27;s dates" in page
    assert 'id="date-warnings"' not in login(world.users["secretary"]).get(url).content.decode()
