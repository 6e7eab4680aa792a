"""The demo county's meetings (issue 12, item 8): a step for ``seed_demo``.

After the opinions, talks and documents, a meeting is planned for every leadership team
(its democratic life meeting) and every branch (its special organisational life
meeting) outside the units that fell behind (``DemoCounty.lagging_units``: they have
not planned theirs yet), on a day of the meetings step. Which of them may be held is
not decided here: ``meetings.gate`` is asked, once, for all of them, and

- every meeting whose three no-convenings are met is held on its day: the Standing
  Committee's with every member present, the municipal supervisory team present and a
  criticism from every member to every other; the others with most attendees present
  (someone absent has a reason), a supervisor of their unit at some of them, a
  self-criticism from each attendee present resting on his or her approved document,
  and criticisms between attendees;
- the few whose gate is not met stay planned, blocked, the gate saying why: the gaps
  the other stages left on purpose outside the units behind
  (``DemoCounty.showcase_gaps``: a feedback list released but not signed, a required
  pair not talked, a document returned);
- one branch of a unit behind is held all the same, the county office overriding the
  gate with its written reason.

A second step, the democratic appraisal: every branch whose meeting was held voted in
its window during the appraisal step, and the window is closed; a few members were rated
low by their branch and are flagged.

Rows are bulk-created with their history rows rather than through
``meetings.services`` one at a time (a lock, the gate and an announcement per write,
minutes for the county); what the services guarantee holds by construction: the state
follows the gate, a held meeting has its date and one attendance row per attendee, an
absence has its reason, the supervisors present are among those expected, criticisms and
self-criticisms come from attendees present. ``tests/demo/test_meetings.py`` checks it.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from itertools import permutations

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign import demo
from campaign.events import announce_change
from campaign.models import LeadershipTeam, Member, OrgUnit, OrgUnitKind, Step, StepKind, SupervisoryLevel, TeamKind
from meetings import gate as gates
from meetings.appraisal.models import (
    AppraisalWindow,
    Ballot,
    MemberMark,
    MemberRating,
    TeamMark,
    TeamRating,
    VoterRecord,
    WindowState,
)
from meetings.appraisal.selectors import Rules, member_tallies, settings_for
from meetings.appraisal.services import SOURCE as APPRAISAL_SOURCE
from meetings.models import Attendance, Criticism, Meeting, MeetingKind, MeetingState, SelfCriticism
from meetings.services import SOURCE, expected_supervisors, record_open_conditions
from opinions.feedback_selectors import ASPECTS
from reviews import selectors as review_selectors
from reviews.models import DocumentState

ABSENT_SHARE = 0.04  # of attendees at a held meeting other than the Standing Committee's
SUPERVISED_BRANCH_SHARE = 0.4  # branch meetings a supervisor of the unit attended

TEAM_PLACES = ("县委常委会议室", "县委第一会议室", "县政府常务会议室", "单位会议室")
BRANCH_PLACES = ("党员活动室", "单位会议室", "支部活动室", "村（社区）党员活动室")
ABSENCE_REASONS = ("因病住院", "外出参加上级培训", "因公出差", "家中有急事请假", "产假")
SELF_SUMMARIES = (
    "对照党章和“八个方面”的要求，结合征求到的意见，逐条查摆了理论学习、宗旨意识和工作作风方面的问题，剖析了思想根源，提出了整改措施。",
    "围绕党性分析材料，重点查摆了深入基层不够、工作标准不高的问题，表示在整改中带头改、马上改。",
    "结合谈心谈话中同志们提出的意见，深刻剖析了学习不够系统、批评与自我批评开展不够的原因，明确了努力方向。",
    "实事求是地查摆了执行制度不严、服务群众不够主动的问题，态度诚恳，剖析深刻。",
)
CRITICISMS = {
    ASPECTS.IDEALS: ("理论学习满足于读文件、听报告，联系思想实际不够。", "政治理论学习的系统性不强。"),
    ASPECTS.PURPOSE: ("下基层调研次数偏少，对群众反映的问题跟踪不够。", "为群众办事有时不够耐心细致。"),
    ASPECTS.DISCIPLINE: ("执行请示报告制度有时不够及时。", "对分管领域的苗头性问题提醒不够。"),
    ASPECTS.IDEOLOGY: ("开展批评碍于情面，说好话多、提意见少。", "解放思想不够，工作上有等靠思想。"),
    ASPECTS.WORK_STYLE: ("工作布置多、检查落实少。", "有时方法简单，与同志交心谈心不够。"),
}
MINUTES = (
    "会议由{chair}主持。{supervision}会前广泛征求了意见，开展了谈心谈话，撰写了党性分析材料。"
    "会上，{chair}代表班子作对照检查，班子成员逐一作自我批评，相互开展批评，"
    "大家本着对同志、对组织负责的态度，开诚布公，达到了统一思想、增进团结的目的。"
)
BRANCH_MINUTES = (
    "会议由{chair}主持。{supervision}全体参会党员逐一对照党章和先进性具体要求，"
    "联系党性分析材料作自我批评，党员之间互相提出批评意见，会议氛围严肃认真。"
)
OVERRIDE_REASON = (
    "该支部多数党员常年在外务工，经县先进性教育办研究并报县委同意，"
    "利用春节后集中返乡的时间如期召开专题组织生活会；未签收反馈意见、未完成谈话和材料的党员会后限期补齐，"
    "由督导组跟踪落实。"
)


def _meetings_step(county: demo.DemoCounty) -> Step:
    return Step.objects.get(stage__campaign=county.campaign, stage__is_current=True, kind=StepKind.MEETINGS)


def _plan(county: demo.DemoCounty, rng: random.Random, days: list[datetime.date]) -> OrgUnit:
    """A planned meeting for every team and every branch outside the units that fell
    behind, and for one branch of theirs (returned: it is held with the gate
    overridden); the teams' first, from the Standing Committee's on the step's first day."""
    campaign = county.campaign
    first_member: dict[int, int] = {}
    for branch_id, pk in Member.objects.filter(campaign=campaign).order_by("pk").values_list("branch_id", "pk"):
        first_member.setdefault(branch_id, pk)
    lagging = county.lagging_units
    branches = list(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).order_by("code"))
    # Of the units behind, one branch only, to be held with the gate overridden.
    overridden = rng.choice([branch for branch in branches if branch.parent_id in lagging])
    meetings = []
    teams = LeadershipTeam.objects.filter(campaign=campaign).exclude(unit__in=lagging).order_by("pk")
    for team in teams:
        standing = team.kind == TeamKind.STANDING_COMMITTEE
        meetings.append(
            Meeting(
                campaign=campaign,
                kind=MeetingKind.DEMOCRATIC_LIFE,
                team=team,
                unit_id=team.unit_id,
                planned_on=days[0] if standing else rng.choice(days[:-2]),
                place=TEAM_PLACES[0] if standing else rng.choice(TEAM_PLACES[1:]),
                chair_id=team.head_id,
            )
        )
    meetings.extend(
        Meeting(
            campaign=campaign,
            kind=MeetingKind.ORGANISATIONAL_LIFE,
            branch=branch,
            unit=branch,
            planned_on=rng.choice(days[2:]),
            place=rng.choice(BRANCH_PLACES),
            chair_id=first_member.get(branch.pk),
        )
        for branch in branches
        if branch.parent_id not in lagging or branch is overridden
    )
    bulk_create_with_history(meetings, Meeting, default_change_reason=demo.CHANGE_REASON, batch_size=500)
    return overridden


