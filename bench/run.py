"""Benchmark the portal under gunicorn against a minimal Flask app, and check nothing is lost.

Usage: ``.venv/bin/python bench/run.py [--smoke] [--requests N] [--rounds N] [--only SCENARIO]``
(``make bench``). SQLite always; PostgreSQL as well when ``DATABASE_URL`` is set (that
database is emptied first). Load comes from ApacheBench (``ab``) in its own process at 16
connections with a fixed request count, so every request sent is answered and the counts
can be checked exactly. Each scenario is measured in several rounds, each right after its
own run of the hello app, its ratios taken against that adjacent baseline; the table shows
the medians over the rounds and the spread of the ratios. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is first on the path, not the repo
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.models import CATEGORIES, Article, Message  # noqa: E402
from bench.dataset import Filled, fill  # noqa: E402
from tests.live import _wait_until_up, flask_command, free_port  # noqa: E402

BIN = Path(sys.executable).parent
CONCURRENCY = 16
WORKERS = 2
PER_PAGE = 20  # ARTICLES_PER_PAGE, the app's default
DEEP_PAGE = 200
BROWSER_HEADERS = ["Accept-Encoding: gzip, deflate, br", "Accept: text/html"]
APP_CONFIG = {  # FLASK_* settings of the app under test
    "FLASK_SECRET_KEY": "bench-secret",
    "FLASK_CONSULT_RATE_LIMIT": "100000 per minute",
    "FLASK_CONSULT_MIN_FILL_SECONDS": "0",
}
ADMIN_NAME, ADMIN_PASSWORD = "bench-admin", "bench-password-1234"
SIZES = {  # articles, messages, requests per scenario and round, rounds
    "full": (100_000, 10_000, 3000, 3),
    "smoke": (300, 50, 100, 2),
}
# Every scenario, key: label, in the order of a round. scenarios() builds exactly these
# (a key missing here is an error there), and the smoke test expects a row for each.
SCENARIOS = {
    "article": "article page",
    "section-1": "section page 1",
    "section-200": "section page {deep}",
    "home": "home page",
    "home-304": "home page revalidated",
    "feed": "RSS feed",
    "poll": "view-count poll",
    "search": "search page",
    "admin": "admin inbox, filtered",
    "consult": "consultation submission",
}
# Scenarios whose rounds all run after every other scenario's: their writes would change
# what the others read (the inbox's figures count the month's messages).
LAST = ("consult",)
FLOOR_REQUESTS = 500  # enough for every floor worker to have answered and grown
MEMORY_LABELS = {"floor": "floor (bench/floor.py: Flask-SQLAlchemy, one query)"}
TARGETS = {  # issue 12, on SQLite; a ratio is the median over the rounds of req/s ÷ hello's
    "article_ratio": 0.5,
    "article_p99_ms": 15.0,
    "page_ratio": 0.5,  # home, section page 1 and page 200
    "poll_ratio": 0.7,
    "search_p50_ms": 20.0,
    "admin_ratio": 0.2,
    "consult_ratio": 0.25,
    "worker_rss_mb": 60.0,  # on every database
}
# The site search's query mix: one and two characters, four-character words, Latin, a number.
SEARCH_QUERIES = [
    "税", "港", "关税", "退税", "汇率", "贸易", "出口退税", "风险预警", "跨境电商", "原产地证",
    "RCEP", "ATA", "2024",
]  # fmt: skip
SEARCH_ROUNDS = {"full": 20, "smoke": 3}  # times each query is timed
STATUS_LINE = re.compile(r"^HTTP/1\.[01] (\d{3})", re.M)  # in the headers ``ab -v 2`` logs


@dataclass
class Server:
    """A gunicorn master serving on ``url``."""

    url: str
    pid: int

    def workers(self) -> dict[Path, list[str]]:
        """The worker processes' /proc folders and the fields of their stat files."""
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process is gone
                continue
            if int(fields[1]) == self.pid:  # the 4th field of stat: the parent's pid
                found[stat.parent] = fields
        return found

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, in MB."""
        sizes = []
        for folder in self.workers():
            status = (folder / "status").read_text()
            kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
            sizes.append(round(kb / 1024, 1))
        return sorted(sizes)

    def cpu_seconds(self) -> float:
        """User and system CPU time the workers have used so far, recycled ones included.

        CPU per request hardly changes when other programs compete for the cores, unlike
        requests per second, so it is the steadier figure on a shared machine. Workers
        that gunicorn replaced (``max_requests``) count through the master's cutime/cstime.
        """
        master = (Path("/proc") / str(self.pid) / "stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(master[13]) + int(master[14])  # cutime, cstime: reaped workers
        ticks += sum(int(f[11]) + int(f[12]) for f in self.workers().values())  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def largest_worker_mb(self) -> float:
        return max(self.worker_rss_mb(), default=0.0)


@contextmanager
def gunicorn(app_spec: str, env: dict) -> Iterator[Server]:
    """Serve ``app_spec`` with the repository's gunicorn.conf.py and 2 workers."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
        "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", app_spec,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_until_up(f"http://127.0.0.1:{port}", server, log)
            yield Server(f"http://127.0.0.1:{port}", server.pid)
        finally:
            server.terminate()
            server.wait(timeout=15)


