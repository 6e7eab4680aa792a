"""Filter forms for the organisation pages; choice lists come from the user's scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from campaign.models import OrgUnit, OrgUnitKind, Rank, SupervisoryLevel, TeamKind
from campaign.resources import KIND_LABELS, KINDS
from campaign.scoping import AnyUser, scope_for
from campaign.services import UPLOAD_EXTENSIONS, upload_extension
from core.forms import Form
from core.importing import file_refusal

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


def _blank(choices: Iterable[tuple[str, _StrOrPromise]]) -> list[tuple[str, _StrOrPromise]]:
    return [("", _("All"))] + list(choices)


class SearchForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class UnitFilterForm(SearchForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(OrgUnitKind.choices))


class MemberFilterForm(SearchForm):
    rank = forms.ChoiceField(label=_("Rank"), required=False, choices=_blank(Rank.choices))
    unit = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds deep copies of the class's fields, typed as plain fields.
        unit = cast(forms.ModelChoiceField, self.fields["unit"])
        unit.queryset = scope_for(user).filter(OrgUnit.objects.exclude(kind=OrgUnitKind.BRANCH)).order_by("path")
        unit.empty_label = _("All")


class TeamFilterForm(SearchForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(TeamKind.choices))


class SupervisoryTeamFilterForm(SearchForm):
    level = forms.ChoiceField(label=_("Level"), required=False, choices=_blank(SupervisoryLevel.choices))


class OrgImportForm(Form):
    """The spreadsheet to import: its kind of file, size and first bytes are checked here;
    its rows by the dry run."""

    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("An .xlsx workbook with a sheet per kind, or a .csv file of one kind."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    kind = forms.ChoiceField(
        label=_("The file holds"),
        required=False,
        choices=[("", _("Detect from the file"))] + [(kind, KIND_LABELS[kind]) for kind in KINDS],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        extension = upload_extension(upload.name)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest accepted is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        # As precise as the command line: an old .xls, an .ods, an encrypted workbook,
        # a UTF-16 text file and an empty file each get their own message.
        refusal = file_refusal(upload, extension)
        if refusal:
            raise forms.ValidationError(refusal)
        if extension not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(_("Choose an .xlsx or .csv file."))
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        is_zip = head.startswith(b"PK\x03\x04")
        if (extension == "xlsx" and not is_zip) or (
            extension == "csv" and (is_zip or b"\x00" in head or head.startswith((b"\xd0\xcf\x11\xe0", b"%PDF")))
        ):
            raise forms.ValidationError(
                _("This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file.")
            )
        return upload


class PasswordResetForm(Form):
    """The office's reset of a member's password: one it types, or one made up."""

    password = forms.CharField(
        label=_("New password"),
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave it empty to have a temporary password made up. Either way the member must choose a new one "
            "at the next log-in."
        ),
    )
