"""Load bench: the public box and the office's ledger page under concurrent clients,
each against a bare view in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench .venv/bin/python bench/load.py

(or ``make proof-load``). It starts gunicorn on a free loopback port with the bench's
settings (``bench/load_settings.py``: production's, DEBUG off, plus the two bare views
of ``bench/load_urls.py``, which exist nowhere else), against the demo county (seeded
on first use). Then, at 1, 8 and 32 concurrent clients (LOAD_LEVELS), for LOAD_SECONDS
(8) each, one path after the other:

- **bare INSERT**: a POST to a view that runs one INSERT and answers "ok";
- **public box**: a citizen's opinion POSTed to ``/box/demo/write/`` as a browser sends
  it (the CSRF cookie and token of a form fetched once per client, a fresh form token,
  a target from the list), each request from an address of its own in
  X-Forwarded-For, as behind the reverse proxy (the box's limit is per address);
- **bare SELECT**: a GET of a view that runs one SELECT and answers the result;
- **ledger page**: the general ledger (``/ledgers/``) as an office user, each client
  logged in once through the login page with a session of its own.

Every answer other than the expected one (200 with the receipt page, the ledger, "ok")
is an error, and every receipt given must be stored: the box's submissions held for the
day's batch (``BoxSubmission``) and those already recorded, counted before and after,
must have grown by exactly the receipts given; the bare INSERTs likewise. Then it
profiles one box POST and one ledger GET in-process (cProfile, Django's test client,
the same settings; 50 requests of each after warming up) and writes the top entries by
cumulative time to bench/out/load-profile.txt.

The demo campaign's dates are stretched to include today in this database (the box is
open only during a campaign). GUNICORN_WORKERS (2 × cores + 1, as README's deployment line) and
GUNICORN_THREADS (1) set the server. Bounded: LOAD_SECONDS per path and level, a
timeout of 30 s on each request.
"""

from __future__ import annotations

import cProfile
import datetime
import http.client
import io
import os
import pstats
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
os.environ["DJANGO_SETTINGS_MODULE"] = "load_settings"

import common  # noqa: E402

LEVELS = [int(n) for n in os.environ.get("LOAD_LEVELS", "1,8,32").split(",")]
SECONDS = float(os.environ.get("LOAD_SECONDS", "8"))
# gunicorn's own advice, 2 × cores + 1 (README's deployment line): 5 on the two-core VM.
WORKERS = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 2) + 1)))
THREADS = int(os.environ.get("GUNICORN_THREADS", "1"))
PROFILE_REQUESTS = int(os.environ.get("LOAD_PROFILE_REQUESTS", "50"))
PASSWORD = "bench-" + secrets.token_urlsafe(12)
TIMEOUT = 30.0
OUT = BENCH / "out"


@dataclass
class Result:
    path: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# --- An HTTP client of the standard library ------------------------------------------------


