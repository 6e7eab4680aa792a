"""Reads of opinions and events that pages, exports and other apps share; all scoped.

Targets are named on forms by a typed token ("team:12", "member:34", "unit:5") so that
one text box can hold any of the three kinds; ``resolve_target`` turns a token (or a
full name typed without the autocomplete) back into a ``Target``, only within the
user's scope.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind
from campaign.scoping import Scope, scope_for
from core.history import HistoryEntry, history_entries
from opinions.models import Opinion, SolicitationEvent
from opinions.services import Target

# --- Targets --------------------------------------------------------------------

TEAM, MEMBER, UNIT = "team", "member", "unit"
TOKEN = re.compile(r"^(team|member|unit):(\d{1,18})$")
# Organisations that can be named as a whole: not the county itself, not a branch.
TARGET_UNIT_KINDS = (OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.UNIT)
SEARCH_LIMIT = 15


@dataclass(frozen=True)
class TargetOption:
    token: str
    label: str
    detail: str
    kind: str

    def as_json(self) -> dict[str, str]:
        return {"token": self.token, "label": self.label, "detail": self.detail, "kind": self.kind}


def target_token(obj: LeadershipTeam | Member | OrgUnit | None) -> str:
    if isinstance(obj, LeadershipTeam):
        return f"{TEAM}:{obj.pk}"
    if isinstance(obj, Member):
        return f"{MEMBER}:{obj.pk}"
    if isinstance(obj, OrgUnit):
        return f"{UNIT}:{obj.pk}"
    return ""


def _targets(user: Any, campaign: Campaign) -> dict[str, QuerySet]:
    scope = scope_for(user)
    return {
        TEAM: scope.filter(LeadershipTeam.objects.filter(campaign=campaign)).select_related("unit"),
        MEMBER: scope.filter(Member.objects.filter(campaign=campaign)).select_related("unit"),
        UNIT: scope.filter(OrgUnit.objects.filter(campaign=campaign, kind__in=TARGET_UNIT_KINDS)).select_related(
            "parent"
        ),
    }


def _option(kind: str, obj: Any) -> TargetOption:
    if kind == TEAM:
        detail = f"{obj.get_kind_display()} · {obj.unit.name}"
    elif kind == MEMBER:
        detail = f"{obj.get_rank_display()} · {obj.unit.name}" + (f" · {obj.position}" if obj.position else "")
    else:
        detail = obj.get_kind_display() + (f" · {obj.parent.name}" if obj.parent_id else "")
    return TargetOption(token=f"{kind}:{obj.pk}", label=obj.name, detail=detail, kind=kind)


def target_search(user: Any, campaign: Campaign, query: str, *, limit: int = SEARCH_LIMIT) -> list[TargetOption]:
    """Teams, members and organisations in the user's scope whose name (or code or
    number) contains the query: exact names first, then names that start with it."""
    query = query.strip()
    if not query:
        return []
    querysets = _targets(user, campaign)
    matches = {
        TEAM: querysets[TEAM].filter(Q(name__icontains=query) | Q(code__iexact=query)),
        MEMBER: querysets[MEMBER].filter(Q(name__icontains=query) | Q(number__iexact=query)),
        UNIT: querysets[UNIT].filter(Q(name__icontains=query) | Q(code__iexact=query)),
    }
    options = [
        _option(kind, obj) for kind, queryset in matches.items() for obj in queryset.order_by("name", "pk")[:limit]
    ]
    folded = query.casefold()

    def rank(option: TargetOption) -> tuple[int, int, str]:
        name = option.label.casefold()
        closeness = 0 if name == folded else 1 if name.startswith(folded) else 2
        return closeness, len(option.label), option.label

    return sorted(options, key=rank)[:limit]


def target_options(user: Any, campaign: Campaign, tokens: Iterable[str]) -> dict[str, TargetOption]:
    """Labels for tokens already chosen (to show a form again); tokens out of scope are
    left out. One query per kind, whatever the number of tokens."""
    wanted: dict[str, set[int]] = {TEAM: set(), MEMBER: set(), UNIT: set()}
    for token in tokens:
        match = TOKEN.match(token or "")
        if match:
            wanted[match.group(1)].add(int(match.group(2)))
    querysets = _targets(user, campaign)
    found: dict[str, TargetOption] = {}
    for kind, ids in wanted.items():
        if ids:
            for obj in querysets[kind].filter(pk__in=ids):
                option = _option(kind, obj)
                found[option.token] = option
    return found


def resolve_target(user: Any, campaign: Campaign, value: str) -> Target:
    """The target a form names, by token or by its exact name, within the user's scope.

    Raises ValidationError at "target". A token for something outside the scope gets
    the same answer as one for nothing at all, so its name is never disclosed."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({"target": _("Choose the target: a leadership team, a member or an organisation.")})
    querysets = _targets(user, campaign)
    match = TOKEN.match(value)
    if match:
        kind, pk = match.group(1), int(match.group(2))
        obj = querysets[kind].filter(pk=pk).first()
        if obj is None:
            raise ValidationError(
                {"target": _("The chosen target is not one you may record for. Choose it again from the list.")}
            )
        return Target(**{kind: obj})
    found = [(kind, obj) for kind, queryset in querysets.items() for obj in queryset.filter(name__iexact=value)[:6]]
    if len(found) == 1:
        kind, obj = found[0]
        return Target(**{kind: obj})
    if found:
        names = "; ".join(f"{obj.name} ({_option(kind, obj).detail})" for kind, obj in found[:5])
        raise ValidationError(
            {
                "target": _("Several targets are called “%(name)s”: %(names)s. Choose one from the list.")
                % {
                    "name": value,
                    "names": names,
                }
            }
        )
    similar = target_search(user, campaign, value, limit=5)
    if similar:
        raise ValidationError(
            {
                "target": _("No target is called exactly “%(name)s”. Did you mean: %(names)s?")
                % {"name": value, "names": "; ".join(option.label for option in similar)}
            }
        )
    raise ValidationError(
        {"target": _("No team, member or organisation you may record for is called “%(name)s”.") % {"name": value}}
    )


