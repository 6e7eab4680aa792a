"""The demo county's solicitation of opinions and its feedback (issue 3, item 9).

Two steps for ``seed_demo`` (see ``campaign.demo``):

1. **Solicitation**: the events — 452 forums at county, party committee, unit and
   branch level, questionnaire rounds issuing 23,800 forms, 156 suggestion boxes, and
   the hotlines, open letters, message board, TV notice and visits — and the seed's
   11,047 opinions with exactly its figures per ledger category (the Standing
   Committee's 142 being 6 opinions and 136 suggestions), from every channel, on all
   six aspects, each recorded by the unit that held its event, on a date inside the
   solicit step. With them, the feedback lists: one for most targets, most released
   in one of three batches and most of those signed; a few short lists (fewer than k
   opinions) released once the wording was confirmed, a few still being written. Each
   opinion's status follows its list (sorted, fed back, acknowledged).
2. **Feedback items**: each list consolidates all of its target's opinions into items
   in the office's words.

Both steps write with ``bulk_create`` and their history rows, rather than through
``opinions.services`` and ``opinions.feedback`` one row at a time: those take a lock,
validate and announce per row, some thirty queries an opinion, minutes for the whole
county. What the services would guarantee is guaranteed here by construction and
checked by ``tests/opinions/test_demo.py``: category and ledger unit come from
``services.derive()``; an item consolidates opinions about its own list's target, each
opinion in at most one item; items stand in ``feedback.default_key`` order; a released
member's list with fewer than k opinions has its wording confirmed; a list's opinions
are fed back once it is released and acknowledged once it is signed, by the member or
the team's head. The first step announces the ledger units of everything it wrote
once (items change no ledger figure), and the roll-up step of ``reports.demo`` takes
them in.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from campaign import demo
from campaign.events import announce_change
from campaign.models import Campaign, OrgUnit, Rank, Step, StepKind, TargetCategory, TeamKind
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
    ReleaseBatch,
    SolicitationEvent,
    SourceGroup,
    allocate_event_codes,
)
from opinions.services import Target, derive

SOURCE = "demo"

# --- The seed's figures -----------------------------------------------------------

CATEGORY_TOTALS: dict[str, int] = {
    TargetCategory.STANDING_COMMITTEE_TEAM: 142,
    TargetCategory.COUNTY_LEADERSHIP_TEAMS: 341,
    TargetCategory.DEPARTMENT_TEAMS: 1213,
    TargetCategory.STANDING_COMMITTEE_MEMBERS: 320,
    TargetCategory.COUNTY_LEVEL_LEADERS: 782,
    TargetCategory.OTHER_MEMBERS: 8249,
}
OPINION_TOTAL = 11047
STANDING_TEAM_OPINIONS = 6  # of its 142; the other 136 are suggestions
FORUMS = 452  # "more than 450 forums"
FORMS_ISSUED = 23800
SUGGESTION_BOXES = 156

# Forums by level: the county's, four per party committee, two per unit, and one in
# each of the branches that held its own (the rest of the 452).
COUNTY_FORUMS = 12
FORUMS_PER_COMMITTEE = 4
FORUMS_PER_UNIT = 2

# Of the department teams' 1,213, these name a unit as a whole rather than its team.
UNIT_TARGETS = 12
UNIT_TARGET_OPINIONS = 36
# Other members: section-level cadres draw more opinions than ordinary members.
SECTION_CADRE_OPINIONS = 1650
ORDINARY_TARGETED = 0.85  # share of ordinary members somebody gave an opinion about
SHORT_LISTS = 70  # ordinary members with only one or two opinions: fewer than k

CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.FORUM: 38,
    Channel.QUESTIONNAIRE: 30,
    Channel.SUGGESTION_BOX: 10,
    Channel.VISIT: 7,
    Channel.HOTLINE: 4,
    Channel.OPEN_LETTER: 4,
    Channel.MESSAGE_BOARD: 3,
    Channel.TV_NOTICE: 2,
    Channel.ONLINE: 2,
}
ASPECT_WEIGHTS: dict[str, int] = {
    Aspect.IDEALS: 8,
    Aspect.PURPOSE: 20,
    Aspect.DISCIPLINE: 12,
    Aspect.IDEOLOGY: 15,
    Aspect.WORK_STYLE: 30,
    Aspect.INTEGRITY: 15,
}

# --- Words ----------------------------------------------------------------------------

GROUP_NAMES: dict[str, str] = {
    SourceGroup.VETERAN_CADRES: "老干部",
    SourceGroup.DEPUTIES: "人大代表和政协委员",
    SourceGroup.BUSINESS: "企业主",
    SourceGroup.VULNERABLE: "困难群众代表",
    SourceGroup.COUNTY_OFFICIALS: "县直机关干部",
    SourceGroup.TOWNSHIP: "乡镇代表",
    SourceGroup.MEMBERS: "党员",
    SourceGroup.PUBLIC: "群众代表",
}
COUNTY_FORUM_GROUPS = (
    SourceGroup.VETERAN_CADRES,
    SourceGroup.DEPUTIES,
    SourceGroup.BUSINESS,
    SourceGroup.VULNERABLE,
    SourceGroup.COUNTY_OFFICIALS,
    SourceGroup.TOWNSHIP,
)
COUNTY_ROOMS = ("县委第一会议室", "县委第二会议室", "县政府三楼会议室", "县委党校报告厅")

# The seed's complaints, by aspect: what an opinion (意见) says.
PROBLEMS: dict[str, tuple[str, ...]] = {
    Aspect.IDEALS: (
        "政治理论学习不够系统深入，满足于读文件、记笔记",
        "学习马克思主义理论不够深入，用理论指导实践的能力不强",
        "对新形势下党的方针政策理解不透，贯彻落实有时打折扣",
        "理想信念有所淡化，工作上满足于过得去、不出事",
        "政治敏锐性不强，对一些错误言论不敢旗帜鲜明地抵制",
        "以工作忙为由放松了政治学习，学习时间难以保证",
        "带头学习的表率作用发挥不够，学用脱节",
        "对党员干部的理想信念教育抓得不紧",
    ),
    Aspect.PURPOSE: (
        "深入基层调研不够，对群众反映的困难了解不全面",
        "群众来信来访处理不及时，有的问题推来推去",
        "服务意识不强，办事效率不高，群众办一件事要跑好几趟",
        "联系群众不够紧密，下乡走访多是走马观花",
        "对困难群众的生产生活关心不够，帮扶措施落实不到位",
        "有时对群众态度生硬，解释政策缺乏耐心",
        "为群众办实事的思路不多，解决实际问题的办法不多",
        "听取群众意见的渠道不畅，群众的诉求反馈慢",
    ),
    Aspect.DISCIPLINE: (
        "执行民主集中制不够严格，有的重大事项沟通酝酿不充分",
        "请示报告制度执行不到位，有的事情先做后报",
        "组织生活会开得不够严肃，批评与自我批评流于形式",
        "上班迟到早退的现象仍有发生，考勤制度执行不严",
        "对下属要求不严，有的违规问题处理偏软",
        "党员教育管理松散，有的支部组织生活不正常",
        "落实上级工作安排有时打折扣，执行力不强",
        "有的会议精神传达不及时，贯彻落实不到位",
    ),
    Aspect.IDEOLOGY: (
        "思想解放不够，习惯于按老办法、老经验办事",
        "开拓创新意识不强，工作满足于完成上级布置的任务",
        "遇到矛盾和困难有畏难情绪，有的问题一拖再拖",
        "批评与自我批评开展不够，怕得罪人，好人主义较重",
        "看问题有时不够全面，对不同意见听得不够",
        "进取精神有所减弱，工作标准不高",
        "对发展中的难点问题研究不深，拿不出管用的办法",
        "大局意识不强，有时只考虑本部门的利益",
    ),
    Aspect.WORK_STYLE: (
        "形式主义还不同程度存在，有的工作重布置、轻落实",
        "文山会海现象没有根本改变，真正用于抓落实的时间不多",
        "工作作风不够扎实，有的工作只开花不结果",
        "深入一线少，坐在办公室听汇报多",
        "办事拖拉，对群众急需解决的问题答复不及时",
        "工作中有时急躁，方法简单",
        "有的干部上班时间上网聊天、玩游戏",
        "检查考核多，帮助基层解决实际困难少",
        "对分管工作抓得不细，有的工作落实不到位",
    ),
    Aspect.INTEGRITY: (
        "公务接待标准偏高，有时存在铺张浪费现象",
        "公车私用的现象没有完全杜绝",
        "对身边工作人员要求不够严格",
        "执行廉洁自律各项规定不够严格，有的开支不够透明",
        "逢年过节有收受土特产的现象，群众有议论",
        "政务公开、财务公开不够及时，群众不清楚",
        "有的干部工作之余打麻将，影响不好",
        "办事讲人情、看关系，群众有意见",
    ),
}
# What only a leadership team is told.
TEAM_PROBLEMS: dict[str, tuple[str, ...]] = {
    Aspect.DISCIPLINE: ("班子成员之间沟通交流不够，有时各管一摊", "班子议事规则执行不严，有的决策程序不规范"),
    Aspect.IDEOLOGY: ("班子整体合力发挥不够，工作中协调配合不够", "班子对干部队伍建设研究不多，抓得不紧"),
    Aspect.WORK_STYLE: ("班子对基层党组织建设重视不够", "班子成员分工有交叉，有的工作责任不明确"),
}
PROBLEM_TAILS = ("，群众对此有意见", "，影响了干部形象", "，希望引起重视", "，影响了工作效率", "，希望今后加以改进", "")
# What a suggestion (建议) says.
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    Aspect.IDEALS: (
        "建议坚持中心组学习制度，每月至少集中学习一次",
        "建议把理论学习与解决实际问题结合起来，学以致用",
        "建议多组织党员干部参观革命传统教育基地",
        "建议领导干部带头讲党课，发挥示范作用",
        "建议建立学习考核制度，防止学习走过场",
        "建议加强对年轻干部的理想信念教育",
    ),
    Aspect.PURPOSE: (
        "建议领导干部每月至少下乡调研一次，多听群众呼声",
        "建议简化办事程序，推行一站式服务",
        "建议建立困难群众帮扶台账，定期走访慰问",
        "建议公开办事流程和承诺时限，接受群众监督",
        "建议对群众反映的问题实行限时办结制度",
        "建议多为群众办几件看得见、摸得着的实事",
        "建议在村和社区设立便民服务点",
    ),
    Aspect.DISCIPLINE: (
        "建议严格执行民主集中制，重大事项集体讨论决定",
        "建议健全考勤制度并定期通报",
        "建议认真开好民主生活会，真正开展批评与自我批评",
        "建议加强对党员的日常教育管理",
        "建议严格执行请示报告制度",
        "建议精简会议和文件，提高会议质量",
    ),
    Aspect.IDEOLOGY: (
        "建议进一步解放思想，大胆探索发展的新路子",
        "建议多听取不同意见，集思广益",
        "建议多到先进地区学习考察，开阔视野",
        "建议对难点问题实行领导包案，一抓到底",
        "建议树立全县一盘棋的思想，加强部门协作",
        "建议提高工作标准，争创一流业绩",
    ),
    Aspect.WORK_STYLE: (
        "建议减少检查评比，让基层干部把精力用在抓落实上",
        "建议实行工作责任制，明确时限，跟踪问效",
        "建议领导干部多深入一线，少坐办公室",
        "建议加强机关效能建设，对办事拖拉的严肃处理",
        "建议推行首问责任制，杜绝推诿扯皮",
        "建议定期公开工作进展，接受群众评议",
    ),
    Aspect.INTEGRITY: (
        "建议严格控制公务接待标准，厉行节约",
        "建议加强公车管理，杜绝公车私用",
        "建议推行政务公开、财务公开，接受群众监督",
        "建议加强廉政教育，筑牢拒腐防变的思想防线",
        "建议落实领导干部个人重大事项报告制度",
        "建议对群众反映的违纪问题及时查处并公开结果",
    ),
}
SUGGESTION_TAILS = ("，切实解决群众关心的问题", "，让群众满意", "，并建立长效机制", "，形成制度", "")
# The office's consolidated wording: general enough that no source can be guessed.
ITEM_LEADS = ("干部群众反映：", "有的同志提出：", "征求意见中反映较多的是：", "群众认为：")
ITEM_SUMMARIES: dict[str, tuple[str, ...]] = {
    Aspect.IDEALS: (
        "理论学习的系统性和深度有待加强",
        "学用结合不够紧密，用理论指导实践的能力需要提高",
        "理想信念教育需要进一步加强",
        "政治敏锐性和鉴别力有待提高",
    ),
    Aspect.PURPOSE: (
        "联系群众不够紧密，深入基层了解情况不够",
        "为群众解决实际困难的力度需要加大",
        "服务意识和办事效率有待提高",
        "对群众诉求的回应需要更加及时",
    ),
    Aspect.DISCIPLINE: (
        "民主集中制执行需要更加严格",
        "组织生活的质量有待提高",
        "制度执行不够严格，有的要求落实打了折扣",
        "对干部的管理和要求需要从严",
    ),
    Aspect.IDEOLOGY: (
        "解放思想、开拓创新的意识需要增强",
        "攻坚克难的劲头有待加强",
        "批评与自我批评开展得不够经常",
        "大局意识和协作精神需要加强",
    ),
    Aspect.WORK_STYLE: (
        "工作作风不够扎实，抓落实的力度需要加大",
        "深入一线不够，调查研究需要加强",
        "会议和文件偏多，形式主义需要克服",
        "工作方法有时简单，耐心细致不够",
    ),
    Aspect.INTEGRITY: (
        "执行廉洁自律规定需要更加严格",
        "公务开支的管理和公开需要加强",
        "对身边人员的要求需要从严",
        "勤俭节约的要求需要进一步落实",
    ),
}
ITEM_TAILS = ("希望认真加以整改。", "建议制定具体的整改措施。", "")

# --- Feedback -----------------------------------------------------------------------------

# Three release batches in the days after the solicit step, before the democratic life
# meetings (which may not be held until the opinions were fed back). Dates of the seed's
# story: ``DemoCounty.shift`` moves them as the campaign's dates were moved.
BATCHES: tuple[tuple[datetime.date, str], ...] = (
    (datetime.date(2026, 4, 1), "第一批：县级班子和县级领导干部"),
    (datetime.date(2026, 4, 2), "第二批：部门领导班子和科级干部"),
    (datetime.date(2026, 4, 3), "第三批：其他党员"),
)
# In the units that fell behind (elsewhere every list is started, released and signed):
SECTION_LISTED = 0.85  # of section-level cadres with opinions, the share with a list
ORDINARY_LISTED = 0.8
RELEASED = 0.8  # of the other lists (not the county level's), the share released
SIGNED = 0.7  # of those released, the share already signed
SHORT_CONFIRMED = 0.75  # of short lists, the share whose wording the office confirmed
UNLISTED_SORTED = 0.4  # opinions without a list: the share the office already sorted


@dataclass
class Planned:
    """One target and how many opinions are about it."""

    target: Target
    count: int
    county_level: bool


def _local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _solicit_step(county: demo.DemoCounty) -> Step:
    return Step.objects.get(stage__campaign=county.campaign, kind=StepKind.SOLICIT)


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Step 1: events and opinions ---------------------------------------------------------


@dataclass
class EventIndex:
    """The events of each channel by where they were held, to pick one for an opinion."""

    county: dict[str, list[SolicitationEvent]]
    committee: dict[tuple[str, int], list[SolicitationEvent]]
    unit: dict[tuple[str, int], list[SolicitationEvent]]  # a unit's own and its branches'

    @classmethod
    def of(cls, events: Sequence[SolicitationEvent], unit_of_branch: dict[int, int]) -> EventIndex:
        index = cls(county=defaultdict(list), committee=defaultdict(list), unit=defaultdict(list))
        for event in events:
            if event.level == EventLevel.COUNTY:
                index.county[event.channel].append(event)
            elif event.level == EventLevel.COMMITTEE:
                index.committee[(event.channel, event.unit_id)].append(event)
            else:
                unit_id = unit_of_branch.get(event.unit_id, event.unit_id)
                index.unit[(event.channel, unit_id)].append(event)
        return index


def _events(county: demo.DemoCounty, rng: random.Random, step: Step) -> list[SolicitationEvent]:
    campaign = county.campaign
    first, last = step.starts_on, step.ends_on
    events: list[SolicitationEvent] = []

    def event(unit: OrgUnit, level: str, channel: str, title: str, **fields: object) -> SolicitationEvent:
        row = SolicitationEvent(campaign=campaign, unit=unit, level=level, channel=channel, title=title, **fields)
        events.append(row)
        return row

    def period(start_within: int) -> dict[str, datetime.date]:
        starts = first + datetime.timedelta(days=rng.randint(0, start_within))
        return {"held_on": starts, "ends_on": last}

    # Forums: the county's first, then the committees', the units', the branches'.
    early = first + datetime.timedelta(days=5)
    for n in range(COUNTY_FORUMS):
        group = COUNTY_FORUM_GROUPS[n % len(COUNTY_FORUM_GROUPS)]
        groups = sorted({group, rng.choice(COUNTY_FORUM_GROUPS)}, key=SourceGroup.values.index)
        event(
            county.county,
            EventLevel.COUNTY,
            Channel.FORUM,
            f"县委常委会征求{GROUP_NAMES[group]}意见座谈会",
            held_on=_day(rng, first, early),
            place=rng.choice(COUNTY_ROOMS),
            attendee_groups=groups,
            attendance=rng.randint(20, 45),
        )
    outside_groups = [group for group in SourceGroup.values if group != SourceGroup.MEMBERS]
    for committee in county.committees:
        for _n in range(FORUMS_PER_COMMITTEE):
            groups = sorted(rng.sample(outside_groups, rng.randint(1, 3)), key=SourceGroup.values.index)
            event(
                committee,
                EventLevel.COMMITTEE,
                Channel.FORUM,
                f"{committee.name}征求{GROUP_NAMES[groups[0]]}意见座谈会",
                held_on=_day(rng, first, last - datetime.timedelta(days=3)),
                place=f"{committee.name}会议室",
                attendee_groups=groups,
                attendance=rng.randint(15, 35),
            )
    for unit in county.units:
        for _n in range(FORUMS_PER_UNIT):
            groups = [SourceGroup.MEMBERS, SourceGroup.PUBLIC, *rng.sample(outside_groups[:-1], rng.randint(0, 1))]
            groups = sorted(set(groups), key=SourceGroup.values.index)
            event(
                unit,
                EventLevel.UNIT,
                Channel.FORUM,
                f"{unit.name}征求意见座谈会",
                held_on=_day(rng, first, last),
                place=f"{unit.name}会议室",
                attendee_groups=groups,
                attendance=rng.randint(10, 30),
            )
    branch_forums = FORUMS - COUNTY_FORUMS - FORUMS_PER_COMMITTEE * len(county.committees)
    branch_forums -= FORUMS_PER_UNIT * len(county.units)
    all_branches = [branch for unit in county.units for branch in county.branches[unit.pk]]
    for branch in sorted(rng.sample(all_branches, branch_forums), key=lambda b: b.code):
        event(
            branch,
            EventLevel.BRANCH,
            Channel.FORUM,
            f"{branch.name}党员群众座谈会",
            held_on=_day(rng, first + datetime.timedelta(days=3), last),
            place=f"{branch.name}活动室",
            attendee_groups=[SourceGroup.MEMBERS, SourceGroup.PUBLIC],
            attendance=rng.randint(8, 20),
        )

    # Questionnaire rounds: the county's to the public, then each committee's and unit's.
    hosts: list[tuple[OrgUnit, str, int]] = [(county.county, EventLevel.COUNTY, 40)]
    hosts += [(committee, EventLevel.COMMITTEE, 8) for committee in county.committees]
    hosts += [(unit, EventLevel.UNIT, 2 * county.specs[unit.pk].size) for unit in county.units]
    issued = demo.allocate(FORMS_ISSUED, [weight + rng.randint(0, 3) for _h, _l, weight in hosts], minimum=60)
    for (unit, level, _weight), forms in zip(hosts, issued, strict=True):
        title = "全县征求意见表发放" if level == EventLevel.COUNTY else f"{unit.name}征求意见表发放"
        starts = _day(rng, first, first + datetime.timedelta(days=4))
        event(
            unit,
            level,
            Channel.QUESTIONNAIRE,
            title,
            held_on=starts,
            ends_on=min(last, starts + datetime.timedelta(days=rng.randint(6, 12))),
            forms_issued=forms,
            forms_returned=int(forms * rng.uniform(0.82, 0.96)),
        )

    # Suggestion boxes: in the county's public places, at each committee and unit.
    box_hosts: list[tuple[OrgUnit, str, int]] = [(county.county, EventLevel.COUNTY, 12)]
    box_hosts += [(committee, EventLevel.COMMITTEE, 2) for committee in county.committees]
    box_hosts += [(unit, EventLevel.UNIT, 1) for unit in county.units]
    boxes = demo.allocate(SUGGESTION_BOXES, [weight for _h, _l, weight in box_hosts], minimum=1)
    for (unit, level, _weight), count in zip(box_hosts, boxes, strict=True):
        county_wide = level == EventLevel.COUNTY
        event(
            unit,
            level,
            Channel.SUGGESTION_BOX,
            "县城公共场所意见箱" if county_wide else f"{unit.name}意见箱",
            place="县城十字街口、汽车站、农贸市场等处" if county_wide else f"{unit.name}大门口",
            boxes_set=count,
            **period(2),
        )

    # The county office's hotline, open letter, message board and TV notice; the
    # committees' hotlines and letters.
    event(county.county, EventLevel.COUNTY, Channel.HOTLINE, "县先进性教育办征求意见热线", **period(0))
    event(county.county, EventLevel.COUNTY, Channel.OPEN_LETTER, "致全县人民群众的一封公开信", **period(1))
    event(county.county, EventLevel.COUNTY, Channel.MESSAGE_BOARD, "县人民政府门户网站征求意见留言板", **period(0))
    event(county.county, EventLevel.COUNTY, Channel.TV_NOTICE, "县电视台征求意见公告", **period(1))
    for committee in county.committees:
        event(committee, EventLevel.COMMITTEE, Channel.HOTLINE, f"{committee.name}征求意见电话", **period(2))
        event(committee, EventLevel.COMMITTEE, Channel.OPEN_LETTER, f"{committee.name}致群众的一封信", **period(3))

    # Face-to-face visits: the county's leaders, each committee, and most units.
    event(
        county.county,
        EventLevel.COUNTY,
        Channel.VISIT,
        "县级领导干部走访群众征求意见",
        attendance=rng.randint(150, 250),
        **period(3),
    )
    for committee in county.committees:
        event(
            committee,
            EventLevel.COMMITTEE,
            Channel.VISIT,
            f"{committee.name}入户走访征求意见",
            attendance=rng.randint(40, 120),
            **period(5),
        )
    for unit in county.units:
        if rng.random() < 0.7:
            event(
                unit,
                EventLevel.UNIT,
                Channel.VISIT,
                f"{unit.name}走访服务对象征求意见",
                attendance=rng.randint(15, 60),
                **period(6),
            )
    return events


def _plan(county: demo.DemoCounty, rng: random.Random) -> list[Planned]:
    """Every target with its number of opinions, summing to the seed's figures exactly."""
    teams = county.teams
    standing_team = next(team for team in teams if team.kind == TeamKind.STANDING_COMMITTEE)
    four = [team for team in teams if team.kind not in (TeamKind.STANDING_COMMITTEE, TeamKind.DEPARTMENT)]
    departments = [team for team in teams if team.kind == TeamKind.DEPARTMENT]
    plan = [Planned(Target(team=standing_team), CATEGORY_TOTALS[TargetCategory.STANDING_COMMITTEE_TEAM], True)]

    four_weights = {TeamKind.PARTY_COMMITTEE: 12, TeamKind.GOVERNMENT: 13, TeamKind.PEOPLES_CONGRESS: 8}
    shares = demo.allocate(
        CATEGORY_TOTALS[TargetCategory.COUNTY_LEADERSHIP_TEAMS],
        [four_weights.get(team.kind, 7) for team in four],
        minimum=40,
    )
    plan += [Planned(Target(team=team), n, True) for team, n in zip(four, shares, strict=True)]

    named_units = sorted(rng.sample(county.units, UNIT_TARGETS), key=lambda unit: unit.code)
    shares = demo.allocate(UNIT_TARGET_OPINIONS, [rng.randint(1, 3) for _u in named_units], minimum=2)
    plan += [Planned(Target(unit=unit), n, False) for unit, n in zip(named_units, shares, strict=True)]
    shares = demo.allocate(
        CATEGORY_TOTALS[TargetCategory.DEPARTMENT_TEAMS] - UNIT_TARGET_OPINIONS,
        [3 * county.specs[team.unit_id].size + rng.randint(0, 4) for team in departments],
        minimum=4,
    )
    plan += [Planned(Target(team=team), n, False) for team, n in zip(departments, shares, strict=True)]

    # The secretary and the county head hear most; every member of the committee some.
    weights = [8, 7, 5, *(rng.randint(3, 5) for _m in county.standing[3:])]
    shares = demo.allocate(CATEGORY_TOTALS[TargetCategory.STANDING_COMMITTEE_MEMBERS], weights, minimum=15)
    plan += [Planned(Target(member=member), n, True) for member, n in zip(county.standing, shares, strict=True)]

    group_weight = {"government": 6, "congress": 4, "cppcc": 4, "judicial": 5, "researcher": 2}
    leaders = [(member, group) for group, members in county.county_leaders.items() for member in members]
    shares = demo.allocate(
        CATEGORY_TOTALS[TargetCategory.COUNTY_LEVEL_LEADERS],
        [group_weight[group] + rng.randint(0, 2) for _member, group in leaders],
        minimum=6,
    )
    plan += [Planned(Target(member=member), n, True) for (member, _g), n in zip(leaders, shares, strict=True)]

    cadres = [(member, i) for unit in county.units for i, member in enumerate(county.section_cadres[unit.pk])]
    shares = demo.allocate(
        SECTION_CADRE_OPINIONS, [(6 if i == 0 else 3) + rng.randint(0, 2) for _m, i in cadres], minimum=3
    )
    plan += [Planned(Target(member=member), n, False) for (member, _i), n in zip(cadres, shares, strict=True)]

    ordinary = [member for unit in county.units for member in county.ordinary[unit.pk]]
    # Members nobody gave an opinion about, and short lists left unconfirmed, only in
    # the units that fell behind (``DemoCounty.lagging_units``): elsewhere the meetings
    # may be held.
    lagging = county.lagging_members
    behind = [member for member in ordinary if member.pk in lagging]
    on_time = [member for member in ordinary if member.pk not in lagging]
    untargeted = round((1 - ORDINARY_TARGETED) * len(ordinary))
    targeted_behind = rng.sample(behind, max(len(behind) - untargeted, len(behind) // 2))
    short_behind = targeted_behind[: SHORT_LISTS // 2]
    short_on_time = rng.sample(on_time, SHORT_LISTS - len(short_behind))
    chosen = {member.pk for member in short_on_time}
    short = short_behind + short_on_time
    full = targeted_behind[len(short_behind) :] + [member for member in on_time if member.pk not in chosen]
    short_counts = [rng.choice((1, 1, 2)) for _m in short]
    rest = CATEGORY_TOTALS[TargetCategory.OTHER_MEMBERS] - SECTION_CADRE_OPINIONS - sum(short_counts)
    shares = demo.allocate(rest, [rng.choice((1, 1, 1, 2, 3)) for _m in full], minimum=3)
    plan += [Planned(Target(member=member), n, False) for member, n in zip(short, short_counts, strict=True)]
    plan += [Planned(Target(member=member), n, False) for member, n in zip(full, shares, strict=True)]
    return plan


def _text(rng: random.Random, *, kind: str, aspect: str, team: bool) -> str:
    if kind == OpinionKind.SUGGESTION:
        return rng.choice(SUGGESTIONS[aspect]) + rng.choice(SUGGESTION_TAILS) + "。"
    pool = PROBLEMS[aspect] + (TEAM_PROBLEMS.get(aspect, ()) if team else ())
    first = rng.choice(pool)
    if rng.random() < 0.25:
        first += "；" + rng.choice([phrase for phrase in pool if phrase != first])
    return first + rng.choice(PROBLEM_TAILS) + "。"


def _source_group(rng: random.Random, channel: str, event: SolicitationEvent | None) -> str:
    if channel == Channel.FORUM and event is not None and event.attendee_groups:
        return rng.choice(event.attendee_groups)
    choices = {
        Channel.QUESTIONNAIRE: (SourceGroup.MEMBERS, SourceGroup.PUBLIC, SourceGroup.COUNTY_OFFICIALS),
        Channel.SUGGESTION_BOX: (SourceGroup.PUBLIC, SourceGroup.PUBLIC, SourceGroup.MEMBERS),
        Channel.OPEN_LETTER: (SourceGroup.PUBLIC, SourceGroup.VETERAN_CADRES, SourceGroup.BUSINESS),
        Channel.VISIT: (SourceGroup.VULNERABLE, SourceGroup.TOWNSHIP, SourceGroup.PUBLIC, SourceGroup.BUSINESS),
    }
    return rng.choice(choices.get(channel, (SourceGroup.PUBLIC,)))


def _pick_event(
    rng: random.Random, index: EventIndex, channel: str, planned: Planned, county: demo.DemoCounty
) -> SolicitationEvent | None:
    """An event of the channel near the target: its own unit's (or branches'), its
    party committee's, or the county's — in that order of likelihood, falling back
    outwards where a level held none."""
    if channel == Channel.ONLINE:
        return None  # the public box: no event, no recording unit
    _category, ledger_unit = derive(planned.target)
    candidates: list[list[SolicitationEvent]] = []
    if planned.county_level or ledger_unit is None or ledger_unit.pk == county.county.pk:
        # County-level cadres and teams: mostly the county's events, some a committee's.
        committee = rng.choice(county.committees)
        if rng.random() < 0.35:
            candidates.append(index.committee.get((channel, committee.pk), []))
    else:
        draw = rng.random()
        if draw < 0.55:
            candidates.append(index.unit.get((channel, ledger_unit.pk), []))
        if draw < 0.8:
            candidates.append(index.committee.get((channel, ledger_unit.parent_id), []))
    candidates.append(index.county[channel])
    chosen = next(events for events in candidates if events)
    return rng.choice(chosen)


def _feedback_list(
    rng: random.Random,
    planned: Planned,
    *,
    campaign: Campaign,
    batches: Sequence[ReleaseBatch],
    threshold: int,
    lagging: frozenset[int] = frozenset(),
    lagging_units: frozenset[int] = frozenset(),
    unsigned: int | None = None,
) -> FeedbackList | None:
    """The list of a planned target, or None if the office has not started it: every
    team and county-level cadre has one, most other members too. The county level is
    fed back in full in the first batch; department teams and section-level cadres in
    the second, other members in the third, most of them. A member's list with fewer
    than k opinions is released only once its wording was confirmed."""
    target = planned.target
    if target.unit is not None:
        return None  # feedback goes to a team or a member, never to a unit as such
    member = target.member
    section = member is not None and member.rank == Rank.SECTION_CADRE
    listed = SECTION_LISTED if section else ORDINARY_LISTED
    # Lists not started, not released or not signed only where the unit fell behind.
    behind = not planned.county_level and (
        member.pk in lagging if member is not None else target.team.unit_id in lagging_units
    )
    if member is not None and behind and rng.random() >= listed:
        return None
    _category, ledger_unit = derive(target)
    short = member is not None and planned.count < threshold
    feedback_list = FeedbackList(
        campaign=campaign,
        target_member=member,
        target_team=target.team,
        ledger_unit=ledger_unit,
        wording_confirmed=short and (not behind or rng.random() < SHORT_CONFIRMED),
    )
    if behind and (rng.random() >= RELEASED or (short and not feedback_list.wording_confirmed)):
        return feedback_list
    batch = batches[0] if planned.county_level else batches[1] if member is None or section else batches[2]
    feedback_list.batch, feedback_list.released_on = batch, batch.released_on
    feedback_list.status = FeedbackList.Status.RELEASED
    # One list left unsigned on purpose elsewhere (``DemoCounty.showcase_gaps``).
    showcase = member is not None and member.pk == unsigned
    if (not behind and not showcase) or (behind and rng.random() < SIGNED):
        feedback_list.status = FeedbackList.Status.SIGNED
        # A team's list is signed by its head.
        feedback_list.signed_by = member if member is not None else target.team.head
        feedback_list.signed_at = _signed_at(rng, batch.released_on)
    return feedback_list


def _signed_at(rng: random.Random, released_on: datetime.date) -> datetime.datetime:
    day = released_on + datetime.timedelta(days=rng.randint(0, 3))
    return datetime.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=_local_zone())


# What a list's status makes of the opinions it consolidates (``opinions.feedback``
# moves them so on release and on signing); an opinion with no list is still as
# recorded, or sorted.
OPINION_STATUS = {
    FeedbackList.Status.DRAFT: OpinionStatus.SORTED,
    FeedbackList.Status.RELEASED: OpinionStatus.FED_BACK,
    FeedbackList.Status.SIGNED: OpinionStatus.ACKNOWLEDGED,
}


def build_solicitation(county: demo.DemoCounty) -> demo.Totals:
    """The events, the 11,047 opinions, and the feedback lists about their targets."""
    rng = county.rng("opinions")
    campaign = county.campaign
    step = _solicit_step(county)
    new_events = _events(county, rng, step)
    for event, code in zip(new_events, allocate_event_codes(campaign.pk, len(new_events)), strict=True):
        event.code = code
    events = bulk_create_with_history(new_events, SolicitationEvent, default_change_reason=demo.CHANGE_REASON)
    unit_of_branch = {branch.pk: unit_id for unit_id, branches in county.branches.items() for branch in branches}
    index = EventIndex.of(events, unit_of_branch)
    batches = ReleaseBatch.objects.bulk_create(
        # Released by the office before any login exists: no user to name.
        ReleaseBatch(campaign=campaign, released_by=None, released_on=county.shift(day), note=note)
        for day, note in BATCHES
    )
    feedback_rng = county.rng("feedback")

    opinions: list[Opinion] = []
    lists: list[FeedbackList] = []
    for planned in _plan(county, rng):
        category, ledger_unit = derive(planned.target)
        feedback_list = _feedback_list(
            feedback_rng,
            planned,
            campaign=campaign,
            batches=batches,
            threshold=campaign.feedback_threshold,
            lagging=county.lagging_members,
            lagging_units=county.lagging_units,
            unsigned=county.showcase_gaps.unsigned_list,
        )
        if feedback_list is not None:
            lists.append(feedback_list)
        if category == TargetCategory.STANDING_COMMITTEE_TEAM:
            kinds = [OpinionKind.OPINION] * STANDING_TEAM_OPINIONS
            kinds += [OpinionKind.SUGGESTION] * (planned.count - STANDING_TEAM_OPINIONS)
            rng.shuffle(kinds)
        else:
            share = 0.4 if planned.target.member is None else 0.5
            kinds = [
                OpinionKind.OPINION if rng.random() < share else OpinionKind.SUGGESTION for _n in range(planned.count)
            ]
        for kind in kinds:
            channel = _weighted(rng, CHANNEL_WEIGHTS)
            event = _pick_event(rng, index, channel, planned, county)
            if event is None:
                received_on = _day(rng, step.starts_on, step.ends_on)
            else:
                received_on = _day(rng, event.held_on, min(event.ends_on or event.held_on, step.ends_on))
            aspect = _weighted(rng, ASPECT_WEIGHTS)
            if feedback_list is not None:
                status = OPINION_STATUS[feedback_list.status]
            else:
                status = OpinionStatus.SORTED if rng.random() < UNLISTED_SORTED else OpinionStatus.RECORDED
            opinions.append(
                Opinion(
                    campaign=campaign,
                    kind=kind,
                    text=_text(rng, kind=kind, aspect=aspect, team=planned.target.team is not None),
                    channel=channel,
                    event=event,
                    source_group=_source_group(rng, channel, event),
                    aspect=aspect,
                    target_team=planned.target.team,
                    target_member=planned.target.member,
                    target_unit=planned.target.unit,
                    category=category,
                    ledger_unit=ledger_unit,
                    received_on=received_on,
                    recording_unit=event.unit if event is not None else None,
                    status=status,
                )
            )
    if len(opinions) != OPINION_TOTAL:
        raise RuntimeError(f"The demo plan makes {len(opinions)} opinions, not {OPINION_TOTAL}.")
    bulk_create_with_history(opinions, Opinion, default_change_reason=demo.CHANGE_REASON)
    bulk_create_with_history(lists, FeedbackList, default_change_reason=demo.CHANGE_REASON)

    # One announcement for the whole solicitation: every ledger unit and event host.
    units = {opinion.ledger_unit_id for opinion in opinions} | {event.unit_id for event in events}
    announce_change(campaign_id=campaign.pk, unit_ids=units, source=SOURCE)
    return {
        _("solicitation events"): len(events),
        _("forums"): sum(1 for event in events if event.channel == Channel.FORUM),
        _("forms issued"): sum(event.forms_issued for event in events),
        _("suggestion boxes"): sum(event.boxes_set for event in events),
        _("opinions"): len(opinions),
        _("feedback lists"): len(lists),
        _("lists released"): sum(1 for fl in lists if fl.status != FeedbackList.Status.DRAFT),
        _("lists signed"): sum(1 for fl in lists if fl.status == FeedbackList.Status.SIGNED),
    }


# --- Step 2: feedback items ------------------------------------------------------------


def _item_texts(rng: random.Random, aspect: str, count: int) -> list[str]:
    """``count`` different wordings of the office for one aspect of one list."""
    combos = [
        lead + summary + ("，" + tail if tail else "。")
        for lead in ITEM_LEADS
        for summary in ITEM_SUMMARIES[aspect]
        for tail in ITEM_TAILS
    ]
    picked = rng.sample(combos, min(count, len(combos)))
    # More items than wordings happens only for a team with very many opinions: number them.
    while len(picked) < count:
        picked.append(f"{rng.choice(combos)}（{len(picked) + 1}）")
    return picked


def _items(
    rng: random.Random, list_id: int, opinions: list[tuple[int, str]], *, team: bool
) -> list[tuple[FeedbackItem, list[int]]]:
    """Every opinion (id, aspect) of a list in one item: those of one aspect in groups
    of a few, placed in the default order of ``opinions.feedback``."""
    by_aspect: dict[str, list[int]] = defaultdict(list)
    for pk, aspect in opinions:
        by_aspect[aspect].append(pk)
    planned: list[tuple[str, list[int]]] = []
    for aspect in Aspect.values:
        group = by_aspect.get(aspect, [])
        rng.shuffle(group)
        while group:
            size = rng.randint(3, 8) if team else rng.randint(2, 4)
            planned.append((aspect, group[:size]))
            group = group[size:]
    texts = {aspect: _item_texts(rng, aspect, sum(1 for a, _g in planned if a == aspect)) for aspect in Aspect.values}
    items = [
        (FeedbackItem(feedback_list_id=list_id, text=texts[aspect].pop(), aspect=aspect), group)
        for aspect, group in planned
    ]
    items.sort(key=lambda pair: default_key(pair[0].aspect, pair[0].text))
    for position, (item, _group) in enumerate(items, start=1):
        item.position = position
    return items


def build_feedback_items(county: demo.DemoCounty) -> demo.Totals:
    """Each list's items, consolidating every opinion about its target."""
    rng = county.rng("feedback items")
    campaign = county.campaign
    about: dict[tuple[int | None, int | None], list[tuple[int, str]]] = defaultdict(list)
    rows = Opinion.objects.filter(campaign=campaign, merged_into__isnull=True).order_by("pk")
    for pk, member_id, team_id, aspect in rows.values_list("pk", "target_member_id", "target_team_id", "aspect"):
        about[(member_id, team_id)].append((pk, aspect))
    lists = FeedbackList.objects.filter(campaign=campaign).order_by("pk")
    pairs = [
        pair
        for list_id, member_id, team_id in lists.values_list("pk", "target_member_id", "target_team_id")
        for pair in _items(rng, list_id, about[(member_id, team_id)], team=team_id is not None)
    ]
    items = FeedbackItem.objects.bulk_create([item for item, _group in pairs])
    item_history = FeedbackItem.history.bulk_history_create(items, default_change_reason=demo.CHANGE_REASON)
    through = FeedbackItem.opinions.through
    links = through.objects.bulk_create(
        through(feedbackitem_id=item.pk, opinion_id=opinion_id) for item, group in pairs for opinion_id in group
    )
    # Each item's history holds the opinions it consolidates, as ``opinions.set()`` leaves it.
    history_of = {record.id: record for record in item_history}
    m2m_history = FeedbackItem.history.model.opinions.model
    m2m_history.objects.bulk_create(
        m2m_history(
            history=history_of[link.feedbackitem_id],
            id=link.pk,
            feedbackitem_id=link.feedbackitem_id,
            opinion_id=link.opinion_id,
        )
        for link in links
    )
    return {_("feedback items"): len(items), _("opinions consolidated"): len(links)}


demo.register_step(gettext_lazy("solicitation events, opinions and feedback lists"), build_solicitation)
demo.register_step(gettext_lazy("feedback items"), build_feedback_items)