def _criticism(rng: random.Random, meeting: Meeting, low: int, high: int) -> Criticism:
    aspect = rng.choice(list(CRITICISMS))
    return Criticism(
        meeting=meeting, from_member_id=low, to_member_id=high, content=rng.choice(CRITICISMS[aspect]), aspect=aspect
    )


def build_meetings(county: demo.DemoCounty) -> demo.Totals:
    rng = county.rng("meetings")
    campaign = county.campaign
    step = _meetings_step(county)
    days = [step.starts_on + datetime.timedelta(days=n) for n in range((step.ends_on - step.starts_on).days + 1)]
    overridden_branch = _plan(county, rng, days)
    meetings = list(
        Meeting.objects.filter(campaign=campaign).select_related("team", "branch", "unit", "chair").order_by("pk")
    )
    attendees = gates.attendees_of(meetings)
    verdicts = gates.evaluate(campaign, meetings, attendees=attendees, links=False)
    standing = next(m for m in meetings if m.team_id and m.team.kind == TeamKind.STANDING_COMMITTEE)
    if not verdicts[standing.pk].ready:
        raise RuntimeError("The demo's Standing Committee does not meet the three no-convenings.")
    overridden = next(m for m in meetings if m.branch_id == overridden_branch.pk)
    if verdicts[overridden.pk].ready:
        raise RuntimeError("The demo's overridden meeting meets the three no-convenings: nothing to override.")
    held = [m for m in meetings if verdicts[m.pk].ready or m is overridden]

    member_ids = {member.pk for meeting in held for member in attendees[meeting.pk]}
    documents = review_selectors.document_states(campaign, member_ids)
    aspects = list(CRITICISMS)
    attendance: list[Attendance] = []
    self_criticisms: list[SelfCriticism] = []
    criticisms: list[Criticism] = []
    through = Meeting.supervisors_present.through
    present_supervisors = []
    for meeting in held:
        is_standing = meeting is standing
        members = attendees[meeting.pk]
        present = []
        for member in members:
            absent = not is_standing and len(members) > 3 and rng.random() < ABSENT_SHARE
            attendance.append(
                Attendance(
                    meeting=meeting,
                    member=member,
                    present=not absent,
                    absence_reason=rng.choice(ABSENCE_REASONS) if absent else "",
                )
            )
            if not absent:
                present.append(member.pk)
        expected = expected_supervisors(meeting)
        local = [s for s in expected if s.team.level == SupervisoryLevel.COUNTY] or expected
        if is_standing:
            chosen = expected  # the municipal team, all three
        elif meeting.team_id:
            chosen = local[:2]
        else:
            chosen = local[:1] if rng.random() < SUPERVISED_BRANCH_SHARE or meeting is overridden else []
        present_supervisors.extend(through(meeting_id=meeting.pk, supervisor_id=s.pk) for s in chosen)
        for pk in present:
            document = documents.get(pk)
            self_criticisms.append(
                SelfCriticism(
                    meeting=meeting,
                    member_id=pk,
                    summary=rng.choice(SELF_SUMMARIES),
                    aspects=sorted(rng.sample(aspects, 2)),
                    document_id=document[0] if document and document[1] == DocumentState.APPROVED else None,
                )
            )
        if is_standing:
            # Every member criticises every other, and names a problem of his or her own.
            pairs = [*permutations(present, 2), *((pk, pk) for pk in present)]
        else:
            ring = present[:]
            rng.shuffle(ring)
            pairs = list(zip(ring, ring[1:] + ring[:1], strict=True)) if len(ring) > 1 else []
        criticisms.extend(_criticism(rng, meeting, low, high) for low, high in pairs)
        supervision = f"督导组{'、'.join(s.name for s in chosen)}到会指导。" if chosen else ""
        chair = meeting.chair.name if meeting.chair is not None else ""
        text = MINUTES if meeting.team_id else BRANCH_MINUTES
        meeting.state = MeetingState.HELD
        meeting.held_on = meeting.planned_on
        meeting.minutes = text.format(chair=chair, supervision=supervision)
        if meeting is overridden:
            meeting.override_reason = OVERRIDE_REASON
            meeting.override_at = timezone.make_aware(
                datetime.datetime.combine(meeting.planned_on - datetime.timedelta(days=1), datetime.time(16))
            )
    bulk_update_with_history(
        held,
        Meeting,
        ["state", "held_on", "minutes", "override_reason", "override_at"],
        default_change_reason=demo.CHANGE_REASON,
        batch_size=500,
    )
    bulk_create_with_history(attendance, Attendance, default_change_reason=demo.CHANGE_REASON, batch_size=1000)
    present_supervisors = through.objects.bulk_create(present_supervisors)
    # The supervisors present in the history too, on each meeting's "held" record, as a
    # save through the services would have left them.
    history = Meeting.history.model
    held_record = dict(
        history.objects.filter(id__in=[m.pk for m in held], history_type="~").values_list("id", "history_id")
    )
    m2m_history = apps.get_model("meetings", "HistoricalMeeting_supervisors_present")
    m2m_history.objects.bulk_create(
        [
            m2m_history(
                id=link.pk,
                history_id=held_record[link.meeting_id],
                meeting_id=link.meeting_id,
                supervisor_id=link.supervisor_id,
            )
            for link in present_supervisors
        ],
        batch_size=1000,
    )
    bulk_create_with_history(self_criticisms, SelfCriticism, default_change_reason=demo.CHANGE_REASON, batch_size=1000)
    bulk_create_with_history(criticisms, Criticism, default_change_reason=demo.CHANGE_REASON, batch_size=1000)
    # The meetings still planned wait on the conditions their gate found open.
    record_open_conditions(meetings, verdicts)
    announce_change(campaign_id=campaign.pk, unit_ids={m.unit_id for m in meetings}, source=SOURCE)
    return {
        _("meetings planned"): len(meetings),
        _("meetings held"): len(held),
        _("held with the gate overridden"): 1,
        _("meetings blocked by the gate"): len(meetings) - len(held),
        _("attendance records"): len(attendance),
        _("self-criticisms"): len(self_criticisms),
        _("criticisms"): len(criticisms),
    }


