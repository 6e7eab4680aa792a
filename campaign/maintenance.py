"""Repair jobs for derived data in the organisation tree.

``OrgUnit.path`` and ``depth`` are kept by ``save()``, but rows written around it (a
bulk load, a raw SQL fix, a restored dump) can leave them stale, and every scoped query
trusts ``path``. These jobs recompute derived columns from the source columns and are
safe to run again at any time.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaign.models import Campaign, OrgUnit

BATCH_SIZE = 500


def _path_of(pk: int, parent_path: str) -> str:
    # The same format as OrgUnit.save(): zero-padded primary keys, so prefixes nest.
    return f"{parent_path}{pk:08d}/"


def org_paths_rebuild(*, campaign_id: int) -> int:
    """Recompute ``path`` and ``depth`` of every organisation of a campaign from the
    parent links, and return how many rows were wrong (and are now fixed).

    All or nothing: a parent outside the campaign or a loop in the parent links raises
    ``ValidationError`` naming the organisations, and nothing is written.
    """
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign_id).exists():
            raise ValidationError(
                {"campaign": _("There is no campaign with id %(id)s.") % {"id": campaign_id}}, code="not_found"
            )
        # Lock the campaign's rows so that a concurrent save() cannot interleave with the repair.
        rows = list(
            OrgUnit.objects.select_for_update()
            .filter(campaign_id=campaign_id)
            .order_by("pk")
            .values_list("pk", "parent_id", "path", "depth", "name")
        )
        by_pk = {pk: (parent_id, path, depth, name) for pk, parent_id, path, depth, name in rows}
        children: dict[int | None, list[int]] = {}
        strangers = []
        for pk, (parent_id, _path, _depth, name) in by_pk.items():
            if parent_id is not None and parent_id not in by_pk:
                strangers.append(name)
            children.setdefault(parent_id, []).append(pk)
        if strangers:
            raise ValidationError(
                {
                    "parent": _("These organisations have a parent in another campaign: %(names)s.")
                    % {"names": ", ".join(sorted(strangers))}
                },
                code="foreign_parent",
            )

        # Walk down from the roots; whatever is not reached sits in a loop of parent links.
        expected: dict[int, str] = {}
        frontier = [(pk, "/") for pk in children.get(None, [])]
        while frontier:
            pk, parent_path = frontier.pop()
            expected[pk] = _path_of(pk, parent_path)
            frontier.extend((child, expected[pk]) for child in children.get(pk, []))
        looped = [by_pk[pk][3] for pk in by_pk if pk not in expected]
        if looped:
            raise ValidationError(
                {
                    "parent": _("These organisations are their own ancestors: %(names)s.")
                    % {"names": ", ".join(sorted(looped))}
                },
                code="loop",
            )

        fixed = []
        for pk, path in expected.items():
            depth = path.count("/") - 2
            if by_pk[pk][1] != path or by_pk[pk][2] != depth:
                fixed.append(OrgUnit(pk=pk, path=path, depth=depth))
        # bulk_update, not save(): save() would trust the very parent paths being repaired.
        OrgUnit.objects.bulk_update(fixed, ["path", "depth"], batch_size=BATCH_SIZE)
        return len(fixed)