def recording_units_for(user: Any, campaign: Campaign) -> QuerySet[OrgUnit]:
    """The organisations the user may record opinions and events for: the office's whole
    campaign, a secretary's own units and what lies below them."""
    scope = scope_for(user)
    units = OrgUnit.objects.filter(campaign=campaign)
    if scope.is_admin or campaign.pk in scope.office_campaign_ids:
        return units.order_by("path")
    if not scope.secretary_paths:
        return units.none()
    condition = Q()
    for path in scope.secretary_paths:
        condition |= Q(path__startswith=path)
    return units.filter(condition).order_by("path")


# --- Who submitted an opinion ----------------------------------------------------
#
# The one rule, for every page, export, history and admin page that could name a
# submitter (what he or she typed as name and contact, and who recorded or changed
# the opinion, and when in the day): only the county office of the opinion's campaign
# and the administrator see it, and never on an opinion about themselves or a team
# they sit on or head (``Scope.about_self``), whatever their roles.

SUBMITTER_SHOWN = "submitter_shown"


def sees_submitter(user: Any, campaign: Campaign | None) -> bool:
    """Whether the user's role sees submitters in ``campaign`` at all: the county office
    and the administrator. Each opinion then says whether its own is shown
    (``submitter_shown``): not on one about the user."""
    scope: Scope = scope_for(user)
    return scope.is_admin or (campaign is not None and campaign.pk in scope.office_campaign_ids)


