"""Each role's home page (campaign/home.py, reports/home.py): its counts equal a recount
from the records, in a fixed number of queries whatever the campaign's size; panels come
from a registry the view does not know."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign import home
from campaign.models import LEADING_RANKS, Member, OrgUnit, OrgUnitKind, Rank
from opinions.models import FeedbackList
from reports import home as panels
from reports.ledger.rollup import ledger_rollup_full
from reviews.models import AnalysisDocument, DocumentState, Route
from talks import selectors as talk_selectors
from talks.models import CardState, Talk
from tests import factories as f
from tests.talks.factories import bulk_talks

pytestmark = pytest.mark.django_db

Status = FeedbackList.Status


def _populate(world, n: int, prefix: str = "甲") -> list[Member]:
    """``n`` more members in the world's unit (half in its branch) and in the outside
    unit, with talks, documents in every state, feedback lists released and signed; then
    the ledger rolled up."""
    campaign = world.campaign
    inside = f.bulk_members(
        campaign,
        [
            {
                "unit": world.unit,
                "branch": world.branch if i % 2 else None,
                "name": f"{prefix}党员{i}",
                "number": f"{prefix}I{i}",
            }
            for i in range(n)
        ],
    )
    outside = f.bulk_members(
        campaign,
        [{"unit": world.other_unit, "name": f"{prefix}外员{i}", "number": f"{prefix}O{i}"} for i in range(n)],
    )
    everyone = inside + outside
    # Every third member meets the quota of five with talks with the public; every member
    # has one talk with the next one.
    rows = [{"member": m, "outsider_name": f"群众{k}"} for i, m in enumerate(everyone) if i % 3 == 0 for k in range(5)]
    rows += [{"member": a, "other_member": b} for a, b in zip(everyone, everyone[1:], strict=False)]
    cards = bulk_talks(campaign, rows)
    returned = cards[: max(n // 4, 1)]
    for card in returned:
        card.state, card.recorded_by, card.times_returned = CardState.RETURNED, world.users["secretary"], 1
    Talk.objects.bulk_update(returned, ["state", "recorded_by", "times_returned"])
    states = [None, DocumentState.DRAFT, DocumentState.SUBMITTED, DocumentState.RETURNED, DocumentState.APPROVED]
    long_ago = timezone.now() - datetime.timedelta(days=4)
    documents = []
    for i, member in enumerate(everyone):
        state = states[i % len(states)]
        if state is None:
            continue
        documents.append(
            AnalysisDocument(
                campaign=campaign,
                member=member,
                state=state,
                word_count=100,
                route=Route.RESPONSIBLE_LEADER,
                submitted_at=None if state == DocumentState.DRAFT else long_ago,
            )
        )
    AnalysisDocument.objects.bulk_create(documents)
    lists = []
    for i, member in enumerate(everyone):
        if i % 4 == 3:
            continue
        status = [Status.DRAFT, Status.RELEASED, Status.SIGNED][i % 4]
        lists.append(
            FeedbackList(
                campaign=campaign,
                target_member=member,
                ledger_unit=member.unit,
                status=status,
                released_on=None if status == Status.DRAFT else timezone.localdate(),
            )
        )
    FeedbackList.objects.bulk_create(lists)
    ledger_rollup_full(campaign_id=campaign.pk)
    return inside


def _panel(response, key: str) -> dict:
    drawn = {each.panel.key: each.context for each in response.context["panels"]}
    return drawn[key]


def _meets(member: Member) -> bool:
    """Recounted from the cards themselves: a talk of two members counts for both."""
    held = Talk.objects.filter(Q(member=member) | Q(other_member=member), campaign=member.campaign_id).count()
    return held >= talk_selectors.quota_for(member, member.campaign)


def _members_of(unit: OrgUnit):
    return Member.objects.filter(campaign=unit.campaign, unit__path__startswith=unit.path)


# --- Recounts --------------------------------------------------------------------------


def test_the_office_sees_the_counties_completion_equal_to_a_recount(world, login):
    _populate(world, 10)
    response = login(world.users["office"]).get(reverse("campaign:home"))
    assert response.status_code == 200
    panel = _panel(response, "county")
    progress = {str(line.label): line for line in panel["progress"]}
    campaign = world.campaign
    members = Member.objects.filter(campaign=campaign)
    meets = sum(1 for m in members if _meets(m))
    assert (progress["Members who met the talk quota"].done, progress["Members who met the talk quota"].total) == (
        meets,
        members.count(),
    )
    approved = AnalysisDocument.objects.filter(campaign=campaign, state=DocumentState.APPROVED).count()
    assert (progress["Self-analysis documents approved"].done, progress["Self-analysis documents approved"].total) == (
        approved,
        members.count(),
    )
    lists = FeedbackList.objects.filter(campaign=campaign)
    signed = progress["Feedback lists signed"]
    assert (signed.done, signed.total) == (lists.filter(status=Status.SIGNED).count(), lists.count())
    pairs = talk_selectors.required_pairs(campaign)
    done = talk_selectors.talked_pairs(campaign)
    line = progress["Required pairs who talked"]
    assert (line.done, line.total) == (sum(1 for pair in pairs if pair in done), len(pairs))

    # Units behind: recounted unit by unit (a branch's members count in its unit).
    behind = 0
    for unit in OrgUnit.objects.filter(campaign=campaign).exclude(kind=OrgUnitKind.BRANCH):
        own = members.filter(unit=unit)
        below = sum(1 for m in own if not _meets(m))
        not_approved = own.exclude(analysis_documents__state=DocumentState.APPROVED).count()
        behind += bool(below or not_approved)
    assert panel["behind"] == behind > 0
    flagged = {str(item.label): item.value for item in panel["flagged"]}
    assert flagged["Documents returned for revision"] == (
        AnalysisDocument.objects.filter(campaign=campaign, state=DocumentState.RETURNED).count()
    )
    assert (
        flagged["Talk cards awaiting review"]
        == Talk.objects.filter(campaign=campaign, state=CardState.RECORDED).count()
    )


def test_the_secretary_sees_his_units_gaps_with_the_names(world, login):
    inside = _populate(world, 10)
    response = login(world.users["secretary"]).get(reverse("campaign:home"))
    gaps = _panel(response, "unit_gaps")["gaps"]
    members = _members_of(world.unit)
    below = [m for m in members if not _meets(m)]
    assert gaps.members == members.count()
    assert gaps.below_quota.count == len(below) > 0
    assert set(gaps.below_quota.names) <= {m.name for m in below}
    assert len(gaps.below_quota.names) == min(len(below), panels.NAMES)
    not_submitted = members.exclude(
        analysis_documents__state__in=[s for s in DocumentState.values if s != DocumentState.DRAFT]
    )
    assert gaps.not_submitted.count == not_submitted.count() > 0
    assert set(gaps.not_submitted.names) <= {m.name for m in not_submitted}
    returned = members.filter(analysis_documents__state=DocumentState.RETURNED)
    assert gaps.returned.count == returned.count() > 0
    assert set(gaps.returned.names) == {m.name for m in returned}
    unsigned = FeedbackList.objects.filter(target_member__in=members, status=Status.RELEASED)
    assert gaps.unsigned.count == unsigned.count() > 0
    assert set(gaps.unsigned.names) == {fl.target_member.name for fl in unsigned}
    # Nothing of the other party committee.
    text = response.content.decode()
    assert "外员" not in text and "OUTSIDE" not in text
    assert inside[0].name in text or gaps.below_quota.more
    # What was returned to him: the cards he recorded, returned.
    mine = Talk.objects.filter(recorded_by=world.users["secretary"], state=CardState.RETURNED)
    assert _panel(response, "unit_gaps")["returned_count"] == mine.count() > 0


def test_the_member_sees_his_list_his_document_and_his_talks(world, login):
    _populate(world, 4)
    member = world.member
    FeedbackList.objects.create(
        campaign=world.campaign,
        target_member=member,
        ledger_unit=member.unit,
        status=Status.RELEASED,
        released_on=timezone.localdate(),
    )
    AnalysisDocument.objects.create(campaign=world.campaign, member=member, state=DocumentState.RETURNED, word_count=80)
    bulk_talks(world.campaign, [{"member": member, "outsider_name": f"群众{k}"} for k in range(3)])
    ledger_rollup_full(campaign_id=world.campaign.pk)
    response = login(world.users["member"]).get(reverse("campaign:home"))
    panel = _panel(response, "my_work")
    held = Talk.objects.filter(campaign=world.campaign).filter(member=member).count() + (
        Talk.objects.filter(campaign=world.campaign, other_member=member).count()
    )
    assert panel["talks"].talks == held == 3
    assert [fl.target_member_id for fl in panel["to_sign"]] == [member.pk]
    assert panel["document"].state == DocumentState.RETURNED
    text = response.content.decode()
    assert "Sign your list" in text and "Returned for revision" in text
    assert "3 of 5 required" in text


def test_a_leading_cadre_sees_his_required_pairs_and_the_units_in_his_charge(world, login):
    cadre = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    cadre.user = f.UserFactory(username="cadre")
    cadre.save()
    f.bulk_in_charge(cadre, [world.unit])
    head = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="负责人甲", rank=Rank.ORDINARY)
    world.unit.responsible_leader = head
    world.unit.save()
    bulk_talks(world.campaign, [{"member": cadre, "other_member": world.member}])
    ledger_rollup_full(campaign_id=world.campaign.pk)
    assert cadre.rank in LEADING_RANKS

    response = login(cadre.user).get(reverse("campaign:home"))
    panel = _panel(response, "my_work")
    pairs = {pair.name: pair for pair in panel["pairs"]}
    required = {pair: kind for pair, kind in talk_selectors.required_pairs(world.campaign).items() if cadre.pk in pair}
    assert len(pairs) == len(required) == 2  # his teammate 张三 (talked) and the head of his unit
    assert pairs["张三INSIDE"].done and not pairs["负责人甲"].done
    assert panel["pairs_done"] == 1
    # The member row of the ledger agrees.
    talks = panels.ledger.member(panels.TalkFigures, cadre)
    assert (talks.required_pairs, talks.required_pairs_done) == (2, 1)
    assert [line.unit.pk for line in panel["charge"]] == [world.unit.pk]


def test_the_supervisor_sees_what_waits_for_him_with_the_oldest_wait_in_days(world, login):
    _populate(world, 6)
    old = Talk.objects.filter(campaign=world.campaign, member__unit=world.unit, state=CardState.RECORDED)
    Talk.objects.filter(pk=old.order_by("pk").first().pk).update(updated_at=timezone.now() - datetime.timedelta(days=9))
    response = login(world.users["supervisor"]).get(reverse("campaign:home"))
    panel = _panel(response, "supervision")
    cards = panel["queues"][0]
    assert cards.count == old.count() > 0
    assert cards.oldest_days == 9
    assert [line.unit.pk for line in panel["units"]] == [world.unit.pk]
    assert "OUTSIDE" not in response.content.decode()


# --- Queries -------------------------------------------------------------------------------


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("campaign:home"))
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("role", ["office", "supervisor", "secretary", "member", "admin"])
def test_the_home_page_runs_as_many_queries_with_many_records_as_with_few(world, login, role):
    client = login(world.users[role])
    _populate(world, 3, prefix="少")
    client.get(reverse("campaign:home"))
    few = _queries(client)
    _populate(world, 40, prefix="多")
    many = _queries(client)
    assert many == few, f"{few} queries with a few records, {many} with many"


# --- The registry ----------------------------------------------------------------------------


def test_a_registered_panel_is_drawn_without_editing_the_view(world, login, monkeypatch):
    # A later stage registers its panel (here one drawn with an existing template).
    monkeypatch.setattr(home, "PANELS", dict(home.PANELS))
    queue = panels.Queue("Orders overdue", 7, 3, "campaign:home")
    home.register_panel(
        home.Panel(
            "overdue_orders",
            "reports/home/reviewer.html",
            lambda scope: "office" in scope.roles,
            lambda asked: {"queues": [queue]},
            order=1,
        )
    )
    office = login(world.users["office"]).get(reverse("campaign:home"))
    text = office.content.decode()
    assert 'id="overdue_orders"' in text and "Orders overdue" in text and "waited 3 days" in text
    assert next(iter(office.context["panels"])).panel.key == "overdue_orders"
    member = login(world.users["member"]).get(reverse("campaign:home"))
    assert "Orders overdue" not in member.content.decode()


def test_a_responsible_leader_sees_the_documents_routed_to_him(world, login):
    leader = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    leader.user = f.UserFactory(username="unit-head")
    leader.save()
    world.unit.responsible_leader = leader
    world.unit.save()
    waited = timezone.now() - datetime.timedelta(days=3)
    AnalysisDocument.objects.create(
        campaign=world.campaign,
        member=world.member,
        state=DocumentState.SUBMITTED,
        word_count=3100,
        route=Route.RESPONSIBLE_LEADER,
        reviewer_member=leader,
        submitted_at=waited,
    )
    response = login(leader.user).get(reverse("campaign:home"))
    queue = _panel(response, "reviewing")["queues"][0]
    assert (queue.count, queue.oldest_days) == (1, 3)
    assert "Documents waiting for your review" in response.content.decode()
    # A member who reviews nothing has no such panel.
    plain = login(world.users["member"]).get(reverse("campaign:home"))
    assert "reviewing" not in {each.panel.key for each in plain.context["panels"]}
