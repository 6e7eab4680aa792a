"""The demo as shipped works on the day it is seeded: its story's 16 April is today, so
the analysis-and-evaluation stage is current, the public box is open, nothing is dated
after today and the waits are of days; every demo login finds work waiting, and the
menu's counts of the queues equal a recount, in a fixed number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation

from campaign import demo
from campaign.models import Campaign, Member, OrgUnit, RoleAssignment, Stage, StageKind, Step, Supervisor
from campaign.navigation import menu_for
from campaign.scoping import scope_for
from opinions.public import campaign_is_open
from reviews import services as review_services
from reviews.models import AnalysisDocument, DocumentState, Route
from reviews.selectors import queue_for
from talks.card_selectors import review_queue
from tests.demo.helpers import fresh_user, visible

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]

# Dates that are a plan, not something that happened: the campaign's, its stages' and steps'.
PLANS = {(Campaign, "starts_on"), (Campaign, "ends_on"), (Stage, "starts_on"), (Stage, "ends_on")}
PLANS |= {(Step, "starts_on"), (Step, "ends_on")}
DEMO_APPS = ("campaign", "opinions", "talks", "reviews", "meetings", "appraisal", "reports")


@pytest.fixture
def campaign(seeded) -> Campaign:
    return seeded.campaign


def test_the_story_stands_on_today_whatever_the_day(campaign) -> None:
    today = timezone.localdate()
    stage = campaign.current_stage
    assert stage.kind == StageKind.ANALYSIS
    assert stage.starts_on <= today <= stage.ends_on
    assert campaign_is_open(campaign, on=today)
    # The seed's dates, moved by whole days: the story's 16 April is today.
    offset = demo.story_offset()
    assert campaign.starts_on == datetime.date(2026, 1, 26) + offset
    assert stage.steps.get(kind="meetings").starts_on == datetime.date(2026, 4, 4) + offset
    assert demo.STORY_DAY + offset == today


def test_nothing_in_the_demo_is_dated_after_today(campaign) -> None:
    today, now = timezone.localdate(), timezone.now()
    checked = 0
    for model in apps.get_models():
        if model._meta.app_label not in DEMO_APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateField) or (model, field.name) in PLANS:
                continue
            latest = model.objects.aggregate(latest=Max(field.name))["latest"]
            if latest is None:
                continue
            checked += 1
            limit = now if isinstance(field, models.DateTimeField) else today
            assert latest <= limit, f"{model.__name__}.{field.name} = {latest}, after today"
    assert checked > 20


def test_the_waits_in_the_queues_are_of_days_not_months(campaign) -> None:
    now = timezone.now()
    oldest_document = queue_for(fresh_user("responsible"), campaign).first()
    oldest_card = review_queue(fresh_user("supervisor"), campaign).first()
    assert 0 < (now - oldest_document.submitted_at).days <= 30
    assert 0 < (now - oldest_card.updated_at).days <= 30


def test_the_campaign_moves_with_the_day_it_is_built_and_keeps_its_spans() -> None:
    day = datetime.date(2031, 7, 1)
    with transaction.atomic():
        moved = demo.build_campaign(slug="moved", today=day)
        shipped = Campaign.objects.get(slug=demo.SLUG)
        shift = moved.starts_on - shipped.starts_on
        assert moved.ends_on - shipped.ends_on == shift
        assert moved.current_stage.starts_on <= day <= moved.current_stage.ends_on
        steps = {s.kind: (s.starts_on, s.ends_on) for s in Step.objects.filter(stage__campaign=moved)}
        for step in Step.objects.filter(stage__campaign=shipped):
            assert steps[step.kind] == (step.starts_on + shift, step.ends_on + shift)
        transaction.set_rollback(True)


# --- Work waiting for every demo login ------------------------------------------------


def test_the_member_has_a_draft_below_the_minimum_that_he_cannot_submit(campaign) -> None:
    member = Member.objects.get(user__username="member")
    document = AnalysisDocument.objects.get(member=member)
    assert document.state == DocumentState.DRAFT
    assert 0 < document.word_count < review_services.minimum_words(member, campaign)
    assert member.unit.responsible_leader.user.username == "responsible"


def test_the_responsible_leader_reviews_his_units_members_and_has_his_own_document_returned(campaign) -> None:
    responsible = Member.objects.select_related("unit").get(user__username="responsible")
    assert responsible.unit == RoleAssignment.objects.get(user__username="secretary").unit
    assert responsible.unit.responsible_leader_id == responsible.pk
    own = AnalysisDocument.objects.get(member=responsible)
    assert own.state == DocumentState.RETURNED and own.route == Route.COUNTY_TEAM_LEADER
    assert own.reviewer_supervisor.user.username == "supervisor"
    waiting = list(queue_for(fresh_user("responsible"), campaign))
    recount = AnalysisDocument.objects.filter(
        campaign=campaign,
        reviewer_member=responsible,
        state__in=[DocumentState.SUBMITTED, DocumentState.RESUBMITTED],
    )
    assert len(waiting) == recount.count() > 0
    assert {d.member.unit_id for d in waiting} == {responsible.unit_id}


def test_the_supervisor_has_documents_and_cards_and_the_municipal_team_cards(campaign) -> None:
    supervisor = Supervisor.objects.get(user__username="supervisor")
    documents = queue_for(fresh_user("supervisor"), campaign)
    assert documents.count() >= 1
    assert all(d.reviewer_supervisor_id == supervisor.pk for d in documents)
    assert review_queue(fresh_user("supervisor"), campaign).count() > 0
    assert review_queue(fresh_user("municipal"), campaign).count() > 0


def test_the_branch_secretary_sees_his_branch_and_its_members_only(campaign) -> None:
    role = RoleAssignment.objects.select_related("unit").get(user__username="branchsec")
    branch = role.unit
    member = Member.objects.get(user__username="member")
    assert branch == member.branch and branch.parent == member.unit
    assert visible("branchsec", OrgUnit.objects.all()) == {branch.pk}
    assert visible("branchsec", Member.objects.all()) == set(branch.branch_members.values_list("pk", flat=True))


def test_the_seed_keeps_every_figure_of_the_documents(campaign) -> None:
    """Giving the logins their work exchanges fates inside one unit: the totals stay."""
    counts = dict(
        AnalysisDocument.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    assert counts == {
        DocumentState.APPROVED: 2450,
        DocumentState.SUBMITTED: 47,
        DocumentState.RETURNED: 42,
        DocumentState.RESUBMITTED: 36,
        DocumentState.DRAFT: 25,
    }


# --- The menu's counts ------------------------------------------------------------------


def _recount(username: str, campaign: Campaign) -> dict[str, int]:
    """Each queue counted again, by its page's URL."""
    user = fresh_user(username)
    counts = {
        reverse("reviews:queue"): queue_for(user, campaign).count(),
        reverse("talks:review_queue"): review_queue(user, campaign).count(),
    }
    return {href: n for href, n in counts.items() if n}


@pytest.mark.parametrize("username", demo.USERNAMES)
def test_every_login_sees_its_queues_counts_in_the_menu_equal_to_a_recount(
    username, campaign, django_assert_max_num_queries
) -> None:
    scope = scope_for(fresh_user(username))
    scope.can("documents.review")  # the scope's own queries, made once a request whatever the menu
    # The campaign, and one count per queue offered: never more, whatever the queues hold.
    with django_assert_max_num_queries(4):
        menu = menu_for(scope)
    shown = {link.href: link.count for group in menu.groups for link in group.links if link.count}
    shown |= {link.href: link.count for link in menu.tail if link.count}
    assert shown == _recount(username, campaign)
    for group in menu.groups:
        assert group.count == sum(link.count or 0 for link in group.links)


def test_the_responsible_leader_sees_to_review_with_its_count_on_the_page(campaign, login) -> None:
    client = login(fresh_user("responsible"))
    response = client.get(reverse("reviews:queue"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    with translation.override(response.headers["Content-Language"]):
        label = translation.gettext("To review")
    page = response.content.decode()
    count = queue_for(fresh_user("responsible"), campaign).count()
    assert re.search(rf'>{label}</a> <span class="navcount" title="[^"]+">{count}</span>', page)
