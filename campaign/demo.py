"""The demo county (某县): a first-batch campaign with a whole organisation, built in steps.

``demo_county_create()`` makes the campaign, then runs every registered step in order;
each step builds one part of the county and returns the totals it built. The
organisation's steps live here; a later app adds its own (opinions, talks, …) in its
``<app>/demo.py`` with ``register_step()``. The ``seed_demo`` command discovers those
modules, so this app never imports another.

Everything is deterministic: each step draws from its own seeded random generator, so
adding a step never changes what the others build, and tests can assert exact numbers.
Rows are bulk-created with their history rows, so the audit trail is complete.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    RoleAssignment,
    RoleKind,
    Stage,
    StageKind,
    Step,
    StepKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
    TeamKind,
)

SLUG = "demo"
SEED = 2026
DEMO_PASSWORD = "canvass-demo-2026"
OFFICE_GROUP = "县先进性教育办"
# Permissions of the office's group in the admin beyond the campaign app's own, as
# (app label, codename): a stage app adds those of the records the office keeps there
# in its demo.py (reviews: the routing rules), without this app knowing the stage.
OFFICE_ADMIN_PERMISSIONS: set[tuple[str, str]] = set()
CHANGE_REASON = "demo seed"

COUNTY = "某县"
CAMPAIGN_NAME = "某县第一批保持共产党员先进性教育活动"
BRANCH_TOTAL = 287
MEMBER_TOTAL = 2600
MIN_BRANCH_MEMBERS = 3  # a party branch needs at least three full members
LAGGING_UNITS = 9  # units behind in every stage (``DemoCounty.lagging_units``)


# --- The county's shape -----------------------------------------------------
# Each unit: (name, kind of unit, size 1–5). The kind decides the titles of its cadres,
# the names of its branches and its ordinary members' jobs; the size its number of
# branches, of section-level cadres and of members.


@dataclass(frozen=True)
class UnitSpec:
    name: str
    kind: str
    size: int


@dataclass(frozen=True)
class CommitteeSpec:
    name: str
    units: tuple[UnitSpec, ...]


def _township(name: str, *, extra: Sequence[str] = ()) -> CommitteeSpec:
    """A township's party committee: its organs and its stations (the first batch)."""
    units = [
        UnitSpec(f"{name}机关", "township", 3),
        UnitSpec(f"{name}财政所", "office_small", 1),
        UnitSpec(f"{name}农业综合服务站", "station", 1),
        UnitSpec(f"{name}计划生育服务站", "station", 1),
        UnitSpec(f"{name}文化广播站", "station", 1),
        *(UnitSpec(f"{name}{unit}", "centre", 2) for unit in extra),
    ]
    return CommitteeSpec(f"{name}党委", tuple(units))


COMMITTEES: tuple[CommitteeSpec, ...] = (
    CommitteeSpec(
        "县直机关工委",
        (
            UnitSpec("县委办公室", "county_office", 3),
            UnitSpec("县人大常委会办公室", "office", 2),
            UnitSpec("县政府办公室", "office", 3),
            UnitSpec("县政协办公室", "office", 2),
            UnitSpec("县纪委（监察局）", "discipline", 2),
            UnitSpec("县委组织部", "party_department", 2),
            UnitSpec("县委宣传部", "party_department", 2),
            UnitSpec("县委统战部", "party_department", 1),
            UnitSpec("县发展和改革局", "bureau", 2),
            UnitSpec("县人事劳动和社会保障局", "bureau", 2),
            UnitSpec("县民政局", "bureau", 2),
            UnitSpec("县审计局", "bureau", 1),
            UnitSpec("县统计局", "bureau", 1),
            UnitSpec("县档案局", "bureau", 1),
        ),
    ),
    CommitteeSpec(
        "县政法系统党委",
        (
            UnitSpec("县委政法委", "discipline", 1),
            UnitSpec("县公安局", "police", 5),
            UnitSpec("县人民法院", "court", 3),
            UnitSpec("县人民检察院", "procuratorate", 2),
            UnitSpec("县司法局", "bureau", 2),
        ),
    ),
    CommitteeSpec(
        "县教育系统党委",
        (
            UnitSpec("县教育局", "bureau", 2),
            UnitSpec("县第一中学", "school", 5),
            UnitSpec("县第二中学", "school", 4),
            UnitSpec("县职业中等专业学校", "school", 3),
            UnitSpec("县实验小学", "school", 3),
            UnitSpec("县教师进修学校", "school", 1),
        ),
    ),
    CommitteeSpec(
        "县卫生系统党委",
        (
            UnitSpec("县卫生局", "bureau", 2),
            UnitSpec("县人民医院", "hospital", 5),
            UnitSpec("县中医院", "hospital", 4),
            UnitSpec("县疾病预防控制中心", "centre", 2),
            UnitSpec("县妇幼保健院", "hospital", 2),
            UnitSpec("县人口和计划生育局", "bureau", 2),
        ),
    ),
    CommitteeSpec(
        "县农业系统党委",
        (
            UnitSpec("县农业局", "bureau", 3),
            UnitSpec("县林业局", "bureau", 3),
            UnitSpec("县水利局", "bureau", 2),
            UnitSpec("县畜牧水产局", "bureau", 2),
            UnitSpec("县果业局", "bureau", 2),
            UnitSpec("县农业机械管理局", "bureau", 1),
            UnitSpec("县扶贫和移民办公室", "office", 1),
        ),
    ),
    CommitteeSpec(
        "县工交系统党委",
        (
            UnitSpec("县经济贸易局", "bureau", 2),
            UnitSpec("县交通局", "bureau", 3),
            UnitSpec("县建设局", "bureau", 2),
            UnitSpec("县国土资源局", "bureau", 2),
            UnitSpec("县环境保护局", "bureau", 1),
            UnitSpec("县供电公司", "company", 4),
        ),
    ),
    CommitteeSpec(
        "县财贸系统党委",
        (
            UnitSpec("县财政局", "bureau", 3),
            UnitSpec("县地方税务局", "bureau", 3),
            UnitSpec("县国家税务局", "bureau", 3),
            UnitSpec("县工商行政管理局", "bureau", 3),
            UnitSpec("县供销合作社联合社", "centre", 2),
            UnitSpec("县农村信用合作联社", "company", 3),
        ),
    ),
    _township("城关镇", extra=("社区服务中心",)),
    _township("龙潭镇"),
    _township("石桥镇"),
    _township("新圩镇"),
    _township("青山乡"),
    _township("白沙乡"),
    _township("黄岭乡"),
    _township("柳溪乡"),
)

