"""The demo county's solicitation: after `manage.py seed_demo` the stage summary shows
the seed's figures exactly, the ledgers hold no drift, and the opinions, events and
feedback lists hold together the way the services would have left them.

Seeding takes a while, so the whole module shares one seed (with the demo logins),
rolled back at the end; each test runs in a savepoint of its own inside it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from campaign.models import (
    Campaign,
    ChangeOutbox,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    Step,
    StepKind,
    TargetCategory,
)
from opinions.feedback import default_key
from opinions.models import (
    Aspect,
    Channel,
    EventLevel,
    FeedbackItem,
    FeedbackList,
    Opinion,
    OpinionKind,
    OpinionStatus,
    SolicitationEvent,
    SourceGroup,
)
from opinions.services import Target, derive
from reports.ledger.rollup import ledger_rollup_full
from tests.demo.conftest import Seeded

User = get_user_model()
Status = FeedbackList.Status


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def opinions(seeded: Seeded):
    return Opinion.objects.filter(campaign=seeded.campaign)


def summary(seeded: Seeded) -> dict:
    out, err = StringIO(), StringIO()
    call_command("stage_summary", "--campaign", seeded.campaign.slug, "--json", stdout=out, stderr=err)
    assert err.getvalue() == ""  # nothing waiting for a roll-up
    return json.loads(out.getvalue())


# --- The figures of item 9 -------------------------------------------------------------


def test_stage_summary_shows_the_seeds_figures_exactly(seeded):
    figures = summary(seeded)

    assert figures["opinions"]["total"] == 11047
    assert figures["opinions"]["by_category"] == {
        "standing_committee_team": 142,
        "county_leadership_teams": 341,
        "department_teams": 1213,
        "standing_committee_members": 320,
        "county_level_leaders": 782,
        "other_members": 8249,
    }
    assert sum(figures["opinions"]["by_kind"].values()) == 11047
    assert sum(figures["opinions"]["by_channel"].values()) == 11047
    assert set(figures["opinions"]["by_channel"]) == set(Channel.values)
    assert all(count > 0 for count in figures["opinions"]["by_channel"].values())
    assert figures["solicitation"] == {"forums": 452, "forms_issued": 23800, "suggestion_boxes": 156}


def test_stage_summary_counts_the_feedback_lists_released_and_signed(seeded):
    lists = FeedbackList.objects.filter(campaign=seeded.campaign)
    released = lists.filter(status__in=[Status.RELEASED, Status.SIGNED]).count()
    signed = lists.filter(status=Status.SIGNED).count()

    assert summary(seeded)["feedback"] == {"lists_released": released, "lists_signed": signed}
    # Most lists fed back, and most of those signed for.
    assert released > 0.8 * lists.count()
    assert signed > 0.8 * released


def test_standing_committee_as_a_team_has_6_opinions_and_136_suggestions(seeded):
    kinds = Counter(
        opinions(seeded).filter(category=TargetCategory.STANDING_COMMITTEE_TEAM).values_list("kind", flat=True)
    )
    assert kinds == {OpinionKind.OPINION: 6, OpinionKind.SUGGESTION: 136}


def test_reconcile_ledgers_finds_no_drift_and_nothing_is_left_in_the_outbox(seeded):
    assert not ChangeOutbox.objects.filter(campaign=seeded.campaign).exists()
    out = StringIO()

    # Exits with status 1 (SystemExit) on any drift.
    with translation.override("en"):
        call_command("reconcile_ledgers", "--campaign", seeded.campaign.slug, "--no-drain", stdout=out)

    assert "No drift" in out.getvalue()


def test_seed_demo_prints_the_solicitation_steps(seeded):
    output = seeded.output
    assert "11,047 opinions" in output
    assert "452 forums" in output
    assert "23,800 forms issued" in output
    assert "156 suggestion boxes" in output


# --- The opinions --------------------------------------------------------------------------


def test_every_category_and_ledger_unit_is_what_derive_gives_for_the_target(seeded):
    campaign = seeded.campaign
    teams = {team.pk: team for team in LeadershipTeam.objects.filter(campaign=campaign).select_related("unit")}
    members = {member.pk: member for member in Member.objects.filter(campaign=campaign).select_related("unit")}
    units = {unit.pk: unit for unit in OrgUnit.objects.filter(campaign=campaign)}
    rows = opinions(seeded).values_list(
        "pk", "target_team_id", "target_member_id", "target_unit_id", "category", "ledger_unit_id"
    )
    wrong = []
    for pk, team_id, member_id, unit_id, category, ledger_unit_id in rows:
        target = Target(team=teams.get(team_id), member=members.get(member_id), unit=units.get(unit_id))
        derived_category, derived_unit = derive(target)
        if (derived_category, derived_unit.pk) != (category, ledger_unit_id):
            wrong.append(pk)
    assert wrong == []
    assert opinions(seeded).filter(target_unit__isnull=False).exists()  # a unit named as a whole


def test_opinions_come_from_every_channel_aspect_and_source_group(seeded):
    rows = opinions(seeded)
    assert set(rows.values_list("channel", flat=True)) == set(Channel.values)
    assert set(rows.values_list("aspect", flat=True)) == set(Aspect.values)
    assert set(rows.values_list("source_group", flat=True)) == set(SourceGroup.values)


def test_texts_are_chinese_sentences_and_vary(seeded):
    texts = list(opinions(seeded).values_list("kind", "text"))
    assert all(text.endswith("。") and 8 <= len(text) <= 120 for _kind, text in texts)
    assert all(text.startswith("建议") for kind, text in texts if kind == OpinionKind.SUGGESTION)
    assert len({text for _kind, text in texts}) > 1000


def test_every_opinion_was_received_within_the_solicit_step(seeded):
    step = Step.objects.get(stage__campaign=seeded.campaign, kind=StepKind.SOLICIT)
    rows = opinions(seeded)
    assert not rows.exclude(received_on__range=(step.starts_on, step.ends_on)).exists()
    events = SolicitationEvent.objects.filter(campaign=seeded.campaign)
    assert not events.exclude(held_on__range=(step.starts_on, step.ends_on)).exists()
    assert not events.filter(ends_on__gt=step.ends_on).exists()


def test_each_opinion_is_recorded_by_the_unit_that_held_its_event(seeded):
    rows = opinions(seeded)
    online = rows.filter(channel=Channel.ONLINE)
    # The public box: no event, no recording unit.
    assert online.exists()
    assert not online.filter(Q(event__isnull=False) | Q(recording_unit__isnull=False)).exists()
    offline = rows.exclude(channel=Channel.ONLINE)
    assert not offline.filter(event__isnull=True).exists()
    assert not offline.exclude(recording_unit=F("event__unit")).exists()
    assert not offline.exclude(channel=F("event__channel")).exists()
    # A forum's opinions came on its day, from the groups that attended it.
    for opinion in offline.filter(channel=Channel.FORUM).select_related("event")[:500]:
        assert opinion.received_on == opinion.event.held_on
        assert opinion.source_group in opinion.event.attendee_groups


def test_no_target_is_left_unassigned(seeded):
    assert not opinions(seeded).filter(category="").exists()
    assert not opinions(seeded).filter(ledger_unit__isnull=True).exists()


# --- The events -------------------------------------------------------------------------------


def test_forums_are_held_at_every_level_with_attendee_groups_and_attendance(seeded):
    forums = SolicitationEvent.objects.filter(campaign=seeded.campaign, channel=Channel.FORUM)
    assert forums.count() == 452
    assert set(forums.values_list("level", flat=True)) == set(EventLevel.values)
    assert not forums.filter(attendance=0).exists()
    assert all(
        groups and set(groups) <= set(SourceGroup.values) for groups in forums.values_list("attendee_groups", flat=True)
    )
    levels = {EventLevel.COUNTY: OrgUnitKind.COUNTY_COMMITTEE, EventLevel.COMMITTEE: OrgUnitKind.PARTY_COMMITTEE}
    levels |= {EventLevel.UNIT: OrgUnitKind.UNIT, EventLevel.BRANCH: OrgUnitKind.BRANCH}
    for level, kind in levels.items():
        assert set(forums.filter(level=level).values_list("unit__kind", flat=True)) == {kind}


def test_questionnaires_issue_23800_forms_and_fewer_come_back(seeded):
    events = SolicitationEvent.objects.filter(campaign=seeded.campaign)
    rounds = events.filter(channel=Channel.QUESTIONNAIRE)
    assert sum(rounds.values_list("forms_issued", flat=True)) == 23800
    returned = sum(rounds.values_list("forms_returned", flat=True))
    assert 0 < returned < 23800
    assert not events.exclude(channel=Channel.QUESTIONNAIRE).filter(forms_issued__gt=0).exists()
    boxes = events.filter(channel=Channel.SUGGESTION_BOX)
    assert sum(boxes.values_list("boxes_set", flat=True)) == 156
    assert not boxes.filter(boxes_set=0).exists()


def test_every_kind_of_event_is_there(seeded):
    channels = set(SolicitationEvent.objects.filter(campaign=seeded.campaign).values_list("channel", flat=True))
    assert channels == set(Channel.values) - {Channel.ONLINE}


# --- Feedback -------------------------------------------------------------------------------------


def test_most_members_have_a_list_and_a_few_lists_rest_on_fewer_than_k(seeded):
    members = Member.objects.filter(campaign=seeded.campaign)
    with_list = members.filter(feedback_list__isnull=False).count()
    assert with_list > 0.75 * members.count()
    # Opinions about members are spread over many of them: no member draws a crowd.
    per_member = Counter(opinions(seeded).exclude(target_member=None).values_list("target_member", flat=True))
    assert len(per_member) > 0.8 * members.count()
    k = seeded.campaign.feedback_threshold
    short = (
        FeedbackList.objects.filter(campaign=seeded.campaign, target_member__isnull=False)
        .annotate(n=Count("items__opinions"))
        .filter(n__lt=k)
    )
    assert 10 <= short.count() <= 100
    assert short.filter(wording_confirmed=True, status=Status.SIGNED).exists()
    assert short.filter(wording_confirmed=False, status=Status.DRAFT).exists()
    # A short list is released only once the office confirmed its wording.
    assert not short.exclude(status=Status.DRAFT).filter(wording_confirmed=False).exists()


def test_every_team_and_county_level_cadre_has_a_signed_list(seeded):
    lists = FeedbackList.objects.filter(campaign=seeded.campaign)
    county_level = lists.filter(
        Q(target_team__isnull=False, target_team__unit__kind=OrgUnitKind.COUNTY_COMMITTEE)
        | Q(target_member__rank__in=[Rank.STANDING_COMMITTEE, Rank.COUNTY_LEADER])
    )
    assert county_level.count() == 5 + 11 + 40
    assert set(county_level.values_list("status", flat=True)) == {Status.SIGNED}
    assert lists.filter(target_team__isnull=False).count() == 96


def test_each_list_consolidates_every_opinion_about_its_target_once(seeded):
    lists = FeedbackList.objects.filter(campaign=seeded.campaign)
    about = defaultdict(set)
    for pk, member_id, team_id in opinions(seeded).values_list("pk", "target_member_id", "target_team_id"):
        about[(member_id, team_id)].add(pk)
    consolidated = defaultdict(list)
    through = FeedbackItem.opinions.through.objects.filter(feedbackitem__feedback_list__campaign=seeded.campaign)
    for list_id, opinion_id in through.values_list("feedbackitem__feedback_list_id", "opinion_id"):
        consolidated[list_id].append(opinion_id)

    for list_id, member_id, team_id in lists.values_list("pk", "target_member_id", "target_team_id"):
        ids = consolidated[list_id]
        assert len(ids) == len(set(ids)), f"an opinion sits in two items of list {list_id}"
        assert set(ids) == about[(member_id, team_id)]
    assert not FeedbackItem.objects.filter(feedback_list__campaign=seeded.campaign, opinions=None).exists()


def test_items_stand_in_the_default_order_and_group_one_aspect(seeded):
    items = FeedbackItem.objects.filter(feedback_list__campaign=seeded.campaign).order_by("feedback_list", "position")
    by_list = defaultdict(list)
    for item in items.only("feedback_list_id", "position", "aspect", "text"):
        by_list[item.feedback_list_id].append(item)
    for its_items in by_list.values():
        assert [item.position for item in its_items] == list(range(1, len(its_items) + 1))
        assert its_items == sorted(its_items, key=lambda item: default_key(item.aspect, item.text))
        assert len({item.text for item in its_items}) == len(its_items)
    mixed = (
        FeedbackItem.objects.filter(feedback_list__campaign=seeded.campaign)
        .exclude(opinions__aspect=F("aspect"))
        .exists()
    )
    assert not mixed


def test_opinion_statuses_follow_their_lists(seeded):
    expected = {Status.DRAFT: OpinionStatus.SORTED, Status.RELEASED: OpinionStatus.FED_BACK}
    expected[Status.SIGNED] = OpinionStatus.ACKNOWLEDGED
    # The opinions made into problems follow their problem instead (tests/demo/test_rectification.py).
    pairs = Counter(
        FeedbackItem.opinions.through.objects.filter(
            opinion__campaign=seeded.campaign, opinion__problem_link__isnull=True
        ).values_list("feedbackitem__feedback_list__status", "opinion__status")
    )
    assert {(list_status, expected[list_status]) for list_status in Status.values} == set(pairs)
    unlisted = opinions(seeded).filter(feedback_items=None)
    assert set(unlisted.values_list("status", flat=True)) == {OpinionStatus.RECORDED, OpinionStatus.SORTED}


def test_signed_lists_are_signed_by_the_member_or_the_teams_head_after_release(seeded):
    lists = FeedbackList.objects.filter(campaign=seeded.campaign).select_related("target_team", "batch")
    for feedback_list in lists.filter(status=Status.SIGNED):
        signer = feedback_list.target_member_id or feedback_list.target_team.head_id
        assert feedback_list.signed_by_id == signer
        assert feedback_list.signed_at.date() >= feedback_list.released_on == feedback_list.batch.released_on
    released = lists.exclude(status=Status.DRAFT)
    assert not released.filter(Q(batch=None) | Q(released_on=None)).exists()
    drafts = lists.filter(status=Status.DRAFT)
    assert drafts.exists()
    assert not drafts.filter(Q(batch__isnull=False) | Q(signed_by__isnull=False) | Q(signed_at__isnull=False)).exists()


def test_every_record_has_its_creation_in_the_history(seeded):
    campaign = seeded.campaign
    assert Opinion.history.filter(campaign_id=campaign.pk, history_type="+").count() == 11047
    assert (
        SolicitationEvent.history.filter(campaign_id=campaign.pk).count()
        == SolicitationEvent.objects.filter(campaign=campaign).count()
    )
    assert (
        FeedbackList.history.filter(campaign_id=campaign.pk).count()
        == FeedbackList.objects.filter(campaign=campaign).count()
    )
    item = FeedbackItem.objects.filter(feedback_list__campaign=campaign).order_by("?").first()
    record = item.history.get()
    assert set(record.opinions.values_list("opinion_id", flat=True)) == set(item.opinions.values_list("pk", flat=True))


# --- Ledger pages: the same queries whatever the number of opinions ---------------------------------


def multiply_opinions(campaign: Campaign, times: int) -> None:
    """Copy every opinion of the campaign ``times - 1`` times, in SQL (derived columns
    included), and roll the ledgers up again."""
    columns = ", ".join(
        connection.ops.quote_name(field.column) for field in Opinion._meta.concrete_fields if not field.primary_key
    )
    table = connection.ops.quote_name(Opinion._meta.db_table)
    last_seeded = Opinion.objects.filter(campaign=campaign).aggregate(last=Max("pk"))["last"]
    with connection.cursor() as cursor:
        for _n in range(times - 1):
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE campaign_id = %s AND id <= %s",
                [campaign.pk, last_seeded],
            )
    ledger_rollup_full(campaign_id=campaign.pk)


def ledger_pages(campaign: Campaign) -> dict[str, str]:
    member = Member.objects.filter(campaign=campaign, rank=Rank.SECTION_CADRE, feedback_list__isnull=False).first()
    return {
        "general": reverse("reports:general_ledger"),
        "sub-ledger": reverse("reports:unit_ledger", args=[member.unit_id]),
        "member": reverse("reports:member_ledger", args=[member.pk]),
    }


def render_counting_queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def shows_total(html: str, total: int) -> bool:
    # With or without a thousands separator, whichever the page's language uses.
    digits = f"{total:,}".replace(",", "[,，]?")
    return re.search(rf'class="ledger-total">(<a [^>]*>)?{digits}<', html) is not None


def test_ledger_pages_run_the_same_queries_with_five_times_the_opinions(seeded):
    client = Client()
    client.force_login(User.objects.get(username="office"))
    pages = ledger_pages(seeded.campaign)
    small = {name: render_counting_queries(client, url) for name, url in pages.items()}
    assert shows_total(small["general"][1], 11047)

    multiply_opinions(seeded.campaign, 5)
    large = {name: render_counting_queries(client, url) for name, url in pages.items()}

    assert shows_total(large["general"][1], 55235)
    assert {name: count for name, (count, _html) in large.items()} == {
        name: count for name, (count, _html) in small.items()
    }
