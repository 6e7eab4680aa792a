"""Writes of the look-back: secretaries, training, checks, remedial orders.

Each service is atomic, checks who is asking (the unit's secretary for the self-check
and the redo, its supervisory team for the verdict and the orders, the organising
committee's secretary or the office for training), refuses bad input with a translated
``ValidationError`` before writing anything, and announces the units whose figures
change (``source="lookback"``) for the ledger.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import (
    Campaign,
    Member,
    OrgUnit,
    OrgUnitKind,
    RoleAssignment,
    RoleKind,
    SupervisoryLevel,
    SupervisoryTeam,
)
from campaign.scoping import AnyUser, scope_for
from core.text import clean_text
from core.workflow import Workflow
from lookback import evidence
from lookback.models import (
    AWAITING_UNIT,
    TEXT_MAX_CHARS,
    Attendance,
    AttendanceStatus,
    BranchSecretary,
    CheckItem,
    CheckState,
    Item,
    LookbackCheck,
    LookbackSettings,
    OrderState,
    RemedialOrder,
    TrainingSession,
)
from notifications import kinds as notices
from notifications.services import notify
from rectification.models import Problem, ProblemSource
from rectification.services import problem_record

SOURCE = "lookback"


def today() -> datetime.date:
    return timezone.localdate()


def settings_for(campaign: Campaign) -> LookbackSettings:
    found, _created = LookbackSettings.objects.get_or_create(campaign=campaign)
    return found


def _who(user: AnyUser) -> User | None:
    """The user to record as having done something (never an anonymous stand-in)."""
    return user if isinstance(user, User) and user.is_authenticated else None


def _announce(campaign_id: int, unit_ids: Iterable[int]) -> None:
    announce_change(campaign_id=campaign_id, unit_ids=set(unit_ids), source=SOURCE)


def _text(value: str, field: str, *, required: bool = False, message: str = "") -> str:
    # Whatever the caller (a form, an import, another stage): no invisible characters.
    value = clean_text(value or "", multiline=True).strip()
    if required and not value:
        raise ValidationError({field: message or _("This field is required.")})
    if len(value) > TEXT_MAX_CHARS:
        raise ValidationError({field: _("Keep it under %(limit)s characters.") % {"limit": intcomma(TEXT_MAX_CHARS)}})
    return value


# --- Who may ---------------------------------------------------------------------


def is_unit_secretary(user: AnyUser, unit: OrgUnit) -> bool:
    """The unit's secretary: a secretary whose organisation is the unit or above it."""
    return any(unit.path.startswith(path) for path in scope_for(user).secretary_paths)


def is_unit_supervisor(user: AnyUser, unit: OrgUnit) -> bool:
    """A member of the supervisory team over the unit (a municipal team: over the county)."""
    supervisor = scope_for(user).supervisor
    if supervisor is None or supervisor.team.campaign_id != unit.campaign_id:
        return False
    if supervisor.team.level == SupervisoryLevel.MUNICIPAL:
        return True
    paths = SupervisoryTeam.units.through.objects.filter(supervisoryteam_id=supervisor.team_id).values_list(
        "orgunit__path", flat=True
    )
    return any(unit.path.startswith(path) for path in paths)


def may_organise(user: AnyUser, committee: OrgUnit) -> bool:
    """Training is held by a party committee: its secretary (or one above) or the office."""
    return scope_for(user).can_edit_unit(committee)


# --- Branch secretaries ---------------------------------------------------------------


@transaction.atomic
def secretary_appoint(
    *, user: AnyUser, branch: OrgUnit, member: Member, since: datetime.date | None = None
) -> BranchSecretary:
    """Make ``member`` the branch's secretary from ``since``; the one before steps down
    the day before. The branch is untrained until the new secretary is trained."""
    since = since or today()
    if branch.kind != OrgUnitKind.BRANCH:
        raise ValidationError({"branch": _("%(name)s is not a branch.") % {"name": branch.name}})
    if not scope_for(user).can_edit_unit(branch):
        raise ValidationError({"branch": _("Only the office or a secretary above the branch may name its secretary.")})
    if member.campaign_id != branch.campaign_id or (member.branch_id != branch.pk and member.unit_id != branch.pk):
        raise ValidationError({"member": _("The secretary must be a member of the branch.")})
    current = BranchSecretary.objects.select_for_update().filter(branch=branch, until__isnull=True).first()
    if current is not None:
        if current.member_id == member.pk:
            return current
        if since <= current.since:
            raise ValidationError(
                {
                    "since": _("The new secretary must start after the current one started (%(day)s).")
                    % {"day": current.since.isoformat()}
                }
            )
        current.until = since - datetime.timedelta(days=1)
        current.save(update_fields=["until"])
    appointed = BranchSecretary.objects.create(
        campaign_id=branch.campaign_id, branch=branch, member=member, since=since
    )
    _announce(branch.campaign_id, [branch.pk])
    return appointed