# Titles of a unit's section-level cadres, the head of its team first.
SECTION_TITLES: dict[str, tuple[str, ...]] = {
    # The county office's director sits on the Standing Committee; its team is led by the deputy.
    "county_office": ("常务副主任", "副主任", "副主任", "副主任", "副主任"),
    "office": ("主任", "副主任", "副主任", "副主任", "副主任"),
    "office_small": ("所长", "副所长", "副所长", "副所长", "副所长"),
    "discipline": ("常务副书记", "副书记", "常委", "常委", "常委"),
    "party_department": ("常务副部长", "副部长", "副部长", "副部长", "副部长"),
    "bureau": ("局长", "党组副书记", "副局长", "副局长", "纪检组长"),
    "police": ("局长", "政委", "副局长", "副局长", "纪委书记"),
    # The president of the court and the chief procurator are county-level cadres.
    "court": ("副院长", "副院长", "纪检组长", "政治处主任", "审判委员会专职委员"),
    "procuratorate": ("副检察长", "副检察长", "纪检组长", "政治处主任", "检察委员会专职委员"),
    "school": ("校长", "党总支书记", "副校长", "副校长", "副校长"),
    "hospital": ("院长", "党委书记", "副院长", "副院长", "副院长"),
    "centre": ("主任", "党支部书记", "副主任", "副主任", "副主任"),
    "company": ("总经理", "党委书记", "副总经理", "副总经理", "纪委书记"),
    "station": ("站长", "副站长", "副站长", "副站长", "副站长"),
    "township": ("党委书记", "{head}长", "党委副书记", "副{head}长", "纪委书记"),
}

# Jobs of ordinary members by kind of unit.
ORDINARY_JOBS: dict[str, tuple[str, ...]] = {
    "school": ("教师", "教师", "教师", "班主任", "教务员"),
    "hospital": ("医生", "医生", "护士", "护士", "药剂师", "检验师"),
    "police": ("民警", "民警", "民警", "辅警"),
    "court": ("法官", "书记员", "法警"),
    "procuratorate": ("检察官", "书记员"),
    "township": ("干部", "干部", "驻村干部", "办事员"),
    "company": ("职工", "职工", "技术员", "会计"),
}
DEFAULT_JOBS = ("干部", "干部", "科员", "办事员")

# Branch names by kind of unit; the last is the retirees' branch for a unit with three or more.
BRANCH_NAMES: dict[str, tuple[str, ...]] = {
    "police": (
        "机关党支部",
        "刑侦大队党支部",
        "治安大队党支部",
        "交警大队党支部",
        "城关派出所党支部",
        "巡警大队党支部",
    ),
    "hospital": ("内科党支部", "外科党支部", "医技党支部", "门诊党支部", "行政后勤党支部", "妇产儿科党支部"),
    "company": ("机关党支部", "生产第一党支部", "生产第二党支部", "生产第三党支部", "营销服务党支部"),
}
RETIREES_BRANCH = {"school": "离退休教师党支部"}

# The Standing Committee's members by position; the county committee's secretary first.
STANDING_COMMITTEE: tuple[str, ...] = (
    "县委书记",
    "县委副书记、县长",
    "县委副书记",
    "县委常委、县纪委书记",
    "县委常委、组织部部长",
    "县委常委、宣传部部长",
    "县委常委、政法委书记",
    "县委常委、统战部部长",
    "县委常委、常务副县长",
    "县委常委、县委办公室主任",
    "县委常委、县人武部政委",
)
GOVERNOR, EXECUTIVE_DEPUTY = 1, 8  # indexes above: they also sit on the government's team
DEPUTY_GOVERNORS = 8
CONGRESS_DEPUTIES = 6
CPPCC_DEPUTIES = 6
# Non-leading county-level posts (调研员 / 副调研员) in each of the four offices.
RESEARCHERS = {
    "县委": "县委办公室",
    "县政府": "县政府办公室",
    "县人大常委会": "县人大常委会办公室",
    "县政协": "县政协办公室",
}
RESEARCHERS_PER_OFFICE = (1, 3)  # one 调研员, three 副调研员
# How many units each county-level cadre is in charge of (挂点联系), by group.
IN_CHARGE = {"standing": 3, "government": 3, "congress": 2, "cppcc": 2, "judicial": 1, "researcher": 1}

SECTION_CADRES_BY_SIZE = {1: 2, 2: 3, 3: 3, 4: 4, 5: 5}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石"
    "廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "建国明华伟芳秀英军平志强红梅丽敏静勇杰涛斌磊超波辉刚健俊峰玲燕霞琴云兰凤海林文武春秋冬雪松柏德福祥瑞永长庆新光荣"
    "跃进卫东晓宏宇鹏飞振兴立爱民桂香金花水生根发玉珍慧娟洁清正良忠诚信义礼智仁达远成功业家和安康乐"
)

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 15 → 十五: enough for team and branch names."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    tens, ones = divmod(n, 10)
    return CHINESE_NUMERALS[tens - 1] + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