@dataclass
class Load:
    """What one ``ab`` run measured (or, in a Result, the medians over its rounds)."""

    sent: int
    ok: int  # answers with the expected status: 2xx, or 304 for a revalidation
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0  # worker CPU time per request


def ab(
    url: str,
    requests: int,
    form: str | None = None,
    cookie: str | None = None,
    headers=(),
    seconds: int | None = None,
    expect: int = 200,
) -> Load:
    """Send ``requests`` requests to ``url`` over 16 connections; POST ``form`` when given.

    With ``seconds``, send for that long instead (at most 50,000 requests). ``ok`` counts
    the 2xx answers; with ``expect`` other than 200, the answers with that status instead:
    ab counts a 304 among its "Non-2xx responses", which may be errors too, so ab logs
    every answer's headers (``-v 2``) and their status lines are counted.
    """
    with tempfile.TemporaryDirectory() as tmp:
        percentiles = Path(tmp) / "percentiles.csv"
        amount = ["-n", str(requests)] if seconds is None else ["-t", str(seconds)]
        command = ["ab", "-q", "-r", "-l", *amount, "-c", str(CONCURRENCY)]
        command += ["-e", str(percentiles)]
        if expect != 200:
            command += ["-v", "2"]
        for header in [*BROWSER_HEADERS, *headers]:
            command += ["-H", header]
        if form is not None:
            (Path(tmp) / "form").write_text(form)
            command += ["-p", str(Path(tmp) / "form"), "-T", "application/x-www-form-urlencoded"]
        if cookie:
            command += ["-C", cookie]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        rows = dict(line.split(",") for line in percentiles.read_text().splitlines()[1:])

    def number(label: str) -> float:
        found = re.search(rf"^{label}:\s+([\d.]+)", output, re.M)
        return float(found.group(1)) if found else 0

    complete = int(number("Complete requests"))
    if expect == 200:
        ok = max(0, int(complete - number("Failed requests") - number("Non-2xx responses")))
    else:
        ok = Counter(STATUS_LINE.findall(output))[str(expect)]
    return Load(
        sent=requests if seconds is None else complete,
        ok=ok,
        rps=number("Requests per second"),
        p50_ms=float(rows["50"]),
        # ab's 99th percentile reads past its table below 51 answers: the slowest instead
        p99_ms=float(rows["99" if complete > 50 else "100"]),
    )


@dataclass
class Scenario:
    """One page or action under load, and what must hold afterwards."""

    key: str
    label: str
    path: str = ""
    form: str | None = None
    cookie: str | None = None
    headers: list[str] = field(default_factory=list)
    counter: sa.Select | None = None  # a number that must rise by the 2xx answers
    expect: int = 200  # the status every answer must have
    refresh: Callable[[], None] | None = None  # called before each round (a fresh ETag)
    # why the scenario cannot run: "not available: …" when the app lacks the feature,
    # "setup failed: …" when it has it but the scenario's first request went wrong
    missing: str = ""


@dataclass
class Round:
    """One measurement of a scenario, right after its own hello baseline."""

    app: Load
    baseline: Load
    ratio: float  # the scenario's req/s over hello's
    cpu_ratio: float  # hello's CPU per request over the scenario's
    check: str = ""  # PASS, FAIL or "" when nothing is counted
    counted: int | None = None
    note: str = ""