# --- Training -----------------------------------------------------------------


@dataclass(frozen=True)
class SessionData:
    committee: OrgUnit
    held_on: datetime.date
    place: str
    trainer: str
    covers_procedure: bool = True
    covers_policy: bool = True
    covers_qa: bool = True
    notes: str = ""


@transaction.atomic
def session_create(*, user: AnyUser, campaign: Campaign, data: SessionData) -> TrainingSession:
    committee = data.committee
    if committee.campaign_id != campaign.pk or committee.kind not in (
        OrgUnitKind.PARTY_COMMITTEE,
        OrgUnitKind.COUNTY_COMMITTEE,
    ):
        raise ValidationError({"committee": _("Training is organised by a party committee of the campaign.")})
    if not may_organise(user, committee):
        raise ValidationError({"committee": _("Only the committee's secretary or the office may record its training.")})
    if not (data.place or "").strip():
        raise ValidationError({"place": _("Say where the training was held.")})
    if not (data.trainer or "").strip():
        raise ValidationError({"trainer": _("Say who gave the training.")})
    if not (data.covers_procedure or data.covers_policy or data.covers_qa):
        raise ValidationError({"covers_procedure": _("A session covers procedure, policy or questions and answers.")})
    session = TrainingSession(
        campaign=campaign,
        committee=committee,
        held_on=data.held_on,
        place=clean_text(data.place, multiline=False).strip()[:200],
        trainer=clean_text(data.trainer, multiline=False).strip()[:100],
        covers_procedure=data.covers_procedure,
        covers_policy=data.covers_policy,
        covers_qa=data.covers_qa,
        notes=_text(data.notes, "notes"),
        created_by=_who(user),
    )
    session.full_clean()
    session.save()
    _announce(campaign.pk, [committee.pk])
    return session


def secretaries_for_session(session: TrainingSession) -> list[BranchSecretary]:
    """The current secretaries of the branches under the session's committee, and any
    secretary already recorded at it (one who stepped down since)."""
    current = BranchSecretary.objects.filter(
        campaign_id=session.campaign_id, until__isnull=True, branch__path__startswith=session.committee.path
    )
    recorded = BranchSecretary.objects.filter(attendance__session=session)
    return list(
        (current | recorded).distinct().select_related("branch", "member").order_by("branch__path", "-since", "pk")
    )


@dataclass(frozen=True)
class AttendanceEntry:
    secretary: BranchSecretary
    status: str
    made_up_on: datetime.date | None = None


@transaction.atomic
def attendance_record(*, user: AnyUser, session: TrainingSession, entries: Sequence[AttendanceEntry]) -> int:
    """Record (or correct) the attendance of secretaries at a session that has happened."""
    if not may_organise(user, session.committee):
        raise ValidationError(_("Only the committee's secretary or the office may record its training."))
    day = today()
    if session.held_on > day:
        raise ValidationError(
            _("The session of %(day)s has not happened yet: attendance is recorded after it.")
            % {"day": session.held_on.isoformat()}
        )
    errors: dict[str, list[str]] = {}
    for entry in entries:
        where = f"secretary_{entry.secretary.pk}"
        if entry.status not in AttendanceStatus.values:
            errors.setdefault(where, []).append(_("Choose present, absent or made up later."))
        elif entry.status == AttendanceStatus.MADE_UP:
            if entry.made_up_on is None:
                errors.setdefault(where, []).append(_("Say when the training was made up."))
            elif entry.made_up_on < session.held_on or entry.made_up_on > day:
                errors.setdefault(where, []).append(_("A make-up falls between the session and today."))
        if entry.secretary.campaign_id != session.campaign_id or not entry.secretary.branch.path.startswith(
            session.committee.path
        ):
            errors.setdefault(where, []).append(_("This secretary's branch is not under the organising committee."))
    if errors:
        raise ValidationError(errors)
    branches: set[int] = set()
    for entry in entries:
        Attendance.objects.update_or_create(
            session=session,
            secretary=entry.secretary,
            defaults={
                "status": entry.status,
                "made_up_on": entry.made_up_on if entry.status == AttendanceStatus.MADE_UP else None,
            },
        )
        branches.add(entry.secretary.branch_id)
    _announce(session.campaign_id, branches)
    return len(entries)