class NameMaker:
    """Chinese personal names, unique in the county so that a demo search finds one person."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        # Common surnames are commoner: the first in the list weigh most.
        self.weights = [len(SURNAMES) - i for i in range(len(SURNAMES))]

    def __call__(self) -> str:
        while True:
            surname = self.rng.choices(SURNAMES, weights=self.weights)[0]
            length = 1 if self.rng.random() < 0.3 else 2
            name = surname + "".join(self.rng.choice(GIVEN_CHARS) for _n in range(length))
            if name not in self.used:
                self.used.add(name)
                return name


# --- State shared by the steps ------------------------------------------------


@dataclass
class DemoLogin:
    role: str
    username: str
    sees: str


@dataclass(frozen=True)
class ShowcaseGaps:
    unsigned_list: int  # a member's id
    returned_document: int  # a member's id
    missing_pair: tuple[int, int]  # two members' ids, the lower first
    missing_charge_pair: tuple[int, int]  # a county-level cadre and a unit's leader, the lower first


@dataclass
class DemoCounty:
    """What the steps have built so far; a later step reads what it needs from here."""

    campaign: Campaign
    county: OrgUnit | None = None
    committees: list[OrgUnit] = field(default_factory=list)
    units: list[OrgUnit] = field(default_factory=list)
    branches: dict[int, list[OrgUnit]] = field(default_factory=dict)  # unit id → its branches
    specs: dict[int, UnitSpec] = field(default_factory=dict)  # unit id → how it was described
    standing: list[Member] = field(default_factory=list)
    county_leaders: dict[str, list[Member]] = field(default_factory=dict)  # group → county-level cadres
    section_cadres: dict[int, list[Member]] = field(default_factory=dict)  # unit id → its cadres, head first
    ordinary: dict[int, list[Member]] = field(default_factory=dict)  # unit id → its ordinary members
    teams: list[LeadershipTeam] = field(default_factory=list)
    supervisory_teams: list[SupervisoryTeam] = field(default_factory=list)
    supervisors: list[Supervisor] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    # The member a demo login is, when a later step chooses him or her for the work waiting
    # (reviews/demo.py names the ``member`` whose document is a draft below the minimum).
    login_members: dict[str, Member] = field(default_factory=dict)
    names: NameMaker = field(default_factory=lambda: NameMaker(random.Random(f"{SEED}:names")))
    _next_number: int = 1
    _units_by_id: dict[int, OrgUnit] = field(default_factory=dict)

    def shift(self, day: datetime.date) -> datetime.date:
        """A date of the seed's story (``datetime.date(2026, 4, 1)``) as the demo has it:
        moved as the campaign's dates were (``STORY_DAY`` is the day of the seed)."""
        return day + (self.campaign.starts_on - STORY_STARTS)

    def rng(self, step: str) -> random.Random:
        """A generator of its own for each step: adding a step never shifts another's draws."""
        return random.Random(f"{SEED}:{step}")

    def unit(self, pk: int) -> OrgUnit:
        if len(self._units_by_id) != len(self.units):
            self._units_by_id = {unit.pk: unit for unit in self.units}
        return self._units_by_id[pk]

    @functools.cached_property
    def lagging_units(self) -> frozenset[int]:
        """The units that fell behind (落后单位): every other stage leaves its gaps (no
        opinion, a list unsigned, talks short, a pair missing, a document not approved)
        only among their members and their teams, so that everywhere else the three
        no-convenings are met and the meetings step can hold most meetings truly. Never a
        unit of a county-level cadre (the county's teams stay clear); always the demo
        secretary's unit (the one in the demo leader's charge with most branches), so the
        demo logins have something to supply."""
        county_level = {m.unit_id for m in self.standing} | {
            m.unit_id for members in self.county_leaders.values() for m in members
        }
        secretary_unit = self.secretary_unit.pk
        candidates = sorted(unit.pk for unit in self.units if unit.pk not in county_level | {secretary_unit})
        chosen = self.rng("lagging").sample(candidates, LAGGING_UNITS - 1)
        return frozenset({secretary_unit, *chosen})

    @functools.cached_property
    def secretary_unit(self) -> OrgUnit:
        """The demo logins' unit: of the units in the demo leader's charge, the one with most
        branches (柳溪乡机关). The ``secretary`` login is its secretary, ``member`` and
        ``responsible`` belong to it, ``branchsec`` is the secretary of its first branch."""
        charge = sorted(self.standing[2].in_charge_of.all(), key=lambda unit: unit.code)
        return max(charge, key=lambda unit: len(self.branches[unit.pk]))

    @functools.cached_property
    def lagging_members(self) -> frozenset[int]:
        return frozenset(Member.objects.filter(unit_id__in=self.lagging_units).values_list("pk", flat=True))

    @functools.cached_property
    def showcase_gaps(self) -> ShowcaseGaps:
        """Three gaps left on purpose outside the units that fell behind, one of each
        kind, so that a few meetings are blocked by the gate for one plain reason: an
        ordinary member's feedback list released but not signed, another's document
        returned, two members of a department team who have not talked, and a county-level
        cadre who has not talked with the leader of a unit in his or her charge."""
        county_level = {m.unit_id for m in self.standing} | {
            m.unit_id for members in self.county_leaders.values() for m in members
        }
        on_time = [
            unit
            for unit in sorted(self.units, key=lambda unit: unit.code)
            if unit.pk not in self.lagging_units | county_level and self.ordinary[unit.pk]
        ]
        rng = self.rng("showcase")
        team_unit = rng.choice([unit for unit in on_time if len(self.section_cadres[unit.pk]) >= 3])
        unsigned_unit, returned_unit = rng.sample([unit for unit in on_time if unit is not team_unit], 2)
        cadres = self.section_cadres[team_unit.pk]
        # A cadre without a team (调研员) who has not talked with the responsible leader
        # of the unit in his or her charge: one of the units behind, if any.
        charges = sorted(
            (unit.pk not in self.lagging_units, researcher.pk, unit.responsible_leader_id)
            for researcher in self.county_leaders["researcher"]
            for unit in researcher.in_charge_of.all()
        )
        _on_time, researcher_id, leader_id = charges[0]
        pair = (min(cadres[1].pk, cadres[2].pk), max(cadres[1].pk, cadres[2].pk))
        return ShowcaseGaps(
            unsigned_list=rng.choice(self.ordinary[unsigned_unit.pk]).pk,
            returned_document=rng.choice(self.ordinary[returned_unit.pk]).pk,
            missing_pair=pair,
            missing_charge_pair=(min(researcher_id, leader_id), max(researcher_id, leader_id)),
        )

    def next_number(self) -> str:
        number = f"MX{self._next_number:05d}"
        self._next_number += 1
        return number


