"""Every write of the democratic appraisal: the campaign's settings, opening and closing
a branch's window, casting a ballot, the tellers' paper sheet and its confirmation, a
citizen's rating of a team. Each inside ``transaction.atomic``; bad input raises
``ValidationError`` with a translated message and nothing is written.

What a ballot may carry is the point of the models' docstring: casting writes a voting
record (who), and a ballot and its marks (what, the marks not even linked to the ballot)
that nothing joins to the record, each keyed by uuid4, the ballot
dated by its day only, and nothing else at all — no history, no outbox row, no log
line, no message naming the ballot. Closing a window writes its ballots again in
shuffled order under fresh keys.

The ledger's figures (``source="appraisal"``) count closed windows and confirmed paper
tallies only, so only closing a window, confirming a tally and changing the settings
announce a change — never a ballot or a citizen's rating, whose time an outbox row
would keep.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind
from campaign.scoping import scope_for
from core.workflow import Workflow
from meetings.appraisal.models import (
    AppraisalSettings,
    AppraisalWindow,
    Ballot,
    MemberMark,
    MemberRating,
    PaperMemberCount,
    PaperSheet,
    PaperTeamCount,
    SheetState,
    TeamMark,
    TeamRating,
    VoterRecord,
    WindowState,
)
from meetings.appraisal.selectors import branch_members, branch_teams, public_rating_is_open, settings_for, today

WINDOW_MOVES = Workflow(
    {(WindowState.OPEN, "close"): WindowState.CLOSED},
    refusal=lambda window, _action: _("The voting window of %(branch)s is already closed.") % {"branch": window.branch},
)
SHEET_MOVES = Workflow(
    {(SheetState.ENTERED, "edit"): SheetState.ENTERED, (SheetState.ENTERED, "confirm"): SheetState.CONFIRMED},
    refusal=lambda _sheet, _action: _("This paper tally is confirmed; it can no longer be changed."),
)


SOURCE = "appraisal"


def _announce_window(window: AppraisalWindow) -> None:
    """The units whose appraisal figures a closed window or a confirmed tally moves: the
    branch (its ballots), the units of the members and teams it rates."""
    members = Member.objects.filter(
        Q(pk__in=MemberMark.objects.filter(window=window).values("member_id"))
        | Q(pk__in=PaperMemberCount.objects.filter(sheet__window=window).values("member_id"))
    )
    teams = LeadershipTeam.objects.filter(
        Q(pk__in=TeamMark.objects.filter(window=window).values("team_id"))
        | Q(pk__in=PaperTeamCount.objects.filter(sheet__window=window).values("team_id"))
    )
    units = {window.branch_id}
    units.update(members.order_by().values_list("unit_id", flat=True).distinct())
    units.update(teams.order_by().values_list("unit_id", flat=True).distinct())
    announce_change(campaign_id=window.campaign_id, unit_ids=units, source=SOURCE)


# --- Who may do what ---------------------------------------------------------------------


def may_manage(user: Any, branch: OrgUnit) -> bool:
    """A teller of the branch: office staff of its campaign, an administrator, or a
    secretary of the branch or of a unit above it."""
    scope = scope_for(user)
    return scope.can("appraisal.manage") and scope.can_edit_unit(branch)


def _require_manager(user: Any, branch: OrgUnit) -> None:
    if not may_manage(user, branch):
        raise ValidationError(
            _("Only a secretary over %(branch)s or the county office may do this.") % {"branch": branch}
        )


# --- Settings ------------------------------------------------------------------------------


SETTINGS_FIELDS = (
    "unqualified_numerator",
    "unqualified_denominator",
    "approval_numerator",
    "approval_denominator",
    "min_ballots",
    "public_opens_on",
    "public_closes_on",
)


def settings_update(*, user: Any, campaign: Campaign, data: Mapping[str, Any]) -> AppraisalSettings:
    scope = scope_for(user)
    if not (scope.can("appraisal.settings") and (scope.is_admin or campaign.pk in scope.office_campaign_ids)):
        raise ValidationError(_("Only the county office may change the appraisal settings."))
    with transaction.atomic():
        # The campaign's row, locked: two first saves (a double click) cannot both insert
        # the one settings row; the second finds the first's and writes the same values.
        list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))
        settings = AppraisalSettings.objects.select_for_update().filter(campaign=campaign).first()
        settings = settings or AppraisalSettings(campaign=campaign)
        for name in SETTINGS_FIELDS:
            setattr(settings, name, data[name])
        errors: dict[str, str] = {}
        for part in ("unqualified", "approval"):
            numerator, denominator = data[f"{part}_numerator"], data[f"{part}_denominator"]
            if denominator and numerator > denominator:
                errors[f"{part}_numerator"] = _(
                    "A share cannot be more than the whole: the numerator is above the denominator."
                )
        opens, closes = data["public_opens_on"], data["public_closes_on"]
        if bool(opens) != bool(closes):
            errors["public_closes_on"] = _("Give both dates of the public rating, or neither.")
        elif opens and closes < opens:
            errors["public_closes_on"] = _("The public rating cannot close before it opens.")
        if errors:
            raise ValidationError(errors)
        settings.full_clean()
        settings.save()
        # k, the shares and the public rating's dates decide who is rated and flagged
        # anywhere in the campaign.
        announce_change(
            campaign_id=campaign.pk,
            unit_ids=OrgUnit.objects.filter(campaign=campaign).values_list("pk", flat=True),
            source=SOURCE,
        )
    return settings


# --- Windows ---------------------------------------------------------------------------


def window_open(*, user: Any, campaign: Campaign, branch: OrgUnit) -> AppraisalWindow:
    if branch.kind != OrgUnitKind.BRANCH or branch.campaign_id != campaign.pk:
        raise ValidationError(_("%(name)s is not a branch of this campaign.") % {"name": branch})
    _require_manager(user, branch)
    if not campaign.is_active:
        raise ValidationError(_("The campaign is not active: no voting window can be opened."))
    try:
        with transaction.atomic():
            return AppraisalWindow.objects.create(
                campaign=campaign, branch=branch, state=WindowState.OPEN, opened_on=today(), opened_by=user
            )
    except IntegrityError:
        raise ValidationError(
            _("A voting window was already opened for %(branch)s; each branch votes once.") % {"branch": branch}
        ) from None


def window_close(*, user: Any, window: AppraisalWindow) -> AppraisalWindow:
    """Close the window and write its ballots again, shuffled, under fresh keys: from now
    on nothing, not even where the database placed a row, orders them."""
    _require_manager(user, window.branch)
    with transaction.atomic():
        locked = AppraisalWindow.objects.select_for_update().select_related("branch").get(pk=window.pk)
        WINDOW_MOVES.move(locked, "close")
        locked.closed_on = today()
        locked.closed_by = user
        locked.save(update_fields=["state", "closed_on", "closed_by"])
        _reshuffle(locked)
        _announce_window(locked)
    return locked


def _reshuffle(window: AppraisalWindow) -> None:
    shuffle = random.SystemRandom().shuffle
    days = list(Ballot.objects.filter(window=window).values_list("cast_on", flat=True))
    member_marks = list(MemberMark.objects.filter(window=window).values_list("member_id", "rating"))
    team_marks = list(TeamMark.objects.filter(window=window).values_list("team_id", "rating"))
    for rows in (days, member_marks, team_marks):
        shuffle(rows)
    Ballot.objects.filter(window=window).delete()
    MemberMark.objects.filter(window=window).delete()
    TeamMark.objects.filter(window=window).delete()
    Ballot.objects.bulk_create([Ballot(window=window, cast_on=day) for day in days], batch_size=1000)
    MemberMark.objects.bulk_create(
        [MemberMark(window=window, member_id=m, rating=r) for m, r in member_marks], batch_size=1000
    )
    TeamMark.objects.bulk_create(
        [TeamMark(campaign_id=window.campaign_id, window=window, team_id=t, rating=r) for t, r in team_marks],
        batch_size=1000,
    )


# --- Casting a ballot ------------------------------------------------------------------------


def _voter(user: Any, window: AppraisalWindow) -> Member:
    member = scope_for(user).member
    if member is None or member.campaign_id != window.campaign_id or member.branch_id != window.branch_id:
        raise ValidationError(
            _("Only members of %(branch)s vote in its window; you are not on its roll.") % {"branch": window.branch}
        )
    return member


def ballot_cast(
    *,
    user: Any,
    window: AppraisalWindow,
    member_ratings: Mapping[int, str],
    team_ratings: Mapping[int, str],
) -> None:
    """Record one member's ballot: who voted in one table, what was marked in others,
    nothing that joins them. Returns nothing: there is no receipt to give."""
    voter = _voter(user, window)
    member_ratings = {int(k): v for k, v in member_ratings.items() if v}
    team_ratings = {int(k): v for k, v in team_ratings.items() if v}
    with transaction.atomic():
        # The window's row, locked: a vote and the close cannot cross.
        locked = AppraisalWindow.objects.select_for_update().select_related("branch").get(pk=window.pk)
        if not locked.is_open:
            raise ValidationError(
                _("Voting in %(branch)s closed on %(date)s; no more ballots are taken.")
                % {"branch": locked.branch, "date": locked.closed_on.isoformat() if locked.closed_on else ""}
            )
        rateable = set(
            branch_members(locked.campaign_id, locked.branch_id).exclude(pk=voter.pk).values_list("pk", flat=True)
        )
        teams = set(branch_teams(locked.campaign_id, locked.branch).values_list("pk", flat=True))
        if not set(member_ratings) <= rateable:
            raise ValidationError(
                _("The ballot names someone who is not another member of %(branch)s.") % {"branch": locked.branch}
            )
        if not set(team_ratings) <= teams:
            raise ValidationError(_("The ballot names a team your branch does not rate."))
        if any(v not in MemberRating.values for v in member_ratings.values()) or any(
            v not in TeamRating.values for v in team_ratings.values()
        ):
            raise ValidationError(_("Choose each rating from the ballot's choices."))
        if not member_ratings and not team_ratings:
            raise ValidationError(_("The ballot is empty: rate at least one member or team."))
        try:
            with transaction.atomic():
                VoterRecord.objects.create(window=locked, member=voter)
        except IntegrityError:
            raise ValidationError(_("You have already voted in this window; each member votes once.")) from None
        day = today()
        Ballot.objects.create(window=locked, cast_on=day)
        marks = [MemberMark(window=locked, member_id=pk, rating=r) for pk, r in member_ratings.items()]
        random.SystemRandom().shuffle(marks)
        MemberMark.objects.bulk_create(marks)
        TeamMark.objects.bulk_create(
            [
                TeamMark(campaign_id=locked.campaign_id, window=locked, team_id=pk, rating=r)
                for pk, r in team_ratings.items()
            ]
        )


# --- Paper ballots: the tellers ---------------------------------------------------------------


MEMBER_COUNT_FIELDS = tuple(MemberRating.values)
TEAM_COUNT_FIELDS = tuple(TeamRating.values)


def sheet_save(
    *,
    user: Any,
    window: AppraisalWindow,
    present: int,
    member_counts: Mapping[int, Mapping[str, int]],
    team_counts: Mapping[int, Mapping[str, int]],
) -> PaperSheet:
    """Enter (or correct, until confirmed) the tellers' count of the branch's paper
    ballots. Errors name the row: ``present``, ``member-<id>``, ``team-<id>``."""
    _require_manager(user, window.branch)
    with transaction.atomic():
        locked = AppraisalWindow.objects.select_for_update().select_related("branch").get(pk=window.pk)
        sheet = PaperSheet.objects.select_for_update().filter(window=locked).first()
        if sheet is not None:
            SHEET_MOVES.check(sheet, "edit")
        roll = {m.pk: m for m in branch_members(locked.campaign_id, locked.branch_id)}
        teams = {t.pk: t for t in branch_teams(locked.campaign_id, locked.branch)}
        errors: dict[str, str] = {}
        if present < 0:
            errors["present"] = _("The number of members present cannot be negative.")
        elif present > len(roll):
            errors["present"] = _("%(present)d members present, but %(branch)s has only %(members)d members.") % {
                "present": present,
                "branch": locked.branch,
                "members": len(roll),
            }
        for pk, counts in member_counts.items():
            total = sum(int(counts.get(name) or 0) for name in MEMBER_COUNT_FIELDS)
            if pk not in roll:
                errors[f"member-{pk}"] = _("This member is not on the roll of %(branch)s.") % {"branch": locked.branch}
            elif any(int(counts.get(name) or 0) < 0 for name in MEMBER_COUNT_FIELDS):
                errors[f"member-{pk}"] = _("A count cannot be negative.")
            elif total > present:
                errors[f"member-{pk}"] = _(
                    "The ballots counted for %(name)s (%(total)d) exceed the members present (%(present)d)."
                ) % {"name": roll[pk].name, "total": total, "present": present}
        for pk, counts in team_counts.items():
            total = sum(int(counts.get(name) or 0) for name in TEAM_COUNT_FIELDS)
            if pk not in teams:
                errors[f"team-{pk}"] = _("This branch does not rate this team.")
            elif any(int(counts.get(name) or 0) < 0 for name in TEAM_COUNT_FIELDS):
                errors[f"team-{pk}"] = _("A count cannot be negative.")
            elif total > present:
                errors[f"team-{pk}"] = _(
                    "The ballots counted for %(name)s (%(total)d) exceed the members present (%(present)d)."
                ) % {"name": teams[pk].name, "total": total, "present": present}
        if errors:
            raise ValidationError(errors)
        if sheet is None:
            sheet = PaperSheet(window=locked)
        sheet.present = present
        sheet.entered_by = user
        sheet.save()
        sheet.member_counts.all().delete()
        sheet.team_counts.all().delete()
        PaperMemberCount.objects.bulk_create(
            [
                PaperMemberCount(sheet=sheet, member_id=pk, **{n: int(c.get(n) or 0) for n in MEMBER_COUNT_FIELDS})
                for pk, c in member_counts.items()
            ]
        )
        PaperTeamCount.objects.bulk_create(
            [
                PaperTeamCount(sheet=sheet, team_id=pk, **{n: int(c.get(n) or 0) for n in TEAM_COUNT_FIELDS})
                for pk, c in team_counts.items()
            ]
        )
    return sheet


def sheet_confirm(*, user: Any, sheet: PaperSheet) -> PaperSheet:
    """A second teller's confirmation: from now on the sheet counts, and is frozen."""
    _require_manager(user, sheet.window.branch)
    with transaction.atomic():
        locked = PaperSheet.objects.select_for_update().select_related("window__branch").get(pk=sheet.pk)
        SHEET_MOVES.check(locked, "confirm")
        if locked.entered_by_id == getattr(user, "pk", None):
            raise ValidationError(_("You entered this tally: a second teller must confirm it before it counts."))
        SHEET_MOVES.move(locked, "confirm")
        locked.confirmed_by = user
        locked.save(update_fields=["state", "confirmed_by"])
        if locked.window.state == WindowState.CLOSED:
            _announce_window(locked.window)  # an open window's tally counts when it closes
    return locked