@dataclass
class Result:
    """A scenario's rounds and their medians; ``app``/``baseline`` hold the medians."""

    key: str
    label: str
    rounds: list[Round] = field(default_factory=list)
    app: Load | None = None  # medians over the rounds; sent and ok are totals
    baseline: Load | None = None
    ratio: float | None = None
    cpu_ratio: float | None = None
    ratio_range: tuple[float, float] | None = None  # lowest and highest round
    cpu_ratio_range: tuple[float, float] | None = None
    check: str = ""  # FAIL when any round's check failed, PASS when all passed
    note: str = ""

    def add(self, measured: Round) -> None:
        """Add a round and recompute the medians."""
        self.rounds.append(measured)
        self.app = median_load([r.app for r in self.rounds])
        self.baseline = median_load([r.baseline for r in self.rounds])
        ratios = [r.ratio for r in self.rounds]
        cpu_ratios = [r.cpu_ratio for r in self.rounds]
        self.ratio, self.cpu_ratio = round(median(ratios), 3), round(median(cpu_ratios), 3)
        self.ratio_range = (min(ratios), max(ratios))
        self.cpu_ratio_range = (min(cpu_ratios), max(cpu_ratios))
        checks = {r.check for r in self.rounds} - {""}
        self.check = "FAIL" if "FAIL" in checks else "PASS" if checks else ""
        self.note = "; ".join(
            f"round {n}: {r.note}" for n, r in enumerate(self.rounds, 1) if r.note
        )


def median_load(loads: list[Load]) -> Load:
    """Each figure's median over ``loads``; requests sent and answered as totals."""
    return Load(
        sent=sum(load.sent for load in loads),
        ok=sum(load.ok for load in loads),
        **{
            name: round(median(getattr(load, name) for load in loads), 3)
            for name in ("rps", "p50_ms", "p99_ms", "cpu_ms")
        },
    )


@dataclass
class Run:
    """Every figure of one database's run."""

    database: str
    dataset: dict
    rounds: int
    results: list[Result] = field(default_factory=list)
    memory_mb: dict = field(default_factory=dict)  # largest worker's RSS after each round
    targets: list[dict] = field(default_factory=list)
    search: dict = field(default_factory=dict)  # the site search's query times (search_timings)
    floor: dict = field(default_factory=dict)  # bench/floor.py's medians (floor_figures)


def feature_ready(package: str) -> bool:
    return (ROOT / "app" / package / "routes.py").exists()