Totals = dict[str, int]


@dataclass(frozen=True)
class DemoStep:
    label: str | Promise
    build: Callable[[DemoCounty], Totals]
    # Run after the demo logins were made, and only when they are (work addressed to
    # them: the notifications waiting on their home pages).
    after_logins: bool = False


STEPS: list[DemoStep] = []


def register_step(label: str | Promise, build: Callable[[DemoCounty], Totals], *, after_logins: bool = False) -> None:
    """Add a step after those already registered (a later app registers from its demo.py);
    ``after_logins``: after the demo logins, and only with them."""
    if any(step.build is build for step in STEPS):
        return
    STEPS.append(DemoStep(label, build, after_logins))


# --- The steps ----------------------------------------------------------------


# The day the story stands on: the seed's county on 16 April 2026, its meetings held, its
# appraisal closed, the look-back under way, analysis and evaluation still the current
# stage. The demo is built as if today were that day: every date moves by the days between
# them (``story_offset``), so the box is open and waits are of days whatever the day of
# the seed, and every figure is the same (whole days, every draw from the same generators).
STORY_DAY = datetime.date(2026, 4, 16)
STORY_STARTS = datetime.date(2026, 1, 26)  # the campaign's first day in the seed


def story_offset(today: datetime.date | None = None) -> datetime.timedelta:
    """What to add to a date of the seed's story so that its "today" is ``today``."""
    return (today or timezone.localdate()) - STORY_DAY


def build_campaign(*, slug: str, today: datetime.date | None = None) -> Campaign:
    """The campaign, its three stages and the seven steps of analysis and evaluation.

    Dates follow the seed document, moved so that its 16 April is today (``STORY_DAY``):
    preparation from 26 January, analysis and evaluation from 17 March (the current
    stage), look-back training on 12 April.
    """
    offset = story_offset(today)

    def day(year: int, month: int, dd: int) -> datetime.date:
        return datetime.date(year, month, dd) + offset

    campaign = Campaign.objects.create(
        slug=slug,
        name=CAMPAIGN_NAME,
        county=COUNTY,
        batch=1,
        starts_on=day(2026, 1, 26),
        ends_on=day(2026, 6, 30),
        # The demo shows the public box: opened on purpose, as the office would.
        is_public=True,
    )
    stage_dates = {
        StageKind.LEARNING: (day(2026, 1, 26), day(2026, 3, 16)),
        StageKind.ANALYSIS: (day(2026, 3, 17), day(2026, 4, 20)),
        StageKind.RECTIFICATION: (day(2026, 4, 21), day(2026, 6, 30)),
    }
    stages = bulk_create_with_history(
        [
            Stage(
                campaign=campaign,
                kind=kind,
                order=order,
                starts_on=starts,
                ends_on=ends,
                is_current=kind == StageKind.ANALYSIS,
            )
            for order, (kind, (starts, ends)) in enumerate(stage_dates.items(), start=1)
        ],
        Stage,
        default_change_reason=CHANGE_REASON,
    )
    analysis = next(stage for stage in stages if stage.kind == StageKind.ANALYSIS)
    step_dates = {
        StepKind.SOLICIT: (day(2026, 3, 17), day(2026, 3, 31)),
        StepKind.TALKS: (day(2026, 3, 22), day(2026, 4, 2)),
        StepKind.DOCUMENTS: (day(2026, 3, 28), day(2026, 4, 8)),
        StepKind.MEETINGS: (day(2026, 4, 4), day(2026, 4, 12)),
        StepKind.APPRAISAL: (day(2026, 4, 10), day(2026, 4, 14)),
        StepKind.APPRAISAL_FEEDBACK: (day(2026, 4, 13), day(2026, 4, 16)),
        StepKind.LOOKBACK: (day(2026, 4, 12), day(2026, 4, 20)),
    }
    bulk_create_with_history(
        [
            Step(stage=analysis, kind=kind, order=order, starts_on=starts, ends_on=ends)
            for order, (kind, (starts, ends)) in enumerate(step_dates.items(), start=1)
        ],
        Step,
        default_change_reason=CHANGE_REASON,
    )
    return campaign


def _create_level(units: list[OrgUnit]) -> list[OrgUnit]:
    """Bulk-create one level of the tree, then give it the paths ``OrgUnit.save()`` would
    (they need the new ids; the parents' paths are already set)."""
    created = bulk_create_with_history(units, OrgUnit, default_change_reason=CHANGE_REASON)
    for unit in created:
        if unit.pk is None:  # only a database without RETURNING would get here
            raise RuntimeError("The database did not return the ids of bulk-created organisations.")
        parent_path = unit.parent.path if unit.parent is not None else "/"
        unit.path = f"{parent_path}{unit.pk:08d}/"
        unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.bulk_update(created, ["path", "depth"])
    return created