# --- The check -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemJudgement:
    met: bool
    notes: str = ""
    reason: str = ""  # overruling the figures' proposal


def _items(judgements: Mapping[int, ItemJudgement]) -> None:
    missing = [str(Item(n).label) for n in Item.values if n not in judgements]
    if missing:
        raise ValidationError(
            _("Judge every one of the six items; missing: %(items)s.") % {"items": "、".join(missing)}
        )


def proposals_for(unit: OrgUnit) -> dict[int, bool]:
    """Item → True where the unit's figures (from the ledger) propose "not met"."""
    figures = evidence.evidence_for(unit.campaign, [unit]).get(unit.pk, [])
    return evidence.proposals(figures, settings_for(unit.campaign))


@transaction.atomic
def check_self(*, user: AnyUser, unit: OrgUnit, judgements: Mapping[int, ItemJudgement]) -> LookbackCheck:
    """The unit's self-check (before the verdict; it may be revised until then)."""
    if unit.kind != OrgUnitKind.UNIT:
        raise ValidationError(_("The look-back checks units."))
    if not is_unit_secretary(user, unit):
        raise ValidationError(_("Only the unit's secretary enters its self-check."))
    _items(judgements)
    for number, judgement in judgements.items():
        _text(judgement.notes, f"notes_{number}")
    check = LookbackCheck.objects.select_for_update().filter(unit=unit).first()
    if check is not None and check.is_judged:
        raise ValidationError(_("The supervisory team has given its verdict: the self-check can no longer change."))
    if check is None:
        check = LookbackCheck.objects.create(
            campaign_id=unit.campaign_id, unit=unit, self_checked_on=today(), self_checked_by=_who(user)
        )
    else:
        check.self_checked_on = today()
        check.self_checked_by = _who(user)
        check.save(update_fields=["self_checked_on", "self_checked_by"])
    existing = {item.item: item for item in check.items.all()}
    for number, judgement in sorted(judgements.items()):
        item = existing.get(number) or CheckItem(check_record=check, item=number)
        item.self_met = judgement.met
        item.self_notes = judgement.notes.strip()
        item.save()
    _announce(unit.campaign_id, [unit.pk])
    return check


@transaction.atomic
def check_verdict(*, user: AnyUser, check: LookbackCheck, judgements: Mapping[int, ItemJudgement]) -> LookbackCheck:
    """The supervisory team's verdict, final. Where the figures propose "not met" and
    the verdict says met, the judge gives a reason."""
    check = LookbackCheck.objects.select_for_update().select_related("unit", "campaign").get(pk=check.pk)
    if not is_unit_supervisor(user, check.unit):
        raise ValidationError(_("Only the unit's supervisory team gives the verdict."))
    if check.is_judged:
        raise ValidationError(_("The verdict was given already; it is final."))
    _items(judgements)
    proposed = proposals_for(check.unit)
    errors: dict[str, str] = {}
    for number, judgement in judgements.items():
        _text(judgement.notes, f"notes_{number}")
        _text(judgement.reason, f"reason_{number}")
        if judgement.met and proposed[number] and not judgement.reason.strip():
            errors[f"reason_{number}"] = _(
                "The figures fall below the campaign's threshold for this item: say why it is met all the same."
            )
    if errors:
        raise ValidationError(errors)
    items = {item.item: item for item in check.items.all()}
    for number, judgement in sorted(judgements.items()):
        item = items[number]
        item.verdict_met = judgement.met
        item.verdict_notes = judgement.notes.strip()
        item.proposed_short = proposed[number]
        item.overrule_reason = judgement.reason.strip() if judgement.met and proposed[number] else ""
        item.save()
    check.state = CheckState.JUDGED
    check.judged_on = today()
    check.judged_by = _who(user)
    check.save(update_fields=["state", "judged_on", "judged_by"])
    _announce(check.campaign_id, [check.unit_id])
    return check


# --- Remedial orders ---------------------------------------------------------------


def _order_refusal(order: RemedialOrder, action: str) -> str:
    if action == "report":
        return _("A redo is reported on an open or returned order; this one is %(state)s.") % {
            "state": order.get_state_display()
        }
    if action in ("close", "return"):
        return _("Only an order whose redo was reported can be closed or returned; this one is %(state)s.") % {
            "state": order.get_state_display()
        }
    return _("This order cannot change now.")


