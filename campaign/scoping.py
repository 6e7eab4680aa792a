"""Who may see and do what: the one place that decides.

Every view, export, form choice list, autocomplete and admin page asks this module
for the rows a user may see (``scope_for(user).filter(queryset)``) and whether an
action is allowed (``scope.can(action)``, ``scope.can_see(obj)``). No view filters by
unit on its own.

Roles:
- administrator: a Django superuser; sees everything.
- county office staff: a ``RoleAssignment`` of kind office; sees its campaigns whole.
- supervisory team member: a ``Supervisor`` with a user account; a municipal team sees
  its campaign whole, a county team the units it supervises and everything below them.
- unit secretary: a ``RoleAssignment`` of kind secretary; its unit and everything below.
- member: a ``Member`` with a user account; his or her own records only.

Other apps register their models with ``register()`` so that the same rules reach them.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, models, router
from django.db.models import Q
from django.http import Http404

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    RoleAssignment,
    RoleKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
)

ADMIN = "admin"
OFFICE = "office"
SUPERVISOR = "supervisor"
SECRETARY = "secretary"
MEMBER = "member"
ROLES = (ADMIN, OFFICE, SUPERVISOR, SECRETARY, MEMBER)

T = TypeVar("T", bound=models.Model)

# Whom a request comes from: a signed-in user (settings.AUTH_USER_MODEL is Django's own
# User) or nobody.
AnyUser: TypeAlias = User | AnonymousUser

# Where scope_for() caches a user's scope: an attribute on the user object itself, so
# it lives exactly as long as the request's user.
_SCOPE_ATTRIBUTE = "_canvass_scope"


@dataclass(frozen=True)
class Rule:
    """How to find a model's campaign, organisation path and member.

    ``campaign``: lookup to the campaign id. ``path``: lookup to an OrgUnit path (a
    row is visible to a unit-scoped role when that path lies in one of its subtrees).
    ``member``: lookup to the Member a member-role user may see the row through, or
    None when members see no rows of this model. ``member_q`` overrides ``member``
    with a function of the member for rules that are not a plain lookup.
    ``also_paths``: further path lookups that also bring a row into a subtree (an
    opinion is in reach of the unit it targets and of the unit that recorded it).
    ``about``: for records that speak about people (opinions), the condition that a
    row is about a given member (him, or a team he sits on or heads); such rows are
    hidden from that member in every role but office and administrator, so no one
    reads raw opinions about himself, and where the office or the administrator does
    read them, the app hides who gave them (``Scope.about_self``).
    """

    campaign: str
    path: str | None
    member: str | None = None
    member_q: Callable[[Member], Q] | None = None
    also_paths: tuple[str, ...] = ()
    about: Callable[[Member], Q] | None = None


_RULES: dict[type[models.Model], Rule] = {}


def register(model: type[models.Model], rule: Rule) -> None:
    _RULES[model] = rule


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no scoping rule; register one in its app's scoping rules.") from None


def _member_units(member: Member) -> Q:
    # A member sees the organisations he or she belongs to, and their ancestors.
    ids = {int(part) for unit in (member.unit, member.branch) if unit for part in unit.path.strip("/").split("/")}
    return Q(pk__in=ids)


register(
    Campaign,
    Rule(campaign="pk", path="units__path", member_q=lambda member: Q(pk=member.campaign_id)),
)
register(OrgUnit, Rule(campaign="campaign_id", path="path", member_q=_member_units))
# A member is in reach of his or her unit's subtree, and of his or her branch's: a branch's
# secretary (a role on the branch) sees its members.
register(Member, Rule(campaign="campaign_id", path="unit__path", also_paths=("branch__path",), member="pk"))
register(LeadershipTeam, Rule(campaign="campaign_id", path="unit__path", member="members"))
register(SupervisoryTeam, Rule(campaign="campaign_id", path="units__path"))
register(Supervisor, Rule(campaign="team__campaign_id", path="team__units__path"))
register(RoleAssignment, Rule(campaign="campaign_id", path="unit__path"))


# Actions: which roles may perform them at all. Whether the object is in reach is
# decided by ``can_see``.
ACTIONS: dict[str, frozenset[str]] = {
    "org.view": frozenset(ROLES),
    "org.browse": frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY}),
    "org.export": frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY}),
    "org.import": frozenset({ADMIN, OFFICE}),
    "campaign.manage": frozenset({ADMIN, OFFICE}),
}


def register_action(name: str, roles: Iterable[str]) -> None:
    ACTIONS[name] = frozenset(roles)


@dataclass
class Scope:
    user: AnyUser
    is_admin: bool = False
    campaign_ids: frozenset[int] = frozenset()  # seen whole (office, municipal team)
    office_campaign_ids: frozenset[int] = frozenset()
    paths: tuple[str, ...] = ()  # subtrees (secretary, county team)
    secretary_paths: tuple[str, ...] = ()
    supervisor: Supervisor | None = None
    member: Member | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return not self.roles

    @property
    def primary_role(self) -> str | None:
        return next((role for role in ROLES if role in self.roles), None)

    def can(self, action: str) -> bool:
        allowed = ACTIONS.get(action)
        if allowed is None:
            raise LookupError(f"Unknown action {action!r}")
        return bool(self.roles & allowed)

    def q(self, model: type[models.Model]) -> Q | None:
        """The condition that selects visible rows, or None for every row."""
        if self.is_admin:
            return None
        rule = rule_for(model)
        parts: list[Q] = []
        if self.campaign_ids:
            parts.append(Q(**{f"{rule.campaign}__in": self.campaign_ids}))
        if self.paths and rule.path:
            for lookup in (rule.path, *rule.also_paths):
                parts.extend(Q(**{f"{lookup}__startswith": path}) for path in self.paths)
        if self.member is not None:
            if rule.member_q is not None:
                parts.append(rule.member_q(self.member))
            elif rule.member is not None:
                parts.append(Q(**{rule.member: self.member.pk}))
        if not parts:
            return Q(pk__in=[])
        condition = reduce(operator.or_, parts)
        about = self.about_self(model)
        if about is not None and not self.office_campaign_ids:
            condition &= ~about
        return condition

    def about_self(self, model: type[models.Model]) -> Q | None:
        """The condition that a row speaks about the user himself — his member, or a
        leadership team he sits on or heads — whatever his roles; None when the user
        is no member or the model speaks about no one. Rows it selects never tell the
        user who gave them (see ``opinions.selectors.submitter_shown``)."""
        rule = _RULES.get(model)
        if rule is None or rule.about is None or self.member is None:
            return None
        return rule.about(self.member)

    def filter(self, queryset: models.QuerySet[T]) -> models.QuerySet[T]:
        condition = self.q(queryset.model)
        if condition is None:
            return queryset
        rule = rule_for(queryset.model)
        needs_distinct = any(
            _crosses_many(queryset.model, lookup) for lookup in (rule.path or "", *rule.also_paths) if "__" in lookup
        )
        if self.member is not None and rule.member_q is None and rule.member not in (None, "pk"):
            # A member's lookup through a many-to-many (a team's members), OR-ed with a
            # path, joins every member of the team: one row each.
            needs_distinct = needs_distinct or _crosses_many(queryset.model, f"{rule.member}__pk")
        if not self.paths and self.member is None and not _crosses_many(queryset.model, rule.campaign):
            # Only the campaigns seen whole (office, municipal team): a condition on the
            # row's own campaign joins nothing, so no row can match twice.
            needs_distinct = False
        filtered = queryset.filter(condition)
        if needs_distinct:
            # A many-to-many path can match twice; keep each row once without DISTINCT
            # over the whole select list.
            return queryset.filter(pk__in=filtered.values("pk"))
        return filtered

    def campaign_ids_known(self) -> frozenset[int] | None:
        """The ids of the campaigns ``filter(Campaign.objects.all())`` keeps, when they
        are known without a query: for whoever sees no subtree (office staff, a
        municipal team, a member: the campaigns seen whole and the member's own). None
        when it takes a query (a subtree) or is every campaign (an administrator)."""
        if self.is_admin or self.paths:
            return None
        ids = set(self.campaign_ids)
        if self.member is not None:
            ids.add(self.member.campaign_id)
        return frozenset(ids)

    def can_see(self, obj: models.Model) -> bool:
        return self.filter(type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def manages(self, campaign_id: int) -> bool:
        """Administrators and the campaign's own office staff run the campaign: its
        settings, whether it is on the public box, its members' passwords."""
        return self.is_admin or campaign_id in self.office_campaign_ids

    def can_edit_unit(self, unit: OrgUnit) -> bool:
        """Office staff edit anything in their campaigns; secretaries their subtree."""
        if self.is_admin or unit.campaign_id in self.office_campaign_ids:
            return True
        return any(unit.path.startswith(path) for path in self.secretary_paths)


def _crosses_many(model: type[models.Model], lookup: str) -> bool:
    current = model
    for name in lookup.split("__")[:-1]:
        field_ = current._meta.get_field(name)
        if field_.many_to_many or field_.one_to_many:
            return True
        related = field_.related_model
        # Every part of a lookup but the last names a relation, resolved to its model
        # once the models are loaded.
        assert isinstance(related, type), f"{name} in {lookup} is not a relation"
        current = related
    return False


def scope_for(user: AnyUser) -> Scope:
    """The scope of a user, computed once per request object and cached on the user."""
    cached = getattr(user, _SCOPE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    with contextlib.suppress(AttributeError):  # some user stand-ins refuse new attributes
        setattr(user, _SCOPE_ATTRIBUTE, scope)
    return scope


def forget_scope(user: AnyUser) -> None:
    """Drop the scope cached on the user, after a change to his or her roles."""
    with contextlib.suppress(AttributeError):
        delattr(user, _SCOPE_ATTRIBUTE)


# The tags of the rows of ``_scope_rows``.
_ROLE, _SUPERVISOR, _MEMBER = "r", "s", "m"


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _column(model: type[models.Model], name: str) -> str:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field), f"{model.__name__}.{name} is no column"
    return str(found.column)


@functools.cache
def _scope_sql() -> str:
    """The statement of ``_scope_rows``, written once from the models' tables and
    columns: the ORM's union of three querysets cost more to build (about 5 ms a
    request, profiled) than the query itself."""
    units: type[models.Model] = SupervisoryTeam.units.through
    team_column, unit_column = _column(units, "supervisoryteam"), _column(units, "orgunit")
    unit, ra, sup, team, member = (_table(m) for m in (OrgUnit, RoleAssignment, Supervisor, SupervisoryTeam, Member))
    return (
        f"SELECT '{_ROLE}', ra.{_column(RoleAssignment, 'kind')}, ra.{_column(RoleAssignment, 'campaign')}, "
        f"u.{_column(OrgUnit, 'path')}, ra.id FROM {ra} ra "
        f"LEFT JOIN {unit} u ON u.id = ra.{_column(RoleAssignment, 'unit')} "
        f"WHERE ra.{_column(RoleAssignment, 'user')} = %s "
        f"UNION ALL SELECT '{_SUPERVISOR}', t.{_column(SupervisoryTeam, 'level')}, "
        f"t.{_column(SupervisoryTeam, 'campaign')}, u.{_column(OrgUnit, 'path')}, s.id "
        f"FROM {sup} s JOIN {team} t ON t.id = s.{_column(Supervisor, 'team')} "
        f"LEFT JOIN {units._meta.db_table} tu ON tu.{team_column} = t.id LEFT JOIN {unit} u ON u.id = tu.{unit_column} "
        f"WHERE s.{_column(Supervisor, 'user')} = %s "
        f"UNION ALL SELECT '{_MEMBER}', '', m.{_column(Member, 'campaign')}, NULL, m.id FROM {member} m "
        f"WHERE m.{_column(Member, 'user')} = %s"
    )


def _scope_rows(user: User) -> list[tuple[str, str, int, str | None, int]]:
    """Everything a scope is made of, in one query (one round trip per request where
    there were three; bench/README.md, "Load"): a row per role assignment (its kind,
    campaign and unit's path), a row per unit of the user's supervisory team (the team's
    level and campaign, the unit's path; one row without a path if it has none), and a
    row for the user's member record. Each row: (tag, kind or level, campaign id, path,
    id of the assignment, supervisor or member)."""
    with connections[router.db_for_read(RoleAssignment)].cursor() as cursor:
        cursor.execute(_scope_sql(), [user.pk, user.pk, user.pk])
        return [(row[0], row[1], row[2], row[3], row[4]) for row in cursor.fetchall()]


def _compute_scope(user: AnyUser) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user=user)
    assert isinstance(user, User)
    roles: set[str] = set()
    campaign_ids: set[int] = set()
    office_ids: set[int] = set()
    paths: list[str] = []
    secretary_paths: list[str] = []
    if user.is_superuser:
        roles.add(ADMIN)
    supervisor_id: int | None = None
    member_id: int | None = None
    for tag, kind, campaign_id, path, pk in _scope_rows(user):
        if tag == _ROLE:
            if kind == RoleKind.OFFICE:
                roles.add(OFFICE)
                campaign_ids.add(campaign_id)
                office_ids.add(campaign_id)
            elif path is not None:
                roles.add(SECRETARY)
                paths.append(path)
                secretary_paths.append(path)
        elif tag == _SUPERVISOR:
            supervisor_id = pk
            roles.add(SUPERVISOR)
            if kind == SupervisoryLevel.MUNICIPAL:
                campaign_ids.add(campaign_id)
            elif path is not None:
                paths.append(path)
        else:
            member_id = pk
            roles.add(MEMBER)
    # The records themselves only for those who have one (an office user has neither).
    supervisor = Supervisor.objects.select_related("team").filter(pk=supervisor_id).first() if supervisor_id else None
    member = Member.objects.select_related("unit", "branch").filter(pk=member_id).first() if member_id else None
    return Scope(
        user=user,
        is_admin=user.is_superuser,
        campaign_ids=frozenset(campaign_ids),
        office_campaign_ids=frozenset(office_ids),
        paths=tuple(outermost_paths(paths)),
        secretary_paths=tuple(outermost_paths(secretary_paths)),
        supervisor=supervisor,
        member=member,
        roles=frozenset(roles),
    )


def outermost_paths(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another: the outer subtree already covers them."""
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(outer) for outer in result):
            result.append(path)
    return result


def get_object_for_user(user: AnyUser, queryset: models.QuerySet[T], **lookup: Any) -> T:
    """The object, if it exists and the user may see it; otherwise 404 (never 403, so
    that what lies outside a user's scope cannot be told apart from what does not exist)."""
    visible = scope_for(user).filter(queryset)
    try:
        # get() raises only the queryset model's own DoesNotExist.
        return visible.get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
