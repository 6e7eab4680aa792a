"""The "three no-convenings" (三个不召开), computed, never ticked by hand.

For each attendee of a meeting, and for the team of a democratic life meeting:
1. opinions were solicited and fed back: his or her feedback list (the team's) was
   released and signed;
2. the talks are done: his or her talks meet quota and every required pair he or she is
   part of has talked (for the team: every two of its members and head);
3. the self-analysis document is approved (attendees only).

Asked of the other stages through their selectors only, for any number of meetings at
once in a fixed number of queries: the attendees (``attendees_of``), then one question
to each stage about all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.models import Campaign, LeadershipTeam, Member
from meetings.models import AttendeeChange, Condition, Meeting
from opinions import feedback_selectors
from reviews import selectors as review_selectors
from reviews.models import DocumentState
from talks import selectors as talk_selectors

# ``Condition`` (the three) lives with the models, which store the open ones per meeting.
CONDITIONS: tuple[str, ...] = tuple(Condition.values)


@dataclass(frozen=True)
class Missing:
    """Exactly what is missing, and where to supply it (a page of another stage)."""

    text: str
    url: str = ""


@dataclass
class Cell:
    condition: str
    applies: bool = True
    missing: list[Missing] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.applies or not self.missing


@dataclass
class GateRow:
    """One attendee (``member``) or the team as a whole (``team``)."""

    member: Member | None
    team: LeadershipTeam | None
    cells: dict[str, Cell]

    @property
    def name(self) -> str:
        return self.member.name if self.member is not None else self.team.name if self.team is not None else ""

    @property
    def met(self) -> bool:
        return all(cell.met for cell in self.cells.values())

    def ordered_cells(self) -> list[Cell]:
        return [self.cells[condition] for condition in CONDITIONS]


@dataclass
class Gate:
    meeting_id: int
    rows: list[GateRow]

    @property
    def ready(self) -> bool:
        return all(row.met for row in self.rows)

    def open_conditions(self) -> dict[str, int]:
        """Condition → how many rows (attendees or the team) do not meet it yet."""
        counts = dict.fromkeys(CONDITIONS, 0)
        for row in self.rows:
            for condition, cell in row.cells.items():
                if not cell.met:
                    counts[condition] += 1
        return counts

    def missing_count(self) -> int:
        return sum(self.open_conditions().values())


# --- Attendees -------------------------------------------------------------------------


def attendees_of(meetings: Sequence[Meeting]) -> dict[int, list[Member]]:
    """Meeting id → its attendees (the team's members and head, or the branch's
    members; plus those added, less those removed), sorted by name. Four queries for
    any number of meetings."""
    team_ids = {m.team_id for m in meetings if m.team_id}
    branch_ids = {m.branch_id for m in meetings if m.branch_id}
    by_team: dict[int, set[int]] = defaultdict(set)
    by_branch: dict[int, set[int]] = defaultdict(set)
    if team_ids:
        through = LeadershipTeam.members.through
        for team_id, member_id in through.objects.filter(leadershipteam_id__in=team_ids).values_list(
            "leadershipteam_id", "member_id"
        ):
            by_team[team_id].add(member_id)
        for team_id, head_id in LeadershipTeam.objects.filter(pk__in=team_ids, head__isnull=False).values_list(
            "pk", "head_id"
        ):
            by_team[team_id].add(head_id)
    if branch_ids:
        for branch_id, member_id in Member.objects.filter(branch_id__in=branch_ids).values_list("branch_id", "pk"):
            by_branch[branch_id].add(member_id)
    ids: dict[int, set[int]] = {}
    for meeting in meetings:
        derived = by_team[meeting.team_id] if meeting.team_id else by_branch[meeting.branch_id]
        ids[meeting.pk] = set(derived)
    for meeting_id, member_id, kind in AttendeeChange.objects.filter(meeting__in=[m.pk for m in meetings]).values_list(
        "meeting_id", "member_id", "kind"
    ):
        if kind == AttendeeChange.Kind.ADD:
            ids[meeting_id].add(member_id)
        else:
            ids[meeting_id].discard(member_id)
    everyone = {pk for members in ids.values() for pk in members}
    people = Member.objects.filter(pk__in=everyone).select_related("unit", "branch").in_bulk() if everyone else {}
    return {
        meeting_id: sorted((people[pk] for pk in members if pk in people), key=lambda m: (m.name, m.pk))
        for meeting_id, members in ids.items()
    }


def team_seats(team_ids: Iterable[int]) -> dict[int, set[int]]:
    """Team id → its members and head: whose pairs are the team's required pairs."""
    ids = set(team_ids)
    seats: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return seats
    through = LeadershipTeam.members.through
    for team_id, member_id in through.objects.filter(leadershipteam_id__in=ids).values_list(
        "leadershipteam_id", "member_id"
    ):
        seats[team_id].add(member_id)
    for team_id, head_id in LeadershipTeam.objects.filter(pk__in=ids, head__isnull=False).values_list("pk", "head_id"):
        seats[team_id].add(head_id)
    return seats