demo.register_step(gettext_lazy("meetings"), build_meetings)


# --- Democratic appraisal (issue 12, item 5) --------------------------------------------------

VOTED_SHARE = 0.95  # of a branch's members, those who voted in its window
MEMBER_RATINGS = (
    (MemberRating.EXCELLENT, 0.35),
    (MemberRating.QUALIFIED, 0.6),
    (MemberRating.BASIC, 0.05),
)
# The few members whose branch rated them low: about half unqualified, the rest mostly
# basically qualified — flagged by both rules.
LOW_RATINGS = (
    (MemberRating.QUALIFIED, 0.2),
    (MemberRating.BASIC, 0.3),
    (MemberRating.UNQUALIFIED, 0.5),
)
TEAM_RATINGS = ((TeamRating.SATISFIED, 0.72), (TeamRating.BASIC, 0.24), (TeamRating.DISSATISFIED, 0.04))
FLAGGED_MEMBERS = 6


def _draw(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _share in table], weights=[share for _value, share in table])[0]


def build_appraisal(county: demo.DemoCounty) -> demo.Totals:
    """Every branch whose meeting was held voted online in its window during the
    appraisal step, and the window is closed: its results count. A few members were
    rated low by their branch and are flagged. Written as ``meetings.appraisal.services``
    would leave it after the close: a voter record per voter, a ballot per voter dated
    by its day only, marks not linked to their ballots, each table's rows in shuffled
    order under random keys, no history, nothing announced."""
    rng = county.rng("appraisal")
    campaign = county.campaign
    step = Step.objects.get(stage__campaign=campaign, stage__is_current=True, kind=StepKind.APPRAISAL)
    held = list(
        Meeting.objects.filter(campaign=campaign, kind=MeetingKind.ORGANISATIONAL_LIFE, state__in=[MeetingState.HELD])
        .select_related("branch")
        .order_by("branch__code")
    )
    members: dict[int, list[int]] = defaultdict(list)
    for branch_id, pk in Member.objects.filter(campaign=campaign).order_by("pk").values_list("branch_id", "pk"):
        members[branch_id].append(pk)
    teams: dict[int, list[int]] = defaultdict(list)
    for unit_id, pk in LeadershipTeam.objects.filter(campaign=campaign).order_by("code").values_list("unit_id", "pk"):
        teams[unit_id].append(pk)
    # The few rated low: ordinary members of branches large enough for a result.
    large = [m.branch_id for m in held if len(members[m.branch_id]) >= 6]
    low = {rng.choice(members[branch_id][1:]) for branch_id in rng.sample(large, FLAGGED_MEMBERS)}

    days = (step.ends_on - step.starts_on).days
    windows = []
    for meeting in held:
        opened = step.starts_on + datetime.timedelta(days=rng.randint(0, days - 2))
        windows.append(
            AppraisalWindow(
                campaign=campaign,
                branch=meeting.branch,
                state=WindowState.CLOSED,
                opened_on=opened,
                closed_on=opened + datetime.timedelta(days=rng.randint(1, 2)),
            )
        )
    windows = bulk_create_with_history(windows, AppraisalWindow, default_change_reason=demo.CHANGE_REASON)
    voters: list[VoterRecord] = []
    ballots: list[Ballot] = []
    member_marks: list[MemberMark] = []
    team_marks: list[TeamMark] = []
    for window in windows:
        roll = members[window.branch_id]
        voting = [pk for pk in roll if rng.random() < VOTED_SHARE]
        span = (window.closed_on - window.opened_on).days
        for voter in voting:
            voters.append(VoterRecord(window=window, member_id=voter))
            ballots.append(
                Ballot(window=window, cast_on=window.opened_on + datetime.timedelta(days=rng.randint(0, span)))
            )
            member_marks.extend(
                MemberMark(window=window, member_id=pk, rating=_draw(rng, LOW_RATINGS if pk in low else MEMBER_RATINGS))
                for pk in roll
                if pk != voter
            )
            team_marks.extend(
                TeamMark(campaign=campaign, window=window, team_id=team, rating=_draw(rng, TEAM_RATINGS))
                for team in teams[window.branch.parent_id]
            )
    # Nothing in the order of the rows may follow the order the voters came in.
    for rows in (voters, ballots, member_marks, team_marks):
        rng.shuffle(rows)
    VoterRecord.objects.bulk_create(voters, batch_size=1000)
    Ballot.objects.bulk_create(ballots, batch_size=1000)
    MemberMark.objects.bulk_create(member_marks, batch_size=2000)
    TeamMark.objects.bulk_create(team_marks, batch_size=2000)
    # The units whose appraisal figures the closed windows move, as closing them through
    # the services announces: the branches, the units of the members and teams rated.
    member_units = dict(Member.objects.filter(campaign=campaign).values_list("pk", "unit_id"))
    team_units = dict(LeadershipTeam.objects.filter(campaign=campaign).values_list("pk", "unit_id"))
    units = {window.branch_id for window in windows}
    units |= {member_units[mark.member_id] for mark in member_marks}
    units |= {team_units[mark.team_id] for mark in team_marks}
    announce_change(campaign_id=campaign.pk, unit_ids=units, source=APPRAISAL_SOURCE)
    rules = Rules.of(settings_for(campaign))
    flagged = sum(1 for tally in member_tallies(campaign=campaign).values() if rules.flags(tally))
    return {
        _("voting windows closed"): len(windows),
        _("ballots"): len(ballots),
        _("ratings of members"): len(member_marks),
        _("ratings of teams"): len(team_marks),
        _("members flagged"): flagged,
    }


demo.register_step(gettext_lazy("democratic appraisal"), build_appraisal)
