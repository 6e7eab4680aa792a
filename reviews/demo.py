"""The demo county's self-analysis documents: one for every member, written to the
right length from phrase lists, routed by rank; most approved, some returned and
resubmitted, a few still waiting or in draft. Registered with campaign.demo.

Fast on purpose (the whole seed must stay within a minute): the text is composed from
pre-counted sentences, and every row is bulk-created (documents and reviews with their
history rows).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from campaign import demo
from campaign.models import Member, Rank
from reviews.models import (
    SECTION_FIELDS,
    AnalysisDocument,
    Decision,
    DocumentState,
    DocumentVersion,
    Review,
    Route,
    Section,
)
from reviews.services import COMPARISONS, RouteChoice, minimum_words, routes_for
from reviews.wordcount import count_words

OPENINGS = {
    Section.IDEALS: ["在理想信念方面，", "对照理想信念的要求，", "在坚定共产主义理想方面，"],
    Section.PURPOSE: ["在宗旨意识方面，", "对照全心全意为人民服务的宗旨，", "在联系群众方面，"],
    Section.DISCIPLINE: ["在组织纪律方面，", "对照党章规定的纪律要求，", "在执行民主集中制方面，"],
    Section.IDEOLOGY: ["在思想作风方面，", "对照解放思想、实事求是的要求，", "在理论联系实际方面，"],
    Section.WORK_STYLE: ["在工作作风方面，", "对照求真务实的要求，", "在深入基层调查研究方面，"],
    Section.CAUSES: ["究其原因，", "深刻剖析产生这些问题的根源，", "从主观上查找原因，"],
    Section.DIRECTION: ["今后，", "针对上述问题，", "在今后的工作中，"],
}
BODIES = {
    "problems": [
        "自己对马克思列宁主义、毛泽东思想和邓小平理论的学习不够系统，满足于一知半解",
        "有时对群众反映的困难和问题重视不够，解决不够及时",
        "对一些新情况新问题研究不深，工作中存在凭经验办事的现象",
        "下基层调查研究的次数不多，了解情况不够全面深入",
        "开展批评与自我批评的勇气不足，有时碍于情面，说好话多，提意见少",
        "对分管工作抓得不够细，有布置多、检查少的情况",
        "学习的自觉性和主动性不强，往往以工作忙为由放松了学习",
        "在执行制度上有时要求不严，对身边的不良现象批评制止不够",
        "工作中存在急躁情绪，有时方法简单，耐心细致的工作做得不够",
        "开拓创新的意识不强，工作上满足于按部就班、循规蹈矩",
    ],
    "causes": [
        "放松了世界观、人生观和价值观的改造，理论学习没有摆到应有的位置",
        "宗旨观念有所淡化，群众观点树立得不够牢固",
        "党性修养和党性锻炼有所放松，对自己要求不够严格",
        "存在一定的自满情绪，认为自己工作多年，经验丰富",
        "对新形势下保持共产党员先进性的重要性和紧迫性认识不足",
        "缺乏开拓进取的精神，求稳怕乱的思想时有反映",
    ],
    "direction": [
        "认真学习党的理论和路线方针政策，努力提高自身的政治素质和理论水平",
        "牢固树立全心全意为人民服务的宗旨，切实为群众办实事、办好事",
        "严格遵守党的纪律，自觉维护党的团结统一",
        "坚持深入基层，深入群众，认真开展调查研究",
        "大力弘扬求真务实的作风，把各项工作落到实处",
        "自觉接受党组织和群众的监督，做到自重、自省、自警、自励",
    ],
}
# The share of the length each section takes (the five problems, causes, direction).
SHARES = {
    Section.IDEALS: 0.11,
    Section.PURPOSE: 0.11,
    Section.DISCIPLINE: 0.11,
    Section.IDEOLOGY: 0.11,
    Section.WORK_STYLE: 0.11,
    Section.CAUSES: 0.2,
    Section.DIRECTION: 0.25,
}
BODY_OF = dict.fromkeys(SECTION_FIELDS[:5], "problems") | {Section.CAUSES: "causes", Section.DIRECTION: "direction"}
REVISION = "经过督导组和领导的指点，自己对问题的认识更加深刻，特此补充完善。"

# What becomes of each document, by share: (state, returned first). A document not
# approved only in the units that fell behind (``DemoCounty.lagging_units``), so that
# everywhere else the document condition of the meetings is met.
DRAFT_SHARE, SUBMITTED_SHARE, RETURNED_SHARE, RESUBMITTED_SHARE = 0.12, 0.15, 0.12, 0.12
APPROVED_AFTER_RETURN = 0.15
APPROVED_FROM = DRAFT_SHARE + SUBMITTED_SHARE + RETURNED_SHARE + RESUBMITTED_SHARE


def _counted(sentences: list[str]) -> list[tuple[str, int]]:
    return [(s + "。", count_words(s)) for s in sentences]


COUNTED = {key: _counted(value) for key, value in BODIES.items()}
COUNTED_OPENINGS = {key: _counted(value) for key, value in OPENINGS.items()}


def _section_text(rng: random.Random, name: str, target: int) -> tuple[str, int]:
    """Paragraphs of about five sentences, at least ``target`` words."""
    opening, count = rng.choice(COUNTED_OPENINGS[name])
    opening = opening.rstrip("。")
    paragraphs: list[str] = []
    current = [opening]
    pool = COUNTED[BODY_OF[name]]
    while count < target:
        sentence, words = rng.choice(pool)
        current.append(sentence)
        count += words
        if len(current) >= 5:
            paragraphs.append("".join(current))
            current = []
    if current:
        paragraphs.append("".join(current))
    return "\n".join(paragraphs), count


def _texts(rng: random.Random, minimum: int) -> tuple[dict[str, str], int]:
    total = minimum + rng.randint(30, 600)
    sections, words = {}, 0
    for name in SECTION_FIELDS:
        text, count = _section_text(rng, name, int(total * SHARES[name]) + 1)
        sections[name] = text
        words += count
    return sections, words


def _reviewer_name(choice: RouteChoice) -> str:
    person = choice.supervisor or choice.member
    if choice.route == Route.MUNICIPAL_TEAM and choice.team is not None:
        leader = choice.team.leader
        return leader.name if leader else choice.team.name
    return person.name if person else ""


def build_documents(county: demo.DemoCounty) -> demo.Totals:
    rng = county.rng("documents")
    campaign = county.campaign
    members = list(Member.objects.filter(campaign=campaign).order_by("pk"))
    routes = routes_for(members, campaign)
    step = campaign.stages.get(is_current=True).steps.get(kind="documents")
    start = timezone.make_aware(datetime.datetime.combine(step.starts_on, datetime.time(9)))
    span = (step.ends_on - step.starts_on).days * 24 * 3600

    # First every draw, in the members' order (what becomes of each document, its text, its
    # times), then the demo logins' work (``_queue_work``), then the rows.
    drawn: list[list] = []
    lagging, returned = county.lagging_members, county.showcase_gaps.returned_document
    for member in members:
        minimum = minimum_words(member, campaign)
        roll = rng.random() if member.pk in lagging else 1.0 - rng.random() * (1 - APPROVED_FROM)
        returned_first = False
        if roll < DRAFT_SHARE:
            state = DocumentState.DRAFT
        elif roll < DRAFT_SHARE + SUBMITTED_SHARE:
            state = DocumentState.SUBMITTED
        elif roll < DRAFT_SHARE + SUBMITTED_SHARE + RETURNED_SHARE or member.pk == returned:
            # (One returned on purpose outside the units behind: ``DemoCounty.showcase_gaps``.)
            state, returned_first = DocumentState.RETURNED, True
        elif roll < DRAFT_SHARE + SUBMITTED_SHARE + RETURNED_SHARE + RESUBMITTED_SHARE:
            state, returned_first = DocumentState.RESUBMITTED, True
        else:
            state, returned_first = DocumentState.APPROVED, rng.random() < APPROVED_AFTER_RETURN
        first, words = _texts(rng, minimum if state != DocumentState.DRAFT else minimum // 2)
        submitted_at = start + datetime.timedelta(seconds=rng.randint(0, span // 2))
        wait = rng.randint(2 * 3600, 72 * 3600)
        drawn.append([member, state, returned_first, first, words, submitted_at, wait])
    _queue_work(county, drawn)

    documents: list[AnalysisDocument] = []
    plans: list[tuple[str, bool, dict[str, str], dict[str, str], int, int, datetime.datetime, int]] = []
    for member, state, returned_first, first, words, submitted_at, wait in drawn:
        sections = first
        if returned_first and state != DocumentState.RETURNED:
            # The revision after the return adds a closing paragraph to the causes.
            sections = {**first, Section.CAUSES: f"{first[Section.CAUSES]}\n{REVISION}"}
        final_words = words + (count_words(REVISION) if sections is not first else 0)
        document = AnalysisDocument(campaign=campaign, member=member, state=state, word_count=final_words, **sections)
        if state != DocumentState.DRAFT:
            for name in COMPARISONS:
                setattr(document, name, True)
            choice = routes[member.pk]
            document.route = choice.route
            document.reviewer_team = choice.team
            document.reviewer_supervisor = choice.supervisor
            document.reviewer_member = choice.member
            resubmitted_at = submitted_at + datetime.timedelta(seconds=2 * wait)
            document.submitted_at = (
                resubmitted_at if state != DocumentState.RETURNED and returned_first else submitted_at
            )
            if state == DocumentState.APPROVED:
                document.approved_at = document.submitted_at + datetime.timedelta(seconds=wait)
        documents.append(document)
        plans.append((state, returned_first, first, sections, words, final_words, submitted_at, wait))

    documents = bulk_create_with_history(documents, AnalysisDocument, default_change_reason=demo.CHANGE_REASON)

    versions: list[DocumentVersion] = []
    decisions: list[tuple[int, str, datetime.datetime, int, str]] = []  # version index, decision, at, wait, name
    for document, plan in zip(documents, plans, strict=True):
        state, returned_first, first, sections, words, final_words, submitted_at, wait = plan
        if state == DocumentState.DRAFT:
            continue
        name = _reviewer_name(routes[document.member_id])
        if returned_first:
            versions.append(
                DocumentVersion(
                    document=document, number=1, sections=first, word_count=words, submitted_at=submitted_at
                )
            )
            decisions.append(
                (len(versions) - 1, Decision.RETURN, submitted_at + datetime.timedelta(seconds=wait), wait, name)
            )
            if state == DocumentState.RETURNED:
                continue
            submitted_at = submitted_at + datetime.timedelta(seconds=2 * wait)
            versions.append(
                DocumentVersion(
                    document=document, number=2, sections=sections, word_count=final_words, submitted_at=submitted_at
                )
            )
        else:
            versions.append(
                DocumentVersion(
                    document=document, number=1, sections=sections, word_count=words, submitted_at=submitted_at
                )
            )
        if state == DocumentState.APPROVED:
            decisions.append(
                (len(versions) - 1, Decision.APPROVE, submitted_at + datetime.timedelta(seconds=wait), wait, name)
            )
    versions = DocumentVersion.objects.bulk_create(versions, batch_size=500)
    reviews = [
        Review(
            document_id=versions[index].document_id,
            version=versions[index],
            decision=decision,
            overall_comment="" if decision == Decision.APPROVE else rng.choice(RETURN_COMMENTS),
            section_comments={} if decision == Decision.APPROVE else {Section.CAUSES: rng.choice(CAUSE_COMMENTS)},
            problems_accurate=decision == Decision.APPROVE,
            causes_accurate=decision == Decision.APPROVE,
            direction_accurate=decision == Decision.APPROVE,
            reviewer_name=name,
            decided_at=at,
            waited_seconds=wait,
        )
        for index, decision, at, wait, name in decisions
    ]
    bulk_create_with_history(reviews, Review, default_change_reason=demo.CHANGE_REASON, batch_size=500)
    by_state = {state: sum(1 for plan in plans if plan[0] == state) for state in DocumentState.values}
    return {
        _("documents"): len(documents),
        _("approved"): by_state[DocumentState.APPROVED],
        _("returned at least once"): sum(1 for plan in plans if plan[1]),
        _("versions"): len(versions),
        _("reviews"): len(reviews),
    }


AWAITING = (DocumentState.SUBMITTED, DocumentState.RESUBMITTED)


def _queue_work(county: demo.DemoCounty, drawn: list[list]) -> None:
    """Work waiting for the demo logins in the secretary's unit (柳溪乡机关, behind in
    everything), found among what the generator drew or made by exchanging two documents'
    fates inside the unit, so that every count (by state, returned at least once, versions,
    reviews, per unit) stays what it was:

    - ``member`` is the unit's first ordinary member whose document is a draft (written to
      half the minimum: the submit page refuses it until it is long enough);
    - the unit's responsible leader (``responsible``) has his own document returned, and
      the other cadres of the unit one waiting for the county supervisory team's leader
      (``supervisor``), each exchanged with an ordinary member's of the same kind if the
      draws did not give it. A draft is never exchanged: its text is shorter.
    """
    unit = county.secretary_unit
    rows = {row[0].pk: row for row in drawn if row[0].unit_id == unit.pk}

    def exchange(member_id: int, wanted: tuple[str, ...]) -> None:
        row = rows[member_id]
        if row[1] in wanted or row[1] == DocumentState.DRAFT:
            return
        other = next(
            (
                candidate
                for candidate in rows.values()
                if candidate[0].rank == Rank.ORDINARY and candidate[1] in wanted and candidate[0].pk != member_id
            ),
            None,
        )
        if other is not None:
            row[1:3], other[1:3] = other[1:3], row[1:3]

    responsible = unit.responsible_leader_id
    exchange(responsible, (DocumentState.RETURNED,))
    for cadre in county.section_cadres[unit.pk]:
        if cadre.pk != responsible:
            exchange(cadre.pk, AWAITING)
    drafts = [row[0] for row in rows.values() if row[0].rank == Rank.ORDINARY and row[1] == DocumentState.DRAFT]
    if drafts:
        county.login_members["member"] = min(drafts, key=lambda member: member.pk)


RETURN_COMMENTS = [
    "查摆问题不够具体，请结合征求到的意见逐条对照。",
    "原因剖析停留在表面，请从思想根源上深挖。",
    "整改方向过于原则，请提出具体措施和时限。",
]
CAUSE_COMMENTS = ["请从世界观、人生观、价值观上剖析。", "请联系本人思想实际，不要泛泛而谈。"]

demo.register_step(gettext_lazy("self-analysis documents"), build_documents)
# The office edits the routing rules in the admin (who reviews whose document).
demo.OFFICE_ADMIN_PERMISSIONS |= {("reviews", "view_routingrule"), ("reviews", "change_routingrule")}