def allocate(total: int, weights: Sequence[int], *, minimum: int) -> list[int]:
    """Split ``total`` in proportion to ``weights``, each share at least ``minimum``, the
    shares summing to ``total`` exactly (largest remainder)."""
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} cannot give {len(weights)} shares of at least {minimum}.")
    whole = sum(weights)
    exact = [spare * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - shares[i], weights[i], -i), reverse=True)
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [minimum + share for share in shares]


def branch_names(spec: UnitSpec, count: int) -> list[str]:
    if count == 1:
        return ["党支部"] if spec.kind in {"station", "office_small"} else ["机关党支部"]
    retirees = RETIREES_BRANCH.get(spec.kind, "离退休干部党支部") if count >= 3 else None
    working = count - (1 if retirees else 0)
    pool = BRANCH_NAMES.get(spec.kind)
    if pool and working <= len(pool):
        names = list(pool[:working])
    elif spec.kind == "school":
        names = [f"教师第{chinese_number(i)}党支部" for i in range(1, working + 1)]
    else:
        names = [f"机关第{chinese_number(i)}党支部" for i in range(1, working + 1)]
    return names + ([retirees] if retirees else [])


def branch_full_name(unit_name: str, branch_name: str) -> str:
    """The unit's name and the branch's, without saying 机关 twice (柳溪乡机关第一党支部)."""
    if unit_name.endswith("机关") and branch_name.startswith("机关"):
        branch_name = branch_name.removeprefix("机关")
    return f"{unit_name}{branch_name}"


def build_org_tree(demo: DemoCounty) -> Totals:
    """County committee → 15 party committees → 91 units → 287 branches."""
    campaign = demo.campaign
    (county,) = _create_level(
        [OrgUnit(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, code="00", name=f"中共{COUNTY}委员会")]
    )
    committees = _create_level(
        [
            OrgUnit(campaign=campaign, parent=county, kind=OrgUnitKind.PARTY_COMMITTEE, code=f"{i:02d}", name=spec.name)
            for i, spec in enumerate(COMMITTEES, start=1)
        ]
    )
    unit_rows: list[tuple[OrgUnit, UnitSpec]] = [
        (
            OrgUnit(
                campaign=campaign,
                parent=committee,
                kind=OrgUnitKind.UNIT,
                code=f"{committee.code}{j:02d}",
                name=unit_spec.name,
            ),
            unit_spec,
        )
        for committee, spec in zip(committees, COMMITTEES, strict=True)
        for j, unit_spec in enumerate(spec.units, start=1)
    ]
    units = _create_level([unit for unit, _spec in unit_rows])
    specs = [spec for _unit, spec in unit_rows]
    counts = allocate(BRANCH_TOTAL, [spec.size for spec in specs], minimum=1)
    branch_rows = [
        OrgUnit(
            campaign=campaign,
            parent=unit,
            kind=OrgUnitKind.BRANCH,
            code=f"{unit.code}{k:02d}",
            name=branch_full_name(unit.name, name),
        )
        for unit, spec, count in zip(units, specs, counts, strict=True)
        for k, name in enumerate(branch_names(spec, count), start=1)
    ]
    branches = _create_level(branch_rows)
    demo.county, demo.committees, demo.units = county, committees, units
    demo.specs = {unit.pk: spec for unit, spec in zip(units, specs, strict=True)}
    for branch in branches:
        demo.branches.setdefault(_unit_id(branch), []).append(branch)
    return {
        _("party committees"): len(committees),
        _("units"): len(units),
        _("branches"): len(branches),
    }


def _unit_named(demo: DemoCounty, name: str) -> OrgUnit:
    return next(unit for unit in demo.units if unit.name == name)


def _section_titles(spec: UnitSpec) -> tuple[str, ...]:
    head = "乡" if spec.name.endswith("乡机关") else "镇"
    return tuple(title.format(head=head) for title in SECTION_TITLES[spec.kind])


def _unit_id(branch: OrgUnit) -> int:
    """The unit a branch belongs to: every branch is created under one."""
    assert branch.parent_id is not None
    return branch.parent_id


