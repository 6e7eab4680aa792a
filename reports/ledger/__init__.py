"""The ledger engine: knows no stage and imports no source.

The source contract and registry (``registry``), the SQL every source and the roll-up
share (``sql``), staging and replacement (``staging``), the roll-up by target from cells
(``targets``), the roll-up itself (``rollup``), the reconciliation (``reconcile``), the one
read layer of every figure page (``figures``), the stage summary (``summary``) and the
summary pages' shared filter (``forms``). docs/architecture.md and docs/ledger.md tell
the whole story.
"""