ORDER_FLOW = Workflow(
    {
        (OrderState.OPEN, "report"): OrderState.REPORTED,
        (OrderState.RETURNED, "report"): OrderState.REPORTED,
        (OrderState.REPORTED, "close"): OrderState.CLOSED,
        (OrderState.REPORTED, "return"): OrderState.RETURNED,
    },
    refusal=_order_refusal,
)


@transaction.atomic
def order_issue(
    *, user: AnyUser, check: LookbackCheck, items: Sequence[int], work: str, deadline: datetime.date | None
) -> RemedialOrder:
    check = LookbackCheck.objects.select_for_update().select_related("unit").get(pk=check.pk)
    if not is_unit_supervisor(user, check.unit):
        raise ValidationError(_("Only the unit's supervisory team issues its remedial orders."))
    if not check.is_judged:
        raise ValidationError(_("An order follows the verdict; the unit has none yet."))
    short = set(check.items.filter(verdict_met=False).values_list("item", flat=True))
    chosen = sorted({int(n) for n in items})
    errors: dict[str, str] = {}
    if not chosen:
        errors["items"] = _("Name the items to redo.")
    elif not set(chosen) <= short:
        errors["items"] = _("An order names only items the verdict found not met.")
    if deadline is None:
        errors["deadline"] = _("Give the order a deadline.")
    elif deadline < today():
        errors["deadline"] = _("The deadline cannot be in the past.")
    work = clean_text(work or "", multiline=True).strip()
    if not work:
        errors["work"] = _("Say what the unit must redo.")
    elif len(work) > TEXT_MAX_CHARS:
        errors["work"] = _("Keep it under %(limit)s characters.") % {"limit": intcomma(TEXT_MAX_CHARS)}
    if RemedialOrder.objects.filter(check_record=check).exclude(state=OrderState.CLOSED).exists():
        errors["items"] = _("The unit has an order still open; close it before issuing another.")
    if errors:
        raise ValidationError(errors)
    assert deadline is not None
    order = RemedialOrder.objects.create(
        campaign_id=check.campaign_id,
        unit_id=check.unit_id,
        check_record=check,
        items=chosen,
        work=work,
        deadline=deadline,
        issued_on=today(),
        issued_by=_who(user),
    )
    _announce(check.campaign_id, [check.unit_id])
    return order


def _locked(order: RemedialOrder) -> RemedialOrder:
    return RemedialOrder.objects.select_for_update().select_related("unit", "check_record").get(pk=order.pk)


@transaction.atomic
def order_report(*, user: AnyUser, order: RemedialOrder, redo: str) -> RemedialOrder:
    """The unit reports what it redid."""
    order = _locked(order)
    if not is_unit_secretary(user, order.unit):
        raise ValidationError(_("Only the unit's secretary reports its redo."))
    ORDER_FLOW.check(order, "report")
    order.redo = _text(redo, "redo", required=True, message=_("Say what the unit redid."))
    ORDER_FLOW.move(order, "report")
    order.reported_on = today()
    order.overdue_since = None
    order.save(update_fields=["redo", "state", "reported_on", "overdue_since"])
    _announce(order.campaign_id, [order.unit_id])
    return order


@transaction.atomic
def order_close(*, user: AnyUser, order: RemedialOrder, comment: str = "") -> RemedialOrder:
    """Close the order and re-run the unit's check for its items: each is met now, and
    where the figures still propose "not met", the comment says why it is closed."""
    order = _locked(order)
    if not is_unit_supervisor(user, order.unit):
        raise ValidationError(_("Only the unit's supervisory team closes its orders."))
    ORDER_FLOW.check(order, "close")
    comment = _text(comment, "comment")
    proposed = proposals_for(order.unit)
    still = [str(Item(n).label) for n in order.items if proposed.get(n)]
    if still and not comment:
        raise ValidationError(
            {
                "comment": _("The figures still fall short for: %(items)s. Say why the order is closed all the same.")
                % {"items": "、".join(still)}
            }
        )
    ORDER_FLOW.move(order, "close")
    order.comment = comment
    order.closed_on = today()
    order.save(update_fields=["state", "comment", "closed_on"])
    for item in CheckItem.objects.filter(check_record=order.check_record, item__in=order.items):
        item.verdict_met = True
        item.proposed_short = bool(proposed.get(item.item))
        item.overrule_reason = comment if item.proposed_short else ""
        item.rechecked_on = today()
        item.save(update_fields=["verdict_met", "proposed_short", "overrule_reason", "rechecked_on"])
    _announce(order.campaign_id, [order.unit_id])
    return order


