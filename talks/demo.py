"""The demo county's heart-to-heart talks (issue 4): a step for ``seed_demo``.

After the members, teams, units in charge and supervisory teams exist, the step records
talk cards so that every talk page has something true to show:

- most required pairs talked (every two members of a leadership team, every leading
  cadre with the responsible leaders of the units in his or her charge), some not;
- most members at or above their quota, some a talk or three short of it, made up of
  talks with colleagues of the same unit and with people outside the membership
  (residents, business owners, people served …);
- the supervisory team of each card's unit has found most cards adequate, some wait for
  a decision (new or revised), some are returned for revision, and a few were returned
  twice and are flagged to the office.

Every date lies inside the talks step of the analysis-and-evaluation stage. Cards and
their reviews are bulk-created (cards with their history rows) rather than written
through ``talks.services`` one at a time, so the seed stays fast; what the services
would guarantee holds by construction (``pair`` set as ``Talk.save`` sets it, one card
per two people, the kind matching the other person, ``times_returned`` equal to the
returns recorded) and ``tests/talks/test_demo.py`` checks it. The step announces the
units of every member once; the roll-up step of ``reports.demo`` takes them in.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from campaign import demo
from campaign.events import announce_change
from campaign.models import Member, Step, StepKind, SupervisoryLevel, SupervisoryTeam
from talks import selectors
from talks.models import CardDecision, CardState, Relation, Talk, TalkKind, TalkReview, pair_key

SOURCE = "talks"

# Shares of the plan left undone, and of the members left short of their quota: only
# in the units that fell behind (``DemoCounty.lagging_units``), so that everywhere else
# the talks condition of the meetings is met.
MISSING_PAIRS = 0.5
SHORT_OF_QUOTA = 0.4
# Of the talks a member still needs after the required pairs, about this share is with
# the public; the rest with colleagues of the same unit.
PUBLIC_SHARE = 0.5

# Review states: (share, state, returns so far). Returned twice or more: flagged.
REVIEW_PLAN: tuple[tuple[float, str, int], ...] = (
    (0.680, CardState.ADEQUATE, 0),
    (0.060, CardState.ADEQUATE, 1),
    (0.008, CardState.ADEQUATE, 2),
    (0.120, CardState.RECORDED, 0),
    (0.045, CardState.REVISED, 1),
    (0.007, CardState.REVISED, 2),
    (0.068, CardState.RETURNED, 1),
    (0.012, CardState.RETURNED, 2),
)

PLACES = ("单位会议室", "党员活动室", "办公室", "职工之家", "便民服务大厅", "走访对象家中", "村（社区）活动室")
TOPICS = (
    "交流学习体会，查找思想作风方面的差距",
    "围绕工作作风和服务群众征求意见",
    "谈心交心，互相指出存在的问题",
    "就班子团结和民主集中制执行情况交换意见",
    "征求对本人党性分析材料的意见",
    "听取对单位工作和本人工作的意见建议",
    "交流分管工作中的困难和改进办法",
)
PROBLEMS = (
    "理论学习不够系统深入",
    "深入基层调查研究不够",
    "工作方法有时简单",
    "批评与自我批评开展得不够",
    "对群众反映的问题跟踪落实不够",
    "创新意识不强，满足于按部就班",
)
PUBLIC_PROBLEMS = (
    "办事程序繁琐，跑的次数多",
    "政策宣传不到位，群众知晓率不高",
    "窗口服务态度有待改进",
    "反映的问题答复不够及时",
    "村里道路和饮水问题希望早日解决",
)
AGREED = (
    "互相监督，限期整改",
    "列入本人整改清单，月底前落实",
    "加强沟通，每月交流一次",
    "问题向单位党组织反映，跟踪办理结果",
    "制定学习计划，相互督促",
)
RETURN_COMMENTS = (
    "谈话内容记录过于简单，请补充双方提出的具体问题。",
    "未写明达成的整改意见，请补充。",
    "谈话主题不明确，请结合查摆的问题重新整理。",
)
OUTSIDERS: tuple[tuple[str, str], ...] = (
    (Relation.RESIDENT, "社区居民"),
    (Relation.RESIDENT, "村民"),
    (Relation.BUSINESS_OWNER, "个体工商户"),
    (Relation.BUSINESS_OWNER, "企业负责人"),
    (Relation.COLLEAGUE, "非党员职工"),
    (Relation.SERVICE_USER, "办事群众"),
    (Relation.SERVICE_USER, "服务对象"),
    (Relation.RELATIVE, "家属"),
    (Relation.OTHER, "离退休老同志"),
)


@dataclass(frozen=True)
class Person:
    pk: int
    name: str
    unit_id: int
    rank: str


def _talks_step(county: demo.DemoCounty) -> Step:
    return Step.objects.get(stage__campaign=county.campaign, stage__is_current=True, kind=StepKind.TALKS)


def _reviewers(county: demo.DemoCounty) -> dict[int, str]:
    """Unit id → the name of the leader of the county supervisory team over it."""
    leaders = {supervisor.team_id: supervisor.name for supervisor in county.supervisors if supervisor.is_leader}
    through = SupervisoryTeam.units.through
    links = through.objects.filter(
        supervisoryteam__campaign=county.campaign, supervisoryteam__level=SupervisoryLevel.COUNTY
    ).values_list("orgunit_id", "supervisoryteam_id")
    return {unit_id: leaders[team_id] for unit_id, team_id in links if team_id in leaders}


class Cards:
    """The cards being planned, one per two people, each on a day of the talks step."""

    def __init__(self, county: demo.DemoCounty, rng: random.Random, days: list[datetime.date]) -> None:
        self.county = county
        self.rng = rng
        self.days = days
        self.talks: list[Talk] = []
        self.held: dict[int, int] = defaultdict(int)  # member id → talks counted so far
        self.paired: set[tuple[int, int]] = set()

    def _card(self, member: Person, kind: str, **fields: object) -> Talk:
        rng = self.rng
        public = kind == TalkKind.PUBLIC
        talk = Talk(
            campaign=self.county.campaign,
            kind=kind,
            member_id=member.pk,
            talked_on=rng.choice(self.days),
            place=rng.choice(PLACES),
            topics=rng.choice(TOPICS),
            member_problems=rng.choice(PROBLEMS),
            other_problems=rng.choice(PUBLIC_PROBLEMS if public else PROBLEMS),
            agreed=rng.choice(AGREED),
            recorder_name=member.name,
            **fields,
        )
        talk.pair = pair_key(talk.member_id, talk.other_member_id, talk.outsider_name)
        self.talks.append(talk)
        self.held[member.pk] += 1
        return talk

    def with_member(self, first: Person, second: Person, kind: str) -> None:
        self.paired.add(selectors.ordered_pair(first.pk, second.pk))
        self._card(first, kind, other_member_id=second.pk)
        self.held[second.pk] += 1

    def with_public(self, member: Person, name: str) -> None:
        relation, role = self.rng.choice(OUTSIDERS)
        self._card(member, TalkKind.PUBLIC, outsider_name=name, outsider_role=role, outsider_relation=relation)


def _plan_talks(county: demo.DemoCounty, rng: random.Random, days: list[datetime.date]) -> Cards:
    campaign = county.campaign
    people = {
        pk: Person(pk, name, unit_id, rank)
        for pk, name, unit_id, rank in Member.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", "name", "unit_id", "rank")
    }
    cards = Cards(county, rng, days)
    required = selectors.required_pairs(campaign)
    # Never pair two people by chance whom the plan requires to talk: the missing pairs
    # stay missing.
    cards.paired.update(required)

    # 1. The required pairs, most of them; a charge talk is the cadre's card.
    in_charge = set(selectors.charge_links(campaign))
    lagging = county.lagging_members
    for (low, high), kind in sorted(required.items()):
        # A pair with a county-level cadre is always talked: the county's teams meet.
        behind = low in lagging and high in lagging
        # One pair left undone on purpose elsewhere (``DemoCounty.showcase_gaps``).
        showcase = county.showcase_gaps
        if (rng.random() < MISSING_PAIRS and behind) or (low, high) in (
            showcase.missing_pair,
            showcase.missing_charge_pair,
        ):
            continue
        first, second = (low, high) if rng.random() < 0.5 else (high, low)
        if kind == TalkKind.CHARGE and (first, second) not in in_charge:
            first, second = second, first
        cards.with_member(people[first], people[second], kind)

    # 2. What each member still needs: most reach the quota (some go beyond), some fall short.
    need: dict[int, int] = {}
    for pk, person in people.items():
        quota = selectors.quota_for_rank(person.rank, campaign)
        short = rng.random() < SHORT_OF_QUOTA and pk in lagging
        goal = quota - rng.randint(1, 3) if short else quota + rng.choice((0, 0, 0, 1, 2))
        need[pk] = max(goal - cards.held[pk], 0)

    # 3. Talks with colleagues of the same unit, two who still need one at a time.
    by_unit: dict[int, list[int]] = defaultdict(list)
    for pk, person in people.items():
        by_unit[person.unit_id].append(pk)
    for unit_id in sorted(by_unit):
        members = by_unit[unit_id]
        colleague_need = {pk: need[pk] - round(need[pk] * PUBLIC_SHARE) for pk in members}
        for _round in range(max(colleague_need.values(), default=0)):
            waiting = [pk for pk in members if colleague_need[pk] > 0]
            rng.shuffle(waiting)
            while len(waiting) >= 2:
                first = waiting.pop()
                partner = next((pk for pk in waiting if selectors.ordered_pair(first, pk) not in cards.paired), None)
                if partner is None:
                    continue
                waiting.remove(partner)
                cards.with_member(people[first], people[partner], TalkKind.MEMBER)
                for pk in (first, partner):
                    colleague_need[pk] -= 1
                    need[pk] -= 1

    # 4. The rest with people outside the membership, each a different person.
    names = demo.NameMaker(random.Random(f"{demo.SEED}:talk_names"))
    names.used.update(person.name for person in people.values())
    for pk in sorted(need):
        for _n in range(need[pk]):
            cards.with_public(people[pk], names())
    return cards


def _decided_at(day: datetime.date, rng: random.Random, *, after_days: int) -> datetime.datetime:
    moment = datetime.datetime.combine(day + datetime.timedelta(days=after_days), datetime.time(9))
    return timezone.make_aware(moment + datetime.timedelta(minutes=rng.randint(0, 8 * 60)))


def _review(cards: Cards, rng: random.Random, reviewers: dict[int, str], units: dict[int, int]) -> list[tuple]:
    """Give each card its review state; the decisions to record, as (card index, decision,
    comment, reviewer, at)."""
    decisions: list[tuple] = []
    for index, talk in enumerate(cards.talks):
        roll, cumulative = rng.random(), 0.0
        state, returns = REVIEW_PLAN[-1][1], REVIEW_PLAN[-1][2]
        for share, plan_state, plan_returns in REVIEW_PLAN:
            cumulative += share
            if roll < cumulative:
                state, returns = plan_state, plan_returns
                break
        talk.state, talk.times_returned = state, returns
        reviewer = reviewers.get(units[talk.member_id], "")
        for number in range(returns):
            at = _decided_at(talk.talked_on, rng, after_days=1 + 2 * number)
            decisions.append((index, CardDecision.RETURN, rng.choice(RETURN_COMMENTS), reviewer, at))
        if state == CardState.ADEQUATE:
            at = _decided_at(talk.talked_on, rng, after_days=1 + 2 * returns)
            decisions.append((index, CardDecision.ADEQUATE, "", reviewer, at))
    return decisions


def _card_times(
    talks: list[Talk], decisions: list[tuple], rng: random.Random
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """(recorded, last changed) of each card: recorded on the day of the talk, last
    changed at its last decision (or, for a card revised after a return, the day after
    it), so that the review queue's "waited", its oldest-first order and the cards'
    history tell the demo's story, not the moment the seed ran."""
    last: dict[int, datetime.datetime] = {}
    for index, _decision, _comment, _reviewer, at in decisions:
        last[index] = max(at, last.get(index, at))
    times = []
    for index, talk in enumerate(talks):
        recorded = _decided_at(talk.talked_on, rng, after_days=0)
        changed = last.get(index, recorded)
        if talk.state == CardState.REVISED:
            changed += datetime.timedelta(days=1)
        times.append((recorded, changed))
    return times


