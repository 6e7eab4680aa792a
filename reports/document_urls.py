"""URL patterns of the ledger's document pages (joined into reports/urls.py)."""

urlpatterns: list = []