@transaction.atomic
def order_return(*, user: AnyUser, order: RemedialOrder, comment: str) -> RemedialOrder:
    order = _locked(order)
    if not is_unit_supervisor(user, order.unit):
        raise ValidationError(_("Only the unit's supervisory team returns its orders."))
    ORDER_FLOW.check(order, "return")
    order.comment = _text(comment, "comment", required=True, message=_("Say what is still missing."))
    ORDER_FLOW.move(order, "return")
    order.returned_times += 1
    if order.deadline < today():
        order.overdue_since = today()
    order.save(update_fields=["state", "comment", "returned_times", "overdue_since"])
    _announce(order.campaign_id, [order.unit_id])
    return order


@transaction.atomic
def orders_flag_overdue(*, on: datetime.date | None = None) -> int:
    """Flag the orders whose deadline passed with no redo reported (the daily task).
    Idempotent: an order is flagged once; the units flagged are announced."""
    day = on or today()
    due = RemedialOrder.objects.filter(state__in=AWAITING_UNIT, deadline__lt=day, overdue_since__isnull=True)
    found = list(due.values_list("pk", "campaign_id", "unit_id", "unit__name"))
    if not found:
        return 0
    RemedialOrder.objects.filter(pk__in=[pk for pk, _c, _u, _n in found]).update(overdue_since=day)
    by_campaign: dict[int, set[int]] = {}
    for _pk, campaign_id, unit_id, _name in found:
        by_campaign.setdefault(campaign_id, set()).add(unit_id)
    for campaign_id, units in by_campaign.items():
        _announce(campaign_id, units)
    _tell_overdue(found)
    return len(found)


def _tell_overdue(found: Sequence[tuple[int, int, int, str]]) -> None:
    """ "An order is overdue", to the unit's secretaries and the campaign's office (their
    bells): once per order flagged. Two queries for the roles, two per order."""
    roles = RoleAssignment.objects.filter(
        Q(kind=RoleKind.SECRETARY, unit_id__in={unit for _p, _c, unit, _n in found})
        | Q(kind=RoleKind.OFFICE, campaign_id__in={campaign for _p, campaign, _u, _n in found})
    ).values_list("kind", "campaign_id", "unit_id", "user_id")
    secretaries: dict[int, set[int]] = {}
    office: dict[int, set[int]] = {}
    for kind, campaign_id, unit_id, user_id in roles:
        if kind == RoleKind.SECRETARY:
            secretaries.setdefault(unit_id, set()).add(user_id)
        else:
            office.setdefault(campaign_id, set()).add(user_id)
    for pk, campaign_id, unit_id, name in found:
        users = secretaries.get(unit_id, set()) | office.get(campaign_id, set())
        notify(
            users=users,
            kind=notices.ORDER_OVERDUE.key,
            url=reverse("lookback:order_detail", args=[pk]),
            params={"order": name},
        )


# --- An item not met, to rectify ------------------------------------------------------


def may_make_problem(user: AnyUser, unit: OrgUnit) -> bool:
    """The unit's supervisory team, or the office of its campaign (or an administrator)."""
    scope = scope_for(user)
    if not scope.can("lookback.problem"):
        return False
    return scope.is_admin or unit.campaign_id in scope.office_campaign_ids or is_unit_supervisor(user, unit)


@transaction.atomic
def problem_from_item(*, user: AnyUser, record: CheckItem) -> Problem:
    """The rectification problem of an item the verdict found not met (整改: the
    rectification stage tracks it to the end). Made once: asked again, the same problem.
    Its text is the verdict's notes, or the item's name when the team wrote none."""
    record = CheckItem.objects.select_related("check_record__unit__campaign").get(pk=record.pk)
    unit = record.check_record.unit
    if not may_make_problem(user, unit):
        raise ValidationError(_("Only the unit's supervisory team or the office makes a problem of an item."))
    if record.verdict_met is not False:
        raise ValidationError(_("Only an item the verdict found not met becomes a problem to rectify."))
    label = str(Item(record.item).label)
    return problem_record(
        campaign=unit.campaign,
        unit=unit,
        title=_("Look-back: %(item)s") % {"item": label},
        text=record.verdict_notes.strip() or label,
        source=ProblemSource.LOOKBACK_ITEM,
        source_id=record.pk,
        user=user,
    )