# --- The gate ------------------------------------------------------------------------------


class _Links:
    """The pages where what is missing is supplied; none for a member, who opens only
    his or her own records."""

    # A readiness page at ten times the demo county asks for ~45,000 links: each URL is
    # reversed once, with this stand-in for the id, and the id put in its place.
    _ID = 987654321987

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._urls: dict[str, str] = {}

    def page(self, name: str) -> str:
        """The address of a page with no id."""
        if not self.enabled:
            return ""
        if name not in self._urls:
            self._urls[name] = reverse(name)
        return self._urls[name]

    def __call__(self, name: str, pk: int | None) -> str:
        if not self.enabled or pk is None:
            return ""
        key = f"{name}#"
        if key not in self._urls:
            self._urls[key] = reverse(name, args=[self._ID])
        return self._urls[key].replace(str(self._ID), str(int(pk)))


def _opinions_cell(name: str, standing: feedback_selectors.FeedbackStanding, link: _Links) -> Cell:
    cell = Cell(Condition.OPINIONS)
    if standing.signed:
        return cell
    if standing.list_id is None:
        if standing.opinions == 0:
            text = _("No opinion about %(name)s has been solicited yet.") % {"name": name}
        else:
            text = _("The feedback list for %(name)s has not been started.") % {"name": name}
        cell.missing.append(Missing(text, link.page("opinions:feedback_targets")))
    elif standing.status == feedback_selectors.Status.DRAFT:
        cell.missing.append(
            Missing(
                _("The feedback list for %(name)s is still being written.") % {"name": name},
                link("opinions:feedback_list", standing.list_id),
            )
        )
    else:
        cell.missing.append(
            Missing(
                _("The feedback list for %(name)s was released but is not signed.") % {"name": name},
                link("opinions:feedback_list", standing.list_id),
            )
        )
    return cell


def _talks_cell(
    member: Member,
    standing: talk_selectors.TalkStanding | None,
    names: dict[int, str],
    link: _Links,
) -> Cell:
    cell = Cell(Condition.TALKS)
    if standing is None:
        return cell
    url = link("reports:talks_member", member.pk)
    if not standing.meets_quota:
        cell.missing.append(
            Missing(
                _("%(name)s has held %(held)d of %(quota)d talks.")
                % {"name": member.name, "held": standing.held, "quota": standing.quota},
                url,
            )
        )
    for partner in standing.missing_partners:
        cell.missing.append(
            Missing(
                _("%(name)s has not yet talked with %(other)s.")
                % {"name": member.name, "other": names.get(partner, f"#{partner}")},
                url,
            )
        )
    return cell