class Browser:
    """One client: its own cookies, one connection per request (gunicorn's sync workers
    close each after its answer)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _eq, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, content
        finally:
            connection.close()


def csrf_token(content: bytes) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1).decode()


_ADDRESSES = iter(range(1, 1 << 24))
_ADDRESS_LOCK = threading.Lock()


def next_address() -> str:
    with _ADDRESS_LOCK:
        n = next(_ADDRESSES)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


# --- The four paths -----------------------------------------------------------------------


class Path_:
    name = ""
    expect = b""

    def __init__(self, port: int, context: dict) -> None:
        self.port = port
        self.context = context

    def client(self) -> Browser:
        return Browser(self.port)

    def call(self, browser: Browser) -> tuple[int, bytes]:
        raise NotImplementedError


class BareInsert(Path_):
    name = "bare INSERT"
    expect = b"ok"

    def call(self, browser: Browser) -> tuple[int, bytes]:
        return browser.request("POST", "/bench/bare-insert/", {"text": "bench"})


class BareSelect(Path_):
    name = "bare SELECT"

    def call(self, browser: Browser) -> tuple[int, bytes]:
        return browser.request("GET", "/bench/bare-select/?slug=demo")


class Box(Path_):
    name = "public box (POST)"
    expect = b'id="receipt-code"'

    def client(self) -> Browser:
        browser = Browser(self.port)
        status, content = browser.request("GET", self.context["box_url"], headers={"X-Forwarded-For": next_address()})
        if status != 200:
            raise RuntimeError(f"the box's form answered {status}")
        browser.token = csrf_token(content)  # type: ignore[attr-defined]
        return browser

    def call(self, browser: Browser) -> tuple[int, bytes]:
        body = {
            "csrfmiddlewaretoken": browser.token,  # type: ignore[attr-defined]
            "target": secrets.choice(self.context["box_targets"]),
            "target_text": "",
            "kind": "opinion",
            "aspect": "",
            "text": "建议简化办事程序，推行一站式服务。（负载测试）",
            "name": "",
            "contact": "",
            "website": "",
            "once": secrets.token_urlsafe(16),
        }
        return browser.request("POST", self.context["box_url"], body, {"X-Forwarded-For": next_address()})


class Ledger(Path_):
    name = "ledger page (office)"
    expect = b"</html>"

    def client(self) -> Browser:
        browser = Browser(self.port)
        status, content = browser.request("GET", "/accounts/login/")
        body = {"csrfmiddlewaretoken": csrf_token(content), "username": "bench-office", "password": PASSWORD}
        status, content = browser.request("POST", "/accounts/login/", body)
        if status != 302 or "sessionid" not in browser.cookies:
            raise RuntimeError(f"the office user could not log in ({status})")
        return browser

    def call(self, browser: Browser) -> tuple[int, bytes]:
        return browser.request("GET", "/ledgers/")


def drive(path: Path_, clients: int, seconds: float) -> Result:
    """``clients`` threads, each calling the path in a loop for ``seconds``."""
    result = Result(path=path.name, clients=clients)
    lock = threading.Lock()
    browsers = [path.client() for _n in range(clients)]
    start_line = threading.Barrier(clients + 1)
    deadline = [0.0]

    def loop(browser: Browser) -> None:
        start_line.wait()
        mine: list[float] = []
        while time.perf_counter() < deadline[0]:
            began = time.perf_counter()
            try:
                status, content = path.call(browser)
                ok = status == 200 and (not path.expect or path.expect in content)
                problem = "" if ok else f"{status}: {content[:120]!r}"
            except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the bench
                problem = repr(error)
            if problem:
                with lock:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)
            else:
                mine.append(time.perf_counter() - began)
        with lock:
            result.latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join(timeout=seconds + TIMEOUT + 5)
    result.seconds = time.perf_counter() - began
    return result


# --- gunicorn -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(common.ROOT)]),
        "CELERY_BROKER_URL": "",  # nothing here sends a task; none must reach a real queue
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(WORKERS),
        "--log-level",
        "warning",
    ]
    if THREADS > 1:
        command += ["--threads", str(THREADS)]
    server = subprocess.Popen(command, cwd=common.ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _content = Browser(port).request("GET", "/bench/bare-select/")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit("gunicorn stopped at start-up.")
        time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not answer within a minute.")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- The profile -----------------------------------------------------------------------------


def profile(context: dict, office) -> str:
    """cProfile of PROFILE_REQUESTS box POSTs and ledger GETs in this process."""
    from django.test import Client

    box = Client(HTTP_X_FORWARDED_FOR="10.255.0.1")
    office_client = Client()
    office_client.force_login(office)

    def post(n: int) -> None:
        response = box.post(
            context["box_url"],
            {
                "target": context["box_targets"][n % len(context["box_targets"])],
                "kind": "opinion",
                "text": "建议简化办事程序，推行一站式服务。（负载测试）",
                "once": secrets.token_urlsafe(16),
            },
            HTTP_X_FORWARDED_FOR=next_address(),
        )
        assert response.status_code == 200 and b"receipt-code" in response.content, response.status_code

    def get(_n: int) -> None:
        response = office_client.get("/ledgers/")
        assert response.status_code == 200, response.status_code

    report = io.StringIO()
    for name, call in (("box POST", post), ("ledger page GET", get)):
        for n in range(5):
            call(n)
        began = time.perf_counter()
        for n in range(PROFILE_REQUESTS):
            call(n)
        plain = (time.perf_counter() - began) / PROFILE_REQUESTS * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(PROFILE_REQUESTS):
            call(n)
        profiler.disable()
        report.write(f"=== {name}: {plain:.1f} ms a request without the profiler; {PROFILE_REQUESTS} profiled ===\n")
        stats = pstats.Stats(profiler, stream=report)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(15)
    return report.getvalue()


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    common.setup()
    from django.db import connection
    from load_urls import BARE_TABLE

    from opinions import public
    from opinions.models import BoxSubmission, Opinion

    campaign = common.demo_campaign()
    today = public.today()
    if not public.campaign_is_open(campaign):
        # This bench database only: the box is open during the campaign.
        campaign.ends_on = max(campaign.ends_on, today + datetime.timedelta(days=30))
        campaign.starts_on = min(campaign.starts_on, today)
        campaign.save(update_fields=["starts_on", "ends_on"])
    office = common.office_user(campaign)
    office.set_password(PASSWORD)
    office.save(update_fields=["password"])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id bigserial PRIMARY KEY, text text NOT NULL)")
        cursor.execute(f"TRUNCATE {BARE_TABLE}")
    BoxSubmission.objects.filter(campaign=campaign).delete()
    common.vacuum_analyze()  # as autovacuum would have by now (the VM runs without it)
    targets = public.public_targets(campaign=campaign)
    context = {"box_url": f"/box/{campaign.slug}/write/", "box_targets": sorted(targets.by_token)}

    def stored() -> int:
        held = BoxSubmission.objects.filter(campaign=campaign).count()
        return held + Opinion.objects.filter(campaign=campaign).exclude(receipt_hash="").count()

    def bare_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")
            return cursor.fetchone()[0]

    load = os.getloadavg()[0]
    port = free_port()
    server = start_gunicorn(port)
    print(
        f"gunicorn on 127.0.0.1:{port}: {WORKERS} workers × {THREADS} thread(s); "
        f"{SECONDS:g} s per path and level; load average {load:.1f}",
        flush=True,
    )
    results: list[Result] = []
    lost = {"box": 0, "bare INSERT": 0}
    try:
        for clients in LEVELS:
            for kind in (BareInsert, Box, BareSelect, Ledger):
                path = kind(port, context)
                before = stored() if kind is Box else bare_rows() if kind is BareInsert else 0
                result = drive(path, clients, SECONDS)
                if kind is Box:
                    lost["box"] += len(result.latencies) - (stored() - before)
                elif kind is BareInsert:
                    lost["bare INSERT"] += len(result.latencies) - (bare_rows() - before)
                results.append(result)
                print(
                    f"{result.path:<22} {clients:>3} clients: {len(result.latencies):>6,} ok, {result.errors} errors, "
                    f"{result.rate:7.1f} req/s, p50 {result.percentile(0.5):7.1f} ms, "
                    f"p95 {result.percentile(0.95):7.1f} ms",
                    flush=True,
                )
                for sample in result.error_samples:
                    print(f"    error: {sample}", flush=True)
    finally:
        stop(server)

    rows = []
    by = {(r.path, r.clients): r for r in results}
    verdicts = []
    for result in results:
        base = {Box.name: BareInsert.name, Ledger.name: BareSelect.name}.get(result.path)
        ratio = ""
        if base:
            bare = by[(base, result.clients)].rate
            share = result.rate / bare if bare else 0.0
            ratio = f"{share:.2f}×"
            verdicts.append((result.path, result.clients, share))
        rows.append(
            [
                result.path,
                result.clients,
                len(result.latencies),
                result.errors,
                f"{result.rate:.1f}",
                f"{result.percentile(0.5):.1f}",
                f"{result.percentile(0.95):.1f}",
                ratio,
            ]
        )
    print()
    print(
        common.table(
            ["path", "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "vs its bare view"],
            rows,
        )
    )
    errors = sum(r.errors for r in results)
    print(f"\nErrors: {errors}. Lost (answered but not stored): box {lost['box']}, bare INSERT {lost['bare INSERT']}.")
    worst = {name: min(share for n, _c, share in verdicts if n == name) for name in (Box.name, Ledger.name)}
    met = errors == 0 and not any(lost.values()) and all(share >= 0.5 for share in worst.values())
    print(
        "Goal: 0 errors, 0 lost, each page ≥ 0.5× its bare view at every level — "
        + ("met" if met else "NOT met")
        + f" (lowest: box {worst[Box.name]:.2f}×, ledger page {worst[Ledger.name]:.2f}×)."
    )

    OUT.mkdir(exist_ok=True)
    target = OUT / "load-profile.txt"
    target.write_text(profile(context, office))
    for line in target.read_text().splitlines():
        if line.startswith("==="):
            print(line)
    print(f"Profile (top entries by cumulative and own time): {target.relative_to(common.ROOT)}")
    BoxSubmission.objects.filter(campaign=campaign).delete()
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