# --- The public's rating of a team --------------------------------------------------------------


def public_rating_submit(*, campaign: Campaign, team: LeadershipTeam | None, rating: str) -> None:
    """One citizen's rating of one team: a row with a random key, the team, the rating
    and the day. Nothing else is written, nothing logged."""
    settings = settings_for(campaign)
    if not public_rating_is_open(settings):
        raise ValidationError(_("The public rating of this campaign's leadership teams is closed."))
    if team is None or team.campaign_id != campaign.pk:
        raise ValidationError({"team": _("Choose a leadership team from the list.")})
    if rating not in TeamRating.values:
        raise ValidationError({"rating": _("Choose how satisfied you are.")})
    TeamMark.objects.create(campaign=campaign, window=None, team=team, rating=rating, cast_on=today())


# --- The ledger -------------------------------------------------------------------------------


def announce_public_rating_closed(*, on: datetime.date | None = None) -> int:
    """The public's ratings count from the day after the public rating closes: announce
    the units of the rated teams of every campaign whose public rating closed in the two
    days before ``on`` (a missed night made up; a roll-up twice changes nothing). Only
    after the close, and by unit: nothing dates a citizen's rating. Returns how many
    campaigns were announced."""
    on = on or today()
    closed = AppraisalSettings.objects.filter(
        public_closes_on__gte=on - datetime.timedelta(days=2), public_closes_on__lt=on
    ).values_list("campaign_id", flat=True)
    count = 0
    for campaign_id in closed:
        rated = TeamMark.objects.filter(campaign_id=campaign_id, window__isnull=True).values("team_id")
        units = set(LeadershipTeam.objects.filter(pk__in=rated).values_list("unit_id", flat=True).distinct())
        with transaction.atomic():
            announce_change(campaign_id=campaign_id, unit_ids=units, source=SOURCE)
        count += bool(units)
    return count