def scenarios(server: Server, env: dict, filled: Filled) -> list[Scenario]:
    """Every scenario of SCENARIOS, with the counters their checks read, in its order."""
    pages = max(1, -(-filled.big_section_articles // PER_PAGE))
    deep = min(DEEP_PAGE, pages)
    section = f"/{filled.big_section}/"

    def scenario(key: str, path: str = "", **settings) -> Scenario:
        return Scenario(key, SCENARIOS[key].format(deep=deep), path, **settings)

    article = sa.select(Article.views).where(Article.id == filled.hot_article)
    found = [
        scenario("article", f"/articles/{filled.hot_article}", counter=article),
        scenario("section-1", section),
        scenario("section-200", f"{section}?page={deep}"),
        scenario("home", "/"),
        revalidation(scenario("home-304", "/"), server),
        scenario("feed", "/feed.xml"),
        scenario("poll", f"/articles/{filled.hot_article}/views"),
        scenario("search", "/search?" + urlencode({"q": "退税"})),
    ]
    consult = scenario("consult", counter=sa.select(sa.func.count(Message.id)))
    if feature_ready("consult"):
        prepare_consult(consult, server)
    else:
        consult.missing = "not available: app/consult/routes.py does not exist yet"
    admin = scenario("admin")
    if feature_ready("admin"):
        prepare_admin(admin, server, env)
    else:
        admin.missing = "not available: app/admin/routes.py does not exist yet"
    return [*found, admin, consult]


def revalidation(scenario: Scenario, server: Server) -> Scenario:
    """A browser revalidating its copy: ``If-None-Match`` with the page's ETag, 304 expected.

    The ETag is fetched again before each round (it changes with the content); without
    one the scenario is not available.
    """
    scenario.expect = 304

    def refresh() -> None:
        request = urllib.request.Request(
            server.url + scenario.path, headers=dict(h.split(": ", 1) for h in BROWSER_HEADERS)
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                etag = response.headers.get("ETag")
        except urllib.error.HTTPError as error:
            scenario.missing = f"setup failed: {scenario.path} answered {error.code}"
            return
        if etag:
            scenario.headers = [f"If-None-Match: {etag}"]
            scenario.missing = ""
        else:
            scenario.missing = f"not available: no ETag on {scenario.path}"

    scenario.refresh = refresh
    refresh()
    return scenario


class Inputs(HTMLParser):
    """The ``<input>`` fields of a page, by name, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.values[found["name"]] = found.get("value") or ""


class Browser:
    """A cookie jar and the requests the scenarios need to set themselves up."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def inputs(self, path: str) -> dict[str, str]:
        """GET ``path`` and return its form's inputs (CSRF token, signed fields)."""
        with self.opener.open(self.base + path, timeout=10) as response:
            parser = Inputs()
            parser.feed(response.read().decode())
        return parser.values

    def post(self, path: str, form: str, headers: dict | None = None) -> tuple[int, str]:
        """POST an urlencoded ``form``; return the final status and page."""
        request = urllib.request.Request(
            self.base + path, form.encode(), headers or {}, method="POST"
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def cookie(self) -> str:
        """The session cookie as ``ab -C`` takes it."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def prepare_consult(scenario: Scenario, server: Server) -> None:
    """A session, its CSRF token and a signed fill time; submissions as the dialog sends them."""
    browser = Browser(server.url)
    form = browser.inputs("/consult")
    form.update(
        name="张伟", phone="13812345678", email="zhang.wei@example.cn", company="示例贸易有限公司",
        category=CATEGORIES[-1], content="请问出口原产地证书如何在线申请,需要准备哪些材料?",
        website="",
    )  # fmt: skip
    # ab repeats one body; with the form's idempotency key every repeat would be the same
    # submission (one message, one receipt). Real visitors get a fresh key with each form.
    form.pop("idempotency_key", None)
    scenario.path = "/consult"
    scenario.form = urlencode(form)
    scenario.cookie = browser.cookie()
    scenario.headers = ["HX-Request: true"]  # the widget's dialog posts with htmx: 200, no redirect
    status, page = browser.post("/consult", scenario.form, {"HX-Request": "true"})
    if status != 200 or "回执" not in page:
        scenario.missing = f"setup failed: a test submission answered {status}"


def prepare_admin(scenario: Scenario, server: Server, env: dict) -> None:
    """An account made with ``create-admin``, signed in; its inbox filtered as staff use it."""
    flask_command("create-admin", ADMIN_NAME, "--password", ADMIN_PASSWORD, env=env)
    browser = Browser(server.url)
    form = browser.inputs("/admin/login")
    form.update(username=ADMIN_NAME, password=ADMIN_PASSWORD)
    browser.post("/admin/login", urlencode(form))
    scenario.path = "/admin/messages?" + urlencode({"status": "pending", "category": CATEGORIES[0]})
    scenario.cookie = browser.cookie()
    try:
        with browser.opener.open(server.url + scenario.path, timeout=10) as response:
            signed_in = "/admin/login" not in response.url
    except urllib.error.HTTPError as error:
        signed_in = False
        scenario.missing = f"setup failed: the inbox answered {error.code}"
    if not signed_in and not scenario.missing:
        scenario.missing = "setup failed: signing in with the created account failed"


def measure(
    scenario: Scenario, app: Server, hello: Server, engine: sa.Engine, requests: int
) -> Round | str:
    """One round: warm up, run the hello baseline, then the scenario; check its counter.

    Returns why the scenario cannot run instead, when it cannot.
    """
    if scenario.refresh:
        scenario.refresh()
    if scenario.missing:
        return scenario.missing
    url = app.url + scenario.path
    warmup = max(CONCURRENCY, requests // 20)
    ab(hello.url + "/", warmup)
    baseline = timed_ab(hello, hello.url + "/", requests)
    sending = (scenario.form, scenario.cookie, scenario.headers)
    ab(url, warmup, *sending, expect=scenario.expect)
    before = read(engine, scenario.counter)
    load = timed_ab(app, url, requests, *sending, expect=scenario.expect)
    measured = Round(
        load,
        baseline,
        ratio=round(load.rps / baseline.rps, 3),
        cpu_ratio=round(baseline.cpu_ms / load.cpu_ms, 3) if load.cpu_ms else 0.0,
    )
    if scenario.counter is not None:
        measured.counted = read(engine, scenario.counter) - before
        measured.check = "PASS" if measured.counted == load.ok else "FAIL"
    if load.ok < load.sent:
        wanted = "2xx" if scenario.expect == 200 else str(scenario.expect)
        measured.note = f"{load.sent - load.ok} of {load.sent} not {wanted}"
    return measured


def timed_ab(server: Server, url: str, requests: int, *sending, expect: int = 200) -> Load:
    """``ab`` with the CPU time the server's workers spent on each request."""
    started = server.cpu_seconds()
    load = ab(url, requests, *sending, expect=expect)
    load.cpu_ms = round((server.cpu_seconds() - started) * 1000 / requests, 3)
    return load


def read(engine: sa.Engine, query: sa.Select | None) -> int:
    if query is None:
        return 0
    with engine.connect() as connection:
        return connection.scalar(query)


def evaluate(run: Run) -> list[dict]:
    """Issue 12's targets, met or not, from this run's medians.

    They are meant for SQLite; on another database only the memory target is evaluated
    (the database server shares the two cores), the rest is reported beside.
    """
    results = {r.key: r for r in run.results}
    targets = []

    def target(name: str, value: str, met: bool | None) -> None:
        targets.append({"target": name, "measured": value, "met": met})

    def ratio(key: str, least: float, name: str | None = None) -> None:
        if key not in results:  # not run (--only)
            return
        result = results[key]
        name = name or f"{result.label} ≥ {least}× hello req/s"
        if result.app is None:
            target(name, result.note or "not measured", None)
            return
        low, high = result.ratio_range
        target(
            name,
            f"{result.ratio:.2f}× ({low:.2f}–{high:.2f}; cpu {result.cpu_ratio:.2f}×)",
            result.ratio >= least,
        )

    if run.database == "sqlite":
        ratio("article", TARGETS["article_ratio"])
        if (article := results.get("article")) and article.app:
            target(
                f"article page p99 < {TARGETS['article_p99_ms']:.0f} ms",
                f"{article.app.p99_ms:.1f} ms",
                article.app.p99_ms < TARGETS["article_p99_ms"],
            )
        for key in ("home", "section-1", "section-200"):
            ratio(key, TARGETS["page_ratio"])
        ratio("poll", TARGETS["poll_ratio"])
        if run.search:
            target(
                f"search query p50 < {TARGETS['search_p50_ms']:.0f} ms",
                f"{run.search['p50_ms']:.1f} ms",
                run.search["p50_ms"] < TARGETS["search_p50_ms"],
            )
        ratio("admin", TARGETS["admin_ratio"])
        ratio("consult", TARGETS["consult_ratio"])
        if (consult := results.get("consult")) and consult.app:
            target("consultation: none lost", f"check {consult.check}", consult.check == "PASS")
    if rss := run.memory_mb.get("app"):
        target(
            f"memory per worker < {TARGETS['worker_rss_mb']:.0f} MB",
            f"peak {max(rss):.1f} MB",
            max(rss) < TARGETS["worker_rss_mb"],
        )
    return targets


def spread(values: tuple[float, float] | None) -> str:
    return f"{values[0]:.2f}–{values[1]:.2f}" if values else ""


def check_text(result: Result) -> str:
    """What the checks found in each round: ``PASS: +100/100, +100/100`` (rise/answers)."""
    if not result.check:
        return ""
    return f"{result.check}: " + ", ".join(f"+{r.counted}/{r.app.ok}" for r in result.rounds)


def print_run(run: Run) -> None:
    """The table of one database's run, its memory and its targets."""
    head = (
        f"{'scenario':<26}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'hello/s':>8}{'ratio':>7}"
        f"{'(min–max)':>11}{'cpu ms':>8}{'hello':>7}{'ratio':>7}{'(min–max)':>11}"
    )
    print(f"\n== {run.database}: {run.dataset['articles']:,} articles, "
          f"{run.dataset['messages']:,} messages, {CONCURRENCY} connections, "
          f"{WORKERS} gunicorn workers, medians of {run.rounds} rounds ==")  # fmt: skip
    print(head + "  check")
    for r in run.results:
        if r.app is None:
            print(f"{r.label:<26}{r.note}")
            continue
        print(
            f"{r.label:<26}{r.app.rps:>7.0f}{r.app.p50_ms:>8.1f}{r.app.p99_ms:>8.1f}"
            f"{r.baseline.rps:>8.0f}{r.ratio:>6.2f}×{spread(r.ratio_range):>11}"
            f"{r.app.cpu_ms:>8.2f}{r.baseline.cpu_ms:>7.2f}{r.cpu_ratio:>6.2f}×"
            f"{spread(r.cpu_ratio_range):>11}  {check_text(r)}"
            + (f"  ({r.note})" if r.note else "")
        )
    print(
        "(medians over the rounds, each round right after its own hello run; cpu ms: CPU time"
        " of the gunicorn workers per request, the scenario's and hello's; ratios: req/s over"
        " hello's, hello's cpu ms over the scenario's; check: rise of the count over the"
        " answers, per round)"
    )
    for name, sizes in run.memory_mb.items():
        print(
            f"memory per worker, {MEMORY_LABELS.get(name, name)}: peak {max(sizes):.1f} MB "
            f"(largest worker after each round: {', '.join(f'{s:.1f}' for s in sizes)})"
        )
    if run.floor:
        print(
            f"floor (bench/floor.py, one ORM query a request): {run.floor['rps']:.0f} req/s, "
            f"{run.floor['ratio']:.2f}× hello; cpu {run.floor['cpu_ms']:.2f} ms, "
            f"{run.floor['cpu_ratio']:.2f}× hello's"
        )
    if run.search:
        print(
            f"site search, {len(SEARCH_QUERIES)} queries × {run.search['rounds']} in process: "
            f"p50 {run.search['p50_ms']:.1f} ms, p99 {run.search['p99_ms']:.1f} ms, slowest "
            + ", ".join(f"{q} {ms:.1f}" for q, ms in run.search["slowest"])
        )
    for t in run.targets:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        print(f"target {t['target']}: {t['measured']} → {verdict}")


def database_runs(tmp: Path) -> list[tuple[str, str]]:
    """SQLite in ``tmp``; and DATABASE_URL, emptied, when it is set."""
    runs = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
    if url := os.environ.get("DATABASE_URL"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        runs.append((engine.dialect.name, url))
    return runs


def schedule(chosen: list[Scenario], rounds: int) -> list[tuple[int, Scenario]]:
    """The order of the measurements: ``(round, scenario)``.

    Round-robin: round 1 of every scenario, then round 2 of every scenario, and so on, so
    a burst of other work on the shared machine spoils one round of several scenarios
    rather than every round of one (the medians then discard it). The scenarios of LAST
    run all their rounds after the others, since what they write changes what the others
    read.
    """
    first = [s for s in chosen if s.key not in LAST]
    last = [s for s in chosen if s.key in LAST]
    order = [(n, s) for n in range(1, rounds + 1) for s in first]
    return order + [(n, s) for s in last for n in range(1, rounds + 1)]


def bench_database(
    database: str, url: str, hello: Server, size: str, requests: int, rounds: int,
    only: set[str] | None,
) -> Run:  # fmt: skip
    """Prepare one database, serve the app on it and run every scenario's rounds."""
    articles, messages, _, _ = SIZES[size]
    env = {**os.environ, **APP_CONFIG, "DATABASE_URL": url}
    flask_command("init-db", env=env)
    started = time.monotonic()
    filled = fill(url, articles, messages)
    print(f"[{database}] data set written in {time.monotonic() - started:.1f} s", file=sys.stderr)
    run = Run(database, asdict(filled), rounds)
    engine = sa.create_engine(url)
    try:
        with gunicorn("wsgi:app", env) as app:
            chosen = [s for s in scenarios(app, env, filled) if not only or s.key in only]
            results = {s.key: Result(s.key, s.label) for s in chosen}
            run.results = list(results.values())
            for n, scenario in schedule(chosen, rounds):
                result = results[scenario.key]
                if result.note and not result.rounds:  # not available, or setup failed
                    continue
                print(f"[{database}] {scenario.label}, round {n}/{rounds}…", file=sys.stderr)
                measured = measure(scenario, app, hello, engine, requests)
                if isinstance(measured, str):  # not available
                    result.note = measured
                    continue
                result.add(measured)
                # After each round: gunicorn recycles workers (max_requests), so the
                # last reading alone could be a fresh worker's.
                for name, server in (("app", app), ("hello", hello)):
                    run.memory_mb.setdefault(name, []).append(server.largest_worker_mb())
    finally:
        engine.dispose()
    with gunicorn("bench.floor:app", env) as floor:  # the framework's share of it all
        ab(floor.url + "/", FLOOR_REQUESTS)
        run.floor = floor_figures(floor, hello, requests, rounds)
        run.memory_mb["floor"] = [floor.largest_worker_mb()]
    if not only or "search" in only:
        print(f"[{database}] site search queries…", file=sys.stderr)
        run.search = search_timings(url, SEARCH_ROUNDS[size])
    run.targets = evaluate(run)
    return run


def floor_figures(floor: Server, hello: Server, requests: int, rounds: int) -> dict:
    """What a Flask app costs that makes one ORM query a request: rounds of hello then
    bench/floor.py, medians of req/s, CPU per request and their ratios to hello."""
    measured = []
    for _ in range(rounds):
        baseline = timed_ab(hello, hello.url + "/", requests)
        load = timed_ab(floor, floor.url + "/", requests)
        measured.append(
            (load.rps, load.cpu_ms, load.rps / baseline.rps, baseline.cpu_ms / load.cpu_ms)
        )
    columns = zip(*measured, strict=True)
    rps, cpu_ms, ratio, cpu_ratio = (round(median(column), 3) for column in columns)
    return {"rps": rps, "cpu_ms": cpu_ms, "ratio": ratio, "cpu_ratio": cpu_ratio}


def search_timings(url: str, rounds: int) -> dict:
    """Time the site search itself (count, rank, load one page) for each of SEARCH_QUERIES.

    In this process, through the app's own function, so the figure is the query's and not
    the page's (the "search page" scenario gives the whole request under load).
    """
    from statistics import quantiles

    from app import create_app
    from app.extensions import db
    from app.models.base import utcnow
    from app.search.index import Filters, SearchQuery, search

    outer = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url  # create_app prefers it to its config: this run's database
    try:
        app = create_app({"SECRET_KEY": "bench"})
    finally:
        if outer is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = outer
    times: dict[str, list[float]] = {query: [] for query in SEARCH_QUERIES}
    with app.app_context():
        for _ in range(rounds):
            for query in SEARCH_QUERIES:
                started = time.perf_counter()
                search(SearchQuery.parse(query), Filters(), 1, PER_PAGE, utcnow())
                times[query].append((time.perf_counter() - started) * 1000)
                db.session.rollback()
        db.engine.dispose()
    every = sorted(ms for measured in times.values() for ms in measured)
    slowest = sorted(((q, median(ms)) for q, ms in times.items()), key=lambda x: -x[1])[:3]
    return {
        "queries": SEARCH_QUERIES,
        "rounds": rounds,
        "p50_ms": round(median(every), 2),
        "p99_ms": round(quantiles(every, n=100)[98] if len(every) > 1 else every[0], 2),
        "slowest": [(q, round(ms, 2)) for q, ms in slowest],
        "median_ms": {q: round(median(ms), 2) for q, ms in times.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data set, few requests")
    parser.add_argument("--requests", type=int, help="requests per scenario, round and baseline")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (3; 2 with --smoke)")
    parser.add_argument("--only", metavar="SCENARIO[,SCENARIO…]",
                        help=", ".join(SCENARIOS))  # fmt: skip
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results",
                        help="folder for the JSON results")  # fmt: skip
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and (unknown := only - set(SCENARIOS)):
        parser.error(f"unknown scenario {', '.join(sorted(unknown))}: {', '.join(SCENARIOS)}")
    if not shutil.which("ab"):
        print("ab (ApacheBench) is missing: apt-get install apache2-utils", file=sys.stderr)
        return 2
    size = "smoke" if args.smoke else "full"
    requests = args.requests or SIZES[size][2]
    rounds = args.rounds or SIZES[size][3]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, ExitStack() as stack:
        hello = stack.enter_context(gunicorn("bench.hello:app", dict(os.environ)))
        for name, url in database_runs(Path(tmp)):
            try:
                run = bench_database(name, url, hello, size, requests, rounds, only)
            except subprocess.CalledProcessError as error:
                print(
                    f"{' '.join(error.cmd)} failed:\n{error.stdout}{error.stderr}", file=sys.stderr
                )
                return 2
            print_run(run)
            runs.append(run)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.results.mkdir(parents=True, exist_ok=True)
    report = args.results / f"{stamp}.json"
    report.write_text(
        json.dumps(
            {
                "started": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "size": size,
                "requests_per_scenario": requests,
                "rounds": rounds,
                "concurrency": CONCURRENCY,
                "workers": WORKERS,
                "runs": [asdict(run) for run in runs],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nresults: {report}")
    failed = [
        r.label
        for run in runs
        for r in run.results
        if r.check == "FAIL" or r.note.startswith("setup failed")
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
