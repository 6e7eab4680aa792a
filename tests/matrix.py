"""The permission matrix: for every URL, how to request it and what each role gets.

``tests/test_permission_matrix.py`` walks every URL pattern of the root resolver and
fails when one has no row here, so an app that adds a URL adds a row:

    MATRIX["opinions:opinion_detail"] = Row(model="opinions.opinion", allowed=ORG_STAFF)
    SPECIMENS["opinions.opinion"] = lambda mw: Specimens(inside=..., outside=..., elsewhere=...)

``MATRIX`` maps exact URL names ("campaign:unit_detail") to rows; ``PATTERNS`` maps
``fnmatch`` patterns ("admin:*") to a row or to a function of the URL name that returns
one (the admin's many model URLs are described once by ``admin_model_row``). An exact
name wins, then the first pattern that matches. Unnamed patterns are named by their
route, "<namespace>:@<route>", e.g. "admin:@campaign/member/<path:object_id>/".

Each URL is requested as every role against an object inside the role's scope and one
outside it. "Outside" means: for the unit-scoped roles (secretary, county supervisory
team, member) the other party committee of the same campaign, whose names carry the
marker OUTSIDE; for office staff and the administrator another campaign, whose names
carry ELSEWHERE. A 200 page (or exported workbook) shown to a scoped role must not
contain either marker; one shown to office staff must not contain ELSEWHERE.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from campaign.admin import ScopedAdmin
from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    RoleAssignment,
    RoleKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
)
from tests import factories as f

ANONYMOUS = "anonymous"
MEMBER = "member"
SECRETARY = "secretary"
SUPERVISOR = "supervisor"
OFFICE = "office"
ADMIN = "admin"
ROLES = (ANONYMOUS, MEMBER, SECRETARY, SUPERVISOR, OFFICE, ADMIN)

LOGGED_IN = frozenset({MEMBER, SECRETARY, SUPERVISOR, OFFICE, ADMIN})
ORG_STAFF = frozenset({SECRETARY, SUPERVISOR, OFFICE, ADMIN})  # "org.browse", "org.export"
OFFICE_AND_ADMIN = frozenset({OFFICE, ADMIN})
STAFF = frozenset({OFFICE, ADMIN})  # is_staff in the matrix: the admin site lets them in

OUTSIDE = "OUTSIDE"
ELSEWHERE = "ELSEWHERE"
# Text a 200 response must never contain, by role.
FORBIDDEN_MARKERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        MEMBER: (OUTSIDE, ELSEWHERE),
        SECRETARY: (OUTSIDE, ELSEWHERE),
        SUPERVISOR: (OUTSIDE, ELSEWHERE),
        OFFICE: (ELSEWHERE,),
        ADMIN: (),
        ANONYMOUS: (OUTSIDE, ELSEWHERE),
    }
)

PAGE = "page"  # the side of a URL that names no object
INSIDE_SIDE = "inside"
OUTSIDE_SIDE = "outside"


# --- Expectations ----------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A status code and, for a redirect, the URL name whose path the Location must
    have. ``with_target``: reverse that name with the same arguments as the request."""

    status: int
    location: str | None = None
    with_target: bool = False

    def __str__(self) -> str:
        return f"{self.status}" + (f" → {self.location}" if self.location else "")


OK = Expect(200)
DENIED = Expect(403)
NOT_FOUND = Expect(404)
METHOD_NOT_ALLOWED = Expect(405)
TO_LOGIN = Expect(302, "login")
TO_HOME = Expect(302, "campaign:home")
TO_ADMIN_LOGIN = Expect(302, "admin:login")
TO_ADMIN_INDEX = Expect(302, "admin:index")


# --- Objects inside and outside scope ----------------------------------------


