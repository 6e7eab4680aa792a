"""The main menu, the breadcrumb and the page title: one structure, by the campaign's stages.

Each group is a stage of the campaign (and the reports at the end); each entry a page
with the predicate that decides, from the user's scope, whether the menu offers it. The
predicates ask ``scope.can`` (the same actions the views ``require``), so a link in the
menu is a page that answers; the template only draws what ``menu_for`` returns.

A stage that lands adds its entries to its group here, one line each; a group with no
entry the user may open is not drawn (meetings, look-back and rectification, until then).

URL names are strings: this module imports no other app (campaign is the ground floor).

Queues show their count beside their entry (待审阅 12), and their group beside its name
the sum of its entries': an app registers how to count a queue with
``register_count(url_name, count)`` (from its rules.py, which its AppConfig imports), and
``menu_for`` asks each count registered for an entry it offers — one query each, and one
to find the campaign, whatever the size of the queues.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import OrgUnit
from campaign.scoping import MEMBER, Scope
from campaign.selectors import current_campaign_for

Predicate = Callable[[Scope], bool]
# How many items wait in a queue for this user in this campaign: one COUNT query, the
# same queryset as the queue's page, so the menu says what the page lists.
QueueCount = Callable[[Scope, Any], int]

QUEUE_COUNTS: dict[str, QueueCount] = {}


def register_count(url_name: str, count: QueueCount) -> None:
    """Show ``count(scope, campaign)`` beside every menu entry for ``url_name`` (the queue's
    page; ``campaign`` is the user's current campaign, or None)."""
    QUEUE_COUNTS[url_name] = count


def can(action: str) -> Predicate:
    return lambda scope: scope.can(action)


def is_member(scope: Scope) -> bool:
    return scope.member is not None


def keeps_talk_register(scope: Scope) -> bool:
    # The staff who keep the talk register: for them the card list is the register.
    return scope.can("talks.progress")


def has_own_talks_only(scope: Scope) -> bool:
    # The same page (talks:card_list) shows a staff member his own talks above the
    # register; only a member without the register needs it under "My talks".
    return scope.member is not None and not keeps_talk_register(scope)


def has_document_queue(scope: Scope) -> bool:
    """Whoever documents are routed to: a supervisor (the municipal team, a county team's
    leader) or a unit's responsible leader, who reviews its ordinary members' documents."""
    if not scope.can("documents.review"):
        return False
    if scope.supervisor is not None:
        return True
    if scope.member is None:
        return False
    # Asked by the menu, the breadcrumb and the title of one page: one query a request
    # (the scope lives as long as the request's user).
    cached = getattr(scope, "_leads_a_unit", None)
    if cached is None:
        cached = OrgUnit.objects.filter(responsible_leader=scope.member).exists()
        scope._leads_a_unit = cached  # type: ignore[attr-defined]
    return cached


def is_django_staff(scope: Scope) -> bool:
    return bool(getattr(scope.user, "is_staff", False))


def own_member_pk(scope: Scope) -> tuple[Any, ...]:
    assert scope.member is not None  # only offered to a member (is_member)
    return (scope.member.pk,)


# The pages reached from the list of meetings: a meeting and its forms.
MEETING_PAGES = (
    "meetings:meeting_detail",
    "meetings:meeting_new",
    "meetings:meeting_reschedule",
    "meetings:meeting_cancel",
    "meetings:meeting_attendees",
    "meetings:meeting_hold",
    "meetings:self_criticism",
    "meetings:criticism_new",
    "meetings:follow_up_note",
)


@dataclass(frozen=True)
class Entry:
    """A page in the menu. ``pages``: the URL names of the pages reached from it (its
    details, forms and exports), which the breadcrumb and the title put under it."""

    url_name: str
    label: str | Promise
    allowed: Predicate
    args: Callable[[Scope], tuple[Any, ...]] | None = None
    pages: tuple[str, ...] = ()

    def href(self, scope: Scope) -> str:
        if self.args is None:
            return _plain_href(self.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        return reverse(self.url_name, args=self.args(scope))


@functools.lru_cache(maxsize=256)
def _plain_href(url_name: str, prefix: str, urlconf: str) -> str:
    """The address of a page without arguments, the same for every request under one
    script prefix and URLconf (both in the key): the menu draws some thirty a page."""
    return reverse(url_name, urlconf=urlconf)


@dataclass(frozen=True)
class Group:
    key: str
    label: str | Promise
    entries: tuple[Entry, ...] = ()
    pages: tuple[str, ...] = ()  # pages of the stage under no one entry (a document's page)


def _group(key: str, label: str | Promise, *entries: Entry, pages: tuple[str, ...] = ()) -> Group:
    return Group(key=key, label=label, entries=entries, pages=pages)


GROUPS: tuple[Group, ...] = (
    _group(
        "organisation",
        pgettext_lazy("menu group", "Organisation"),
        Entry("campaign:unit_list", _("Organisations"), can("org.browse"), pages=("campaign:unit_detail",)),
        Entry("campaign:member_list", _("Members"), can("org.browse")),
        Entry("campaign:team_list", _("Leadership teams"), can("org.browse"), pages=("campaign:team_detail",)),
        Entry(
            "campaign:supervisory_team_list",
            _("Supervisory teams"),
            can("org.browse"),
            pages=("campaign:supervisory_team_detail",),
        ),
        Entry("campaign:org_import", _("Import organisation"), can("org.import")),
        Entry("campaign:member_detail", _("My record"), is_member, args=own_member_pk),
        pages=("campaign:member_detail",),
    ),
    _group(
        "opinions",
        pgettext_lazy("menu group", "Opinions"),
        Entry(
            "opinions:opinion_list",
            _("Opinions"),
            can("opinions.view"),
            pages=(
                "opinions:opinion_detail",
                "opinions:opinion_edit",
                "opinions:opinion_delete",
                "opinions:batch_entry",
                "opinions:sort",
                "opinions:event_list",
                "opinions:event_create",
                "opinions:event_edit",
            ),
        ),
        Entry(
            "opinions:feedback_lists",
            _("Feedback"),
            can("opinions.view"),
            pages=(
                "opinions:feedback_list",
                "opinions:feedback_print",
                "opinions:feedback_targets",
                "opinions:feedback_release",
                "opinions:feedback_item_create",
                "opinions:feedback_item_edit",
                "opinions:feedback_item_delete",
            ),
        ),
        Entry("opinions:import_page", _("Import opinions"), can("opinions.import"), pages=("opinions:import_job",)),
        Entry("opinions:my_feedback", _("My feedback"), is_member),
    ),
    _group(
        "talks",
        pgettext_lazy("menu group", "Talks"),
        Entry(
            "talks:card_list",
            _("Talk cards"),
            keeps_talk_register,
            pages=("talks:card_detail", "talks:card_new", "talks:card_edit", "talks:card_delete", "talks:flagged"),
        ),
        Entry("talks:review_queue", _("Cards to review"), can("talks.review"), pages=("talks:card_review",)),
        Entry("talks:import_page", _("Import talk cards"), can("talks.import"), pages=("talks:register",)),
        Entry("talks:card_list", _("My talks"), has_own_talks_only),
    ),
    _group(
        "documents",
        pgettext_lazy("menu group", "Self-analysis"),
        Entry("reviews:queue", _("To review"), has_document_queue),
        Entry("reviews:my_document", _("My document"), can("documents.write")),
        pages=("reviews:document_detail", "reviews:document_diff"),
    ),
    # The stages to come: their entries go here when they land.
    _group(
        "meetings",
        pgettext_lazy("menu group", "Meetings"),
        Entry("meetings:meeting_list", _("Meetings"), can("meetings.readiness"), pages=MEETING_PAGES),
        Entry("meetings:readiness", _("Readiness of meetings"), can("meetings.readiness")),
        Entry("meetings:meeting_list", _("My meetings"), lambda s: is_member(s) and not s.can("meetings.readiness")),
        Entry("appraisal:vote", _("Appraisal ballot"), can("appraisal.vote")),
        Entry(
            "appraisal:window_list",
            _("Democratic appraisal"),
            can("appraisal.view"),
            pages=("appraisal:window_detail", "appraisal:paper_entry"),
        ),
        Entry("appraisal:results", _("Appraisal results"), can("appraisal.view"), pages=("appraisal:results_export",)),
        Entry("appraisal:flagged", _("Flagged in the appraisal"), can("appraisal.view")),
        Entry("appraisal:settings", _("Appraisal settings"), can("appraisal.settings")),
    ),
    _group(
        "lookback",
        pgettext_lazy("menu group", "Look-back and rectification"),
        Entry(
            "lookback:training",
            _("Training of branch secretaries"),
            can("lookback.view"),
            pages=(
                "lookback:session_new",
                "lookback:session_detail",
                "lookback:secretary_appoint",
                "lookback:attendance_import",
                "lookback:training_export",
            ),
        ),
        Entry(
            "lookback:check_list",
            _("Look-back checks"),
            can("lookback.view"),
            pages=(
                "lookback:check_detail",
                "lookback:check_self",
                "lookback:check_verdict",
                "lookback:evidence_upload",
                "lookback:checks_import",
                "lookback:check_list_export",
            ),
        ),
        Entry(
            "lookback:order_list",
            _("Remedial orders"),
            can("lookback.view"),
            pages=("lookback:order_detail", "lookback:order_new"),
        ),
        Entry("lookback:settings", _("Look-back settings"), can("lookback.settings")),
        Entry(
            "rectification:problem_list",
            _("Problem list"),
            can("rectification.menu"),
            pages=(
                "rectification:problem_detail",
                "rectification:problem_new",
                "rectification:problem_from_opinions",
                "rectification:problem_edit",
                "rectification:problem_hand_over",
                "rectification:problem_return",
                "rectification:problem_solve",
            ),
        ),
        Entry(
            "rectification:result_list",
            _("Practical results"),
            can("rectification.results_view"),
            pages=("rectification:result_new", "rectification:result_detail", "rectification:results_import"),
        ),
    ),
    _group(
        "reports",
        pgettext_lazy("menu group", "Reports"),
        Entry(
            "reports:general_ledger",
            _("Ledgers"),
            can("ledgers.view"),
            pages=("reports:unit_ledger", "reports:member_ledger", "reports:export_job"),
        ),
        Entry(
            "reports:documents_progress",
            _("Document progress"),
            can("documents.progress"),
            pages=("reports:documents_unit",),
        ),
        Entry(
            "reports:talks_county",
            _("Talk progress"),
            can("talks.progress"),
            pages=("reports:talks_unit", "reports:talks_member", "reports:talks_review", "talks:plan"),
        ),
        Entry("reports:meetings_progress", _("Meeting figures"), can("meetings.progress")),
        Entry("reports:lookback_progress", _("Look-back figures"), can("lookback.progress")),
        Entry(
            "reports:dashboard",
            _("Dashboard"),
            can("dashboards.view"),
            pages=("reports:dashboard_unit", "reports:dashboard_team"),
        ),
        Entry(
            "reports:stage_report",
            _("Stage summary report"),
            can("stage_report.view"),
            pages=("reports:stage_report_stage", "reports:stage_report_edit"),
        ),
    ),
)

# Outside the stages, after them: Django's admin site, for its staff.
TAIL: tuple[Entry, ...] = (Entry("admin:index", _("Admin"), is_django_staff),)


@dataclass
class Link:
    label: str | Promise
    href: str
    current: bool = False
    count: int | None = None  # items waiting, for a queue's entry (``register_count``)


@dataclass
class MenuGroup:
    key: str
    label: str | Promise
    links: list[Link] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)

    @property
    def count(self) -> int:
        """What waits in the group's queues, shown on its button while it is closed."""
        return sum(link.count or 0 for link in self.links)


@dataclass
class Menu:
    groups: list[MenuGroup]
    tail: list[Link]
    flat: bool  # a member without a staff role: his or her few entries, no groups

    @property
    def links(self) -> list[Link]:
        return [link for group in self.groups for link in group.links]


@dataclass(frozen=True)
class Place:
    """Where a page lies in the menu: its group, and the entry when it is the entry's
    own page (None for a page reached from an entry: a detail, a form)."""

    group: Group
    entry: Entry | None


def _current(entry: Entry, scope: Scope, view_name: str | None, path: str | None) -> bool:
    # Two entries may share a page (talks:card_list): the current one is the one offered;
    # an entry with arguments (My record) is current on its own object's page only.
    if view_name != entry.url_name or not entry.allowed(scope):
        return False
    return entry.args is None or path == entry.href(scope)


class _Counts:
    """The queue counts of one menu: the campaign found once, each queue counted once."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.done: dict[str, int] = {}

    @functools.cached_property
    def campaign(self) -> Any:
        return current_campaign_for(self.scope.user)

    def __call__(self, url_name: str) -> int | None:
        count = QUEUE_COUNTS.get(url_name)
        if count is None:
            return None
        if url_name not in self.done:
            self.done[url_name] = count(self.scope, self.campaign)
        return self.done[url_name]


def _link(entry: Entry, scope: Scope, view_name: str | None, path: str | None, counts: _Counts) -> Link:
    return Link(entry.label, entry.href(scope), _current(entry, scope, view_name, path), counts(entry.url_name))


def menu_for(scope: Scope, view_name: str | None = None, path: str | None = None) -> Menu:
    """The groups and entries this user may open, with their queues' counts; groups with
    none are left out."""
    counts = _Counts(scope)
    groups = []
    for group in GROUPS:
        links = [_link(entry, scope, view_name, path, counts) for entry in group.entries if entry.allowed(scope)]
        if links:
            groups.append(MenuGroup(group.key, group.label, links))
    tail = [_link(entry, scope, view_name, path, counts) for entry in TAIL if entry.allowed(scope)]
    return Menu(groups=groups, tail=tail, flat=bool(scope.roles) and scope.roles <= {MEMBER})


def place_of(scope: Scope, view_name: str | None, path: str | None = None) -> Place | None:
    """The group (and entry) a page belongs to, by its URL name; None outside the menu."""
    if not view_name:
        return None
    for group in GROUPS:
        for entry in group.entries:
            if _current(entry, scope, view_name, path):
                return Place(group, entry)
    for group in GROUPS:
        if view_name in group.pages or any(view_name in e.pages or view_name == e.url_name for e in group.entries):
            return Place(group, None)
    return None
