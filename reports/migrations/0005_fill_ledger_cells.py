"""Fill the opinions' cells (``LedgerCell``) of every campaign from its opinions, so
that the first roll-up that sums cells after this upgrade finds them complete. The
same counts a full roll-up writes; a frozen copy of the scope's format (a migration
must not import the code of a later day)."""

from django.db import migrations
from django.db.models import Count

DIMENSIONS = ("category", "kind", "channel", "aspect", "status")
SUBJECT = ("ledger_unit_id", "target_member_id", "target_team_id")


def _scope(unit_id, member_id, team_id):
    if member_id is not None:
        target = f"m{member_id}"
    elif team_id is not None:
        target = f"t{team_id}"
    else:
        target = "u"
    return f"cell:{'none' if unit_id is None else unit_id}:{target}"


def fill_cells(apps, schema_editor):
    Opinion = apps.get_model("opinions", "Opinion")
    LedgerCell = apps.get_model("reports", "LedgerCell")
    campaigns = Opinion.objects.order_by().values_list("campaign_id", flat=True).distinct()
    for campaign_id in campaigns:
        LedgerCell.objects.filter(campaign_id=campaign_id).delete()
        opinions = Opinion.objects.filter(campaign_id=campaign_id, merged_into__isnull=True).order_by()
        cells = []
        for dimension in ("total", *DIMENSIONS):
            fields = [*SUBJECT] + ([dimension] if dimension != "total" else [])
            for row in opinions.values(*fields).annotate(n=Count("pk")).iterator():
                unit_id, member_id, team_id = (row[name] for name in SUBJECT)
                cells.append(
                    LedgerCell(
                        campaign_id=campaign_id,
                        scope=_scope(unit_id, member_id, team_id),
                        unit_id=unit_id,
                        member_id=member_id,
                        team_id=team_id,
                        dimension=dimension,
                        key=row[dimension] if dimension != "total" else "all",
                        value=row["n"],
                    )
                )
        LedgerCell.objects.bulk_create(cells, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("opinions", "0005_opinion_indexes_for_imports_and_rollups"),
        ("reports", "0004_ledgercell"),
    ]

    operations = [migrations.RunPython(fill_cells, migrations.RunPython.noop)]