def build_talks(county: demo.DemoCounty) -> demo.Totals:
    rng = county.rng("talks")
    campaign = county.campaign
    step = _talks_step(county)
    days = [step.starts_on + datetime.timedelta(days=n) for n in range((step.ends_on - step.starts_on).days + 1)]
    cards = _plan_talks(county, rng, days)
    units = dict(Member.objects.filter(campaign=campaign).values_list("pk", "unit_id"))
    decisions = _review(cards, rng, _reviewers(county), units)
    times = _card_times(cards.talks, decisions, county.rng("talk-times"))
    for talk, (recorded, changed) in zip(cards.talks, times, strict=True):
        talk._history_date = recorded  # the history row's date (bulk_create_with_history reads it)
        talk.created_at, talk.updated_at = recorded, changed
    with demo.timestamps_as_given(Talk, "created_at", "updated_at"):
        talks = bulk_create_with_history(cards.talks, Talk, default_change_reason=demo.CHANGE_REASON, batch_size=1000)
    TalkReview.objects.bulk_create(
        (
            TalkReview(
                talk=talks[index],
                decision=decision,
                comment=comment,
                reviewer_name=reviewer or _("Supervisory team"),
                decided_at=at,
            )
            for index, decision, comment, reviewer, at in decisions
        ),
        batch_size=1000,
    )
    # Every member's quota is a talk figure: announce every unit with members.
    announce_change(campaign_id=campaign.pk, unit_ids=set(units.values()), source=SOURCE)
    return {
        _("talk cards"): len(talks),
        _("with members"): sum(1 for talk in talks if talk.other_member_id is not None),
        _("with the public"): sum(1 for talk in talks if talk.other_member_id is None),
        _("cards adequate"): sum(1 for talk in talks if talk.state == CardState.ADEQUATE),
        _("cards returned"): sum(1 for talk in talks if talk.state == CardState.RETURNED),
        _("cards flagged"): sum(1 for talk in talks if talk.is_flagged),
        _("required pairs"): len(selectors.required_pairs(campaign)),
        _("required pairs missing"): len(selectors.missing_pairs(campaign)),
    }


demo.register_step(gettext_lazy("heart-to-heart talks"), build_talks)