def build_members(demo: DemoCounty) -> Totals:
    """Every rank: the Standing Committee, the other county-level cadres, each unit's
    section-level cadres, and ordinary members spread over the branches so that the
    county has MEMBER_TOTAL members in all."""
    rng = demo.rng("members")
    campaign = demo.campaign
    rows: list[Member] = []

    def member(unit: OrgUnit, rank: str, position: str, branch: OrgUnit | None = None) -> Member:
        row = Member(
            campaign=campaign,
            number=demo.next_number(),
            name=demo.names(),
            unit=unit,
            branch=branch or demo.branches[unit.pk][0],
            rank=rank,
            position=position,
        )
        rows.append(row)
        return row

    county_office = _unit_named(demo, "县委办公室")
    demo.standing = [member(county_office, Rank.STANDING_COMMITTEE, position) for position in STANDING_COMMITTEE]

    government_office = _unit_named(demo, "县政府办公室")
    congress_office = _unit_named(demo, "县人大常委会办公室")
    cppcc_office = _unit_named(demo, "县政协办公室")
    county_rank = Rank.COUNTY_LEADER
    demo.county_leaders = {
        "government": [member(government_office, county_rank, "副县长") for _n in range(DEPUTY_GOVERNORS)],
        "congress": [member(congress_office, county_rank, "县人大常委会主任")]
        + [member(congress_office, county_rank, "县人大常委会副主任") for _n in range(CONGRESS_DEPUTIES)],
        "cppcc": [member(cppcc_office, county_rank, "县政协主席")]
        + [member(cppcc_office, county_rank, "县政协副主席") for _n in range(CPPCC_DEPUTIES)],
        "judicial": [
            member(_unit_named(demo, "县人民法院"), county_rank, "县人民法院院长"),
            member(_unit_named(demo, "县人民检察院"), county_rank, "县人民检察院检察长"),
        ],
        "researcher": [
            member(_unit_named(demo, office), county_rank, f"{body}{title}")
            for body, office in RESEARCHERS.items()
            for title, count in zip(("调研员", "副调研员"), RESEARCHERS_PER_OFFICE, strict=True)
            for _n in range(count)
        ],
    }

    for unit in demo.units:
        spec = demo.specs[unit.pk]
        titles = _section_titles(spec)[: SECTION_CADRES_BY_SIZE[spec.size]]
        demo.section_cadres[unit.pk] = [
            member(unit, Rank.SECTION_CADRE, f"{spec.name.removesuffix('机关')}{title}") for title in titles
        ]

    all_branches = [branch for unit in demo.units for branch in demo.branches[unit.pk]]
    ordinary_total = MEMBER_TOTAL - len(rows)
    sizes = [demo.specs[_unit_id(branch)].size for branch in all_branches]
    # Larger units have fuller branches; a little noise so no two look alike.
    weights = [size * 4 + rng.randint(0, 4) for size in sizes]
    per_branch = allocate(ordinary_total, weights, minimum=MIN_BRANCH_MEMBERS)
    for branch, count in zip(all_branches, per_branch, strict=True):
        unit = demo.unit(_unit_id(branch))
        jobs = ORDINARY_JOBS.get(demo.specs[unit.pk].kind, DEFAULT_JOBS)
        demo.ordinary.setdefault(unit.pk, []).extend(
            member(unit, Rank.ORDINARY, rng.choice(jobs), branch=branch) for _n in range(count)
        )

    bulk_create_with_history(rows, Member, default_change_reason=CHANGE_REASON)
    return {
        _("Standing Committee members"): len(demo.standing),
        _("other county-level leading cadres"): sum(len(group) for group in demo.county_leaders.values()),
        _("section-level cadres"): sum(len(cadres) for cadres in demo.section_cadres.values()),
        _("ordinary members"): sum(len(members) for members in demo.ordinary.values()),
        _("members in all"): len(rows),
    }


def assign_responsible_leaders(demo: DemoCounty) -> Totals:
    """Each unit's responsible leader (who reviews its ordinary members' documents) is the
    first of its section-level cadres: the head of its team, or, where the head is a
    county-level cadre (the court, the procuratorate), the first deputy."""
    for unit in demo.units:
        unit.responsible_leader = demo.section_cadres[unit.pk][0]
    bulk_update_with_history(demo.units, OrgUnit, ["responsible_leader"], default_change_reason=CHANGE_REASON)
    return {_("units with a responsible leader"): len(demo.units)}


def _team_name(unit: OrgUnit) -> str:
    return f"{unit.name.removesuffix('机关')}领导班子"


def build_leadership_teams(demo: DemoCounty) -> Totals:
    """The Standing Committee, the county's four leadership teams, and one team per unit."""
    standing, leaders = demo.standing, demo.county_leaders
    county = demo.county
    assert county is not None  # built by the organisation tree step, which runs first
    # (code, name, kind, organisation, head, members)
    plans: list[tuple[str, str, str, OrgUnit, Member, list[Member]]] = [
        ("SC", "县委常委会", TeamKind.STANDING_COMMITTEE, county, standing[0], standing),
        ("PARTY", "县委领导班子", TeamKind.PARTY_COMMITTEE, county, standing[0], standing),
        (
            "CONGRESS",
            "县人大常委会领导班子",
            TeamKind.PEOPLES_CONGRESS,
            county,
            leaders["congress"][0],
            leaders["congress"],
        ),
        (
            "GOVERNMENT",
            "县政府领导班子",
            TeamKind.GOVERNMENT,
            county,
            standing[GOVERNOR],
            [standing[GOVERNOR], standing[EXECUTIVE_DEPUTY], *leaders["government"]],
        ),
        ("CPPCC", "县政协领导班子", TeamKind.CPPCC, county, leaders["cppcc"][0], leaders["cppcc"]),
    ]
    judicial_heads = {leader.unit_id: leader for leader in leaders["judicial"]}
    for unit in demo.units:
        cadres = demo.section_cadres[unit.pk]
        head = judicial_heads.get(unit.pk)
        members = [head, *cadres] if head else cadres
        plans.append((f"D{unit.code}", _team_name(unit), TeamKind.DEPARTMENT, unit, members[0], members))
    teams = bulk_create_with_history(
        [
            LeadershipTeam(campaign=demo.campaign, code=code, name=name, kind=kind, unit=unit, head=head)
            for code, name, kind, unit, head, _members in plans
        ],
        LeadershipTeam,
        default_change_reason=CHANGE_REASON,
    )
    # One add() per team, not a bulk insert of the link rows: the history keeps who sat on it.
    for team, plan in zip(teams, plans, strict=True):
        team.members.add(*plan[5])
    demo.teams = teams
    return {
        _("county teams"): sum(1 for team in teams if team.kind != TeamKind.DEPARTMENT),
        _("department teams"): sum(1 for team in teams if team.kind == TeamKind.DEPARTMENT),
        _("team seats"): sum(len(plan[5]) for plan in plans),
    }


