"""Filter forms for the organisation pages; choice lists come from the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import OrgUnit, OrgUnitKind, Rank, SupervisoryLevel, TeamKind
from campaign.scoping import scope_for


def _blank(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", _("All"))] + list(choices)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class UnitFilterForm(SearchForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(OrgUnitKind.choices))


class MemberFilterForm(SearchForm):
    rank = forms.ChoiceField(label=_("Rank"), required=False, choices=_blank(Rank.choices))
    unit = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            scope_for(user).filter(OrgUnit.objects.exclude(kind=OrgUnitKind.BRANCH)).order_by("path")
        )
        self.fields["unit"].empty_label = _("All")


class TeamFilterForm(SearchForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(TeamKind.choices))


class SupervisoryTeamFilterForm(SearchForm):
    level = forms.ChoiceField(label=_("Level"), required=False, choices=_blank(SupervisoryLevel.choices))
