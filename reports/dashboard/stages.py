"""The dashboards' panels and heat-map columns of the stages that exist: opinions,
feedback, talks, documents, meetings and appraisal (registered when ``reports.apps``
imports this module). Each reads ledger figures only; the look-back and rectification
add theirs from their own modules (docs/reports.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaign.models import OrgUnit, OrgUnitKind, StepKind, TargetCategory
from meetings.models import Condition, MeetingState
from opinions.models import Aspect, Channel, OpinionKind
from reports.dashboard.privacy import withhold_small
from reports.dashboard.registry import (
    Cell,
    Context,
    Panel,
    PanelSpec,
    Progress,
    Series,
    StepColumn,
    register_panel,
    register_step_column,
)
from reports.documents import source as documents
from reports.ledger.figures import Figures
from reports.meetings import appraisal
from reports.meetings import source as meetings
from reports.models import TOTAL_KEY
from reports.opinions import days
from reports.opinions import source as opinions
from reports.talks import source as talks


def _link(name: str, ctx: Context, **params: str) -> str:
    query = dict(params)
    if ctx.unit is not None:
        query["ledger_unit"] = str(ctx.unit.pk)
    return reverse(name) + ("?" + urlencode(query) if query else "")


def _number(value: int | None, k: int) -> str:
    if value is None:
        return _("fewer than %(k)d") % {"k": k}
    return number_format(value, force_grouping=True)


def simple_panel(
    name: str,
    title: str,
    kind: str,
    entries: Sequence[tuple[str, str, int | None, str]],
    *,
    k: int,
    head: str,
    note: str = "",
) -> Panel:
    """A panel of one series: (key, label, value or None when withheld, link) each."""
    return Panel(
        name=name,
        title=title,
        kind=kind,
        categories=[label for _key, label, _value, _href in entries],
        series=[Series(name=head, values=[value for _key, _label, value, _href in entries])],
        head=["", head],
        rows=[
            [Cell(label), Cell(_number(value, k), href=href if value is not None else "", withheld=value is None)]
            for _key, label, value, href in entries
        ],
        note=note,
    )


def _opinion_groups(
    ctx: Context, dimension: str, choices: Iterable[tuple[str, Any]], param: str
) -> list[tuple[str, str, int | None, str]]:
    choices = list(choices)
    shown = withhold_small({key: ctx.figures.get(dimension, key) for key, _label in choices}, ctx.k)
    return [
        (key, str(label), shown[key], _link("opinions:opinion_list", ctx, **{param: key})) for key, label in choices
    ]


def _k_note(ctx: Context) -> str:
    return _("Groups of fewer than %(k)d opinions are not shown (the feedback threshold k).") % {"k": ctx.k}


def opinions_by_category(ctx: Context) -> Panel:
    return simple_panel(
        "opinions_category",
        _("Opinions by category"),
        "hbar",
        _opinion_groups(ctx, opinions.Dimension.CATEGORY, TargetCategory.choices, "category"),
        k=ctx.k,
        head=_("Opinions"),
        note=_k_note(ctx),
    )


def opinions_by_channel(ctx: Context) -> Panel:
    return simple_panel(
        "opinions_channel",
        _("Opinions by channel"),
        "hbar",
        _opinion_groups(ctx, opinions.Dimension.CHANNEL, Channel.choices, "channel"),
        k=ctx.k,
        head=_("Opinions"),
        note=_k_note(ctx),
    )


def opinions_by_aspect(ctx: Context) -> Panel:
    return simple_panel(
        "opinions_aspect",
        _("Opinions by aspect"),
        "hbar",
        _opinion_groups(ctx, opinions.Dimension.ASPECT, [*Aspect.choices, ("", _("Not yet sorted"))], "aspect"),
        k=ctx.k,
        head=_("Opinions"),
        note=_k_note(ctx),
    )


def opinions_by_kind(ctx: Context) -> Panel:
    return simple_panel(
        "opinions_kind",
        _("Opinions and suggestions"),
        "bar",
        _opinion_groups(ctx, opinions.Dimension.KIND, OpinionKind.choices, "kind"),
        k=ctx.k,
        head=_("Opinions"),
        note=_k_note(ctx),
    )


def opinions_per_day(ctx: Context) -> Panel | None:
    counted = dict(sorted(ctx.figures.values.get(days.Dimension.DAY, {}).items()))
    if not counted:
        return None
    shown = withhold_small(counted, ctx.k)
    entries = [
        (day, day, shown[day], _link("opinions:opinion_list", ctx, received_from=day, received_to=day))
        for day in counted
    ]
    return simple_panel(
        "opinions_day",
        _("Opinions gathered per day"),
        "line",
        entries,
        k=ctx.k,
        head=_("Opinions"),
        note=_k_note(ctx),
    )


def progress_panel(
    ctx: Context,
    name: str,
    title: str,
    dimension: str,
    keys: Sequence[tuple[str, str]],
    href: str,
    head: str,
) -> Panel:
    entries = [(key, label, ctx.figures.get(dimension, key), href) for key, label in keys]
    return simple_panel(name, title, "hbar", entries, k=ctx.k, head=head)


def feedback_progress(ctx: Context) -> Panel:
    return progress_panel(
        ctx,
        "feedback",
        _("Feedback lists"),
        opinions.Dimension.FEEDBACK,
        [
            (opinions.LISTS_TOTAL, _("Lists drawn up")),
            (opinions.LISTS_RELEASED, _("Released")),
            (opinions.LISTS_SIGNED, _("Signed for")),
        ],
        reverse("opinions:feedback_lists"),
        _("Lists"),
    )


def talks_progress(ctx: Context) -> Panel:
    return progress_panel(
        ctx,
        "talks",
        _("Talk quota and review"),
        talks.Dimension.TALKS,
        [
            (talks.MEMBERS_TOTAL, _("Members")),
            (talks.MEMBERS_MEETING_QUOTA, _("Members at or above their quota")),
            (talks.REQUIRED_PAIRS, _("Required pairs")),
            (talks.REQUIRED_PAIRS_DONE, _("Required pairs done")),
            (talks.CARDS, _("Talk cards")),
            (talks.CARDS_REVIEWED, _("Cards reviewed")),
            (talks.CARDS_AWAITING, _("Cards awaiting review")),
            (talks.CARDS_RETURNED, _("Cards returned")),
        ],
        reverse("reports:talks_county"),
        pgettext("column of a dashboard table", "Number"),
    )


def documents_progress(ctx: Context) -> Panel:
    return progress_panel(
        ctx,
        "documents",
        _("Self-analysis documents"),
        documents.Dimension.DOCUMENTS,
        [
            (documents.DOC_MEMBERS, _("Members")),
            (documents.DOC_SUBMITTED, _("Submitted")),
            (documents.DOC_APPROVED, _("Approved")),
            (documents.DOC_AWAITING, _("Awaiting review")),
            (documents.DOC_RETURNED, _("Returned, awaiting revision")),
            (documents.DOC_RETURNED_ONCE, _("Returned at least once")),
        ],
        reverse("reports:documents_progress"),
        _("Documents"),
    )


def meetings_readiness(ctx: Context) -> Panel:
    return progress_panel(
        ctx,
        "meetings",
        _("Meeting readiness"),
        meetings.Dimension.MEETINGS,
        [
            (meetings.MEET_PLANNED, _("Planned, a condition still open")),
            (meetings.MEET_READY, _("Ready: the three conditions met")),
            (meetings.MEET_HELD, _("Held")),
            (meetings.MEET_OVERRIDDEN, _("Held on the office's override")),
            (meetings.MEET_CANCELLED, _("Cancelled")),
        ],
        reverse("meetings:readiness"),
        _("Meetings"),
    )


def _readiness_link(ctx: Context, **params: str) -> str:
    """The readiness page (``meetings:readiness``), narrowed to the dashboard's
    organisation: a party committee, a unit (a branch: its unit) — the user's scope does
    the rest."""
    query = dict(params)
    unit = ctx.unit
    if unit is not None and unit.kind == OrgUnitKind.PARTY_COMMITTEE:
        query["committee"] = str(unit.pk)
    elif unit is not None and unit.kind == OrgUnitKind.UNIT:
        query["unit"] = str(unit.pk)
    elif unit is not None and unit.kind == OrgUnitKind.BRANCH and unit.parent_id:
        query["unit"] = str(unit.parent_id)
    return reverse("meetings:readiness") + ("?" + urlencode(query) if query else "")


def meetings_by_condition(ctx: Context) -> Panel | None:
    """The meetings not yet held: how many are ready, and how many each condition of the
    three no-convenings still holds back (the gate's result as last stored,
    ``meetings.OpenCondition``). Hidden while no meeting waits."""
    planned = ctx.figures.get(meetings.Dimension.MEETINGS, meetings.MEET_PLANNED)
    ready = ctx.figures.get(meetings.Dimension.MEETINGS, meetings.MEET_READY)
    if not planned and not ready:
        return None
    entries = [
        ("waiting", _("Planned, not yet held"), planned + ready, _readiness_link(ctx)),
        ("ready", _("Ready: the three conditions met"), ready, _readiness_link(ctx, state=MeetingState.READY)),
        *(
            (
                condition,
                _("Held back: %(condition)s") % {"condition": label},
                ctx.figures.get(meetings.Dimension.READINESS, condition),
                _readiness_link(ctx, state=MeetingState.PLANNED, condition=condition),
            )
            for condition, label in Condition.choices
        ),
    ]
    return simple_panel(
        "meetings_conditions",
        _("Meeting readiness by condition"),
        "hbar",
        entries,
        k=ctx.k,
        head=_("Meetings"),
        note=_("A meeting held back by more than one condition is counted under each."),
    )


def appraisal_progress(ctx: Context) -> Panel:
    return progress_panel(
        ctx,
        "appraisal",
        _("Democratic appraisal"),
        meetings.Dimension.APPRAISAL,
        [
            (appraisal.APP_BALLOTS, _("Ballots counted")),
            (appraisal.APP_MEMBERS_RATED, _("Members rated")),
            (appraisal.APP_MEMBERS_FLAGGED, _("Members flagged")),
            (appraisal.APP_TEAMS_RATED, _("Teams rated")),
        ],
        reverse("reports:meetings_progress"),
        pgettext("column of a dashboard table", "Number"),
    )


OPINION_DIMENSIONS = (opinions.Dimension.CATEGORY, opinions.Dimension.CHANNEL, opinions.Dimension.ASPECT)

for spec in (
    PanelSpec("opinions_category", 10, (opinions.Dimension.CATEGORY,), opinions_by_category),
    PanelSpec("opinions_kind", 12, (opinions.Dimension.KIND,), opinions_by_kind),
    PanelSpec("opinions_channel", 14, (opinions.Dimension.CHANNEL,), opinions_by_channel),
    PanelSpec("opinions_aspect", 16, (opinions.Dimension.ASPECT,), opinions_by_aspect),
    PanelSpec("opinions_day", 18, (days.Dimension.DAY,), opinions_per_day),
    PanelSpec("feedback", 20, (opinions.Dimension.FEEDBACK,), feedback_progress),
    PanelSpec("talks", 30, (talks.Dimension.TALKS,), talks_progress),
    PanelSpec("documents", 40, (documents.Dimension.DOCUMENTS,), documents_progress),
    PanelSpec("meetings", 50, (meetings.Dimension.MEETINGS,), meetings_readiness),
    PanelSpec(
        "meetings_conditions", 52, (meetings.Dimension.MEETINGS, meetings.Dimension.READINESS), meetings_by_condition
    ),
    PanelSpec("appraisal", 60, (meetings.Dimension.APPRAISAL,), appraisal_progress),
):
    register_panel(spec)


# --- The heat map's columns ------------------------------------------------------------------


def _solicit(f: Figures) -> Progress:
    lists = f.get(opinions.Dimension.FEEDBACK, opinions.LISTS_TOTAL)
    started = bool(
        f.get(opinions.Dimension.TOTAL, TOTAL_KEY) or f.get(opinions.Dimension.SOLICITATION, opinions.EVENTS)
    )
    return Progress(
        done=f.get(opinions.Dimension.FEEDBACK, opinions.LISTS_SIGNED), of=lists, started=started or bool(lists)
    )


def _talks(f: Figures) -> Progress:
    return Progress(
        done=f.get(talks.Dimension.TALKS, talks.MEMBERS_MEETING_QUOTA),
        of=f.get(talks.Dimension.TALKS, talks.MEMBERS_TOTAL),
        started=bool(f.get(talks.Dimension.TALKS, talks.CARDS)),
    )


def _documents(f: Figures) -> Progress:
    return Progress(
        done=f.get(documents.Dimension.DOCUMENTS, documents.DOC_APPROVED),
        of=f.get(documents.Dimension.DOCUMENTS, documents.DOC_MEMBERS),
        started=bool(f.get(documents.Dimension.DOCUMENTS, documents.DOC_WRITTEN)),
    )


def _meetings(f: Figures) -> Progress:
    held = f.get(meetings.Dimension.MEETINGS, meetings.MEET_HELD)
    of = held + sum(f.get(meetings.Dimension.MEETINGS, key) for key in (meetings.MEET_PLANNED, meetings.MEET_READY))
    return Progress(done=held, of=of, started=bool(of))


def _appraisal(f: Figures) -> Progress:
    ballots = f.get(meetings.Dimension.APPRAISAL, appraisal.APP_BALLOTS)
    return Progress(
        done=f.get(meetings.Dimension.APPRAISAL, appraisal.APP_MEMBERS_RATED),
        of=f.get(documents.Dimension.DOCUMENTS, documents.DOC_MEMBERS),
        started=bool(ballots),
    )


def _unit_page(name: str) -> object:
    def href(unit: OrgUnit) -> str:
        return reverse(name, args=[unit.pk])

    return href


def _readiness(unit: OrgUnit) -> str:
    return reverse("meetings:readiness") + "?" + urlencode({"unit": unit.pk})


def _appraisal_page(unit: OrgUnit) -> str:
    return reverse("appraisal:window_list")


for column in (
    StepColumn(
        StepKind.SOLICIT,
        (opinions.Dimension.FEEDBACK, opinions.Dimension.TOTAL, opinions.Dimension.SOLICITATION),
        _solicit,
        _unit_page("reports:unit_ledger"),  # type: ignore[arg-type]
    ),
    StepColumn(StepKind.TALKS, (talks.Dimension.TALKS,), _talks, _unit_page("reports:talks_unit")),  # type: ignore[arg-type]
    StepColumn(
        StepKind.DOCUMENTS,
        (documents.Dimension.DOCUMENTS,),
        _documents,
        _unit_page("reports:documents_unit"),  # type: ignore[arg-type]
    ),
    StepColumn(StepKind.MEETINGS, (meetings.Dimension.MEETINGS,), _meetings, _readiness),
    StepColumn(
        StepKind.APPRAISAL,
        (meetings.Dimension.APPRAISAL, documents.Dimension.DOCUMENTS),
        _appraisal,
        _appraisal_page,
    ),
):
    register_step_column(column)