def assign_units_in_charge(demo: DemoCounty) -> Totals:
    """Every county-level cadre is in charge of a few units (挂点联系), every unit has at
    least one: the talks step pairs each with the heads of those units."""
    rng = demo.rng("in_charge")
    units = list(demo.units)
    rng.shuffle(units)
    groups = {"standing": demo.standing, **demo.county_leaders}
    slots = [(leader, IN_CHARGE[group]) for group, members in groups.items() for leader in members]
    if sum(count for _leader, count in slots) < len(units):
        raise RuntimeError("Too few county-level cadres to put every unit in someone's charge.")
    cursor = 0
    links = 0
    for leader, count in slots:
        # Consecutive places in one shuffled cycle: distinct units, every unit reached once
        # before any is reached twice.
        charge = [units[(cursor + i) % len(units)] for i in range(count)]
        cursor += count
        leader.in_charge_of.add(*charge)
        links += count
    return {_("county-level cadres in charge of units"): len(slots), _("units-in-charge links"): links}


SUPERVISOR_POSITIONS = {
    "leader": ("县人大常委会原副主任", "县政协原副主席", "县委原副县级组织员", "县委原正县级调研员"),
    "deputy": ("县委组织部副部长", "县纪委常委", "县委宣传部副部长", "县委组织部组织员", "县先进性教育办副主任"),
    "member": ("县委组织部干部", "县纪委干部", "县委宣传部干部", "县先进性教育办干部", "县委党校教师"),
}
MUNICIPAL_TEAM = "市委先进性教育活动督导组"
MUNICIPAL_POSITIONS = ("市委组织部副部长", "市纪委常委", "市先进性教育办干部")
COUNTY_TEAMS = 15
TEAM_SIZE = 3


def build_supervision(demo: DemoCounty) -> Totals:
    """Fifteen county teams of three over the 91 units (each unit under exactly one, in
    tree order so a team mostly stays within one party committee), and the municipal team."""
    rng = demo.rng("supervision")
    campaign = demo.campaign
    sizes = allocate(len(demo.units), [1] * COUNTY_TEAMS, minimum=1)
    teams = bulk_create_with_history(
        [
            SupervisoryTeam(campaign=campaign, name=f"县委第{chinese_number(i)}督导组", level=SupervisoryLevel.COUNTY)
            for i in range(1, COUNTY_TEAMS + 1)
        ]
        + [SupervisoryTeam(campaign=campaign, name=MUNICIPAL_TEAM, level=SupervisoryLevel.MUNICIPAL)],
        SupervisoryTeam,
        default_change_reason=CHANGE_REASON,
    )
    county_teams, municipal = teams[:-1], teams[-1]
    ordered = sorted(demo.units, key=lambda unit: unit.code)
    start = 0
    for team, size in zip(county_teams, sizes, strict=True):
        team.units.add(*ordered[start : start + size])
        start += size
    # The municipal team oversees the county as a whole.
    municipal.units.add(demo.county)

    supervisors = [
        Supervisor(
            team=team,
            name=demo.names(),
            position=rng.choice(SUPERVISOR_POSITIONS[role]),
            is_leader=role == "leader",
        )
        for team in county_teams
        for role in ("leader", "deputy", "member")[:TEAM_SIZE]
    ]
    supervisors.extend(
        Supervisor(team=municipal, name=demo.names(), position=position, is_leader=i == 0)
        for i, position in enumerate(MUNICIPAL_POSITIONS)
    )
    demo.supervisory_teams = teams
    demo.supervisors = bulk_create_with_history(supervisors, Supervisor, default_change_reason=CHANGE_REASON)
    return {_("supervisory teams"): len(teams), _("supervisors"): len(supervisors)}


# --- Demo logins ----------------------------------------------------------------

USERNAMES = (
    "admin",
    "office",
    "supervisor",
    "municipal",
    "secretary",
    "member",
    "leader",
    "responsible",
    "branchsec",
)


def check_logins_free() -> None:
    taken = list(get_user_model().objects.filter(username__in=USERNAMES).values_list("username", flat=True))
    if taken:
        raise ValidationError(
            _(
                "The demo logins cannot be created: the user name(s) %(names)s already exist. "
                "Delete those users, or seed without demo logins (CANVASS_DEMO_USERS=0)."
            )
            % {"names": ", ".join(sorted(taken))}
        )


