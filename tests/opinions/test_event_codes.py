"""Events are named by a stable code per campaign: exports (CSV and xlsx) write it, imports
resolve it, so a round trip into a campaign with other ids (a fresh database) links every
opinion to the same event, even among events whose titles and days repeat."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from campaign.models import Campaign
from campaign.resources import export_campaign
from campaign.services import org_import
from opinions.imports import opinions_import
from opinions.models import Opinion, SolicitationEvent
from opinions.resources import EVENTS, OPINIONS, campaign_querysets, export_bytes
from tests import factories as f
from tests.campaign.importing import xlsx
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

EVENT_HEADERS = ["Number", "Unit code", "Channel", "Title", "Date"]


def run(campaign: Campaign, data: bytes, filename: str):
    return opinions_import(campaign=campaign, user=None, source=io.BytesIO(data), filename=filename, dry_run=False)


def errors(report) -> list[str]:
    with translation.override("en"):
        return [str(e) for e in report.errors]


@pytest.fixture
def twins(world, targets):
    """Two forums of one unit with the same title on the same day (only a code tells
    them apart), a third in another unit, and opinions from each."""
    day = world.campaign.starts_on
    first = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="座谈会", held_on=day)
    second = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="座谈会", held_on=day)
    elsewhere = SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="座谈会", held_on=day)
    for event, text in ((first, "第一场的意见"), (second, "第二场的意见"), (elsewhere, "另一单位的意见")):
        OpinionFactory(target_member=targets.ordinary_member, text=text, event=event, recording_unit=world.unit)
    return world


def records(campaign: Campaign) -> list[tuple]:
    return sorted(
        (
            o.text,
            o.kind,
            o.channel,
            o.aspect,
            o.category,
            o.received_on,
            o.target_member.number if o.target_member else "",
            o.target_team.code if o.target_team else "",
            o.target_unit.code if o.target_unit else "",
            o.ledger_unit.code if o.ledger_unit else "",
            o.recording_unit.code if o.recording_unit else "",
            (o.event.code, o.event.unit.code, o.event.title, o.event.held_on) if o.event else None,
        )
        for o in Opinion.objects.filter(campaign=campaign).select_related(
            "event__unit", "target_member", "target_team", "target_unit", "ledger_unit", "recording_unit"
        )
    )


def restored(world) -> Campaign:
    """A new campaign with the world's organisation (codes and numbers), new ids for all."""
    copy = f.CampaignFactory(slug="restored", starts_on=world.campaign.starts_on, ends_on=world.campaign.ends_on)
    f.add_stages(copy)
    report = org_import(
        campaign=copy, user=None, source=io.BytesIO(export_campaign(world.campaign)), filename="org.xlsx", dry_run=False
    )
    assert report.ok, errors(report)
    return copy


def test_every_event_gets_a_code_of_its_own_in_its_campaign(twins):
    codes = list(SolicitationEvent.objects.filter(campaign=twins.campaign).values_list("code", flat=True))
    assert all(codes) and len(set(codes)) == len(codes)


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_round_trip_into_a_fresh_campaign_gives_identical_records(twins, extension):
    parts = campaign_querysets(twins.campaign)
    with translation.override("zh-hans"):
        if extension == "csv":
            files = [
                export_bytes([p for p in parts if p[0] == EVENTS], "csv"),
                export_bytes([p for p in parts if p[0] == OPINIONS], "csv"),
            ]
        else:
            files = [export_bytes(parts, "xlsx")]
        # The twins are named by code, never by a database id.
        opinions_csv = export_bytes([p for p in parts if p[0] == OPINIONS], "csv").decode("utf-8-sig")
        for event in SolicitationEvent.objects.filter(campaign=twins.campaign, unit=twins.unit):
            assert f"#{event.code}" in opinions_csv
        copy = restored(twins)
        for data in files:
            report = run(copy, data, f"file.{extension}")
            assert report.ok, errors(report)
    assert records(copy) == records(twins.campaign)


def test_an_opinion_csv_alone_resolves_codes_in_the_target_campaign_not_ids(twins):
    """The opinions' CSV imported into a campaign that holds the events (by code) but
    under other ids: each opinion finds its own event, or is refused, never another's."""
    parts = campaign_querysets(twins.campaign)
    with translation.override("en"):
        events = export_bytes([p for p in parts if p[0] == EVENTS], "csv")
        opinions = export_bytes([p for p in parts if p[0] == OPINIONS], "csv")
        copy = restored(twins)
        # Some other event first, so that the ids of the restored events are not the originals'.
        SolicitationEventFactory(
            campaign=copy, unit=copy.units.get(code=twins.unit.code), title="先有的活动", code="OWN-1"
        )
        assert run(copy, events, "events.csv").ok
        report = run(copy, opinions, "opinions.csv")
    assert report.ok, errors(report)
    assert records(copy) == records(twins.campaign)


def test_a_code_that_names_another_event_is_refused(twins):
    taken = SolicitationEvent.objects.filter(campaign=twins.campaign).first()
    data = xlsx({"events": [EVENT_HEADERS, [taken.code, twins.unit.code, "Forum", "另一个活动", "2026-02-15"]]})
    report = run(twins.campaign, data, "events.xlsx")
    assert errors(report) == [
        f"events row 2, column Number: The code {taken.code} already names another event of this campaign: "
        f"{taken.title}, {taken.held_on.isoformat()}."
    ]


def test_codes_a_file_gives_are_kept_and_others_are_given_new_ones(world):
    data = xlsx(
        {
            "events": [
                EVENT_HEADERS,
                ["HD-7", world.unit.code, "Forum", "甲座谈会", world.campaign.starts_on.isoformat()],
                ["", world.unit.code, "Forum", "乙座谈会", world.campaign.starts_on.isoformat()],
                ["41", world.unit.code, "Forum", "丙座谈会", world.campaign.starts_on.isoformat()],
            ],
            "opinions": [
                ["Content", "Kind", "Target code", "Event", "Date"],
                ["意见一", "Opinion", "C", "#HD-7", world.campaign.starts_on.isoformat()],
                ["意见二", "Opinion", "C", "#41", world.campaign.starts_on.isoformat()],
            ],
        }
    )
    report = run(world.campaign, data, "events.xlsx")
    assert report.ok, errors(report)
    codes = dict(SolicitationEvent.objects.filter(campaign=world.campaign).values_list("title", "code"))
    assert codes["甲座谈会"] == "HD-7" and codes["丙座谈会"] == "41"
    assert codes["乙座谈会"] not in {"HD-7", "41", ""}
    assert dict(Opinion.objects.filter(campaign=world.campaign).values_list("text", "event__code")) == {
        "意见一": "HD-7",
        "意见二": "41",
    }
