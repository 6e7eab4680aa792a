"""The ledger source "talks": its SQL and recount, the talk progress pages and workbooks."""