def _document_cell(member: Member, document: tuple[int, str] | None, link: _Links) -> Cell:
    cell = Cell(Condition.DOCUMENT)
    if document is None:
        cell.missing.append(Missing(_("%(name)s has not written a self-analysis document.") % {"name": member.name}))
        return cell
    pk, state = document
    if state == DocumentState.APPROVED:
        return cell
    texts = {
        DocumentState.DRAFT: _("The self-analysis of %(name)s is a draft, not submitted."),
        DocumentState.SUBMITTED: _("The self-analysis of %(name)s awaits its review."),
        DocumentState.RESUBMITTED: _("The self-analysis of %(name)s awaits its review."),
        DocumentState.RETURNED: _("The self-analysis of %(name)s was returned for revision."),
    }
    cell.missing.append(
        Missing(texts[DocumentState(state)] % {"name": member.name}, link("reviews:document_detail", pk))
    )
    return cell


def evaluate(
    campaign: Campaign,
    meetings: Sequence[Meeting],
    *,
    attendees: dict[int, list[Member]] | None = None,
    links: bool = True,
) -> dict[int, Gate]:
    """Meeting id → its gate, for meetings of one campaign (with ``team`` loaded). A
    fixed number of queries whatever the number of meetings and attendees."""
    if not meetings:
        return {}
    attendees = attendees_of(meetings) if attendees is None else attendees
    member_ids = {m.pk for members in attendees.values() for m in members}
    team_ids = {m.team_id for m in meetings if m.team_id}
    seats = team_seats(team_ids)
    seat_ids = {pk for members in seats.values() for pk in members}
    feedback = feedback_selectors.feedback_standing(campaign, member_ids=sorted(member_ids), team_ids=sorted(team_ids))
    talks = talk_selectors.talk_standing(campaign, member_ids | seat_ids)
    documents = review_selectors.document_states(campaign, member_ids)
    partner_ids = {p for standing in talks.values() for p in standing.missing_partners} | seat_ids
    names = dict(Member.objects.filter(pk__in=partner_ids).values_list("pk", "name")) if partner_ids else {}
    link = _Links(links)
    gates = {}
    for meeting in meetings:
        rows = []
        if meeting.team_id:
            rows.append(_team_row(meeting, seats.get(meeting.team_id, set()), feedback, talks, names, link))
        rows.extend(
            GateRow(
                member=member,
                team=None,
                cells={
                    Condition.OPINIONS: _opinions_cell(
                        member.name, feedback[(feedback_selectors.MEMBER_TARGET, member.pk)], link
                    ),
                    Condition.TALKS: _talks_cell(member, talks.get(member.pk), names, link),
                    Condition.DOCUMENT: _document_cell(member, documents.get(member.pk), link),
                },
            )
            for member in attendees.get(meeting.pk, [])
        )
        gates[meeting.pk] = Gate(meeting_id=meeting.pk, rows=rows)
    return gates


def _team_row(
    meeting: Meeting,
    seats: set[int],
    feedback: dict[tuple[str, int], feedback_selectors.FeedbackStanding],
    talks: dict[int, talk_selectors.TalkStanding],
    names: dict[int, str],
    link: _Links,
) -> GateRow:
    team = meeting.team
    opinions = _opinions_cell(team.name, feedback[(feedback_selectors.TEAM_TARGET, team.pk)], link)
    pairs = Cell(Condition.TALKS)
    for low, high in combinations(sorted(seats), 2):
        standing = talks.get(low)
        if standing is not None and high in standing.missing_partners:
            pairs.missing.append(
                Missing(
                    _("%(name)s has not yet talked with %(other)s.")
                    % {"name": names.get(low, ""), "other": names.get(high, "")},
                    link("reports:talks_member", low),
                )
            )
    return GateRow(
        member=None,
        team=team,
        cells={
            Condition.OPINIONS: opinions,
            Condition.TALKS: pairs,
            Condition.DOCUMENT: Cell(Condition.DOCUMENT, applies=False),
        },
    )


def gate_for(meeting: Meeting, *, links: bool = True) -> Gate:
    return evaluate(meeting.campaign, [meeting], links=links)[meeting.pk]