# --- Evidence files -------------------------------------------------------------------

# What an evidence file may be: its extension, the bytes it starts with, the type served.
EVIDENCE_KINDS: dict[str, tuple[bytes, str]] = {
    "pdf": (b"%PDF-", "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _evidence_kind(name: str, data: bytes) -> str:
    """The type to serve the file as, found from its name and checked against its
    content; ``ValidationError`` for anything else (a renamed program, a damaged file)."""
    import io
    import zipfile

    from core.uploads import DAMAGED_ZIP

    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_KINDS:
        raise ValidationError({"file": _("Upload a PDF, a picture (PNG, JPEG), a Word or an Excel file.")})
    magic, content_type = EVIDENCE_KINDS[extension]
    if not data.startswith(magic):
        raise ValidationError({"file": _("The file's content is not what its name says; nothing was saved.")})
    if magic.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
        except DAMAGED_ZIP:
            raise ValidationError({"file": _("The file is damaged and cannot be read.")}) from None
        if "[Content_Types].xml" not in names:
            raise ValidationError({"file": _("The file's content is not what its name says; nothing was saved.")})
    return content_type


@transaction.atomic
def evidence_add(
    *,
    user: AnyUser,
    check: LookbackCheck,
    item: int | None,
    name: str,
    data: bytes,
    order: RemedialOrder | None = None,
) -> Any:
    """Keep a file in support of an item (the secretary's before the verdict, the
    supervisory team's) or of an order's redo (the secretary's)."""
    from core.text import clean_text
    from core.uploads import too_large_message
    from lookback.models import EVIDENCE_MAX_BYTES, EVIDENCE_PER_ITEM_MAX, CheckEvidence, EvidenceSide

    unit = check.unit
    if order is not None:
        if not is_unit_secretary(user, unit) or order.state not in AWAITING_UNIT:
            raise ValidationError({"file": _("Evidence of a redo is added by the unit's secretary while it is open.")})
        side = EvidenceSide.REDO
    elif is_unit_supervisor(user, unit):
        side = EvidenceSide.VERDICT
    elif is_unit_secretary(user, unit) and not check.is_judged:
        side = EvidenceSide.SELF
    else:
        raise ValidationError(
            {"file": _("Only the unit's secretary (before the verdict) or its supervisory team adds evidence.")}
        )
    if item is not None and item not in Item.values:
        raise ValidationError({"item": _("Choose one of the six items.")})
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"file": too_large_message(EVIDENCE_MAX_BYTES)})
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if CheckEvidence.objects.filter(check_record=check, item=item, order=order).count() >= EVIDENCE_PER_ITEM_MAX:
        raise ValidationError({"file": _("At most %(n)d files per item.") % {"n": EVIDENCE_PER_ITEM_MAX}})
    clean_name = clean_text(name.replace("/", "_").replace("\\", "_"), multiline=False).strip()[:200] or "evidence"
    content_type = _evidence_kind(clean_name, data)
    return CheckEvidence.objects.create(
        check_record=check,
        item=item,
        order=order,
        side=side,
        name=clean_name,
        content_type=content_type,
        size=len(data),
        content=data,
        uploaded_by=_who(user),
    )


# --- Settings -------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "training_deadline",
    "min_talk_quota_pct",
    "min_pairs_pct",
    "min_opinions_per_member",
    "min_documents_pct",
    "max_overrides",
    "min_released_pct",
    "min_trained_pct",
    "min_signed_pct",
    "max_flagged_pct",
)


@transaction.atomic
def settings_update(*, user: AnyUser, campaign: Campaign, data: Mapping[str, Any]) -> LookbackSettings:
    """The office sets the training deadline and the thresholds of the proposals."""
    scope = scope_for(user)
    if not (scope.is_admin or campaign.pk in scope.office_campaign_ids):
        raise ValidationError(_("Only the county office may change the look-back settings."))
    # The campaign's row, locked: two first saves cannot both insert the one settings row.
    list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))
    found = LookbackSettings.objects.select_for_update().filter(campaign=campaign).first()
    found = found or LookbackSettings(campaign=campaign)
    for name in SETTINGS_FIELDS:
        setattr(found, name, data[name])
    found.full_clean()
    found.save()
    # The deadline decides which branch was trained on time, everywhere in the campaign.
    branches = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).values_list("pk", flat=True)
    _announce(campaign.pk, branches)
    return found