def build_demo_logins(demo: DemoCounty) -> Totals:
    """One login per role, all with DEMO_PASSWORD, chosen to fit together around one unit
    (``DemoCounty.secretary_unit``) and to find work waiting: the leading cadre is in
    charge of the unit, the supervisor's team supervises it, the member belongs to it (his
    document a draft below the minimum, when the documents step named him), its
    responsible leader reviews its ordinary members' documents (his own returned to him),
    and ``branchsec`` is the secretary of the member's branch."""
    user_model = get_user_model()
    check_logins_free()
    leader = demo.standing[2]
    in_charge = list(leader.in_charge_of.order_by("code"))
    unit = demo.secretary_unit
    county_team = unit.supervisory_teams.get(level=SupervisoryLevel.COUNTY)
    supervisor = county_team.supervisors.get(is_leader=True)
    municipal = Supervisor.objects.get(
        team__campaign=demo.campaign, team__level=SupervisoryLevel.MUNICIPAL, is_leader=True
    )
    member = demo.login_members.get("member") or demo.ordinary[unit.pk][0]
    responsible = unit.responsible_leader
    assert responsible is not None  # every unit has one (assign_responsible_leaders)
    branch = member.branch or demo.branches[unit.pk][0]

    # One hash for all: they share the password anyway, and each hash costs a third of a second.
    password = make_password(DEMO_PASSWORD)
    users = {}
    full_names = {
        "admin": "",
        "office": demo.names(),
        "supervisor": supervisor.name,
        "municipal": municipal.name,
        "secretary": demo.names(),
        "member": member.name,
        "leader": leader.name,
        "responsible": responsible.name,
        "branchsec": demo.names(),
    }
    for username in USERNAMES:
        user = user_model(username=username, first_name=full_names[username], password=password)
        validate_password(DEMO_PASSWORD, user)
        users[username] = user
    users["admin"].is_superuser = True
    users["admin"].is_staff = True
    users["office"].is_staff = True
    for user in users.values():
        user.save()

    group, _created = Group.objects.get_or_create(name=OFFICE_GROUP)
    granted = Q(content_type__app_label="campaign")
    for app_label, codename in sorted(OFFICE_ADMIN_PERMISSIONS):
        granted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(granted))
    users["office"].groups.add(group)
    RoleAssignment.objects.create(user=users["office"], campaign=demo.campaign, kind=RoleKind.OFFICE)
    RoleAssignment.objects.create(user=users["secretary"], campaign=demo.campaign, kind=RoleKind.SECRETARY, unit=unit)
    RoleAssignment.objects.create(user=users["branchsec"], campaign=demo.campaign, kind=RoleKind.SECRETARY, unit=branch)
    for record, username in (
        (supervisor, "supervisor"),
        (municipal, "municipal"),
        (member, "member"),
        (leader, "leader"),
        (responsible, "responsible"),
    ):
        record.user = users[username]
        record.save(update_fields=["user"])

    demo.logins = [
        DemoLogin(_("administrator"), "admin", _("everything, and the Django admin at /admin/")),
        DemoLogin(
            _("county office staff"), "office", _("the whole county; the Django admin for the campaign's records")
        ),
        DemoLogin(
            _("county supervisory team leader"),
            "supervisor",
            _("%(team)s: its %(count)d units and their branches")
            % {"team": county_team.name, "count": county_team.units.count()},
        ),
        DemoLogin(
            _("municipal supervisor"), "municipal", _("%(team)s: the whole county") % {"team": municipal.team.name}
        ),
        DemoLogin(
            _("unit secretary"),
            "secretary",
            _("%(unit)s and its %(count)d branches") % {"unit": unit.name, "count": len(demo.branches[unit.pk])},
        ),
        DemoLogin(
            _("member"), "member", _("own records only (%(name)s, %(unit)s)") % {"name": member.name, "unit": unit.name}
        ),
        DemoLogin(
            _("leading cadre"),
            "leader",
            _("own records only (%(name)s, %(position)s, in charge of %(units)s)")
            % {"name": leader.name, "position": leader.position, "units": "、".join(u.name for u in in_charge)},
        ),
        DemoLogin(
            _("responsible leader of a unit"),
            "responsible",
            _("own records, and the documents of %(unit)s's ordinary members to review (%(name)s, %(position)s)")
            % {"unit": unit.name, "name": responsible.name, "position": responsible.position},
        ),
        DemoLogin(_("branch secretary"), "branchsec", _("%(branch)s and its members") % {"branch": branch.name}),
    ]
    return {_("demo logins"): len(users)}


@contextlib.contextmanager
def timestamps_as_given(model: type[models.Model], *names: str) -> Iterator[None]:
    """Let a bulk create write the ``auto_now``/``auto_now_add`` fields ``names`` as the
    rows carry them (the story's times), instead of the moment of the seed, so that no
    bulk update is needed after it (on SQLite, an update of thousands of rows by CASE
    took most of the talks step). Only for the seed's own transaction."""
    fields = [cast(models.DateField, model._meta.get_field(name)) for name in names]
    saved = [(stamp.auto_now, stamp.auto_now_add) for stamp in fields]
    for stamp in fields:
        stamp.auto_now = stamp.auto_now_add = False
    try:
        yield
    finally:
        for stamp, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            stamp.auto_now, stamp.auto_now_add = auto_now, auto_now_add


# --- Running it -------------------------------------------------------------------

StepReport = Callable[[str, Totals, float], None]


def demo_county_create(
    *,
    slug: str = SLUG,
    with_logins: bool = False,
    on_step: StepReport | None = None,
    today: datetime.date | None = None,
) -> DemoCounty:
    """Build the demo county in one transaction: all of it, or nothing.

    ``on_step(label, totals, seconds)`` is called after each step (the command prints it).
    """

    def run(label: str | Promise, build: Callable[[], Totals]) -> None:
        started = perf_counter()
        totals = build()
        if on_step is not None:
            on_step(str(label), totals, perf_counter() - started)

    # Later apps register their steps in their own demo.py, as the admin finds admin.py.
    autodiscover_modules("demo")
    with transaction.atomic():
        if Campaign.objects.filter(slug=slug).exists():
            raise ValidationError(
                {"slug": _("A campaign with the code “%(slug)s” already exists; nothing was seeded.") % {"slug": slug}}
            )
        if with_logins:
            check_logins_free()
        started = perf_counter()
        campaign = build_campaign(slug=slug, today=today)
        demo = DemoCounty(campaign=campaign)
        if on_step is not None:
            on_step(
                _("campaign, stages and steps"),
                {
                    _("stages"): campaign.stages.count(),
                    _("steps"): Step.objects.filter(stage__campaign=campaign).count(),
                },
                perf_counter() - started,
            )
        for step in STEPS:
            if not step.after_logins:
                run(step.label, functools.partial(step.build, demo))
        if with_logins:
            run(gettext_lazy("demo logins"), lambda: build_demo_logins(demo))
            for step in STEPS:
                if step.after_logins:
                    run(step.label, functools.partial(step.build, demo))
    return demo


register_step(gettext_lazy("organisation tree"), build_org_tree)
register_step(gettext_lazy("members"), build_members)
register_step(gettext_lazy("responsible leaders"), assign_responsible_leaders)
register_step(gettext_lazy("leadership teams"), build_leadership_teams)
register_step(gettext_lazy("units in charge"), assign_units_in_charge)
register_step(gettext_lazy("supervisory teams"), build_supervision)
