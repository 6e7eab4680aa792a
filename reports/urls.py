"""The ledger pages: each source's, then the export jobs'. URL names are the app's
(``reports:talks_county``…), whichever source a page belongs to."""

from django.urls import path

from reports import export_views
from reports.dashboard import urls as dashboard
from reports.documents import urls as documents
from reports.lookback import urls as lookback
from reports.meetings import urls as meetings
from reports.opinions import urls as opinions
from reports.summary_report import urls as summary_report
from reports.talks import urls as talks

app_name = "reports"

urlpatterns = [
    *opinions.urlpatterns,
    *talks.urlpatterns,
    *documents.urlpatterns,
    *meetings.urlpatterns,
    *lookback.urlpatterns,
    *dashboard.urlpatterns,
    *summary_report.urlpatterns,
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/status/", export_views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/download/", export_views.export_job_download, name="export_job_download"),
]
