"""Writes of problems and practical results. Every write is atomic, refuses bad input
with a translated ``ValidationError`` (nothing written), and announces the units whose
figures it may change (``source="problems"``; the ledger source
``reports/rectification`` rolls them up).

Other stages create problems through ``problem_record`` only. A problem moves through
``TRANSITIONS`` only: open → in progress → solved (with evidence) | handed over, and a
handover is accepted (the problem becomes the receiving department's, the chain kept)
or sent back with a reason.
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind
from campaign.scoping import scope_for
from core.text import clean_text
from core.uploads import DAMAGED_ZIP
from core.workflow import Workflow
from opinions import services as opinion_services
from opinions.models import Opinion, OpinionStatus
from rectification.models import (
    EVIDENCE_MAX_BYTES,
    EVIDENCE_MAX_FILES,
    NAME_MAX_CHARS,
    PROBLEM_TEXT_MAX_CHARS,
    REASON_MAX_CHARS,
    RECORD_SOURCES,
    TITLE_MAX_CHARS,
    UNSOLVED_STATES,
    Dispute,
    DisputeOutcome,
    Evidence,
    Handover,
    HandoverState,
    PracticalResult,
    Problem,
    ProblemCategory,
    ProblemOpinion,
    ProblemSource,
    ProblemState,
)

SOURCE = "problems"
RESULTS_SOURCE = "results"
MAX_OPINIONS_PER_PROBLEM = 500
MAX_DISPUTES_PER_RECORD = 1_000


class Action:
    START = "start"
    SOLVE = "solve"
    HAND_OVER = "hand_over"
    ACCEPT = "accept"
    RETURN = "return"


ACTION_LABELS = {
    Action.START: _("start work on it"),
    Action.SOLVE: _("mark it solved"),
    Action.HAND_OVER: _("hand it over"),
    Action.ACCEPT: _("accept it"),
    Action.RETURN: _("send it back"),
}


def _refusal(problem: Problem, action: str) -> str:
    return _("A problem that is “%(state)s” cannot be moved: %(action)s.") % {
        "state": ProblemState(problem.state).label,
        "action": ACTION_LABELS.get(action, action),
    }


# The one place that knows which move a problem may make.
TRANSITIONS = Workflow(
    {
        (ProblemState.OPEN, Action.START): ProblemState.IN_PROGRESS,
        (ProblemState.OPEN, Action.HAND_OVER): ProblemState.HANDED_OVER,
        (ProblemState.IN_PROGRESS, Action.SOLVE): ProblemState.SOLVED,
        (ProblemState.IN_PROGRESS, Action.HAND_OVER): ProblemState.HANDED_OVER,
        # Accepted, it is the receiving department's, to start afresh; sent back, the
        # unit that handed it over carries on with it.
        (ProblemState.HANDED_OVER, Action.ACCEPT): ProblemState.OPEN,
        (ProblemState.HANDED_OVER, Action.RETURN): ProblemState.IN_PROGRESS,
    },
    refusal=_refusal,
)


def _today() -> datetime.date:
    return timezone.localdate()


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _stamp(record: Any, user: Any) -> None:
    if _user(user) is not None:
        record._history_user = user


def _announce(campaign_id: int, unit_ids: Iterable[int | None]) -> None:
    announce_change(campaign_id=campaign_id, unit_ids=set(unit_ids), source=SOURCE)


# --- Who may do what ------------------------------------------------------------------


def may_manage(user: Any, problem: Problem) -> bool:
    """The office (any problem of its campaign) and the secretaries of the unit that owns it."""
    scope = scope_for(user)
    return scope.can("rectification.manage") and scope.can_edit_unit(problem.unit)


def may_answer(user: Any, problem: Problem) -> bool:
    """Only the receiving department (a secretary whose reach holds it) answers a handover."""
    if problem.handover_to_id is None:
        return False
    scope = scope_for(user)
    target = problem.handover_to
    if target is None:
        return False
    return scope.can("rectification.manage") and any(target.path.startswith(path) for path in scope.secretary_paths)


def _check_manage(user: Any, problem: Problem) -> None:
    if not may_manage(user, problem):
        raise ValidationError(_("Only the county office or the unit that owns this problem may change it."))


# --- Checking the fields ---------------------------------------------------------------


def _clean_text(value: str, *, field: str, limit: int, required: bool, missing: str = "") -> str:
    # Whatever the caller (a form, an import, another stage): no invisible characters.
    value = clean_text(value or "", multiline=True).strip()
    if required and not value:
        raise ValidationError({field: missing or _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("Keep this under %(limit)s characters.") % {"limit": intcomma(limit)}})
    return value


@dataclass(frozen=True)
class Details:
    """What the office writes about a problem."""

    title: str
    text: str
    category: str = ProblemCategory.OUTSTANDING
    responsible: str = ""
    due_on: datetime.date | None = None
    measures: str = ""
    aspect: str = ""


def _check_details(details: Details) -> Details:
    title = _clean_text(
        details.title, field="title", limit=TITLE_MAX_CHARS, required=True, missing=_("Give the problem a title.")
    )
    text = _clean_text(
        details.text, field="text", limit=PROBLEM_TEXT_MAX_CHARS, required=True, missing=_("Say what the problem is.")
    )
    if details.category not in ProblemCategory.values:
        raise ValidationError({"category": _("Choose a category from the list.")})
    responsible = _clean_text(details.responsible, field="responsible", limit=NAME_MAX_CHARS, required=False)
    measures = _clean_text(details.measures, field="measures", limit=PROBLEM_TEXT_MAX_CHARS, required=False)
    return Details(
        title=title,
        text=text,
        category=details.category,
        responsible=responsible,
        due_on=details.due_on,
        measures=measures,
        aspect=(details.aspect or "")[:20],
    )


def _check_owner(user: Any, campaign: Campaign, unit: OrgUnit) -> None:
    if unit.campaign_id != campaign.pk:
        raise ValidationError({"unit": _("Choose an organisation of this campaign.")})
    scope = scope_for(user)
    if not (scope.can("rectification.manage") and scope.can_edit_unit(unit)):
        raise ValidationError({"unit": _("You may only file problems under organisations in your reach.")})


def _overdue(problem: Problem, today: datetime.date) -> bool:
    return problem.state in UNSOLVED_STATES and problem.due_on is not None and problem.due_on < today


# --- Creating problems -----------------------------------------------------------------


@transaction.atomic
def problem_record(
    *,
    campaign: Campaign,
    unit: OrgUnit,
    text: str,
    source: str,
    source_id: int,
    member: Member | None = None,
    team: LeadershipTeam | None = None,
    aspect: str = "",
    user: Any = None,
    title: str = "",
) -> Problem:
    """A problem found by another stage, for the rectification stage to track: a
    meeting's criticism, a self-analysis document's section (one per aspect), a
    look-back item judged not met (``ProblemSource.LOOKBACK_ITEM`` with the item
    judgement's id). The same source record (and aspect) names one problem: asked
    again, it returns that one."""
    text = _clean_text(
        text, field="text", limit=PROBLEM_TEXT_MAX_CHARS, required=True, missing=_("Say what the problem is.")
    )
    if source not in RECORD_SOURCES:
        raise ValueError(f"Unknown problem source {source!r}")
    existing = Problem.objects.filter(source=source, source_id=source_id, aspect=aspect).first()
    if existing is not None:
        return existing
    problem = Problem(
        campaign=campaign,
        unit=unit,
        member=member,
        team=team,
        title=clean_text(title or "", multiline=False).strip()[:TITLE_MAX_CHARS],
        text=text,
        aspect=aspect,
        source=source,
        source_id=source_id,
        recorded_by=_user(user),
    )
    _stamp(problem, user)
    problem.save()
    _announce(campaign.pk, {unit.pk})
    return problem


@transaction.atomic
def problem_create(
    *,
    user: Any,
    campaign: Campaign,
    unit: OrgUnit,
    details: Details,
    member: Member | None = None,
    team: LeadershipTeam | None = None,
) -> Problem:
    """A problem entered by hand."""
    details = _check_details(details)
    _check_owner(user, campaign, unit)
    return _save_new(
        user=user, campaign=campaign, unit=unit, details=details, source=ProblemSource.MANUAL, member=member, team=team
    )


def _save_new(
    *,
    user: Any,
    campaign: Campaign,
    unit: OrgUnit,
    details: Details,
    source: str,
    member: Member | None = None,
    team: LeadershipTeam | None = None,
    source_id: int | None = None,
) -> Problem:
    problem = Problem(
        campaign=campaign,
        unit=unit,
        member=member,
        team=team,
        title=details.title,
        text=details.text,
        aspect=details.aspect,
        category=details.category,
        responsible=details.responsible,
        due_on=details.due_on,
        measures=details.measures,
        overdue=False,
        source=source,
        source_id=source_id,
        recorded_by=_user(user),
    )
    problem.overdue = _overdue(problem, _today())
    _stamp(problem, user)
    problem.save()
    _announce(campaign.pk, {unit.pk})
    return problem


@transaction.atomic
def problem_from_opinions(
    *, user: Any, campaign: Campaign, unit: OrgUnit, details: Details, opinion_ids: Sequence[int]
) -> Problem:
    """One problem made of many opinions: each must be in the user's reach, of this
    campaign, not merged into another and in no other problem. They move to "in
    rectification"."""
    details = _check_details(details)
    _check_owner(user, campaign, unit)
    wanted = sorted({int(pk) for pk in opinion_ids})
    if not wanted:
        raise ValidationError({"opinions": _("Select at least one opinion.")})
    if len(wanted) > MAX_OPINIONS_PER_PROBLEM:
        raise ValidationError(
            {"opinions": _("Select at most %(limit)d opinions.") % {"limit": MAX_OPINIONS_PER_PROBLEM}}
        )
    visible = scope_for(user).filter(Opinion.objects.filter(campaign=campaign))
    found = list(visible.filter(pk__in=wanted).select_for_update(of=("self",)).order_by("pk"))
    if len(found) != len(wanted):
        raise ValidationError({"opinions": _("Some of the selected opinions are not in your reach.")})
    merged = [o.pk for o in found if o.merged_into_id is not None]
    if merged:
        raise ValidationError(
            {
                "opinions": _("Opinion %(numbers)s was merged into another; choose the one it was merged into.")
                % {"numbers": ", ".join(map(str, merged))}
            }
        )
    taken = sorted(ProblemOpinion.objects.filter(opinion_id__in=wanted).values_list("opinion_id", flat=True))
    if taken:
        raise ValidationError(
            {
                "opinions": _("Opinion %(numbers)s is already in another problem.")
                % {"numbers": ", ".join(map(str, taken))}
            }
        )
    problem = _save_new(user=user, campaign=campaign, unit=unit, details=details, source=ProblemSource.OPINIONS)
    ProblemOpinion.objects.bulk_create(
        ProblemOpinion(problem=problem, opinion_id=o.pk, status_before=o.status) for o in found
    )
    opinion_services.opinions_follow_problem(actor=user, statuses={o.pk: OpinionStatus.IN_RECTIFICATION for o in found})
    return problem


# Which document sections name problems, and the aspect each stands for.
DOCUMENT_SECTIONS = {
    "problems_ideals": "ideals",
    "problems_purpose": "purpose",
    "problems_discipline": "discipline",
    "problems_ideology": "ideology",
    "problems_work_style": "work",
}


@transaction.atomic
def problems_from_document(*, user: Any, document: Any) -> list[Problem]:
    """The problems a self-analysis document names, one per section that names any,
    filed under its author (and the author's unit). Asked again, the same ones."""
    member = document.member
    problems = []
    for field, aspect in DOCUMENT_SECTIONS.items():
        text = (getattr(document, field) or "").strip()
        if not text:
            continue
        problems.append(
            problem_record(
                campaign=document.campaign,
                unit=member.unit,
                member=member,
                text=text[:PROBLEM_TEXT_MAX_CHARS],
                title=_("%(name)s: %(section)s")
                % {"name": member.name, "section": document._meta.get_field(field).verbose_name},
                source=ProblemSource.DOCUMENT,
                source_id=document.pk,
                aspect=aspect,
                user=user,
            )
        )
    if not problems:
        raise ValidationError(_("This document names no problem."))
    return problems


@transaction.atomic
def problem_update(*, user: Any, problem: Problem, details: Details) -> Problem:
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    _check_manage(user, problem)
    if problem.state == ProblemState.SOLVED:
        raise ValidationError(_("A solved problem is no longer changed."))
    details = _check_details(details)
    problem.title = details.title
    problem.text = details.text
    problem.category = details.category
    problem.responsible = details.responsible
    problem.due_on = details.due_on
    problem.measures = details.measures
    problem.overdue = _overdue(problem, _today())
    _stamp(problem, user)
    problem.save()
    _announce(problem.campaign_id, {problem.unit_id})
    return problem


@transaction.atomic
def problem_delete(*, user: Any, problem: Problem) -> None:
    """Only a problem made of opinions or by hand, and not solved: one found by another
    stage belongs to that stage's record. Its opinions go back to where they were."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    _check_manage(user, problem)
    if problem.source not in (ProblemSource.OPINIONS, ProblemSource.MANUAL):
        raise ValidationError(_("A problem found by another stage is kept with the record that named it."))
    if problem.state == ProblemState.SOLVED:
        raise ValidationError(_("A solved problem is kept."))
    links = list(problem.opinion_links.all())
    units = {problem.unit_id, problem.handover_to_id, *problem.handovers.values_list("from_unit_id", flat=True)}
    _stamp(problem, user)
    problem.delete()
    if links:
        opinion_services.opinions_follow_problem(
            actor=user, statuses={link.opinion_id: link.status_before for link in links}
        )
    _announce(problem.campaign_id, units - {None})


# --- Moving a problem ------------------------------------------------------------------


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update(of=("self",)).select_related("unit", "handover_to").get(pk=problem.pk)


@transaction.atomic
def problem_start(*, user: Any, problem: Problem) -> Problem:
    problem = _locked(problem)
    _check_manage(user, problem)
    TRANSITIONS.move(problem, Action.START)
    _stamp(problem, user)
    problem.save(update_fields=["state"])
    _announce(problem.campaign_id, {problem.unit_id})
    return problem


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


# The kinds of file accepted as evidence, by their first bytes (not by their names).
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def evidence_kind(upload: Upload) -> str:
    """The content type of an acceptable evidence file, or ``ValidationError``."""
    name = (upload.name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"evidence": _("Give each file a name of at most 200 characters.")})
    if not upload.content:
        raise ValidationError({"evidence": _("The file “%(name)s” is empty.") % {"name": name}})
    if len(upload.content) > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {
                "evidence": _("The file “%(name)s” is larger than %(limit)d MB.")
                % {"name": name, "limit": EVIDENCE_MAX_BYTES // (1024 * 1024)}
            }
        )
    for signature, kind in _SIGNATURES:
        if upload.content.startswith(signature):
            return kind
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in _OFFICE and upload.content.startswith(b"PK"):
        import io

        try:
            with zipfile.ZipFile(io.BytesIO(upload.content)) as package:
                if "[Content_Types].xml" in package.namelist():
                    return _OFFICE[suffix]
        except DAMAGED_ZIP:
            pass
    raise ValidationError(
        {
            "evidence": _("The file “%(name)s” is not a PDF, a JPEG or PNG picture, or a Word or Excel file.")
            % {"name": name}
        }
    )


@transaction.atomic
def problem_solve(*, user: Any, problem: Problem, public_measure: str, uploads: Sequence[Upload]) -> Problem:
    """Solved, with evidence (at least one checked file) and the measure the unit
    publishes; every opinion behind it is closed."""
    problem = _locked(problem)
    _check_manage(user, problem)
    TRANSITIONS.check(problem, Action.SOLVE)
    public_measure = _clean_text(
        public_measure,
        field="public_measure",
        limit=PROBLEM_TEXT_MAX_CHARS,
        required=True,
        missing=_("Say what was done, as the unit publishes it."),
    )
    if not uploads:
        raise ValidationError({"evidence": _("Attach at least one file that shows the problem solved.")})
    if len(uploads) + problem.evidence.count() > EVIDENCE_MAX_FILES:
        raise ValidationError({"evidence": _("Attach at most %(limit)d files.") % {"limit": EVIDENCE_MAX_FILES}})
    kinds = [evidence_kind(upload) for upload in uploads]
    today = _today()
    Evidence.objects.bulk_create(
        Evidence(
            problem=problem,
            name=upload.name.strip(),
            content_type=kind,
            size=len(upload.content),
            content=upload.content,
            uploaded_by=_user(user),
            uploaded_on=today,
        )
        for upload, kind in zip(uploads, kinds, strict=True)
    )
    TRANSITIONS.move(problem, Action.SOLVE)
    problem.public_measure = public_measure
    problem.solved_on = today
    problem.overdue = False
    _stamp(problem, user)
    problem.save(update_fields=["state", "public_measure", "solved_on", "overdue"])
    opinion_ids = list(problem.opinion_links.values_list("opinion_id", flat=True))
    if opinion_ids:
        opinion_services.opinions_follow_problem(actor=user, statuses=dict.fromkeys(opinion_ids, OpinionStatus.CLOSED))
    _announce(problem.campaign_id, {problem.unit_id})
    return problem


@transaction.atomic
def problem_hand_over(*, user: Any, problem: Problem, to_unit: OrgUnit, reason: str) -> Handover:
    """Hand the problem over to another department, which must accept it."""
    problem = _locked(problem)
    _check_manage(user, problem)
    TRANSITIONS.check(problem, Action.HAND_OVER)
    reason = _clean_text(
        reason, field="reason", limit=REASON_MAX_CHARS, required=True, missing=_("Say why it is handed over.")
    )
    if to_unit.campaign_id != problem.campaign_id or to_unit.kind == OrgUnitKind.BRANCH:
        raise ValidationError({"to_unit": _("Choose a department of this campaign.")})
    if to_unit.pk == problem.unit_id:
        raise ValidationError({"to_unit": _("A problem cannot be handed over to its own unit.")})
    scope = scope_for(user)
    if any(to_unit.path.startswith(path) for path in scope.secretary_paths):
        raise ValidationError({"to_unit": _("Hand it over to another department, not to one in your own reach.")})
    handover = Handover(
        problem=problem,
        from_unit_id=problem.unit_id,
        to_unit=to_unit,
        reason=reason,
        handed_by=_user(user),
        handed_on=_today(),
    )
    _stamp(handover, user)
    handover.save()
    TRANSITIONS.move(problem, Action.HAND_OVER)
    problem.handover_to = to_unit
    _stamp(problem, user)
    problem.save(update_fields=["state", "handover_to"])
    _announce(problem.campaign_id, {problem.unit_id, to_unit.pk})
    return handover


def _pending(problem: Problem) -> Handover:
    return problem.handovers.select_for_update().get(state=HandoverState.PENDING)


@transaction.atomic
def problem_accept(*, user: Any, problem: Problem) -> Problem:
    """The receiving department accepts: the problem becomes its own."""
    problem = _locked(problem)
    if not may_answer(user, problem):
        raise ValidationError(_("Only the department it was handed over to may accept it."))
    TRANSITIONS.check(problem, Action.ACCEPT)
    handover = _pending(problem)
    handover.state = HandoverState.ACCEPTED
    handover.answered_by = _user(user)
    handover.answered_on = _today()
    _stamp(handover, user)
    handover.save()
    old_unit = problem.unit_id
    TRANSITIONS.move(problem, Action.ACCEPT)
    problem.unit_id = handover.to_unit_id
    problem.handover_to = None
    problem.responsible = ""
    problem.overdue = _overdue(problem, _today())
    _stamp(problem, user)
    problem.save(update_fields=["state", "unit", "handover_to", "responsible", "overdue"])
    _announce(problem.campaign_id, {old_unit, problem.unit_id})
    return problem


@transaction.atomic
def problem_return(*, user: Any, problem: Problem, reason: str) -> Problem:
    """The receiving department sends it back, saying why."""
    problem = _locked(problem)
    if not may_answer(user, problem):
        raise ValidationError(_("Only the department it was handed over to may send it back."))
    TRANSITIONS.check(problem, Action.RETURN)
    reason = _clean_text(
        reason, field="reason", limit=REASON_MAX_CHARS, required=True, missing=_("Say why it is sent back.")
    )
    handover = _pending(problem)
    handover.state = HandoverState.RETURNED
    handover.answer = reason
    handover.answered_by = _user(user)
    handover.answered_on = _today()
    _stamp(handover, user)
    handover.save()
    to_unit = problem.handover_to_id
    TRANSITIONS.move(problem, Action.RETURN)
    problem.handover_to = None
    _stamp(problem, user)
    problem.save(update_fields=["state", "handover_to"])
    _announce(problem.campaign_id, {problem.unit_id, to_unit})
    return problem


def problems_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Flag the unsolved problems past their due date, unflag the others; announce the
    units whose figures change. Run daily by beat; idempotent."""
    today = today or _today()
    late = Q(state__in=UNSOLVED_STATES, due_on__lt=today)
    changed = 0
    with transaction.atomic():
        flag = Problem.objects.filter(late, overdue=False)
        unflag = Problem.objects.filter(overdue=True).exclude(late)
        touched: dict[int, set[int]] = {}
        for campaign_id, unit_id in [
            *flag.values_list("campaign_id", "unit_id"),
            *unflag.values_list("campaign_id", "unit_id"),
        ]:
            touched.setdefault(campaign_id, set()).add(unit_id)
        changed += flag.update(overdue=True)
        changed += unflag.update(overdue=False)
        for campaign_id, units in touched.items():
            _announce(campaign_id, units)
    return changed


# --- Practical results -----------------------------------------------------------------

AMOUNT_FIELDS = ("donations_yuan", "spring_farming_yuan", "structure_adjustment_yuan", "condolence_yuan")
COUNT_FIELDS = (
    "households_visited",
    "person_times",
    "practical_things",
    "households_planting",
    "planted_mu",
    "households_livestock",
    "livestock_head",
)
MAX_COUNT = 10_000_000
MAX_YUAN = Decimal("999999999999.99")


def parse_yuan(value: Any, *, field: str) -> Decimal:
    """An amount of yuan as typed: a number, not negative, at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: _("Enter an amount of yuan as a number, such as 1234.50.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount of yuan as a number, such as 1234.50.")})
    if amount < 0:
        raise ValidationError({field: _("An amount cannot be negative.")})
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):  # type: ignore[operator]
        raise ValidationError({field: _("Give amounts to the fen: at most two decimals.")})
    if amount > MAX_YUAN:
        raise ValidationError({field: _("This amount is too large.")})
    return amount.quantize(Decimal("0.01"))


def parse_count(value: Any, *, field: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a whole number.")})
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError({field: _("Enter a whole number.")}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError({field: _("Enter a whole number.")})
    if number < 0:
        raise ValidationError({field: _("A count cannot be negative.")})
    if number > MAX_COUNT:
        raise ValidationError({field: _("This number is too large.")})
    return int(number)


@dataclass(frozen=True)
class ResultInput:
    """A practical result as entered: counts, amounts, the disputes by outcome."""

    done_on: datetime.date
    working_team: str = ""
    counts: dict[str, Any] | None = None
    amounts: dict[str, Any] | None = None
    crop: str = ""
    livestock_kind: str = ""
    note: str = ""
    disputes_investigated: Any = 0
    disputes_solved: Any = 0
    disputes_handed_over: Any = 0
    dispute_subjects: Sequence[str] = ()
    handed_to: str = ""


def result_check(*, campaign: Campaign, unit: OrgUnit, data: ResultInput) -> dict[str, Any]:
    """The result's fields, checked; ``ValidationError`` by field otherwise."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}

    def keep(field: str, parse: Any, value: Any) -> None:
        try:
            fields[field] = parse(value, field=field)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.message_dict[field])

    for field in AMOUNT_FIELDS:
        keep(field, parse_yuan, (data.amounts or {}).get(field))
    for field in COUNT_FIELDS:
        keep(field, parse_count, (data.counts or {}).get(field))
    keep("disputes_investigated", parse_count, data.disputes_investigated)
    keep("disputes_solved", parse_count, data.disputes_solved)
    keep("disputes_handed_over", parse_count, data.disputes_handed_over)
    if unit.campaign_id != campaign.pk:
        errors.setdefault("unit", []).append(_("Choose an organisation of this campaign."))
    if data.done_on is None:
        errors.setdefault("done_on", []).append(_("Give the date."))
    elif not (campaign.starts_on <= data.done_on <= campaign.ends_on):
        errors.setdefault("done_on", []).append(
            _("The date must lie within the campaign (%(start)s to %(end)s).")
            % {"start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()}
        )
    for field, value, limit in (
        ("working_team", data.working_team, NAME_MAX_CHARS),
        ("crop", data.crop, 50),
        ("livestock_kind", data.livestock_kind, 50),
        ("note", data.note, PROBLEM_TEXT_MAX_CHARS),
        ("handed_to", data.handed_to, NAME_MAX_CHARS),
    ):
        text = clean_text(value or "", multiline=True).strip()
        if len(text) > limit:
            errors.setdefault(field, []).append(_("Keep this under %(limit)s characters.") % {"limit": intcomma(limit)})
        fields[field] = text
    if not errors:
        investigated = fields["disputes_investigated"]
        if fields["disputes_solved"] > investigated:
            errors.setdefault("disputes_solved", []).append(
                _("More disputes solved (%(solved)d) than investigated (%(investigated)d).")
                % {"solved": fields["disputes_solved"], "investigated": investigated}
            )
        elif fields["disputes_solved"] + fields["disputes_handed_over"] > investigated:
            errors.setdefault("disputes_handed_over", []).append(
                _("Disputes solved and handed over (%(settled)d) are more than those investigated (%(investigated)d).")
                % {"settled": fields["disputes_solved"] + fields["disputes_handed_over"], "investigated": investigated}
            )
        elif investigated > MAX_DISPUTES_PER_RECORD:
            errors.setdefault("disputes_investigated", []).append(
                _("Record at most %(limit)d disputes at once.") % {"limit": MAX_DISPUTES_PER_RECORD}
            )
        if fields["planted_mu"] and not fields["households_planting"]:
            errors.setdefault("households_planting", []).append(_("Say how many households planted this area."))
        if fields["households_planting"] and not fields["crop"]:
            errors.setdefault("crop", []).append(_("Say what was planted."))
        if fields["households_livestock"] and not fields["livestock_kind"]:
            errors.setdefault("livestock_kind", []).append(_("Say what kind of livestock."))
    if errors:
        raise ValidationError(errors)
    return fields


def _disputes(result: PracticalResult, fields: dict[str, Any], subjects: Sequence[str]) -> list[Dispute]:
    outcomes = [DisputeOutcome.SOLVED] * fields["disputes_solved"] + [DisputeOutcome.HANDED_OVER] * fields[
        "disputes_handed_over"
    ]
    outcomes += [DisputeOutcome.INVESTIGATED] * (fields["disputes_investigated"] - len(outcomes))
    names = [s.strip()[:TITLE_MAX_CHARS] for s in subjects if s and s.strip()]
    return [
        Dispute(
            result=result,
            subject=names[n] if n < len(names) else _("Dispute %(number)d") % {"number": n + 1},
            outcome=outcome,
            handed_to=fields["handed_to"] if outcome == DisputeOutcome.HANDED_OVER else "",
        )
        for n, outcome in enumerate(outcomes)
    ]


@transaction.atomic
def result_create(*, user: Any, campaign: Campaign, unit: OrgUnit, data: ResultInput) -> PracticalResult:
    scope = scope_for(user)
    if not (scope.can("rectification.results") and scope.can_edit_unit(unit)):
        raise ValidationError({"unit": _("You may only record results of organisations in your reach.")})
    fields = result_check(campaign=campaign, unit=unit, data=data)
    return results_store(user=user, campaign=campaign, rows=[(unit, data, fields)])[0]


def results_store(
    *, user: Any, campaign: Campaign, rows: Sequence[tuple[OrgUnit, ResultInput, dict[str, Any]]]
) -> list[PracticalResult]:
    """Store checked results with their disputes (the import's rows, in bulk)."""
    from simple_history.utils import bulk_create_with_history

    made = [
        PracticalResult(
            campaign=campaign,
            unit=unit,
            done_on=data.done_on,
            recorded_by=_user(user),
            **{k: v for k, v in fields.items() if k in {f.name for f in PracticalResult._meta.fields}},
        )
        for unit, data, fields in rows
    ]
    created = bulk_create_with_history(made, PracticalResult, default_user=_user(user))
    disputes = [
        dispute
        for result, (_unit, data, fields) in zip(created, rows, strict=True)
        for dispute in _disputes(result, fields, data.dispute_subjects)
    ]
    if disputes:
        bulk_create_with_history(disputes, Dispute, default_user=_user(user))
    announce_change(campaign_id=campaign.pk, unit_ids={unit.pk for unit, _d, _f in rows}, source=RESULTS_SOURCE)
    return created


@transaction.atomic
def result_delete(*, user: Any, result: PracticalResult) -> None:
    scope = scope_for(user)
    if not (scope.can("rectification.results") and scope.can_edit_unit(result.unit)):
        raise ValidationError(_("You may only delete results of organisations in your reach."))
    _stamp(result, user)
    campaign_id, unit_id = result.campaign_id, result.unit_id
    result.delete()
    announce_change(campaign_id=campaign_id, unit_ids={unit_id}, source=RESULTS_SOURCE)
