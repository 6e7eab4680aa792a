"""The ledger source "documents": its SQL and recount, the documents progress pages and workbooks."""
