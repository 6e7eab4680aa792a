"""The main menu, by the campaign's stages: each role sees the groups and entries its
scope allows (and nothing else), every entry answers, a member sees his or her own few
entries; the breadcrumb and the title name the same group."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from campaign import navigation
from campaign.scoping import scope_for
from tests.conftest import World

pytestmark = pytest.mark.django_db

ORG_LISTS = ["Organisations", "Members", "Leadership teams", "Supervisory teams"]
REPORTS = ["Ledgers", "Document progress", "Talk progress", "Meeting figures", "Look-back figures", "Dashboard"]
LOOKBACK = ["Training of branch secretaries", "Look-back checks", "Remedial orders"]
RECTIFICATION = ["Problem list", "Practical results"]
# The stage summary report states the county's figures: the office's and the administrator's.
OFFICE_REPORTS = [*REPORTS, "Stage summary report"]
MEETINGS = ["Meetings", "Readiness of meetings"]
APPRAISAL = ["Democratic appraisal", "Appraisal results", "Flagged in the appraisal"]

# What each role of the `world` finds in the menu: group → entries, in order.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "admin": {
        "Organisation": [*ORG_LISTS, "Import organisation"],
        "Opinions": ["Opinions", "Feedback", "Import opinions"],
        "Talks": ["Talk cards", "Import talk cards"],
        "Meetings": [*MEETINGS, *APPRAISAL, "Appraisal settings"],
        "Look-back and rectification": [*LOOKBACK, "Look-back settings", *RECTIFICATION],
        "Reports": OFFICE_REPORTS,
    },
    "office": {
        "Organisation": [*ORG_LISTS, "Import organisation"],
        "Opinions": ["Opinions", "Feedback", "Import opinions"],
        "Talks": ["Talk cards", "Import talk cards"],
        "Meetings": [*MEETINGS, *APPRAISAL, "Appraisal settings"],
        "Look-back and rectification": [*LOOKBACK, "Look-back settings", *RECTIFICATION],
        "Reports": OFFICE_REPORTS,
    },
    "supervisor": {
        "Organisation": ORG_LISTS,
        "Opinions": ["Opinions", "Feedback"],
        "Talks": ["Talk cards", "Cards to review"],
        "Self-analysis": ["To review"],
        "Meetings": [*MEETINGS, *APPRAISAL],
        "Look-back and rectification": [*LOOKBACK, *RECTIFICATION],
        "Reports": REPORTS,
    },
    "secretary": {
        "Organisation": ORG_LISTS,
        "Opinions": ["Opinions", "Feedback"],
        "Talks": ["Talk cards", "Import talk cards"],
        "Meetings": [*MEETINGS, *APPRAISAL],
        "Look-back and rectification": [*LOOKBACK, *RECTIFICATION],
        "Reports": REPORTS,
    },
}
MEMBER_ENTRIES = ["My record", "My feedback", "My talks", "My document", "My meetings", "Appraisal ballot"]


def menu_of(client) -> navigation.Menu:
    response = client.get(reverse("campaign:home"))
    assert response.status_code == 200
    return response.context["nav_menu"]


def shown(menu: navigation.Menu) -> dict[str, list[str]]:
    return {str(group.label): [str(link.label) for link in group.links] for group in menu.groups}


def allowed_by_scope(user) -> dict[str, list[str]]:
    """The menu as the structure and the scope decide it, without the template."""
    scope = scope_for(user)
    result = {}
    for group in navigation.GROUPS:
        entries = [str(entry.label) for entry in group.entries if entry.allowed(scope)]
        if entries:
            result[str(group.label)] = entries
    return result


def nav_html(client, url: str) -> str:
    content = client.get(url).content.decode()
    return re.search(r'<nav class="mainnav".*?</nav>', content, re.S).group(0)


@pytest.mark.parametrize("role", ["admin", "office", "supervisor", "secretary"])
def test_staff_see_the_groups_their_scope_allows(world: World, login, role):
    client = login(world.users[role])
    menu = menu_of(client)
    assert not menu.flat
    assert shown(menu) == EXPECTED[role]
    assert shown(menu) == allowed_by_scope(world.users[role])
    assert [str(link.label) for link in menu.tail] == (["Admin"] if role == "admin" else [])


@pytest.mark.parametrize("role", ["admin", "office", "supervisor", "secretary", "member"])
def test_every_entry_answers_for_its_user(world: World, login, role):
    client = login(world.users[role])
    menu = menu_of(client)
    links = [*menu.links, *menu.tail]
    assert links
    html = nav_html(client, reverse("campaign:home"))
    for link in links:
        assert f'href="{link.href}"' in html, link.label
        response = client.get(link.href)
        assert response.status_code == 200, (role, str(link.label), link.href, response.status_code)


def test_member_sees_a_flat_list_of_his_own_entries(world: World, login):
    client = login(world.users["member"])
    menu = menu_of(client)
    assert menu.flat
    assert [str(link.label) for link in menu.links] == MEMBER_ENTRIES
    assert menu.tail == []
    my_record = next(link for link in menu.links if str(link.label) == "My record")
    assert my_record.href == reverse("campaign:member_detail", args=[world.member.pk])
    html = nav_html(client, reverse("campaign:home"))
    assert "navtoggle" not in html
    assert len(re.findall(r"<a ", html)) == len(MEMBER_ENTRIES)


def test_a_responsible_leader_finds_the_documents_to_review(world: World, login):
    world.unit.responsible_leader = world.member
    world.unit.save()
    client = login(world.users["member"])
    labels = [str(link.label) for link in menu_of(client).links]
    assert labels == [
        "My record",
        "My feedback",
        "My talks",
        "To review",
        "My document",
        "My meetings",
        "Appraisal ballot",
    ]
    assert client.get(reverse("reviews:queue")).status_code == 200


def test_a_staff_member_finds_his_own_entries_in_their_stages(world: World, login):
    """A secretary who is also a member: the groups, with his own entries in them."""
    world.other_member.user = world.users["secretary"]
    world.other_member.save()
    menu = menu_of(login(world.users["secretary"]))
    assert not menu.flat
    groups = shown(menu)
    assert groups["Organisation"] == [*ORG_LISTS, "My record"]
    assert groups["Opinions"] == ["Opinions", "Feedback", "My feedback"]
    # The card list is the register for him, and lists his own talks on top.
    assert groups["Talks"] == ["Talk cards", "Import talk cards"]
    assert groups["Self-analysis"] == ["My document"]


def test_the_current_page_is_marked_in_the_menu(world: World, login):
    client = login(world.users["office"])
    html = nav_html(client, reverse("campaign:team_list"))
    assert re.search(r'<li class="navgroup current">\s*<button[^>]*aria-controls="nav-organisation"', html)
    assert html.count('aria-current="page"') == 1
    assert f'<a href="{reverse("campaign:team_list")}" aria-current="page">' in html
    # Each button controls its list.
    for key in re.findall(r'aria-controls="([^"]+)"', html):
        assert f'id="{key}"' in html
    assert 'aria-expanded="false"' in html


def test_breadcrumb_and_title_name_the_group(world: World, login):
    client = login(world.users["office"])
    content = client.get(reverse("campaign:supervisory_team_list")).content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', content, re.S).group(0)
    assert re.sub(r"<[^>]+>|\s+", "", crumbs) == "Home›Organisation›Supervisoryteams"
    assert "<title>Supervisory teams · Organisation · Canvass</title>" in content

    # A page reached from an entry: the group, then its own trail.
    content = client.get(reverse("reports:unit_ledger", args=[world.unit.pk])).content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', content, re.S).group(0)
    assert re.sub(r"<[^>]+>|\s+", "", crumbs).startswith("Home›Reports›Ledgers›")
    assert re.search(r"<title>[^<]* · Reports · Canvass</title>", content)

    # Outside the menu: the home page.
    content = client.get(reverse("campaign:home")).content.decode()
    assert re.search(r"<title>Home · Canvass</title>", content)


def test_the_members_own_record_is_his_entry_page(world: World, login):
    client = login(world.users["member"])
    content = client.get(reverse("campaign:member_detail", args=[world.member.pk])).content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', content, re.S).group(0)
    assert re.sub(r"<[^>]+>|\s+", "", crumbs) == "Home›Organisation›Myrecord"


def test_every_page_name_in_the_structure_resolves():
    names = {entry.url_name for group in navigation.GROUPS for entry in group.entries}
    names |= {page for group in navigation.GROUPS for entry in group.entries for page in entry.pages}
    names |= {page for group in navigation.GROUPS for page in group.pages}
    from django.urls import get_resolver

    known = set()
    resolver = get_resolver()
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        known |= {f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)}
    assert names <= known, names - known


@pytest.mark.parametrize("role", ["anonymous"])
def test_no_menu_without_a_login(world: World, client, role):
    response = client.get(reverse("public:index"))
    assert "mainnav" not in response.content.decode()


# --- The frame's parts kept per process (campaign/templatetags/chrome.py) -----------------


def test_a_kept_menu_follows_a_count_a_role_and_the_current_page(world: World, login, monkeypatch):
    """The menu is copied only under a key of everything it shows: a queue's count that
    changes, a role withdrawn and another page each give a new menu at once."""
    waiting = {"n": 3}
    monkeypatch.setitem(navigation.QUEUE_COUNTS, "opinions:opinion_list", lambda scope, campaign: waiting["n"])
    client = login(world.users["office"])
    home = nav_html(client, reverse("campaign:home"))
    assert '<span class="navcount" title="3 waiting">3</span>' in home
    assert nav_html(client, reverse("campaign:home")) == home  # the same menu, the same copy
    waiting["n"] = 5
    again = nav_html(client, reverse("campaign:home"))
    assert '<span class="navcount" title="5 waiting">5</span>' in again
    assert 'title="3 waiting"' not in again
    teams = nav_html(client, reverse("campaign:team_list"))
    assert 'aria-current="page"' in teams and teams != again
    world.users["office"].roles.all().delete()
    assert "Import opinions" not in client.get(reverse("campaign:home")).content.decode()


def test_the_kept_language_switch_carries_each_requests_own_token(world: World, login):
    from django.test import Client

    pages = []
    for _n in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.users["office"], backend="django.contrib.auth.backends.ModelBackend")
        content = client.get(reverse("campaign:home")).content.decode()
        form = re.search(r'<form class="lang inline".*?</form>', content, re.S).group(0)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        assert "csrf-" not in form
        pages.append((client, form, token))
    (first, form_1, token_1), (_second, form_2, token_2) = pages
    assert token_1 != token_2
    assert form_1.replace(token_1, "") == form_2.replace(token_2, "")
    # The token works: the switch changes the language.
    posted = {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": token_1}
    response = first.post(reverse("account_language"), posted)
    assert response.status_code == 302