def submitter_shown_expression(user: Any) -> Case:
    """Per row of opinions, whether this user is shown who submitted it: a column, so a
    list of any length costs no query more."""
    scope: Scope = scope_for(user)
    about = scope.about_self(Opinion)
    if scope.is_admin:
        role = Q(pk__isnull=False)
    elif scope.office_campaign_ids:
        role = Q(campaign_id__in=scope.office_campaign_ids)
    else:
        return Case(default=Value(False), output_field=BooleanField())
    hidden = [When(about, then=Value(False))] if about is not None else []
    return Case(*hidden, When(role, then=Value(True)), default=Value(False), output_field=BooleanField())


def with_submitter_shown(user: Any, opinions: QuerySet[Opinion]) -> QuerySet[Opinion]:
    """The opinions, each with ``submitter_shown`` for this user."""
    return opinions.annotate(**{SUBMITTER_SHOWN: submitter_shown_expression(user)})


def submitter_shown(user: Any, opinion: Opinion) -> bool:
    """Whether this user is shown who submitted ``opinion`` (its annotation when it was
    loaded with it, otherwise one query)."""
    shown = getattr(opinion, SUBMITTER_SHOWN, None)
    if shown is None:
        shown = (
            with_submitter_shown(user, Opinion.objects.filter(pk=opinion.pk))
            .values_list(SUBMITTER_SHOWN, flat=True)
            .first()
        )
    return bool(shown)


# --- Opinions -------------------------------------------------------------------

COUNTED, MERGED, ALL = "", "merged", "all"


@dataclass(frozen=True)
class OpinionFilters:
    """What a list of opinions is narrowed to; the names are the GET parameters."""

    ledger_unit: OrgUnit | None = None
    target_member: Member | None = None
    target_team: LeadershipTeam | None = None
    target_unit: OrgUnit | None = None
    category: str = ""
    kind: str = ""
    channel: str = ""
    aspect: str = ""
    status: str = ""
    event: SolicitationEvent | None = None
    merged: str = COUNTED
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None
    q: str = ""
    numbers: tuple[int, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> OpinionFilters:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known and v not in (None, "")})


def _merged_count() -> Coalesce:
    counted = (
        Opinion.objects.filter(merged_into=OuterRef("pk")).order_by().values("merged_into").annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(counted.values("n")), 0)


def opinions_for(user: Any, *, campaign: Campaign | None, filters: OpinionFilters | None = None) -> QuerySet[Opinion]:
    """The opinions a user may see, narrowed by ``filters``, with what a list shows
    loaded up front (targets, units, event, the number merged into each)."""
    filters = filters or OpinionFilters()
    opinions = scope_for(user).filter(Opinion.objects.all())
    if campaign is not None:
        opinions = opinions.filter(campaign=campaign)
    if filters.ledger_unit is not None:
        # A sub-ledger's figures cover the unit's whole subtree; so does its drill-down.
        opinions = opinions.filter(ledger_unit__path__startswith=filters.ledger_unit.path)
    exact = {
        "target_member": filters.target_member,
        "target_team": filters.target_team,
        "target_unit": filters.target_unit,
        "category": filters.category,
        "kind": filters.kind,
        "channel": filters.channel,
        "aspect": filters.aspect,
        "status": filters.status,
        "event": filters.event,
    }
    opinions = opinions.filter(**{name: value for name, value in exact.items() if value not in (None, "")})
    if filters.numbers:
        opinions = opinions.filter(pk__in=filters.numbers)
    if filters.merged == COUNTED:
        opinions = opinions.filter(merged_into__isnull=True)
    elif filters.merged == MERGED:
        opinions = opinions.filter(merged_into__isnull=False)
    if filters.received_from:
        opinions = opinions.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        opinions = opinions.filter(received_on__lte=filters.received_to)
    if filters.q:
        opinions = opinions.filter(Q(text__icontains=filters.q) | Q(target_text__icontains=filters.q))
    return with_submitter_shown(
        user,
        opinions.select_related(
            "target_team", "target_member", "target_unit", "ledger_unit", "event", "recording_unit", "merged_into"
        ).annotate(merged_count=_merged_count()),
    )


