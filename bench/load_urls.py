"""The load bench's URLconf: production's, plus two bare views that give the bench its
baselines — one INSERT, one SELECT, nothing else (no form, template, session or
scoping). They exist only here, never in ``config.urls``."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.urls import urlpatterns as production

BARE_TABLE = "bench_load_bare"


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (text) VALUES (%s)", [request.POST.get("text", "")])
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def bare_select(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM campaign_campaign WHERE slug = %s", [request.GET.get("slug", "demo")])
        row = cursor.fetchone()
    return HttpResponse(row[0] if row else "", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/bare-insert/", bare_insert),
    path("bench/bare-select/", bare_select),
    *production,
]
