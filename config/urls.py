from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Canvass administration")
admin.site.site_title = _("Canvass")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("campaign.urls")),
    path("accounts/", include("campaign.account_urls")),
    path("opinions/", include("opinions.urls")),
    path("documents/", include("reviews.urls")),
    path("talks/", include("talks.urls")),
    path("meetings/", include("meetings.urls")),
    path("box/", include("opinions.public_urls")),
    path("box/teams/", include("meetings.appraisal.public_urls")),
    path("meetings/appraisal/", include("meetings.appraisal.urls")),
    path("rectification/", include("rectification.urls")),
    path("lookback/", include("lookback.urls")),
    path("ledgers/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