@dataclass(frozen=True)
class Specimens:
    """Objects of one model: ``inside`` every role's scope (the world's secretary's
    unit, the world's member's own records), ``outside`` the unit-scoped roles' scope
    (the other party committee), ``elsewhere`` in another campaign (outside even the
    office's scope)."""

    inside: models.Model
    outside: models.Model | None = None
    elsewhere: models.Model | None = None

    def pick(self, role: str, side: str) -> models.Model | None:
        if side == INSIDE_SIDE:
            return self.inside
        if role in (OFFICE, ADMIN):
            return self.elsewhere
        return self.outside or self.elsewhere


class MatrixWorld:
    """The ``world`` fixture plus another campaign and the extra rows the matrix needs.

    Built lazily per model: a test builds only the specimens its URL names."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.users = world.users
        self._specimens: dict[str, Specimens] = {}
        self.elsewhere = build_elsewhere()
        # Office staff work in the admin: staff status and the view/change permissions
        # of every model the admin scopes.
        office = self.users[OFFICE]
        office.is_staff = True
        office.save(update_fields=["is_staff"])
        office.user_permissions.add(*scoped_admin_permissions())

    def reset_specimens(self) -> None:
        self._specimens = {}

    def specimens(self, label: str) -> Specimens:
        if label not in self._specimens:
            try:
                build = SPECIMENS[label]
            except KeyError:
                raise LookupError(f"No specimens for {label}: add SPECIMENS[{label!r}] in tests/matrix.py.") from None
            self._specimens[label] = build(self)
        return self._specimens[label]


@dataclass(frozen=True)
class Elsewhere:
    campaign: Campaign
    unit: OrgUnit
    member: Member
    team: LeadershipTeam
    supervisory_team: SupervisoryTeam
    supervisor: Supervisor
    role: RoleAssignment


def build_elsewhere() -> Elsewhere:
    # Older than the world's campaign, so it is nobody's "current" campaign by default.
    campaign = f.CampaignFactory(
        slug="elsewhere",
        name="邻县ELSEWHERE",
        starts_on=datetime.date(2025, 1, 10),
        ends_on=datetime.date(2025, 6, 30),
    )
    f.add_stages(campaign)
    county = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, name="邻县县委ELSEWHERE")
    committee = f.OrgUnitFactory(
        campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE, parent=county, name="邻县党委ELSEWHERE"
    )
    unit = f.OrgUnitFactory(campaign=campaign, parent=committee, name="邻县单位ELSEWHERE")
    member = f.MemberFactory(campaign=campaign, unit=unit, name="赵六ELSEWHERE")
    team = f.LeadershipTeamFactory(campaign=campaign, unit=unit, name="邻县班子ELSEWHERE", head=member)
    team.members.add(member)
    supervisory_team = f.SupervisoryTeamFactory(
        campaign=campaign, name="邻县督导组ELSEWHERE", level=SupervisoryLevel.MUNICIPAL
    )
    supervisory_team.units.add(unit)
    supervisor = f.SupervisorFactory(team=supervisory_team, name="邻县督导员ELSEWHERE")
    role = f.RoleAssignmentFactory(
        user=f.UserFactory(username="elsewhere-office"), campaign=campaign, kind=RoleKind.OFFICE
    )
    return Elsewhere(
        campaign=campaign,
        unit=unit,
        member=member,
        team=team,
        supervisory_team=supervisory_team,
        supervisor=supervisor,
        role=role,
    )


def scoped_admin_permissions() -> list[Permission]:
    content_types = [
        ContentType.objects.get_for_model(model)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ScopedAdmin)
    ]
    codenames = [f"{action}_{ct.model}" for ct in content_types for action in ("view", "change")]
    return list(Permission.objects.filter(content_type__in=content_types, codename__in=codenames))


def _supervisor_specimens(mw: MatrixWorld) -> Specimens:
    outside_team = SupervisoryTeam.objects.get(campaign=mw.world.campaign, name__endswith=OUTSIDE)
    return Specimens(
        inside=Supervisor.objects.get(user=mw.users[SUPERVISOR]),
        outside=f.SupervisorFactory(team=outside_team, name="督导员OUTSIDE"),
        elsewhere=mw.elsewhere.supervisor,
    )


def _role_specimens(mw: MatrixWorld) -> Specimens:
    outside = f.RoleAssignmentFactory(
        user=f.UserFactory(username="secretary-outside"),
        campaign=mw.world.campaign,
        kind=RoleKind.SECRETARY,
        unit=mw.world.other_unit,
    )
    return Specimens(
        inside=RoleAssignment.objects.get(user=mw.users[SECRETARY]),
        outside=outside,
        elsewhere=mw.elsewhere.role,
    )


def _access_attempt(mw: MatrixWorld) -> Specimens:
    from axes.models import AccessAttempt

    return Specimens(
        inside=AccessAttempt.objects.create(
            username="someone",
            ip_address="192.0.2.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
    )


def _access_log(mw: MatrixWorld) -> Specimens:
    from axes.models import AccessLog

    return Specimens(
        inside=AccessLog.objects.create(
            username="someone", ip_address="192.0.2.1", user_agent="test", http_accept="*/*", path_info="/"
        )
    )


def _access_failure_log(mw: MatrixWorld) -> Specimens:
    from axes.models import AccessFailureLog

    return Specimens(
        inside=AccessFailureLog.objects.create(
            username="someone", ip_address="192.0.2.1", user_agent="test", http_accept="*/*", path_info="/"
        )
    )


# Model label → how to build its specimens. Later apps add theirs.
SPECIMENS: dict[str, Callable[[MatrixWorld], Specimens]] = {
    "campaign.campaign": lambda mw: Specimens(inside=mw.world.campaign, elsewhere=mw.elsewhere.campaign),
    "campaign.stage": lambda mw: Specimens(
        inside=mw.world.campaign.stages.get(order=2), elsewhere=mw.elsewhere.campaign.stages.get(order=2)
    ),
    "campaign.orgunit": lambda mw: Specimens(
        inside=mw.world.unit, outside=mw.world.other_unit, elsewhere=mw.elsewhere.unit
    ),
    "campaign.member": lambda mw: Specimens(
        inside=mw.world.member, outside=mw.world.other_member, elsewhere=mw.elsewhere.member
    ),
    "campaign.leadershipteam": lambda mw: Specimens(
        inside=LeadershipTeam.objects.get(campaign=mw.world.campaign, unit=mw.world.unit),
        outside=LeadershipTeam.objects.get(campaign=mw.world.campaign, unit=mw.world.other_unit),
        elsewhere=mw.elsewhere.team,
    ),
    "campaign.supervisoryteam": lambda mw: Specimens(
        inside=SupervisoryTeam.objects.get(supervisors__user=mw.users[SUPERVISOR]),
        outside=SupervisoryTeam.objects.get(campaign=mw.world.campaign, name__endswith=OUTSIDE),
        elsewhere=mw.elsewhere.supervisory_team,
    ),
    "campaign.supervisor": _supervisor_specimens,
    "campaign.roleassignment": _role_specimens,
    "auth.user": lambda mw: Specimens(inside=mw.users[MEMBER]),
    "auth.group": lambda mw: Specimens(inside=Group.objects.create(name="editors")),
    "axes.accessattempt": _access_attempt,
    "axes.accesslog": _access_log,
    "axes.accessfailurelog": _access_failure_log,
}


# --- Rows ------------------------------------------------------------------------

Target = dict[str, Any] | list[Any]  # reverse()'s kwargs, or its args


@dataclass(frozen=True)
class Row:
    """How to request one URL and what each role gets.

    ``model``: label of the object the URL names ("campaign.orgunit"), or None for a
    page that names none. ``allowed``: the roles that may perform the action at all.
    A role inside gets ``ok``; an allowed role (other than the administrator) asking
    for an object outside its scope gets ``outside``; a role not allowed gets
    ``denied``; an anonymous visitor gets ``anonymous``. ``overrides`` settle the odd
    (role, side) case. ``shows``: text a 200 response for a role inside must contain.
    ``xlsx``: the response is a workbook, checked cell by cell.
    """

    model: str | None = None
    allowed: frozenset[str] = LOGGED_IN
    target: Callable[[models.Model | None], Target] | None = None  # default: {"pk": obj.pk}, or nothing
    method: str = "get"
    data: Mapping[str, str] = field(default_factory=dict)
    ok: Expect = OK
    outside: Expect = NOT_FOUND
    denied: Expect = DENIED
    anonymous: Expect = TO_LOGIN
    overrides: Mapping[tuple[str, str], Expect] = field(default_factory=dict)
    shows: str = ""
    xlsx: bool = False
    docx: bool = False  # the response is a Word document, checked by its text
    scoped: bool = True  # False: no object lies outside anyone's scope (only "inside" is requested)

    @property
    def sides(self) -> tuple[str, ...]:
        if self.model is None:
            return (PAGE,)
        return (INSIDE_SIDE, OUTSIDE_SIDE) if self.scoped else (INSIDE_SIDE,)

    def reverse_args(self, obj: models.Model | None) -> Target:
        if self.target is not None:
            return self.target(obj)
        return {"pk": obj.pk} if obj is not None else {}

    def expect(self, role: str, side: str) -> Expect:
        if (role, side) in self.overrides:
            return self.overrides[(role, side)]
        if role == ANONYMOUS:
            return self.anonymous
        if role not in self.allowed:
            return self.denied
        if side == OUTSIDE_SIDE and role != ADMIN:
            return self.outside
        return self.ok


def export_row(shows: str) -> Row:
    return Row(allowed=ORG_STAFF, xlsx=True, shows=shows)


# --- Admin ------------------------------------------------------------------


# Users without staff status are sent to the admin's login page.
_ADMIN_ONLY: dict[str, Expect] = {"anonymous": TO_ADMIN_LOGIN, "denied": TO_ADMIN_LOGIN}


def _admin_model(name: str) -> tuple[type[models.Model], admin.ModelAdmin, str]:
    """The model, its admin and the action a URL name of the admin site stands for."""
    short = name.removeprefix("admin:")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_"
        if short.startswith(prefix):
            return model, model_admin, short.removeprefix(prefix)
        if short == f"@{opts.app_label}/{opts.model_name}/<path:object_id>/":
            return model, model_admin, "redirect"
    raise LookupError(f"{name} is no model URL of the admin site; give it its own row in tests/matrix.py.")


def admin_model_row(name: str) -> Row:
    """A model URL of the admin site.

    Users without staff status are sent to the admin's login. Office staff hold the
    view and change permissions of every ScopedAdmin model and none other: they list
    and open objects in their campaigns, are refused adding and deleting, and an object
    outside their scope is "not found" (the admin's redirect to its index, as for an
    object that does not exist)."""
    model, model_admin, action = _admin_model(name)
    label = model._meta.label_lower
    scoped = isinstance(model_admin, ScopedAdmin)
    if action == "changelist":
        return Row(allowed=STAFF, overrides={} if scoped else {(OFFICE, PAGE): DENIED}, **_ADMIN_ONLY)
    if action in ("import", "export"):
        # django-import-export's pages; who may use them is the scoping actions' business.
        return Row(allowed=STAFF, **_ADMIN_ONLY)
    if action == "process_import":
        # Only ever the target of the import form's POST.
        return Row(allowed=STAFF, ok=METHOD_NOT_ALLOWED, **_ADMIN_ONLY)
    if action == "add":
        return Row(allowed=STAFF, overrides={(OFFICE, PAGE): DENIED}, **_ADMIN_ONLY)
    targets: dict[str, Callable[[models.Model], Target]] = {
        "change": lambda obj: {"object_id": obj.pk},
        "delete": lambda obj: {"object_id": obj.pk},
        "history": lambda obj: {"object_id": obj.pk},
        "redirect": lambda obj: {"object_id": obj.pk},
        "password_change": lambda obj: {"id": obj.pk},
        "simple_history": lambda obj: [obj.pk, obj.history.latest().history_id],
    }
    if action not in targets:
        raise LookupError(f"{name}: admin action {action!r} has no rule; give it its own row in tests/matrix.py.")
    common: dict[str, Any] = {"model": label, "target": targets[action], "scoped": scoped, **_ADMIN_ONLY}
    if action == "redirect":
        # The admin redirects "<id>/" to "<id>/change/" before looking at the object.
        to_change = Expect(302, f"admin:{label.replace('.', '_')}_change", with_target=True)
        return Row(allowed=STAFF, ok=to_change, outside=to_change, **common)
    if action == "delete" or not scoped:
        # Django checks the permission before it looks for the object.
        overrides = {(OFFICE, side): DENIED for side in (INSIDE_SIDE, OUTSIDE_SIDE)}
        return Row(allowed=STAFF, overrides=overrides, **common)
    return Row(allowed=STAFF, outside=TO_ADMIN_INDEX, **common)


def _content_type_target(obj: models.Model) -> Target:
    return {"content_type_id": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk}


# Exact URL names → rows.
MATRIX: dict[str, Row] = {
    # The organisation pages.
    "campaign:home": Row(shows="INSIDE"),
    "campaign:campaign_detail": Row(model="campaign.campaign", shows="示范县第一批"),
    # Opening a campaign to the public box, or closing it: its office and the administrator.
    "campaign:campaign_public": Row(
        model="campaign.campaign",
        allowed=OFFICE_AND_ADMIN,
        method="post",
        data={"is_public": "0"},
        ok=Expect(302, "campaign:campaign_detail", with_target=True),
    ),
    "campaign:unit_list": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE"),
    "campaign:unit_export": export_row("城关镇政府INSIDE"),
    "campaign:unit_detail": Row(model="campaign.orgunit", shows="城关镇政府INSIDE"),
    "campaign:member_list": Row(allowed=ORG_STAFF, shows="张三INSIDE"),
    "campaign:member_export": export_row("张三INSIDE"),
    "campaign:member_detail": Row(model="campaign.member", shows="张三INSIDE"),
    # The office resets a member's password (the form; the reset is its POST).
    "campaign:member_password_reset": Row(model="campaign.member", allowed=OFFICE_AND_ADMIN, shows="张三INSIDE"),
    "campaign:team_list": Row(allowed=ORG_STAFF, shows="城关镇领导班子INSIDE"),
    "campaign:team_export": export_row("城关镇领导班子INSIDE"),
    "campaign:team_detail": Row(model="campaign.leadershipteam", shows="城关镇领导班子INSIDE"),
    "campaign:supervisory_team_list": Row(allowed=ORG_STAFF, shows="县第一督导组"),
    "campaign:supervisory_team_export": export_row("县第一督导组"),
    # Members see no supervisory team, not even the one over their own unit.
    "campaign:supervisory_team_detail": Row(
        model="campaign.supervisoryteam", shows="县第一督导组", overrides={(MEMBER, INSIDE_SIDE): NOT_FOUND}
    ),
    # The organisation import: the office and the administrator only.
    "campaign:org_import": Row(allowed=OFFICE_AND_ADMIN),
    # The top bar's search: every role, within its scope ("SIDE" matches INSIDE and OUTSIDE names).
    "campaign:search": Row(data={"q": "SIDE"}, shows="INSIDE"),
    # Accounts.
    "login": Row(ok=TO_HOME, anonymous=OK),
    "logout": Row(method="post", ok=TO_LOGIN, anonymous=TO_LOGIN),
    "password_change": Row(),
    "password_change_done": Row(),
    "set_language": Row(method="post", data={"language": "en", "next": "/"}, ok=TO_HOME, anonymous=TO_HOME),
    # The account's language (campaign/account_views.py): every signed-in user, his own.
    "account_language": Row(method="post", data={"language": "en", "next": "/"}, ok=TO_HOME),
    # The admin site's own pages.
    "admin:index": Row(allowed=STAFF, **_ADMIN_ONLY),
    # Staff are already in; others see the form (and are told they lack staff status).
    "admin:login": Row(allowed=STAFF, ok=TO_ADMIN_INDEX, denied=OK, anonymous=OK),
    # Logging out of the admin needs staff status (then LOGOUT_REDIRECT_URL); others are sent to its index.
    "admin:logout": Row(method="post", allowed=STAFF, ok=TO_LOGIN, anonymous=TO_ADMIN_INDEX, denied=TO_ADMIN_INDEX),
    "admin:password_change": Row(allowed=STAFF, **_ADMIN_ONLY),
    "admin:password_change_done": Row(allowed=STAFF, **_ADMIN_ONLY),
    "admin:jsi18n": Row(allowed=STAFF, **_ADMIN_ONLY),
    "admin:app_list": Row(allowed=STAFF, target=lambda obj: {"app_label": "campaign"}, **_ADMIN_ONLY),
    # Autocomplete of a member's organisation lists what the organisation admin lets
    # the user see (JSON escapes Chinese, hence the ASCII marker).
    "admin:autocomplete": Row(
        allowed=STAFF,
        data={"app_label": "campaign", "model_name": "member", "field_name": "unit", "term": ""},
        shows="INSIDE",
        **_ADMIN_ONLY,
    ),
    # "View on site": no model here has a page of its own, inside scope or out.
    "admin:view_on_site": Row(
        model="campaign.orgunit", allowed=STAFF, target=_content_type_target, ok=NOT_FOUND, **_ADMIN_ONLY
    ),
    "admin:@(?P<url>.*)$": Row(allowed=STAFF, target=lambda obj: {"url": "no-such-page/"}, ok=NOT_FOUND, **_ADMIN_ONLY),
    # The public suggestion box: open to everyone, logged in or not. The world's campaign
    # lies in the past of the clock, so its form page shows that the box is closed.
    "public:index": Row(anonymous=OK, shows="/box/receipt/"),
    "public:receipt": Row(anonymous=OK, shows='name="code"'),
    "public:write": Row(anonymous=OK, target=lambda obj: {"slug": "demo"}, shows="示范县第一批"),
}

# fnmatch patterns → a row, or a function of the URL name that returns one; the first
# that matches wins.
PATTERNS: list[tuple[str, Row | Callable[[str], Row]]] = [
    # Axes' login records are read-only: nobody adds one by hand.
    ("admin:axes_*_add", Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY)),
    ("admin:*", admin_model_row),
]


def row_for(name: str) -> Row | None:
    if name in MATRIX:
        return MATRIX[name]
    for pattern, entry in PATTERNS:
        if fnmatch.fnmatchcase(name, pattern):
            return entry if isinstance(entry, Row) else entry(name)
    return None


# --- URL patterns ---------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # "campaign:unit_detail", or "admin:@<route>" for an unnamed pattern
    route: str
    unnamed: bool = False


def url_patterns() -> list[Pattern]:
    """Every URL pattern of the root resolver, nested includes walked."""
    return list(_walk(get_resolver(), (), "", ""))


def _walk(resolver: URLResolver, namespaces: tuple[str, ...], prefix: str, local_prefix: str) -> Iterator[Pattern]:
    # ``local_prefix``: the route since the innermost namespace, which names an unnamed pattern.
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            route = str(entry.pattern)
            if entry.namespace:
                yield from _walk(entry, (*namespaces, entry.namespace), prefix + route, "")
            else:
                yield from _walk(entry, namespaces, prefix + route, local_prefix + route)
        elif isinstance(entry, URLPattern):
            local = entry.name or f"@{local_prefix}{entry.pattern}"
            yield Pattern(
                name=":".join((*namespaces, local)), route=prefix + str(entry.pattern), unnamed=entry.name is None
            )


def rows_without_url(names: set[str]) -> list[str]:
    """Rows that stand for no URL: a stale exact name, or a pattern nothing matches."""
    stale = [name for name in MATRIX if name not in names]
    stale += [pattern for pattern, _entry in PATTERNS if not any(fnmatch.fnmatchcase(n, pattern) for n in names)]
    return stale


# --- Rows kept next to their app's tests -------------------------------------------
# Feedback and sign-off (opinions/feedback_views.py): rows and specimens in their own module.
from tests.opinions import feedback_matrix  # noqa: E402

MATRIX.update(feedback_matrix.rows())
SPECIMENS.update(feedback_matrix.SPECIMENS)

# Recording and sorting opinions, solicitation events (opinions/views.py).
from tests.opinions import entry_matrix  # noqa: E402

MATRIX.update(entry_matrix.rows())
SPECIMENS.update(entry_matrix.SPECIMENS)

# Spreadsheet import and export of opinions and events (opinions/import_views.py).
from tests.opinions import import_matrix  # noqa: E402

MATRIX.update(import_matrix.rows())
SPECIMENS.update(import_matrix.SPECIMENS)

# The ledgers (reports/opinions/views.py) and their admin.
from tests.reports import ledger_matrix  # noqa: E402

MATRIX.update(ledger_matrix.rows())
SPECIMENS.update(ledger_matrix.SPECIMENS)

# Self-analysis documents (reviews/views.py).
from tests.reviews import documents_matrix  # noqa: E402

MATRIX.update(documents_matrix.rows())
SPECIMENS.update(documents_matrix.SPECIMENS)

# Talk cards and their review (talks/views.py) and their admin.
from tests.talks import cards_matrix  # noqa: E402

MATRIX.update(cards_matrix.rows())
SPECIMENS.update(cards_matrix.SPECIMENS)

# Talk cards in and out as spreadsheets, and each unit's talk register (talks/import_views.py).
from tests.talks import import_matrix as talks_import_matrix  # noqa: E402

MATRIX.update(talks_import_matrix.rows())
SPECIMENS.update(talks_import_matrix.SPECIMENS)

# The talk plan (talks/views_plan.py) and the talk progress pages (reports/talks/views.py).
from tests.talks import progress_matrix as talks_progress_matrix  # noqa: E402

MATRIX.update(talks_progress_matrix.rows())
SPECIMENS.update(talks_progress_matrix.SPECIMENS)

# Meetings, their gate and the readiness page (meetings/views.py).
from tests.meetings import meetings_matrix  # noqa: E402

MATRIX.update(meetings_matrix.rows())
SPECIMENS.update(meetings_matrix.SPECIMENS)
# The democratic appraisal (meetings/appraisal/views.py, public_views.py).
from tests.meetings import appraisal_matrix  # noqa: E402

MATRIX.update(appraisal_matrix.rows())
SPECIMENS.update(appraisal_matrix.SPECIMENS)
# Rectification: problems, handovers, evidence, practical results (rectification/views.py).
from tests.rectification import rectification_matrix  # noqa: E402

MATRIX.update(rectification_matrix.rows())
SPECIMENS.update(rectification_matrix.SPECIMENS)

# In-app notifications (notifications/views.py): one's own only.
from tests.notifications import notifications_matrix  # noqa: E402

MATRIX.update(notifications_matrix.rows())
SPECIMENS.update(notifications_matrix.SPECIMENS)

# The look-back: training, checks, remedial orders (lookback/views.py) and its figures page.
from tests.lookback import lookback_matrix  # noqa: E402

MATRIX.update(lookback_matrix.rows())
SPECIMENS.update(lookback_matrix.SPECIMENS)
# The dashboards and the stage summary report (reports/dashboard/, reports/summary_report/).
from tests.reports import dashboard_matrix  # noqa: E402

MATRIX.update(dashboard_matrix.rows())
SPECIMENS.update(dashboard_matrix.SPECIMENS)