def with_merged(opinions: QuerySet[Opinion]) -> QuerySet[Opinion]:
    """The opinions with those merged into each loaded (one more query for a page)."""
    return opinions.prefetch_related(
        Prefetch(
            "merged",
            queryset=Opinion.objects.select_related("target_team", "target_member", "target_unit").order_by("pk"),
        )
    )


def opinion_for_user(user: Any, pk: int) -> Opinion:
    from campaign.scoping import get_object_for_user

    return get_object_for_user(
        user,
        with_submitter_shown(
            user,
            Opinion.objects.select_related(
                "campaign",
                "target_team__unit",
                "target_member__unit",
                "target_unit",
                "ledger_unit",
                "event",
                "recording_unit",
                "merged_into",
            ),
        ),
        pk=pk,
    )


# --- History --------------------------------------------------------------------

HISTORY_FIELDS = (
    "kind",
    "text",
    "channel",
    "event",
    "source_group",
    "aspect",
    "target_team",
    "target_member",
    "target_unit",
    "target_text",
    "category",
    "ledger_unit",
    "received_on",
    "recording_unit",
    "status",
    "merged_into",
)
SUBMITTER_FIELDS = ("submitter_name", "submitter_contact")


def opinion_history(user: Any, opinion: Opinion) -> list[HistoryEntry]:
    """Who changed what and when, newest first, in a fixed number of queries: the
    history rows, then one query per kind of related record they name. The submitter's
    fields only where the user is shown the submitter; on an opinion about the user
    himself, not who recorded or changed it either (a secretary may have written down
    his or her own words) — the page then gives the day only."""
    shown = submitter_shown(user, opinion)
    names = HISTORY_FIELDS + (SUBMITTER_FIELDS if shown else ())
    entries = history_entries(opinion.history, Opinion, names, nobody=_("(the public box)"))
    if not shown and sees_submitter(user, opinion.campaign):
        for entry in entries:
            entry.who = _("hidden")
    return entries


# --- Events ---------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    unit: OrgUnit | None = None
    channel: str = ""
    held_from: datetime.date | None = None
    held_to: datetime.date | None = None
    q: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> EventFilters:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known and v not in (None, "")})


def events_for(
    user: Any, *, campaign: Campaign | None, filters: EventFilters | None = None
) -> QuerySet[SolicitationEvent]:
    """Events the user may see, narrowed by ``filters`` (a unit includes what lies below
    it), with the host unit and the number of opinions recorded from each."""
    filters = filters or EventFilters()
    events = scope_for(user).filter(SolicitationEvent.objects.all())
    if campaign is not None:
        events = events.filter(campaign=campaign)
    if filters.unit is not None:
        events = events.filter(unit__path__startswith=filters.unit.path)
    if filters.channel:
        events = events.filter(channel=filters.channel)
    # An event that spans days is found by any day it covers.
    if filters.held_from:
        events = events.filter(
            Q(ends_on__gte=filters.held_from) | Q(ends_on__isnull=True, held_on__gte=filters.held_from)
        )
    if filters.held_to:
        events = events.filter(held_on__lte=filters.held_to)
    if filters.q:
        events = events.filter(Q(title__icontains=filters.q) | Q(place__icontains=filters.q))
    counted = (
        Opinion.objects.filter(event=OuterRef("pk")).order_by().values("event").annotate(n=Count("pk")).values("n")
    )
    return events.select_related("unit").annotate(opinion_count=Coalesce(Subquery(counted), 0))


def event_choices_for(user: Any, campaign: Campaign) -> QuerySet[SolicitationEvent]:
    """Events a user may record opinions from: those held by organisations he or she
    records for, newest first."""
    return (
        scope_for(user)
        .filter(SolicitationEvent.objects.filter(campaign=campaign, unit__in=recording_units_for(user, campaign)))
        .select_related("unit")
        .order_by("-held_on", "title")
    )
