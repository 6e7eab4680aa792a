"""The ledger source "opinions": its SQL and recount, its figures pages and workbooks."""
