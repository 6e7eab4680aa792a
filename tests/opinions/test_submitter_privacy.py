"""Nobody is shown who submitted an opinion about himself or a team he sits on or heads
(issue 11 §4): not the county office, not the administrator, not a secretary or a
supervisor — on the detail page, its history, the export, the feedback pages and the
admin (list, search, change form, history). Everyone else's opinions keep what each
role saw before, and the list pages stay bounded."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import LeadershipTeam, Member
from opinions import feedback, services
from opinions import selectors as opinion_selectors
from opinions.models import Aspect, Opinion
from opinions.services import Target
from tests import factories as f
from tests.matrix import scoped_admin_permissions
from tests.opinions.factories import OpinionFactory, bulk_opinions

pytestmark = pytest.mark.usefixtures("english")

NAMES = ("举报人甲", "举报人乙", "举报人丙")
CONTACTS = ("13900000001", "13900000002", "13900000003")
VISIBLE_NAME, VISIBLE_CONTACT = "王大爷", "13800000000"


class Self:
    """A user linked to a member, with the opinions about him: one about him, one about
    a team he heads (without a seat on it), one about a team he sits on; and one about
    a colleague."""

    def __init__(self, world, role: str) -> None:
        self.user = world.users[role]
        self.member = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="本人SELF", user=self.user)
        self.headed = f.LeadershipTeamFactory(
            campaign=world.campaign, unit=world.unit, name="所领班子", head=self.member
        )
        self.seated = LeadershipTeam.objects.get(unit=world.unit, name="城关镇领导班子INSIDE")
        self.seated.members.add(self.member)
        self.colleague = Member.objects.get(name="李四INSIDE")
        self.about_him = OpinionFactory(
            target_member=self.member, submitter_name=NAMES[0], submitter_contact=CONTACTS[0], text="关于本人"
        )
        self.about_headed = OpinionFactory(
            target_member=None,
            target_team=self.headed,
            submitter_name=NAMES[1],
            submitter_contact=CONTACTS[1],
            text="关于所领班子",
        )
        self.about_seated = OpinionFactory(
            target_member=None,
            target_team=self.seated,
            submitter_name=NAMES[2],
            submitter_contact=CONTACTS[2],
            text="关于所在班子",
        )
        self.other = OpinionFactory(
            target_member=self.colleague,
            submitter_name=VISIBLE_NAME,
            submitter_contact=VISIBLE_CONTACT,
            text="关于同事",
        )

    @property
    def about(self) -> list[Opinion]:
        return [self.about_him, self.about_headed, self.about_seated]


def hides(page: str) -> bool:
    return not any(secret in page for secret in (*NAMES, *CONTACTS))


def workbook_rows(response) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


# --- The office and the administrator: they read the opinions, not who gave them -------


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_detail_hides_the_submitter_of_an_opinion_about_the_viewer(world, login, role):
    me = Self(world, role)
    client = login(me.user)
    for opinion in me.about:
        response = client.get(reverse("opinions:opinion_detail", args=[opinion.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert hides(page), opinion.text
        assert "hidden: this opinion is about you or a team you belong to" in page
    page = client.get(reverse("opinions:opinion_detail", args=[me.other.pk])).content.decode()
    assert VISIBLE_NAME in page and VISIBLE_CONTACT in page


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_history_of_an_opinion_about_the_viewer_names_no_one_and_gives_the_day_only(world, login, role):
    me = Self(world, role)
    opinion = services.opinion_create(
        actor=world.users["secretary"],
        campaign=world.campaign,
        kind="opinion",
        text="座谈会上说的",
        channel="forum",
        received_on=world.campaign.starts_on,
        target=Target(member=me.member),
        submitter_name=NAMES[0],
        submitter_contact=CONTACTS[0],
    )
    services.opinion_update(actor=world.users["office"], opinion=opinion, aspect=Aspect.WORK_STYLE)
    response = login(me.user).get(reverse("opinions:opinion_detail", args=[opinion.pk]))
    history = response.context["history"]
    assert [entry.who for entry in history] == ["hidden", "hidden"]
    assert not any(change.new in (NAMES[0], CONTACTS[0]) for entry in history for change in entry.changes)
    page = response.content.decode()
    assert hides(page) and "secretary" not in page
    when = timezone.localtime(history[-1].when)
    assert when.strftime("%Y-%m-%d %H:%M") not in page and when.strftime("%Y-%m-%d") in page


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_export_says_hidden_on_the_rows_about_the_viewer(world, login, role):
    me = Self(world, role)
    rows = workbook_rows(login(me.user).get(reverse("opinions:opinion_export")))
    headers = rows[1]
    name, contact = headers.index("Submitter's name"), headers.index("Submitter's contact")
    by_text = {row[1]: (row[name], row[contact]) for row in rows[2:-1]}
    for opinion in me.about:
        assert by_text[opinion.text] == ("hidden", "hidden")
    assert by_text["关于同事"] == (VISIBLE_NAME, VISIBLE_CONTACT)
    assert not any(secret in str(cell) for row in rows for cell in row for secret in (*NAMES, *CONTACTS))


def test_the_feedback_pages_hide_the_submitters_of_the_viewers_own_list(world, login):
    me = Self(world, "office")
    office = world.users["office"]
    for target, opinion in ((Target(member=me.member), me.about_him), (Target(team=me.headed), me.about_headed)):
        feedback_list = feedback.feedback_list_get_or_create(actor=office, campaign=world.campaign, target=target)
        spare = OpinionFactory(
            target_member=target.member,
            target_team=target.team,
            submitter_name=NAMES[0],
            submitter_contact=CONTACTS[0],
        )
        feedback.feedback_item_create(
            actor=office, feedback_list=feedback_list, text="综合", aspect=Aspect.WORK_STYLE, opinions=[opinion]
        )
        client = login(me.user)
        page = client.get(reverse("opinions:feedback_list", args=[feedback_list.pk])).content.decode()
        assert opinion.text in page and hides(page) and "submitter hidden" in page
        page = client.get(reverse("opinions:feedback_item_create", args=[feedback_list.pk])).content.decode()
        assert spare.text in page and hides(page) and "submitter hidden" in page
    other_list = feedback.feedback_list_get_or_create(
        actor=office, campaign=world.campaign, target=Target(member=me.colleague)
    )
    feedback.feedback_item_create(
        actor=office, feedback_list=other_list, text="综合", aspect=Aspect.WORK_STYLE, opinions=[me.other]
    )
    page = login(me.user).get(reverse("opinions:feedback_list", args=[other_list.pk])).content.decode()
    assert VISIBLE_NAME in page and VISIBLE_CONTACT in page


def test_the_rule_is_one_column_per_row(world):
    me = Self(world, "office")
    user = get_user_model().objects.get(pk=me.user.pk)
    opinions = opinion_selectors.opinions_for(user, campaign=world.campaign)
    shown = dict(opinions.values_list("pk", opinion_selectors.SUBMITTER_SHOWN))
    assert {pk for pk, value in shown.items() if not value} == {opinion.pk for opinion in me.about}
    assert opinion_selectors.submitter_shown(user, Opinion.objects.get(pk=me.other.pk))
    assert not opinion_selectors.submitter_shown(user, Opinion.objects.get(pk=me.about_headed.pk))
    # Not the office: no submitter anywhere, as before.
    secretary = get_user_model().objects.get(pk=world.users["secretary"].pk)
    assert not any(
        opinion_selectors.opinions_for(secretary, campaign=world.campaign).values_list(
            opinion_selectors.SUBMITTER_SHOWN, flat=True
        )
    )


# --- Other staff roles: the raw opinions about them are not theirs to read ------------------


@pytest.mark.parametrize("role", ["secretary", "supervisor"])
def test_other_staff_do_not_reach_opinions_about_a_team_they_head(world, login, role):
    me = Self(world, role)
    client = login(me.user)
    for opinion in me.about:
        assert client.get(reverse("opinions:opinion_detail", args=[opinion.pk])).status_code == 404
    listed = {o.text for o in client.get(reverse("opinions:opinion_list"), {"merged": "all"}).context["page"]}
    assert not listed & {opinion.text for opinion in me.about}
    assert "关于同事" in listed
    rows = workbook_rows(client.get(reverse("opinions:opinion_export")))
    assert "Submitter's name" not in rows[1]
    assert not any(opinion.text in str(cell) for opinion in me.about for row in rows for cell in row)


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_office(world):
    user = world.users["office"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*scoped_admin_permissions())
    return user


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_admin_leaves_out_the_opinions_about_the_user(world, login, staff_office, role):
    me = Self(world, role)
    client = login(me.user)
    changelist = reverse("admin:opinions_opinion_changelist")
    listed = client.get(changelist).context["cl"].result_list
    assert {o.pk for o in listed} & {o.pk for o in me.about} == set()
    assert me.other.pk in {o.pk for o in listed}
    for term in ("举报人", CONTACTS[0]):
        found = client.get(changelist, {"q": term}).context["cl"].result_list
        assert list(found) == []
    assert [o.pk for o in client.get(changelist, {"q": VISIBLE_NAME}).context["cl"].result_list] == [me.other.pk]
    for opinion in me.about:
        history = opinion.history.order_by("history_id").first()
        for url in (
            reverse("admin:opinions_opinion_change", args=[opinion.pk]),
            reverse("admin:opinions_opinion_history", args=[opinion.pk]),
            reverse("admin:opinions_opinion_simple_history", args=[opinion.pk, history.history_id]),
            reverse("admin:opinions_opinion_delete", args=[opinion.pk]),
        ):
            response = client.get(url, follow=True)
            assert hides(response.content.decode()), url
            # "Not found" and back to the list, or (deleting, which the office may not) refused.
            assert response.redirect_chain or response.status_code == 403, url
    page = client.get(reverse("admin:opinions_opinion_change", args=[me.other.pk])).content.decode()
    assert VISIBLE_NAME in page


def test_the_admin_keeps_the_history_of_an_opinion_once_about_the_user(world, login):
    me = Self(world, "admin")
    services.opinion_update(actor=world.users["office"], opinion=me.about_him, target=Target(member=me.colleague))
    client = login(me.user)
    response = client.get(reverse("admin:opinions_opinion_history", args=[me.about_him.pk]), follow=True)
    assert response.redirect_chain and hides(response.content.decode())


# --- Bounded queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["opinions:opinion_list", "opinions:sort", "opinions:opinion_export", "admin:opinions_opinion_changelist"]
)
def test_pages_of_an_office_member_run_the_same_queries_for_5_and_120_opinions(world, login, staff_office, page):
    me = Self(world, "office")
    client = login(me.user)

    def add(count: int) -> None:
        targets = [Target(member=me.member), Target(team=me.headed), Target(member=me.colleague)]
        bulk_opinions(
            world.campaign,
            [(targets[n % 3], {"submitter_name": f"某人{n}", "submitter_contact": "1"}) for n in range(count)],
        )

    params = {"merged": "all"} if page.startswith("opinions") else {}

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(page), params).status_code == 200
        return len(context.captured_queries)

    add(5)
    few = queries()
    add(115)
    assert queries() == few
